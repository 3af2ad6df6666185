use sea_orm::entity::prelude::*;

/// One execution of an automation: what was (or will be) sent, and the outcome.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "automation_executions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub automation_id: i32,
    pub event_id: Option<i32>,
    pub dedupe: Option<String>,
    pub event_kind: String,
    #[sea_orm(column_type = "Text")]
    pub summary: String,
    pub author: Option<String>,
    /// The event's variables (JSON object, no secrets).
    #[sea_orm(column_type = "Text")]
    pub variables: String,
    /// The payload template (webhook) or message template (chat) at the time.
    #[sea_orm(column_type = "Text")]
    pub template: String,
    #[sea_orm(column_type = "Text")]
    pub url: String,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: Option<i64>,
    pub claimed_until: Option<i64>,
    pub response_status: Option<i32>,
    #[sea_orm(column_type = "Text", nullable)]
    pub response_body: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub error: Option<String>,
    pub duration_ms: Option<i64>,
    pub is_test: bool,
    pub redelivery_of: Option<i32>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
