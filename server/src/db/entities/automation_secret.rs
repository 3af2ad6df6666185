use sea_orm::entity::prelude::*;

/// A named secret of a team or user for webhooks, sealed with the server's key.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "automation_secrets")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub entity_id: i32,
    pub name: String,
    #[sea_orm(column_type = "Text")]
    pub sealed: String,
    pub updated_by: Option<i32>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
