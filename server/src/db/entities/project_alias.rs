use sea_orm::entity::prelude::*;

/// An old name of a renamed project, kept so its old URLs redirect.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "project_aliases")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub entity_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub name: String,
    pub project_id: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
