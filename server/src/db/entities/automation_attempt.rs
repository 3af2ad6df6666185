use sea_orm::entity::prelude::*;

/// One try at sending an execution.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "automation_attempts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub execution_id: i32,
    pub at: i64,
    pub duration_ms: i64,
    pub response_status: Option<i32>,
    #[sea_orm(column_type = "Text", nullable)]
    pub response_body: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub error: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
