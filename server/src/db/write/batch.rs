//! The batching writer. SQLite has one writer at a time, so instead of every ingest
//! request opening, committing and syncing its own transaction, requests are queued
//! to one task that takes everything waiting (up to [`MAX_JOBS_PER_TX`]) and applies
//! it in one transaction, each request in its own savepoint so a failing request is
//! rolled back alone. Each request is answered only after that transaction has
//! committed, so an acknowledged write is on disk (WAL, `synchronous=NORMAL`: it
//! survives the process being killed).
//!
//! PostgreSQL handles concurrent writers itself, so there each request simply runs
//! in its own transaction (run rows are locked `FOR UPDATE` by the operations).

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use sea_orm::{DatabaseConnection, DatabaseTransaction, TransactionTrait};
use tokio::sync::{mpsc, oneshot};

use crate::error::ApiError;

/// A boxed future borrowing a transaction.
pub type BoxFut<'t, T> = Pin<Box<dyn Future<Output = T> + Send + 't>>;

/// Requests applied in one SQLite transaction at most.
pub const MAX_JOBS_PER_TX: usize = 64;

/// Called once the batch's transaction has ended: `Ok` when it committed.
type Deliver = Box<dyn FnOnce(Result<(), String>) + Send>;
/// A queued request: runs in the shared transaction and says how to answer, and
/// whether the database itself failed (then the whole batch is rolled back, since
/// SQLite may already have abandoned the transaction).
type Job = Box<dyn for<'t> FnOnce(&'t DatabaseTransaction) -> BoxFut<'t, (Deliver, bool)> + Send>;

fn job<F>(f: F) -> Job
where
    F: for<'t> FnOnce(&'t DatabaseTransaction) -> BoxFut<'t, (Deliver, bool)> + Send + 'static,
{
    Box::new(f)
}

/// Handle to the writer of one database; cheap to clone.
#[derive(Clone)]
pub struct Writer {
    db: DatabaseConnection,
    queue: Option<mpsc::Sender<Job>>,
}

impl Writer {
    /// The writer for `db`; on SQLite this starts the queue task (needs a Tokio runtime).
    pub fn start(db: DatabaseConnection) -> Writer {
        if !crate::db::is_sqlite(&db) {
            return Writer { db, queue: None };
        }
        let (send, recv) = mpsc::channel(4 * MAX_JOBS_PER_TX);
        tokio::spawn(run_queue(db.clone(), recv));
        Writer {
            db,
            queue: Some(send),
        }
    }

    /// Requests waiting in the SQLite writer's queue now (0 on PostgreSQL).
    pub fn queue_depth(&self) -> usize {
        self.queue
            .as_ref()
            .map_or(0, |q| q.max_capacity() - q.capacity())
    }

    /// Run `op` in a write transaction and return its result once committed. If `op`
    /// fails, nothing it wrote is kept.
    pub async fn write<T, F>(&self, op: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: for<'t> FnOnce(&'t DatabaseTransaction) -> BoxFut<'t, Result<T, ApiError>>
            + Send
            + 'static,
    {
        let Some(queue) = &self.queue else {
            let tx = self.db.begin().await?;
            let out = op(&tx).await?;
            tx.commit().await?;
            return Ok(out);
        };
        let (answer, answered) = oneshot::channel::<Result<T, ApiError>>();
        let work = job(move |tx| {
            Box::pin(async move {
                let result = in_savepoint(tx, op).await;
                let db_failed = matches!(result, Err(ApiError::Db(_)));
                let deliver: Deliver = Box::new(move |batch| {
                    let out = match (result, batch) {
                        (Ok(v), Ok(())) => Ok(v),
                        (Err(e), _) => Err(e),
                        (Ok(_), Err(e)) => Err(ApiError::Internal(format!(
                            "could not commit the write: {e}"
                        ))),
                    };
                    let _ = answer.send(out);
                });
                (deliver, db_failed)
            })
        });
        queue
            .send(work)
            .await
            .map_err(|_| ApiError::Internal("the database writer has stopped".into()))?;
        answered
            .await
            .map_err(|_| ApiError::Internal("the database writer dropped the request".into()))?
    }
}

async fn in_savepoint<T, F>(tx: &DatabaseTransaction, op: F) -> Result<T, ApiError>
where
    F: for<'t> FnOnce(&'t DatabaseTransaction) -> BoxFut<'t, Result<T, ApiError>>,
{
    let savepoint = tx.begin().await?;
    match op(&savepoint).await {
        Ok(v) => {
            savepoint.commit().await?;
            Ok(v)
        }
        Err(e) => {
            savepoint.rollback().await?;
            Err(e)
        }
    }
}

async fn run_queue(db: DatabaseConnection, mut queue: mpsc::Receiver<Job>) {
    while let Some(first) = queue.recv().await {
        let mut jobs = vec![first];
        while jobs.len() < MAX_JOBS_PER_TX {
            match queue.try_recv() {
                Ok(j) => jobs.push(j),
                Err(_) => break,
            }
        }
        // Each batch runs as its own task: if a request's code panics, only that batch
        // is lost (rolled back, its callers answered with an error), not the writer.
        let batch = tokio::spawn(run_batch(db.clone(), jobs));
        if let Err(e) = batch.await {
            tracing::error!("a batch of metric writes failed and was rolled back: {e}");
        }
    }
}

async fn run_batch(db: DatabaseConnection, jobs: Vec<Job>) {
    let mut attempt = 0;
    let started = loop {
        match super::begin(&db).await {
            Ok(t) => break Some(t),
            Err(e) if attempt < 5 => {
                tracing::warn!("could not start a write transaction: {e}; retrying");
                attempt += 1;
                tokio::time::sleep(Duration::from_millis(100 << attempt)).await;
            }
            Err(e) => {
                // Dropping the jobs answers each caller with an internal error.
                tracing::error!("giving up on {} writes: {e}", jobs.len());
                break None;
            }
        }
    };
    let Some((tx, turn)) = started else { return };
    let mut delivers = Vec::with_capacity(jobs.len());
    let mut poisoned = false;
    for j in jobs {
        let (deliver, db_failed) = j(&tx).await;
        delivers.push(deliver);
        if db_failed {
            poisoned = true;
            break;
        }
    }
    let ended = if poisoned {
        let _ = tx.rollback().await;
        Err("a database error rolled back this batch; send the request again".to_owned())
    } else {
        tx.commit().await.map_err(|e| e.to_string())
    };
    drop(turn);
    for d in delivers {
        d(ended.clone());
    }
}
