use sea_orm::entity::prelude::*;

/// Which stored blob has this MD5 (hex): wandb clients name content by MD5.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "blob_md5")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub md5: String,
    pub sha256: String,
    pub size: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
