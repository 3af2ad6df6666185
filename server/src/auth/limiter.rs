//! Failed sign-ins, counted per username in the database, so a password cannot be
//! guessed quickly, through one server or many sharing the database. After
//! `MAX_FAILURES` failures within `WINDOW_MS`, further attempts for that name are refused
//! (without checking the password) until the window has passed. An attempt counts as a
//! failure from the moment it starts (one statement counts it and reads the count), so
//! parallel guesses cannot all slip in before the first one is counted; a success clears
//! the count. Anyone can lock a name for 15 minutes this way: the price of not letting
//! passwords be guessed. Counts survive a restart; the purge job drops ended windows.

use sea_orm::{ConnectionTrait, DbErr};

use crate::db::repo::users;

pub const MAX_FAILURES: i64 = 10;
pub const WINDOW_MS: i64 = 15 * 60 * 1000;

/// Start an attempt for `username` at `now`: counted as a failure until [`succeeded`];
/// `Ok(Err(wait_ms))` when the name is locked out.
pub async fn attempt(
    db: &impl ConnectionTrait,
    username: &str,
    now: i64,
) -> Result<Result<(), i64>, DbErr> {
    let (failures, start) =
        users::count_sign_in_attempt(db, &username.to_lowercase(), now, now - WINDOW_MS).await?;
    if failures > MAX_FAILURES {
        return Ok(Err((WINDOW_MS - (now - start)).max(1)));
    }
    Ok(Ok(()))
}

/// `username` signed in: its count starts again.
pub async fn succeeded(db: &impl ConnectionTrait, username: &str) -> Result<(), DbErr> {
    users::clear_sign_in_failures(db, &username.to_lowercase()).await
}

/// Drop the counts of windows that have ended.
pub async fn purge(db: &impl ConnectionTrait, now: i64) -> Result<u64, DbErr> {
    users::purge_sign_in_failures(db, now - WINDOW_MS).await
}
