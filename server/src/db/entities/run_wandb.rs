use sea_orm::entity::prelude::*;

/// The parts of a run only the wandb client cares about.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "run_wandb")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub run_id: i32,
    /// The value of the config's `_wandb` entry (telemetry `t`, system info `e`, …);
    /// resume needs it back.
    #[sea_orm(column_type = "Text")]
    pub wandb_config: String,
    /// The last summary the client sent, whole, reserved keys included.
    #[sea_orm(column_type = "Text", nullable)]
    pub summary: Option<String>,
    pub program: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
