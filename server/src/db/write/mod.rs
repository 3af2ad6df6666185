//! The one way to write: a transaction from [`begin`] (which on SQLite waits for this
//! process's writer turn), or a job queued on the batching [`Writer`] for the many small
//! writes of metric ingest. Every service that writes starts here.

mod batch;

pub use batch::{BoxFut, Writer, MAX_JOBS_PER_TX};

use sea_orm::{
    DatabaseConnection, DatabaseTransaction, SqliteTransactionMode, TransactionOptions,
    TransactionTrait,
};

use crate::error::ApiError;

/// SQLite has one writer at a time, and a deferred transaction that has read before it
/// writes fails at once with "database is locked" when another writer got in first (the
/// busy timeout does not cover that case). So SQLite writes start IMMEDIATE, and within
/// this process they take turns on this lock instead of polling the database file.
pub static SQLITE_WRITER: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Holds the SQLite writer's turn until dropped; `None` on PostgreSQL, where run rows
/// are locked instead (`runs::find_run_for_update`).
pub type WriterTurn = Option<tokio::sync::MutexGuard<'static, ()>>;

/// Start a write transaction (waiting for the writer's turn on SQLite).
pub async fn begin(db: &DatabaseConnection) -> Result<(DatabaseTransaction, WriterTurn), ApiError> {
    if !super::is_sqlite(db) {
        return Ok((db.begin().await?, None));
    }
    let turn = SQLITE_WRITER.lock().await;
    // IMMEDIATE takes the write lock at BEGIN (waiting out the busy timeout), so a writer
    // outside this lock (another process, an API-key touch) cannot make us fail later.
    let options = TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..Default::default()
    };
    Ok((db.begin_with_options(options).await?, Some(turn)))
}

/// Whether a database error is a unique-constraint violation: a concurrent request
/// created the same row first, so trying again will find it.
pub fn is_unique_violation(e: &ApiError) -> bool {
    matches!(e, ApiError::Db(db) if matches!(db.sql_err(), Some(sea_orm::SqlErr::UniqueConstraintViolation(_))))
}
