//! Failed sign-ins, counted per username, so a password cannot be guessed quickly.
//! After `MAX_FAILURES` failures within `WINDOW_MS`, further attempts for that name
//! are refused (without checking the password) until the window has passed. An
//! attempt counts as a failure from the moment it starts, so parallel guesses cannot
//! all slip in before the first one is counted; a success clears the count. Anyone can
//! lock a name for 15 minutes this way: the price of not letting passwords be guessed. Counts live in memory: a restart forgets them, and
//! servers sharing a database count separately (each still limits).

use std::collections::HashMap;
use std::sync::Mutex;

pub const MAX_FAILURES: u32 = 10;
pub const WINDOW_MS: i64 = 15 * 60 * 1000;
/// Past this many names tracked, windows that ended are dropped.
const PRUNE_AT: usize = 10_000;

#[derive(Default)]
pub struct LoginLimiter {
    /// Lowercased username → (failures, start of the window).
    failures: Mutex<HashMap<String, (u32, i64)>>,
}

impl LoginLimiter {
    /// Start an attempt for `username` at `now`: counted as a failure until
    /// [`LoginLimiter::succeeded`]; `Err(wait_ms)` when the name is locked out.
    pub fn attempt(&self, username: &str, now: i64) -> Result<(), i64> {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= PRUNE_AT {
            map.retain(|_, (_, start)| now - *start < WINDOW_MS);
        }
        let entry = map.entry(username.to_lowercase()).or_insert((0, now));
        if now - entry.1 >= WINDOW_MS {
            *entry = (0, now);
        }
        if entry.0 >= MAX_FAILURES {
            return Err(WINDOW_MS - (now - entry.1));
        }
        entry.0 += 1;
        Ok(())
    }

    pub fn succeeded(&self, username: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        map.remove(&username.to_lowercase());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_after_the_limit_and_opens_after_the_window() {
        let l = LoginLimiter::default();
        for i in 0..MAX_FAILURES {
            assert!(l.attempt("Ann", i as i64).is_ok());
        }
        let wait = l.attempt("ann", 100).unwrap_err();
        assert!(wait > 0 && wait <= WINDOW_MS);
        // Other names are not affected.
        assert!(l.attempt("bob", 100).is_ok());
        assert!(l.attempt("ann", WINDOW_MS + 1).is_ok());
        // A success clears the count.
        l.succeeded("ANN");
        for _ in 0..MAX_FAILURES {
            assert!(l.attempt("ann", WINDOW_MS + 2).is_ok());
        }
    }
}
