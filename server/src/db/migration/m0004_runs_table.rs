//! What the Runs table needs to filter and sort 10,000 runs in SQL:
//! - `run_fields`: every run's config and summary leaves (and tags) as typed rows, one
//!   per value (`num` for finite numbers, `txt` for text), indexed by project and key so
//!   a filter becomes an index range scan instead of parsing every run's JSON;
//! - `project_columns`: the keys a project's runs have, so listing columns never scans
//!   `run_fields`;
//! - `view_settings`: per user and project, versioned JSON documents (the runs table's
//!   column order, pins and visibility, shared with the Workspace sidebar);
//! - `runs.fields_version`: which version of the flattening a run's rows were written
//!   with, so the server can rebuild them at start when the rules change.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0004_runs_table"
    }
}

#[derive(DeriveIden)]
enum Runs {
    Table,
    Id,
    ProjectId,
    DeletedAt,
    CreatedAt,
    RuntimeSeconds,
    State,
    DisplayName,
    RunId,
    GroupName,
    JobType,
    UserId,
    FieldsVersion,
}

#[derive(DeriveIden)]
enum Projects {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum RunFields {
    Table,
    ProjectId,
    RunId,
    Key,
    Num,
    Txt,
}

#[derive(DeriveIden)]
enum ProjectColumns {
    Table,
    ProjectId,
    Key,
    Numeric,
}

#[derive(DeriveIden)]
enum ViewSettings {
    Table,
    UserId,
    ProjectId,
    Name,
    Doc,
    UpdatedAt,
}

fn cascade(
    from: (impl IntoIden, impl IntoIden),
    to: (impl IntoIden, impl IntoIden),
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from.0, from.1)
        .to(to.0, to.1)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Runs::Table)
                .add_column(integer(Runs::FieldsVersion).default(0))
                .to_owned(),
        )
        .await?;
        // Covers the built-in columns the runs table filters and sorts on, in its default
        // order, so those queries never read run rows: their JSON columns are wide, and
        // on SQLite the columns stored after them sit in the same overflow pages.
        m.create_index(
            Index::create()
                .name("ix_runs_table")
                .table(Runs::Table)
                .col(Runs::ProjectId)
                .col(Runs::DeletedAt)
                .col(Runs::CreatedAt)
                .col(Runs::Id)
                .col(Runs::RuntimeSeconds)
                .col(Runs::State)
                .col(Runs::DisplayName)
                .col(Runs::RunId)
                .col(Runs::GroupName)
                .col(Runs::JobType)
                .col(Runs::UserId)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(RunFields::Table)
                .col(integer(RunFields::ProjectId))
                .col(integer(RunFields::RunId))
                .col(string(RunFields::Key))
                .col(double_null(RunFields::Num))
                .col(text_null(RunFields::Txt))
                .foreign_key(&mut cascade(
                    (RunFields::Table, RunFields::RunId),
                    (Runs::Table, Runs::Id),
                ))
                .foreign_key(&mut cascade(
                    (RunFields::Table, RunFields::ProjectId),
                    (Projects::Table, Projects::Id),
                ))
                .to_owned(),
        )
        .await?;
        let indexes: [(&str, Vec<RunFields>); 3] = [
            // A run's value of one key (sorting joins on it; it covers num and txt).
            (
                "ix_run_fields_run_key",
                vec![
                    RunFields::RunId,
                    RunFields::Key,
                    RunFields::Num,
                    RunFields::Txt,
                ],
            ),
            // Range scans of one key's numbers or texts within a project (filters);
            // the run id makes them covering, so a filter never reads `run_fields` rows.
            (
                "ix_run_fields_num",
                vec![
                    RunFields::ProjectId,
                    RunFields::Key,
                    RunFields::Num,
                    RunFields::RunId,
                ],
            ),
            (
                "ix_run_fields_txt",
                vec![
                    RunFields::ProjectId,
                    RunFields::Key,
                    RunFields::Txt,
                    RunFields::RunId,
                ],
            ),
        ];
        for (name, cols) in indexes {
            let mut idx = Index::create();
            idx.name(name).table(RunFields::Table);
            for c in cols {
                idx.col(c);
            }
            m.create_index(idx.to_owned()).await?;
        }
        m.create_table(
            Table::create()
                .table(ProjectColumns::Table)
                .col(integer(ProjectColumns::ProjectId))
                .col(string(ProjectColumns::Key))
                .col(boolean(ProjectColumns::Numeric))
                .primary_key(
                    Index::create()
                        .col(ProjectColumns::ProjectId)
                        .col(ProjectColumns::Key),
                )
                .foreign_key(&mut cascade(
                    (ProjectColumns::Table, ProjectColumns::ProjectId),
                    (Projects::Table, Projects::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ViewSettings::Table)
                .col(integer(ViewSettings::UserId))
                .col(integer(ViewSettings::ProjectId))
                .col(string(ViewSettings::Name))
                .col(text(ViewSettings::Doc))
                .col(big_integer(ViewSettings::UpdatedAt))
                .primary_key(
                    Index::create()
                        .col(ViewSettings::UserId)
                        .col(ViewSettings::ProjectId)
                        .col(ViewSettings::Name),
                )
                .foreign_key(&mut cascade(
                    (ViewSettings::Table, ViewSettings::UserId),
                    (Users::Table, Users::Id),
                ))
                .foreign_key(&mut cascade(
                    (ViewSettings::Table, ViewSettings::ProjectId),
                    (Projects::Table, Projects::Id),
                ))
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
