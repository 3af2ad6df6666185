use sea_orm::entity::prelude::*;

/// One version of an artifact.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "artifacts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub collection_id: i32,
    /// The N of `vN`.
    pub version_index: i32,
    /// Hex digest of the manifest's entries (wandb's `MANIFEST_MD5`).
    pub digest: String,
    /// `PENDING` until committed, then `COMMITTED`.
    pub state: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub description: Option<String>,
    /// JSON object text.
    #[sea_orm(column_type = "Text", nullable)]
    pub metadata: Option<String>,
    pub size: i64,
    pub file_count: i64,
    /// The producing run (`runs.id`).
    pub run_id: Option<i32>,
    pub client_id: Option<String>,
    pub sequence_client_id: Option<String>,
    pub history_step: Option<i64>,
    /// JSON array of the aliases asked for at creation, applied at commit.
    #[sea_orm(column_type = "Text")]
    pub requested_aliases: String,
    /// Blob address of the uploaded manifest.
    pub manifest_sha256: Option<String>,
    /// base64 MD5 of the manifest, as the client announced it.
    pub manifest_digest: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    /// JSON list of tags (m0007).
    #[sea_orm(column_type = "Text")]
    pub tags: String,
    /// Time to live from `created_at`; `None` keeps the version.
    pub ttl_seconds: Option<i64>,
    /// When the version was deleted (its aliases are gone; its rows wait for the purge).
    pub deleted_at: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
