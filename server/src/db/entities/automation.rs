use sea_orm::entity::prelude::*;

/// An automation of a project: a trigger (event kind and filters) and an action.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "automations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub project_id: i32,
    pub name: String,
    #[sea_orm(column_type = "Text")]
    pub description: String,
    pub enabled: bool,
    /// The trigger's event kind (`app::model::EVENT_KINDS`).
    pub event: String,
    /// `app::model::Trigger` as JSON.
    #[sea_orm(column_type = "Text")]
    pub trigger_spec: String,
    /// `app::model::Action` as JSON.
    #[sea_orm(column_type = "Text")]
    pub action_spec: String,
    pub created_by: Option<i32>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
