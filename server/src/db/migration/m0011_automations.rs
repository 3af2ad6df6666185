//! Automations: the automations of a project, the secrets of a team or user their
//! webhooks may use (sealed), the outbox of events recorded in the same transaction
//! as the change that caused them, every execution with its attempts, and each run's
//! recent values per metric automation. Projects count their enabled metric
//! automations, so metric ingest into a project without any reads nothing more.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0011_automations"
    }
}

#[derive(DeriveIden)]
enum Projects {
    Table,
    Id,
    MetricAutomations,
}

#[derive(DeriveIden)]
enum Entities {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Runs {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Automations {
    Table,
    Id,
    ProjectId,
    Name,
    Description,
    Enabled,
    Event,
    TriggerSpec,
    ActionSpec,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum AutomationSecrets {
    Table,
    Id,
    EntityId,
    Name,
    Sealed,
    UpdatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum AutomationEvents {
    Table,
    Id,
    ProjectId,
    Kind,
    Data,
    UserId,
    CreatedAt,
    ProcessedAt,
}

#[derive(DeriveIden)]
enum AutomationExecutions {
    Table,
    Id,
    AutomationId,
    EventId,
    Dedupe,
    EventKind,
    Summary,
    Author,
    Variables,
    Template,
    Url,
    Status,
    Attempts,
    NextAttemptAt,
    ClaimedUntil,
    ResponseStatus,
    ResponseBody,
    Error,
    DurationMs,
    IsTest,
    RedeliveryOf,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum AutomationAttempts {
    Table,
    Id,
    ExecutionId,
    At,
    DurationMs,
    ResponseStatus,
    ResponseBody,
    Error,
}

#[derive(DeriveIden)]
enum AutomationMetricState {
    Table,
    AutomationId,
    RunPk,
    State,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Projects::Table)
                .add_column(integer(Projects::MetricAutomations).default(0))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Automations::Table)
                .col(pk_auto(Automations::Id))
                .col(integer(Automations::ProjectId))
                .col(string(Automations::Name))
                .col(text(Automations::Description))
                .col(boolean(Automations::Enabled))
                // The trigger's event kind, for finding the automations of an event.
                .col(string(Automations::Event))
                // The trigger with its filters, and the action (both JSON).
                .col(text(Automations::TriggerSpec))
                .col(text(Automations::ActionSpec))
                .col(integer_null(Automations::CreatedBy))
                .col(big_integer(Automations::CreatedAt))
                .col(big_integer(Automations::UpdatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(Automations::Table, Automations::ProjectId)
                        .to(Projects::Table, Projects::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_automations_project_name")
                .table(Automations::Table)
                .col(Automations::ProjectId)
                .col(Automations::Name)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_automations_project_event")
                .table(Automations::Table)
                .col(Automations::ProjectId)
                .col(Automations::Event)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(AutomationSecrets::Table)
                .col(pk_auto(AutomationSecrets::Id))
                .col(integer(AutomationSecrets::EntityId))
                .col(string(AutomationSecrets::Name))
                // Nonce and ciphertext (base64), sealed with the server's key.
                .col(text(AutomationSecrets::Sealed))
                .col(integer_null(AutomationSecrets::UpdatedBy))
                .col(big_integer(AutomationSecrets::CreatedAt))
                .col(big_integer(AutomationSecrets::UpdatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(AutomationSecrets::Table, AutomationSecrets::EntityId)
                        .to(Entities::Table, Entities::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_automation_secrets_entity_name")
                .table(AutomationSecrets::Table)
                .col(AutomationSecrets::EntityId)
                .col(AutomationSecrets::Name)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(AutomationEvents::Table)
                .col(pk_auto(AutomationEvents::Id))
                .col(integer(AutomationEvents::ProjectId))
                .col(string(AutomationEvents::Kind))
                .col(text(AutomationEvents::Data))
                .col(integer_null(AutomationEvents::UserId))
                .col(big_integer(AutomationEvents::CreatedAt))
                .col(big_integer_null(AutomationEvents::ProcessedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(AutomationEvents::Table, AutomationEvents::ProjectId)
                        .to(Projects::Table, Projects::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_automation_events_todo")
                .table(AutomationEvents::Table)
                .col(AutomationEvents::ProcessedAt)
                .col(AutomationEvents::Id)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(AutomationExecutions::Table)
                .col(pk_auto(AutomationExecutions::Id))
                .col(integer(AutomationExecutions::AutomationId))
                .col(integer_null(AutomationExecutions::EventId))
                // What makes an execution once-only (`run:12:failed`, `event:40`).
                .col(string_null(AutomationExecutions::Dedupe))
                .col(string(AutomationExecutions::EventKind))
                .col(text(AutomationExecutions::Summary))
                .col(string_null(AutomationExecutions::Author))
                // The event's variables (JSON, never secrets) and the template they
                // fill, kept so a redelivery sends what the first try sent.
                .col(text(AutomationExecutions::Variables))
                .col(text(AutomationExecutions::Template))
                .col(text(AutomationExecutions::Url))
                // pending, delivered, failed, retrying
                .col(string(AutomationExecutions::Status))
                .col(integer(AutomationExecutions::Attempts))
                .col(big_integer_null(AutomationExecutions::NextAttemptAt))
                // A server sending it holds it until then.
                .col(big_integer_null(AutomationExecutions::ClaimedUntil))
                .col(integer_null(AutomationExecutions::ResponseStatus))
                .col(text_null(AutomationExecutions::ResponseBody))
                .col(text_null(AutomationExecutions::Error))
                .col(big_integer_null(AutomationExecutions::DurationMs))
                .col(boolean(AutomationExecutions::IsTest))
                .col(integer_null(AutomationExecutions::RedeliveryOf))
                .col(big_integer(AutomationExecutions::CreatedAt))
                .col(big_integer(AutomationExecutions::UpdatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(
                            AutomationExecutions::Table,
                            AutomationExecutions::AutomationId,
                        )
                        .to(Automations::Table, Automations::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_automation_executions_dedupe")
                .table(AutomationExecutions::Table)
                .col(AutomationExecutions::AutomationId)
                .col(AutomationExecutions::Dedupe)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_automation_executions_due")
                .table(AutomationExecutions::Table)
                .col(AutomationExecutions::Status)
                .col(AutomationExecutions::NextAttemptAt)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_automation_executions_automation")
                .table(AutomationExecutions::Table)
                .col(AutomationExecutions::AutomationId)
                .col(AutomationExecutions::Id)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(AutomationAttempts::Table)
                .col(pk_auto(AutomationAttempts::Id))
                .col(integer(AutomationAttempts::ExecutionId))
                .col(big_integer(AutomationAttempts::At))
                .col(big_integer(AutomationAttempts::DurationMs))
                .col(integer_null(AutomationAttempts::ResponseStatus))
                .col(text_null(AutomationAttempts::ResponseBody))
                .col(text_null(AutomationAttempts::Error))
                .foreign_key(
                    ForeignKey::create()
                        .from(AutomationAttempts::Table, AutomationAttempts::ExecutionId)
                        .to(AutomationExecutions::Table, AutomationExecutions::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_automation_attempts_execution")
                .table(AutomationAttempts::Table)
                .col(AutomationAttempts::ExecutionId)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(AutomationMetricState::Table)
                .col(integer(AutomationMetricState::AutomationId))
                .col(integer(AutomationMetricState::RunPk))
                // The window's values and whether the condition holds (JSON).
                .col(text(AutomationMetricState::State))
                .primary_key(
                    Index::create()
                        .col(AutomationMetricState::AutomationId)
                        .col(AutomationMetricState::RunPk),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(
                            AutomationMetricState::Table,
                            AutomationMetricState::AutomationId,
                        )
                        .to(Automations::Table, Automations::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(AutomationMetricState::Table, AutomationMetricState::RunPk)
                        .to(Runs::Table, Runs::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            AutomationMetricState::Table.into_iden(),
            AutomationAttempts::Table.into_iden(),
            AutomationExecutions::Table.into_iden(),
            AutomationEvents::Table.into_iden(),
            AutomationSecrets::Table.into_iden(),
            Automations::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        m.alter_table(
            Table::alter()
                .table(Projects::Table)
                .drop_column(Projects::MetricAutomations)
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
