//! Schema migrations. Append-only: a landed migration is never edited; changes
//! come as new files. Each runs on SQLite and PostgreSQL alike.

use sea_orm_migration::prelude::*;

mod m0001_initial;
mod m0002_metrics_engine;
mod m0003_wandb;
mod m0004_runs_table;
mod m0005_accounts;
mod m0006_member_rights;
mod m0007_artifact_tab;
mod m0008_artifact_folders;
mod m0009_reports;
mod m0010_sweeps;
mod m0011_automations;
mod m0012_scale_out;

/// The chunk layout m0002 wrote, for the live codec's compatibility test.
#[cfg(test)]
pub(crate) use m0002_metrics_engine::v1 as m0002_v1;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m0001_initial::Migration),
            Box::new(m0002_metrics_engine::Migration),
            Box::new(m0003_wandb::Migration),
            Box::new(m0004_runs_table::Migration),
            Box::new(m0005_accounts::Migration),
            Box::new(m0006_member_rights::Migration),
            Box::new(m0007_artifact_tab::Migration),
            Box::new(m0008_artifact_folders::Migration),
            Box::new(m0009_reports::Migration),
            Box::new(m0010_sweeps::Migration),
            Box::new(m0011_automations::Migration),
            Box::new(m0012_scale_out::Migration),
        ]
    }
}
