//! Leases on background jobs: of several servers sharing one database, the one holding
//! a job's lease runs it; the others skip it until the lease runs out (its holder died
//! or stopped renewing).

use sea_orm::{ConnectionTrait, DbErr};

use crate::db::sql::Sql;

/// When "now" is for a lease: the database's clock (what servers use, so that their
/// own clocks need not agree), or a given time (tests).
#[derive(Clone, Copy, Debug)]
pub enum Now {
    Database,
    At(i64),
}

/// Append the lease clock's "now" in Unix milliseconds.
fn push_now(q: &mut Sql, now: Now) {
    match now {
        Now::At(ms) => {
            q.bind(ms);
        }
        Now::Database if q.is_postgres() => {
            q.push("CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)");
        }
        Now::Database => {
            q.push("CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)");
        }
    }
}

/// Take the lease on `job` for `holder` until `now + ttl_ms`, or renew it if `holder`
/// has it already; whether `holder` has it now. One statement, so two servers asking at
/// once cannot both get it.
pub async fn take(
    db: &impl ConnectionTrait,
    job: &str,
    holder: &str,
    now: Now,
    ttl_ms: i64,
) -> Result<bool, DbErr> {
    let mut q = Sql::new(db.get_database_backend());
    q.push("INSERT INTO job_leases (name, holder, until_ms) VALUES (")
        .bind(job)
        .push(", ")
        .bind(holder)
        .push(", ");
    push_now(&mut q, now);
    q.push(" + ").bind(ttl_ms).push(
        ") ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, \
         until_ms = excluded.until_ms WHERE job_leases.holder = excluded.holder \
         OR job_leases.until_ms < ",
    );
    push_now(&mut q, now);
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
