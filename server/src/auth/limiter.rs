//! Failed sign-ins, counted per username, so a password cannot be guessed quickly.
//! After `MAX_FAILURES` failures within `WINDOW_MS`, further attempts for that name
//! are refused (without checking the password) until the window has passed. A
//! success clears the count. Counts live in memory: a restart forgets them, and
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
    /// `Err(wait_ms)` when the name is locked out at `now`.
    pub fn check(&self, username: &str, now: i64) -> Result<(), i64> {
        let map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        match map.get(&username.to_lowercase()) {
            Some(&(n, start)) if n >= MAX_FAILURES && now - start < WINDOW_MS => {
                Err(WINDOW_MS - (now - start))
            }
            _ => Ok(()),
        }
    }

    pub fn failed(&self, username: &str, now: i64) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= PRUNE_AT {
            map.retain(|_, (_, start)| now - *start < WINDOW_MS);
        }
        let entry = map.entry(username.to_lowercase()).or_insert((0, now));
        if now - entry.1 >= WINDOW_MS {
            *entry = (0, now);
        }
        entry.0 += 1;
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
            assert!(l.check("Ann", i as i64).is_ok());
            l.failed("Ann", i as i64);
        }
        let wait = l.check("ann", 100).unwrap_err();
        assert!(wait > 0 && wait <= WINDOW_MS);
        // Other names are not affected.
        assert!(l.check("bob", 100).is_ok());
        assert!(l.check("ann", WINDOW_MS + 1).is_ok());
        // A success clears the count.
        l.succeeded("ANN");
        assert!(l.check("ann", 100).is_ok());
    }
}
