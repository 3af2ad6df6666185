use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "runs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub project_id: i32,
    pub run_id: String,
    pub display_name: String,
    /// 1-based position of the run in its project; the N of generated names.
    pub ordinal: i64,
    pub state: String,
    /// JSON object.
    #[sea_orm(column_type = "Text")]
    pub config: String,
    /// JSON of `app::logic::summary::AutoSummary`.
    #[sea_orm(column_type = "Text")]
    pub summary_auto: String,
    /// JSON object of values set explicitly.
    #[sea_orm(column_type = "Text")]
    pub summary_explicit: String,
    /// JSON array of strings.
    #[sea_orm(column_type = "Text")]
    pub tags: String,
    #[sea_orm(column_type = "Text")]
    pub notes: String,
    pub group_name: Option<String>,
    pub job_type: Option<String>,
    pub user_id: i32,
    pub host: Option<String>,
    pub git_commit: Option<String>,
    pub created_at: i64,
    pub heartbeat_at: i64,
    pub finished_at: Option<i64>,
    #[sea_orm(column_type = "Double")]
    pub runtime_seconds: f64,
    pub exit_code: Option<i32>,
    pub color: Option<String>,
    pub deleted_at: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// Typed reads of the JSON columns (see `db::stored` for what happens to damage).
impl Model {
    fn stored<T: serde::de::DeserializeOwned + Default>(&self, column: &str, text: &str) -> T {
        crate::db::stored::decode("runs", column, i64::from(self.id), text)
    }

    /// The run's tags.
    pub fn tag_list(&self) -> Vec<String> {
        self.stored("tags", &self.tags)
    }

    /// The run's config as an object.
    pub fn config_map(&self) -> serde_json::Map<String, serde_json::Value> {
        self.stored("config", &self.config)
    }

    /// The summary values set explicitly.
    pub fn explicit_summary(&self) -> serde_json::Map<String, serde_json::Value> {
        self.stored("summary_explicit", &self.summary_explicit)
    }

    /// The summary kept from logged metrics.
    pub fn auto_summary(&self) -> app::logic::summary::AutoSummary {
        self.stored("summary_auto", &self.summary_auto)
    }
}
