use sea_orm::entity::prelude::*;

/// One entry of a collection's action history: who did what to which version, and
/// through which door (`ui`, `api`, `wandb`, `server` for the server's own jobs).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "artifact_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub collection_id: i32,
    pub artifact_id: Option<i32>,
    pub version_index: Option<i32>,
    /// What happened: `created`, `alias_added`, `alias_moved`, `alias_removed`, …
    pub action: String,
    /// The action's particulars as a short human-readable text.
    #[sea_orm(column_type = "Text")]
    pub detail: String,
    pub user_id: Option<i32>,
    pub via: String,
    pub at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
