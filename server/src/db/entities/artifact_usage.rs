use sea_orm::entity::prelude::*;

/// A run that used (consumed) an artifact version: lineage.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "artifact_usages")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub artifact_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub run_id: i32,
    pub used_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
