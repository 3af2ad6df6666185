//! [`AppState`]: what every adapter (pages, `/api/v1`, the wandb protocol) and every
//! background job reaches, built once at start.

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::blobs::BlobStore;
use crate::config::Config;
use crate::db::write::Writer;
use crate::metrics::cache::MetaCache;

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
}

impl AppState {
    /// The state over `db` and `blobs` with `config`. This starts the database's
    /// batching writer task, so it needs a Tokio runtime.
    pub fn start(db: DatabaseConnection, blobs: BlobStore, config: Config) -> AppState {
        AppState {
            writer: Writer::start(db.clone()),
            chart_cache: Arc::new(MetaCache::new(config.chart_cache_bytes)),
            db,
            blobs,
            config: Arc::new(config),
        }
    }
}
