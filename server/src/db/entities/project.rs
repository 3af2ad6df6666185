use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "projects")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub entity_id: i32,
    pub name: String,
    #[sea_orm(column_type = "Text")]
    pub description: String,
    pub visibility: String,
    pub created_by: i32,
    pub created_at: i64,
    pub last_active_at: Option<i64>,
    pub deleted_at: Option<i64>,
    /// How many enabled metric automations the project has (0: metric ingest skips
    /// them without a query).
    pub metric_automations: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
