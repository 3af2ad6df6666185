use sea_orm::entity::prelude::*;

/// The outbox: an event recorded in the transaction of the change that caused it,
/// turned into executions by the delivery worker.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "automation_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub project_id: i32,
    pub kind: String,
    /// The event's particulars (JSON).
    #[sea_orm(column_type = "Text")]
    pub data: String,
    pub user_id: Option<i32>,
    pub created_at: i64,
    pub processed_at: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
