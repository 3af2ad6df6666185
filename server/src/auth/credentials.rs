//! Secrets. Passwords are hashed with argon2 (slow on purpose). API keys and session
//! tokens are long random strings, so a fast SHA-256 of them is enough to store and
//! to look them up by; the secret itself is never stored.

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use rand::Rng;
use sha2::{Digest, Sha256};
use std::sync::atomic::{AtomicU64, Ordering};

/// argon2 checks and hashes that may run at once, in the whole process. Each takes
/// about 19 MiB and tens of milliseconds of one core; more wait their turn, so a
/// flood of sign-ups or sign-ins queues instead of taking every core and gigabytes.
pub const ARGON2_AT_ONCE: usize = 4;

static ARGON2_SLOTS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(ARGON2_AT_ONCE);
static ARGON2_STARTED: AtomicU64 = AtomicU64::new(0);
static ARGON2_RUNNING: AtomicU64 = AtomicU64::new(0);
static ARGON2_PEAK: AtomicU64 = AtomicU64::new(0);

/// How many argon2 runs started since the process began, and the most that ran at
/// once (for tests and diagnostics).
pub fn argon2_counts() -> (u64, u64) {
    (
        ARGON2_STARTED.load(Ordering::Relaxed),
        ARGON2_PEAK.load(Ordering::Relaxed),
    )
}

/// Run one argon2 job on the blocking pool, within [`ARGON2_AT_ONCE`].
async fn limited<T: Send + 'static>(job: impl FnOnce() -> T + Send + 'static) -> Result<T, String> {
    let _slot = ARGON2_SLOTS
        .acquire()
        .await
        .map_err(|e| format!("password work is shut down: {e}"))?;
    ARGON2_STARTED.fetch_add(1, Ordering::Relaxed);
    let running = ARGON2_RUNNING.fetch_add(1, Ordering::Relaxed) + 1;
    ARGON2_PEAK.fetch_max(running, Ordering::Relaxed);
    let out = tokio::task::spawn_blocking(job).await;
    ARGON2_RUNNING.fetch_sub(1, Ordering::Relaxed);
    out.map_err(|e| format!("password work failed: {e}"))
}

/// [`hash_password`] within the process-wide argon2 limit, off the async workers.
pub async fn hash_password_limited(password: &str) -> Result<String, String> {
    let pw = password.to_owned();
    limited(move || hash_password(&pw)).await?
}

/// [`verify_password`] within the process-wide argon2 limit, off the async workers.
pub async fn verify_password_limited(password: &str, hash: String) -> Result<bool, String> {
    let pw = password.to_owned();
    limited(move || verify_password(&pw, &hash)).await
}

/// Length of generated API keys (the wandb client wants at least 40 characters).
pub const API_KEY_LEN: usize = 40;

pub fn hash_password(password: &str) -> Result<String, String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| format!("could not hash password: {e}"))
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A random string of `len` characters from `[a-z0-9]`.
fn random_token(len: usize) -> String {
    const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rngs::OsRng;
    (0..len)
        .map(|_| CHARS[rng.gen_range(0..CHARS.len())] as char)
        .collect()
}

pub fn new_api_key() -> String {
    random_token(API_KEY_LEN)
}

pub fn new_session_token() -> String {
    random_token(48)
}

/// A password for a first-start admin: readable, 20 characters.
pub fn new_password() -> String {
    random_token(20)
}

/// Whether `key` may be used as an API key: at least 40 characters of `[A-Za-z0-9_-]`.
pub fn is_valid_api_key(key: &str) -> bool {
    key.len() >= API_KEY_LEN
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// The stored form of a key or token.
pub fn token_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_themselves() {
        let h = hash_password("correct horse").unwrap();
        assert!(verify_password("correct horse", &h));
        assert!(!verify_password("wrong horse", &h));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn keys_have_the_right_shape() {
        let k = new_api_key();
        assert!(is_valid_api_key(&k));
        assert_ne!(k, new_api_key());
        assert!(!is_valid_api_key("short"));
        assert!(!is_valid_api_key(&format!("{}!", "a".repeat(40))));
        assert_eq!(token_hash("abc").len(), 64);
    }
}
