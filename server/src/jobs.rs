//! The background jobs of `cairn serve`, all in one place: [`Jobs::start`] starts them
//! over the app's state and [`Jobs::stop`] ends them (dropping [`Jobs`] does too).
//!
//! - crash watch, every minute: a running run not heard from for five minutes
//!   (`CAIRN_CRASH_AFTER_SECS`) is marked crashed (it comes back to running if it
//!   writes again); shorter silences are watched more often;
//! - purge, every hour: projects deleted longer ago than the restore window are
//!   removed with their files (`service::accounts::purge_deleted`), and the
//!   artifacts' clean-up runs (`service::artifacts::clean_up`: TTL expiry, deleted
//!   versions and collections, unreferenced blobs), and automation events delivered
//!   more than a day ago are dropped from the outbox;
//! - automations, every `CAIRN_AUTOMATION_POLL_MS` (1 s): waiting events become
//!   executions and due executions are sent (`service::automations::deliver`; safe
//!   on several servers at once).
//!
//! With several servers on one database, the crash watch and the purge run on one of
//! them at a time: the one holding the job's lease (`db::repo::leases`, timed by the
//! database's clock), renewed at every run and every half period during one; when its
//! holder dies, the lease runs out after one and a half periods and the next server to
//! look takes it. The automations worker runs everywhere: its row
//! claims already share the work out.

use std::future::Future;
use std::time::Duration;

use tokio::task::JoinHandle;

use crate::db::now_ms;
use crate::db::repo::{leases, runs};
use crate::error::ApiError;
use crate::service::accounts;
use crate::service::automations::{self, deliver};
use crate::state::AppState;

/// How often the crash watch looks for runs silent for `crash_after`: every fifth of
/// it, at least every second and at most every minute.
fn crash_watch_period(crash_after: Duration) -> Duration {
    (crash_after / 5).clamp(Duration::from_secs(1), Duration::from_secs(60))
}
/// How often deleted projects past their restore window are purged.
pub const PURGE_EVERY: Duration = Duration::from_secs(3600);

/// The running jobs.
pub struct Jobs {
    tasks: Vec<JoinHandle<()>>,
    lease: Lease,
}

/// This server's claim on the leased jobs.
#[derive(Clone)]
struct Lease {
    db: sea_orm::DatabaseConnection,
    /// A random id per server process.
    holder: String,
}

impl Lease {
    /// Whether this server holds `job`'s lease for the next `ttl` (taken or renewed);
    /// a database that cannot be asked means no.
    async fn hold(&self, job: &str, ttl: Duration) -> bool {
        let ttl_ms = i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX);
        match leases::take(&self.db, job, &self.holder, leases::Now::Database, ttl_ms).await {
            Ok(held) => held,
            Err(e) => {
                tracing::warn!(job, error = %e, "could not take a job's lease");
                false
            }
        }
    }
}

impl Jobs {
    /// Start every job; each runs once at start, then once per period.
    pub fn start(state: &AppState) -> Jobs {
        let lease = Lease {
            db: state.db.clone(),
            holder: format!("{:016x}", rand::random::<u64>()),
        };
        let crash_db = state.db.clone();
        let (purge_db, purge_blobs) = (state.db.clone(), state.blobs.clone());
        let delivery = state.delivery();
        let poll = Duration::from_millis(state.config.automation_poll_ms);
        let crash_after = Duration::from_secs(state.config.crash_after_secs);
        Jobs {
            tasks: vec![
                every(
                    "crash watch",
                    crash_watch_period(crash_after),
                    Some(lease.clone()),
                    move || {
                        let db = crash_db.clone();
                        async move {
                            let n = mark_silent_runs_crashed(&db, crash_after).await?;
                            if n > 0 {
                                tracing::info!("marked {n} silent run(s) as crashed");
                            }
                            Ok(())
                        }
                    },
                ),
                every("purge", PURGE_EVERY, Some(lease.clone()), move || {
                    let (db, blobs) = (purge_db.clone(), purge_blobs.clone());
                    async move {
                        // The grace period spares projects restored a moment ago.
                        let grace = Duration::from_secs(3600);
                        accounts::purge_deleted(&db, &blobs, now_ms(), grace).await?;
                        crate::service::artifacts::clean_up(&db, &blobs, now_ms(), grace).await?;
                        crate::db::repo::automations::purge_events(
                            &db,
                            now_ms() - 24 * 3600 * 1000,
                        )
                        .await?;
                        crate::auth::limiter::purge(&db, now_ms()).await?;
                        Ok(())
                    }
                }),
                every("automations", poll, None, move || {
                    let d = delivery.clone();
                    async move {
                        // Work off a backlog at once rather than one batch per tick.
                        while deliver::process_events(&d).await? > 0 {}
                        while deliver::send_due(&d).await? > 0 {}
                        Ok(())
                    }
                }),
            ],
            lease,
        }
    }

    /// Stop every job and wait until each has ended (a job is stopped between two
    /// database statements, never inside a transaction's commit).
    pub async fn stop(mut self) {
        for task in &self.tasks {
            task.abort();
        }
        for task in self.tasks.drain(..) {
            let _ = task.await;
        }
        // Another server may take the jobs over at once.
        for job in LEASED_JOBS {
            leases::release(&self.lease.db, job, &self.lease.holder)
                .await
                .ok();
        }
    }
}

impl Drop for Jobs {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// Mark running runs silent for `silence` as crashed; how many were marked.
pub async fn mark_silent_runs_crashed(
    db: &sea_orm::DatabaseConnection,
    silence: Duration,
) -> Result<u64, ApiError> {
    let cutoff = now_ms() - silence.as_millis() as i64;
    let (tx, _turn) = crate::db::write::begin(db).await?;
    let crashed = runs::mark_crashed(&tx, cutoff).await?;
    automations::events::runs_crashed(&tx, &crashed).await?;
    tx.commit().await?;
    Ok(crashed.len() as u64)
}

/// The jobs that run on one server at a time.
const LEASED_JOBS: [&str; 2] = ["crash watch", "purge"];

/// Run `job` now and then every `period`, logging failures; with a `lease`, only while
/// this server holds the job's lease. The lease lasts one and a half periods and is
/// renewed every half period while the job runs, so a run longer than a period keeps
/// it; a run that loses it (the database unreachable for a while, another server took
/// over) is stopped at its next await, so two servers never run the job at once.
fn every<F, Fut>(
    name: &'static str,
    period: Duration,
    lease: Option<Lease>,
    job: F,
) -> JoinHandle<()>
where
    F: Fn() -> Fut + Send + 'static,
    Fut: Future<Output = Result<(), ApiError>> + Send,
{
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(period);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let ttl = period + period / 2;
        loop {
            tick.tick().await;
            let result = match &lease {
                None => job().await,
                Some(lease) => {
                    if !lease.hold(name, ttl).await {
                        continue;
                    }
                    let renew = async {
                        loop {
                            tokio::time::sleep(period / 2).await;
                            if !lease.hold(name, ttl).await {
                                return;
                            }
                        }
                    };
                    tokio::select! {
                        result = job() => result,
                        () = renew => {
                            tracing::warn!(job = name, "lost the job's lease while running it; stopped");
                            Ok(())
                        }
                    }
                }
            };
            if let Err(e) = result {
                tracing::warn!(job = name, error = %e, "a background job failed");
            }
        }
    })
}
