//! Sweeps: the sweep (its configuration as the client sent it, its state, the
//! local controller's two JSON fields, and parameter sets waiting to be handed out
//! again), its agents, and which runs belong to it with the parameters each got.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0010_sweeps"
    }
}

#[derive(DeriveIden)]
enum Projects {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Runs {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Sweeps {
    Table,
    Id,
    ProjectId,
    EntityId,
    Name,
    DisplayName,
    CreatedBy,
    State,
    Method,
    Config,
    Controller,
    Scheduler,
    Queue,
    CreatedAt,
    UpdatedAt,
    HeartbeatAt,
    FinishedAt,
    DeletedAt,
}

#[derive(DeriveIden)]
enum SweepAgents {
    Table,
    Id,
    SweepId,
    Name,
    Host,
    UserId,
    State,
    RunPk,
    TotalRuns,
    CreatedAt,
    HeartbeatAt,
}

#[derive(DeriveIden)]
enum SweepRuns {
    Table,
    RunPk,
    SweepId,
    AgentId,
    ParamKey,
    Args,
    RequeuedAt,
    StopAt,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Sweeps::Table)
                .col(pk_auto(Sweeps::Id))
                .col(integer(Sweeps::ProjectId))
                // Sweep names are unique per entity: `wandb agent ID` may not say
                // the project.
                .col(integer(Sweeps::EntityId))
                .col(string(Sweeps::Name))
                .col(string_null(Sweeps::DisplayName))
                .col(integer_null(Sweeps::CreatedBy))
                // PENDING, RUNNING, PAUSED, FINISHED, CANCELED (the client's words).
                .col(string(Sweeps::State))
                .col(string(Sweeps::Method))
                // The configuration as the client sent it (YAML or JSON).
                .col(text(Sweeps::Config))
                // The local controller's schedule and early-stop lists, and what the
                // server made of them (both JSON, as the client reads them back).
                .col(text_null(Sweeps::Controller))
                .col(text_null(Sweeps::Scheduler))
                // Parameter sets re-queued from failed runs, handed out first (JSON).
                .col(text(Sweeps::Queue))
                .col(big_integer(Sweeps::CreatedAt))
                .col(big_integer(Sweeps::UpdatedAt))
                .col(big_integer_null(Sweeps::HeartbeatAt))
                .col(big_integer_null(Sweeps::FinishedAt))
                .col(big_integer_null(Sweeps::DeletedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(Sweeps::Table, Sweeps::ProjectId)
                        .to(Projects::Table, Projects::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_sweeps_entity_name")
                .table(Sweeps::Table)
                .col(Sweeps::EntityId)
                .col(Sweeps::Name)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_sweeps_project")
                .table(Sweeps::Table)
                .col(Sweeps::ProjectId)
                .col(Sweeps::CreatedAt)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(SweepAgents::Table)
                .col(pk_auto(SweepAgents::Id))
                .col(integer(SweepAgents::SweepId))
                .col(string(SweepAgents::Name))
                .col(string(SweepAgents::Host))
                .col(integer_null(SweepAgents::UserId))
                // RUNNING, or FINISHED once told to exit.
                .col(string(SweepAgents::State))
                // The run it is working on (one at a time).
                .col(integer_null(SweepAgents::RunPk))
                .col(integer(SweepAgents::TotalRuns))
                .col(big_integer(SweepAgents::CreatedAt))
                .col(big_integer(SweepAgents::HeartbeatAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(SweepAgents::Table, SweepAgents::SweepId)
                        .to(Sweeps::Table, Sweeps::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_sweep_agents_sweep")
                .table(SweepAgents::Table)
                .col(SweepAgents::SweepId)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(SweepRuns::Table)
                .col(integer(SweepRuns::RunPk).primary_key())
                .col(integer(SweepRuns::SweepId))
                .col(integer_null(SweepRuns::AgentId))
                // The canonical JSON of the run's parameter values (grid and
                // without-replacement searches skip keys already here).
                .col(text_null(SweepRuns::ParamKey))
                // The `args` its agent was given; null for prior runs.
                .col(text_null(SweepRuns::Args))
                // Set when its parameters were queued again (it no longer counts
                // against the run cap).
                .col(big_integer_null(SweepRuns::RequeuedAt))
                // Set when the controller asked its agent to stop it.
                .col(big_integer_null(SweepRuns::StopAt))
                .col(big_integer(SweepRuns::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(SweepRuns::Table, SweepRuns::SweepId)
                        .to(Sweeps::Table, Sweeps::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(SweepRuns::Table, SweepRuns::RunPk)
                        .to(Runs::Table, Runs::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_sweep_runs_sweep")
                .table(SweepRuns::Table)
                .col(SweepRuns::SweepId)
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            SweepRuns::Table.into_iden(),
            SweepAgents::Table.into_iden(),
            Sweeps::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
