use sea_orm::entity::prelude::*;

/// A run's recent values of the metric one automation watches
/// (`app::logic::automations::MetricWindow` as JSON).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "automation_metric_state")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub automation_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub run_pk: i32,
    #[sea_orm(column_type = "Text")]
    pub state: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
