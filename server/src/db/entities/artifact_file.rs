use sea_orm::entity::prelude::*;

/// A file of an artifact version. `sha256` is the blob holding its bytes, empty until
/// they are uploaded (or found already stored by MD5).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "artifact_files")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub artifact_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub path: String,
    /// base64 of the raw MD5, as wandb writes it.
    pub md5: String,
    pub size: Option<i64>,
    pub sha256: Option<String>,
    /// The version that first stored these bytes.
    pub birth_artifact_id: i32,
    /// The folder it sits in (`""` or ending in `/`; m0008).
    #[sea_orm(column_type = "Text", nullable)]
    pub dir: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
