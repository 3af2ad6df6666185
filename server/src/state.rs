//! [`AppState`]: what every adapter (pages, `/api/v1`, the wandb protocol) and every
//! background job reaches, built once at start.

use crate::body_budget::BodyBudget;
use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::blobs::BlobStore;
use crate::config::Config;
use crate::db::write::Writer;
use crate::metrics::cache::MetaCache;
use crate::service::automations::{Delivery, SecretKey};

/// The server's shared state; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub blobs: BlobStore,
    /// Metric writes go through it (batched into shared transactions on SQLite).
    pub writer: Writer,
    /// Decoded chunk rows of recently charted series, shared by every reader.
    pub chart_cache: Arc<MetaCache>,
    pub config: Arc<Config>,
    /// Seals the automations' secrets (from `config.secret_key`; a fresh one when
    /// unset, which only tests and benchmarks do).
    pub secret_key: SecretKey,
    /// Request bodies buffered in memory at once (see `body_budget`).
    pub body_budget: BodyBudget,
}

impl AppState {
    /// The state over `db` and `blobs` with `config`. This starts the database's
    /// batching writer task, so it needs a Tokio runtime.
    pub fn start(db: DatabaseConnection, blobs: BlobStore, config: Config) -> AppState {
        let secret_key = config
            .secret_key
            .as_deref()
            .and_then(|k| SecretKey::parse(k).ok())
            .unwrap_or_else(SecretKey::generate);
        AppState {
            secret_key,
            body_budget: BodyBudget::new(crate::body_budget::DEFAULT_BUDGET_BYTES),
            writer: Writer::start(db.clone()),
            chart_cache: Arc::new(MetaCache::new(config.chart_cache_bytes)),
            db,
            blobs,
            config: Arc::new(config),
        }
    }
}

impl AppState {
    /// What the automations' delivery worker (and Test, Redeliver) need.
    pub fn delivery(&self) -> Delivery {
        Delivery {
            db: self.db.clone(),
            key: self.secret_key.clone(),
            base_url: self
                .config
                .public_url
                .clone()
                .or_else(|| self.config.listen_url.clone())
                .unwrap_or_else(|| "http://localhost:3000".into()),
            retry_base_ms: self.config.webhook_retry_ms as i64,
        }
    }
}
