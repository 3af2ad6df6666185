//! Storage: connection set-up, migrations, entities and repositories. Repositories
//! are plain async functions over `&impl ConnectionTrait`, so callers choose whether
//! they run inside a transaction. No axum or Leptos types in here.

pub mod copy;
pub mod entities;
pub mod migration;
pub mod repo;
pub mod sql;
pub mod stored;
pub mod write;

use std::time::Duration;

use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbBackend, DbErr};
use sea_orm_migration::MigratorTrait;

/// Open the database at `url` (`sqlite://…?mode=rwc` or `postgres://…`). SQLite gets
/// WAL journaling, `synchronous=NORMAL` and a busy timeout, so readers never block
/// the writer and a commit survives a process crash; PostgreSQL plans each statement
/// for its parameters.
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    let mut opts = ConnectOptions::new(url.to_owned());
    let sqlite = url.starts_with("sqlite:");
    opts.max_connections(if sqlite { 8 } else { 16 })
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(30))
        .sqlx_logging(false);
    if sqlite {
        opts.map_sqlx_sqlite_opts(|o| {
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(30))
                .foreign_keys(true)
                .create_if_missing(true)
                // `REGEXP`, backed by the same `regex` crate the filter checks patterns
                // with, so `=~` means the same in memory and in SQL.
                .with_regexp()
        });
    } else {
        // Plan every statement with its parameters' values. sqlx prepares statements,
        // and after five runs PostgreSQL may switch one to a generic plan that guesses
        // at parameters; for the runs table's filters that guess (a regex keeping 50
        // rows, say) turned a 7 ms query into 780 ms. Custom planning costs well
        // under a millisecond per statement.
        opts.map_sqlx_postgres_opts(|o| o.options([("plan_cache_mode", "force_custom_plan")]));
    }
    Database::connect(opts).await
}

/// Bring the schema up to date.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    migration::Migrator::up(db, None).await?;
    repo::run_fields::rebuild_stale(db).await?;
    Ok(())
}

/// Whether the connection speaks SQLite (some statements differ).
pub fn is_sqlite(db: &impl sea_orm::ConnectionTrait) -> bool {
    db.get_database_backend() == DbBackend::Sqlite
}

/// Current time in Unix milliseconds.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
