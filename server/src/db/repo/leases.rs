//! Leases on background jobs: of several servers sharing one database, the one holding
//! a job's lease runs it; the others skip it until the lease runs out (its holder died
//! or stopped renewing).

use sea_orm::{ConnectionTrait, DbErr};

use crate::db::sql::Sql;

/// Take the lease on `job` for `holder` until `now + ttl_ms`, or renew it if `holder`
/// has it already; whether `holder` has it now. One statement, so two servers asking at
/// once cannot both get it.
pub async fn take(
    db: &impl ConnectionTrait,
    job: &str,
    holder: &str,
    now: i64,
    ttl_ms: i64,
) -> Result<bool, DbErr> {
    let mut q = Sql::new(db.get_database_backend());
    q.push("INSERT INTO job_leases (name, holder, until_ms) VALUES (")
        .bind(job)
        .push(", ")
        .bind(holder)
        .push(", ")
        .bind(now + ttl_ms)
        .push(
            ") ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, \
             until_ms = excluded.until_ms WHERE job_leases.holder = excluded.holder \
             OR job_leases.until_ms < ",
        )
        .bind(now);
    Ok(db.execute_raw(q.build()).await?.rows_affected() == 1)
}

/// Give the lease on `job` up (a server stopping), so another may take it at once.
pub async fn release(db: &impl ConnectionTrait, job: &str, holder: &str) -> Result<(), DbErr> {
    let mut q = Sql::new(db.get_database_backend());
    q.push("DELETE FROM job_leases WHERE name = ")
        .bind(job)
        .push(" AND holder = ")
        .bind(holder);
    db.execute_raw(q.build()).await?;
    Ok(())
}
