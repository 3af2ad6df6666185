//! A budget on request bodies held in memory at once.
//!
//! Ingest routes read their JSON body whole and then hold its parsed form until the
//! write is queued. A hundred clients each sending 10,000 rows at the same moment
//! would hold every one of those bodies together (the peak of `cairn bench metrics`
//! was 360 MB, nearly all of it parsed bodies). Each buffered route therefore takes
//! as many bytes of the budget as its `Content-Length` says before its body is read,
//! and gives them back when its response is ready. Requests past the budget wait for
//! earlier ones (the client sees latency, never an error), so memory stays bounded
//! by the budget times the parse overhead while throughput is unchanged: the writer
//! is the bottleneck long before the budget is.
//!
//! Streamed routes (file and artifact uploads) do not take from it: they hold one
//! part at a time.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::header::CONTENT_LENGTH;
use axum::middleware::Next;
use axum::response::Response;
use tokio::sync::Semaphore;

use crate::config::MAX_BODY_BYTES;

/// Bytes per permit: the budget counts in KiB so a u32 of permits covers any size.
const UNIT: u64 = 1024;

/// Buffered request bodies allowed in memory at once, by default.
pub const DEFAULT_BUDGET_BYTES: u64 = 24 * 1024 * 1024;

/// The shared budget (cloned into every server state).
#[derive(Clone, Debug)]
pub struct BodyBudget {
    permits: Arc<Semaphore>,
    total: u32,
}

impl BodyBudget {
    pub fn new(bytes: u64) -> BodyBudget {
        let total = (bytes / UNIT).clamp(1, u64::from(u32::MAX >> 4)) as u32;
        BodyBudget {
            permits: Arc::new(Semaphore::new(total as usize)),
            total,
        }
    }

    /// The permits a body of `length` bytes takes (unknown lengths take the most a
    /// body may be); never more than the whole budget, so every body gets in.
    fn cost(&self, length: Option<u64>) -> u32 {
        let bytes = length.unwrap_or(MAX_BODY_BYTES as u64);
        (bytes.div_ceil(UNIT).max(1)).min(u64::from(self.total)) as u32
    }

    /// Bytes of the budget free right now (for `/metrics`).
    pub fn free_bytes(&self) -> u64 {
        self.permits.available_permits() as u64 * UNIT
    }

    pub fn total_bytes(&self) -> u64 {
        u64::from(self.total) * UNIT
    }
}

/// Middleware for routes that buffer their body: wait for the body's share of the
/// budget, run the route, give the share back.
pub async fn hold(State(budget): State<BodyBudget>, req: Request, next: Next) -> Response {
    let length = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let cost = budget.cost(length);
    // The semaphore is never closed, so acquiring only fails if it were.
    let _share = budget.permits.clone().acquire_many_owned(cost).await;
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn costs_round_up_and_are_capped() {
        let b = BodyBudget::new(8 * UNIT);
        assert_eq!(b.cost(Some(0)), 1);
        assert_eq!(b.cost(Some(1)), 1);
        assert_eq!(b.cost(Some(UNIT + 1)), 2);
        // A body larger than the whole budget still gets in, alone.
        assert_eq!(b.cost(Some(1 << 30)), 8);
        assert_eq!(b.cost(None), 8);
    }

    #[tokio::test]
    async fn a_body_past_the_budget_waits_for_an_earlier_one() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use tower::ServiceExt;

        let budget = BodyBudget::new(4 * UNIT);
        let entered = Arc::new(AtomicUsize::new(0));
        let release = Arc::new(tokio::sync::Notify::new());
        let app = {
            let (entered, release) = (entered.clone(), release.clone());
            axum::Router::new()
                .route(
                    "/",
                    axum::routing::post(move || async move {
                        entered.fetch_add(1, Ordering::SeqCst);
                        release.notified().await;
                    }),
                )
                .route_layer(axum::middleware::from_fn_with_state(budget.clone(), hold))
        };
        let send = |bytes: u64| {
            let app = app.clone();
            tokio::spawn(async move {
                let req = Request::post("/")
                    .header(CONTENT_LENGTH, bytes)
                    .body(axum::body::Body::from(vec![b'x'; bytes as usize]))
                    .unwrap();
                app.oneshot(req).await.unwrap().status()
            })
        };
        let first = send(3 * UNIT);
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let second = send(2 * UNIT);
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        // Only the first fits: 3 of 4 KiB are taken and the second needs 2 (it waits
        // in line, already holding the free one).
        assert_eq!(entered.load(Ordering::SeqCst), 1);
        assert_eq!(budget.free_bytes(), 0);
        release.notify_one();
        assert!(first.await.unwrap().is_success());
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        assert_eq!(entered.load(Ordering::SeqCst), 2);
        release.notify_one();
        assert!(second.await.unwrap().is_success());
        assert_eq!(budget.free_bytes(), budget.total_bytes());
    }
}
