use sea_orm::entity::prelude::*;

/// One folder of a committed version with its totals (m0008), so a folder page
/// needs no scan of the version's files.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "artifact_dirs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub artifact_id: i32,
    /// `""` for the top, else ending in `/`.
    #[sea_orm(primary_key, auto_increment = false, column_type = "Text")]
    pub path: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub parent: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub name: String,
    pub files: i64,
    pub size: i64,
    pub direct_files: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
