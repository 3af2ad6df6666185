//! The server's settings, read from the environment once at start ([`Config::from_env`])
//! and passed down from there; nothing else reads the environment. The flags of the
//! `cairn` command (`--data-dir`/`CAIRN_DATA_DIR`, `--database-url`/`DATABASE_URL`,
//! `--addr`/`CAIRN_ADDR`, `--no-demo`/`CAIRN_NO_DEMO`) are parsed by the command line
//! and `LEPTOS_*` by Leptos; the README lists every variable.

/// Largest request body `/api/v1` and the wandb protocol accept (files sent through
/// `/storage` stream and have their own limit, [`Config::max_upload_bytes`]).
pub const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;
/// Default budget of the chart cache. 64 MB charts W3 (100 runs × 100,000 steps) as fast
/// as 256 MB did, and the server's peak memory in `cairn bench` is the same with either
/// (358 and 363 MB: it is set by the ingest's request bodies, not the cache; with the
/// cache off it is higher, 657 MB, as every chart decodes its chunks again).
pub const DEFAULT_CHART_CACHE_MB: usize = 64;
/// Default largest single upload: 64 GiB (uploads stream to disk).
pub const DEFAULT_MAX_UPLOAD_BYTES: u64 = 64 << 30;

/// Secrets for the first admin; `None` fields are generated (and printed once).
#[derive(Debug, Clone, Default)]
pub struct AdminSecrets {
    pub password: Option<String>,
    pub api_key: Option<String>,
}

/// Settings that are not command-line flags.
#[derive(Debug, Clone)]
pub struct Config {
    /// `CAIRN_PUBLIC_URL`: the address people and clients reach this server at, without
    /// a trailing `/`; needed behind a proxy that does not pass `Host` on.
    pub public_url: Option<String>,
    /// `CAIRN_CHART_CACHE_MB`: memory for decoded chunk rows of charted series (0: off).
    pub chart_cache_bytes: usize,
    /// `CAIRN_MAX_UPLOAD_BYTES`: largest single file upload over the wandb protocol.
    pub max_upload_bytes: u64,
    /// `CAIRN_ADMIN_PASSWORD` and `CAIRN_ADMIN_API_KEY`: the first admin's secrets
    /// (generated and printed once when unset).
    pub admin: AdminSecrets,
    /// `CAIRN_SECRET_KEY`: the key sealing automation secrets (64 hex digits); when
    /// unset, `cairn serve` keeps one in `secret.key` in the data directory. Servers
    /// sharing a database must share it.
    pub secret_key: Option<String>,
    /// `CAIRN_WEBHOOK_RETRY_MS`: the wait before a failed webhook's first retry
    /// (doubling after each failure, at most an hour, for 24 hours).
    pub webhook_retry_ms: u64,
    /// `CAIRN_AUTOMATION_POLL_MS`: how often the delivery worker looks for events
    /// and due deliveries.
    pub automation_poll_ms: u64,
    /// `CAIRN_CRASH_AFTER_SECS`: a running run not heard from for this long is marked
    /// crashed (default 300); the watch looks every fifth of it, at most every minute.
    pub crash_after_secs: u64,
    /// The address `cairn serve` listens on (`http://host:port`), the fallback for
    /// links in webhooks when `public_url` is unset; set by `cairn serve`.
    pub listen_url: Option<String>,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            public_url: None,
            chart_cache_bytes: DEFAULT_CHART_CACHE_MB * 1024 * 1024,
            max_upload_bytes: DEFAULT_MAX_UPLOAD_BYTES,
            admin: AdminSecrets::default(),
            secret_key: None,
            webhook_retry_ms: 10_000,
            automation_poll_ms: 1000,
            crash_after_secs: 300,
            listen_url: None,
        }
    }
}

impl Config {
    /// The settings from this process's environment.
    pub fn from_env() -> Result<Config, String> {
        Config::from_vars(|name| std::env::var(name).ok())
    }

    /// The settings from `var` (a variable's value by name); an unparsable number is
    /// an error that names the variable, and an empty value counts as unset.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Config, String> {
        let get = |name: &str| {
            var(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let number = |name: &str| -> Result<Option<u64>, String> {
            get(name)
                .map(|v| {
                    v.parse::<u64>()
                        .map_err(|_| format!("{name} must be a whole number, not {v:?}"))
                })
                .transpose()
        };
        let defaults = Config::default();
        Ok(Config {
            public_url: get("CAIRN_PUBLIC_URL").map(|u| u.trim_end_matches('/').to_owned()),
            chart_cache_bytes: number("CAIRN_CHART_CACHE_MB")?
                .map_or(defaults.chart_cache_bytes, |mb| mb as usize * 1024 * 1024),
            max_upload_bytes: number("CAIRN_MAX_UPLOAD_BYTES")?
                .unwrap_or(defaults.max_upload_bytes),
            admin: AdminSecrets {
                password: get("CAIRN_ADMIN_PASSWORD"),
                api_key: get("CAIRN_ADMIN_API_KEY"),
            },
            secret_key: get("CAIRN_SECRET_KEY"),
            webhook_retry_ms: number("CAIRN_WEBHOOK_RETRY_MS")?
                .unwrap_or(defaults.webhook_retry_ms)
                .max(1),
            automation_poll_ms: number("CAIRN_AUTOMATION_POLL_MS")?
                .unwrap_or(defaults.automation_poll_ms)
                .max(10),
            crash_after_secs: number("CAIRN_CRASH_AFTER_SECS")?
                .unwrap_or(defaults.crash_after_secs)
                .max(1),
            listen_url: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from(pairs: &[(&str, &str)]) -> Result<Config, String> {
        Config::from_vars(|name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        })
    }

    #[test]
    fn unset_and_empty_variables_take_the_defaults() {
        let c = from(&[("CAIRN_PUBLIC_URL", "  "), ("CAIRN_ADMIN_PASSWORD", "")]).unwrap();
        assert_eq!(c.public_url, None);
        assert_eq!(c.chart_cache_bytes, 64 << 20);
        assert_eq!(c.max_upload_bytes, 64 << 30);
        assert!(c.admin.password.is_none() && c.admin.api_key.is_none());
    }

    #[test]
    fn values_are_parsed_and_bad_numbers_named() {
        let c = from(&[
            ("CAIRN_PUBLIC_URL", "https://cairn.example.org/"),
            ("CAIRN_CHART_CACHE_MB", "0"),
            ("CAIRN_MAX_UPLOAD_BYTES", "1000"),
        ])
        .unwrap();
        assert_eq!(c.public_url.as_deref(), Some("https://cairn.example.org"));
        assert_eq!(c.chart_cache_bytes, 0);
        assert_eq!(c.max_upload_bytes, 1000);
        let e = from(&[("CAIRN_CHART_CACHE_MB", "lots")]).unwrap_err();
        assert!(e.contains("CAIRN_CHART_CACHE_MB"), "{e}");
    }
}
