//! Users, entities, teams, API keys, sessions, projects, runs, metric points,
//! console lines and run files. Times are Unix milliseconds (BIGINT) so both
//! databases store and compare them the same way; JSON is stored as text.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0001_initial"
    }
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Username,
    DisplayName,
    PasswordHash,
    IsAdmin,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Entities {
    Table,
    Id,
    Name,
    Kind,
    UserId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum TeamMembers {
    Table,
    EntityId,
    UserId,
    Role,
}

#[derive(DeriveIden)]
enum ApiKeys {
    Table,
    Id,
    UserId,
    Name,
    KeyHash,
    Prefix,
    CreatedAt,
    LastUsedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    Id,
    UserId,
    TokenHash,
    CreatedAt,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum Projects {
    Table,
    Id,
    EntityId,
    Name,
    Description,
    Visibility,
    CreatedBy,
    CreatedAt,
    LastActiveAt,
    DeletedAt,
}

#[derive(DeriveIden)]
enum Runs {
    Table,
    Id,
    ProjectId,
    RunId,
    DisplayName,
    Ordinal,
    State,
    Config,
    SummaryAuto,
    SummaryExplicit,
    Tags,
    Notes,
    GroupName,
    JobType,
    UserId,
    Host,
    GitCommit,
    CreatedAt,
    HeartbeatAt,
    FinishedAt,
    RuntimeSeconds,
    ExitCode,
    Color,
    DeletedAt,
}

#[derive(DeriveIden)]
enum MetricPoints {
    Table,
    RunId,
    Key,
    Step,
    Value,
    WallTime,
}

#[derive(DeriveIden)]
enum ConsoleLines {
    Table,
    RunId,
    LineNo,
    Stream,
    Text,
}

#[derive(DeriveIden)]
enum RunFiles {
    Table,
    Id,
    RunId,
    Name,
    Size,
    Md5,
    Sha256,
    CreatedAt,
}

fn fk(
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
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Users::Table)
                .col(pk_auto(Users::Id))
                .col(string_uniq(Users::Username))
                .col(string(Users::DisplayName))
                .col(string(Users::PasswordHash))
                .col(boolean(Users::IsAdmin))
                .col(big_integer(Users::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Entities::Table)
                .col(pk_auto(Entities::Id))
                .col(string_uniq(Entities::Name))
                .col(string(Entities::Kind))
                .col(integer_null(Entities::UserId))
                .col(big_integer(Entities::CreatedAt))
                .foreign_key(&mut fk(
                    (Entities::Table, Entities::UserId),
                    (Users::Table, Users::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(TeamMembers::Table)
                .col(integer(TeamMembers::EntityId))
                .col(integer(TeamMembers::UserId))
                .col(string(TeamMembers::Role))
                .primary_key(
                    Index::create()
                        .col(TeamMembers::EntityId)
                        .col(TeamMembers::UserId),
                )
                .foreign_key(&mut fk(
                    (TeamMembers::Table, TeamMembers::EntityId),
                    (Entities::Table, Entities::Id),
                ))
                .foreign_key(&mut fk(
                    (TeamMembers::Table, TeamMembers::UserId),
                    (Users::Table, Users::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ApiKeys::Table)
                .col(pk_auto(ApiKeys::Id))
                .col(integer(ApiKeys::UserId))
                .col(string(ApiKeys::Name))
                .col(string_uniq(ApiKeys::KeyHash))
                .col(string(ApiKeys::Prefix))
                .col(big_integer(ApiKeys::CreatedAt))
                .col(big_integer_null(ApiKeys::LastUsedAt))
                .col(big_integer_null(ApiKeys::RevokedAt))
                .foreign_key(&mut fk(
                    (ApiKeys::Table, ApiKeys::UserId),
                    (Users::Table, Users::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Sessions::Table)
                .col(pk_auto(Sessions::Id))
                .col(integer(Sessions::UserId))
                .col(string_uniq(Sessions::TokenHash))
                .col(big_integer(Sessions::CreatedAt))
                .col(big_integer(Sessions::ExpiresAt))
                .foreign_key(&mut fk(
                    (Sessions::Table, Sessions::UserId),
                    (Users::Table, Users::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Projects::Table)
                .col(pk_auto(Projects::Id))
                .col(integer(Projects::EntityId))
                .col(string(Projects::Name))
                .col(text(Projects::Description))
                .col(string(Projects::Visibility))
                .col(integer(Projects::CreatedBy))
                .col(big_integer(Projects::CreatedAt))
                .col(big_integer_null(Projects::LastActiveAt))
                .col(big_integer_null(Projects::DeletedAt))
                .foreign_key(&mut fk(
                    (Projects::Table, Projects::EntityId),
                    (Entities::Table, Entities::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_projects_entity_name")
                .table(Projects::Table)
                .col(Projects::EntityId)
                .col(Projects::Name)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Runs::Table)
                .col(pk_auto(Runs::Id))
                .col(integer(Runs::ProjectId))
                .col(string(Runs::RunId))
                .col(string(Runs::DisplayName))
                .col(big_integer(Runs::Ordinal))
                .col(string(Runs::State))
                .col(text(Runs::Config))
                .col(text(Runs::SummaryAuto))
                .col(text(Runs::SummaryExplicit))
                .col(text(Runs::Tags))
                .col(text(Runs::Notes))
                .col(string_null(Runs::GroupName))
                .col(string_null(Runs::JobType))
                .col(integer(Runs::UserId))
                .col(string_null(Runs::Host))
                .col(string_null(Runs::GitCommit))
                .col(big_integer(Runs::CreatedAt))
                .col(big_integer(Runs::HeartbeatAt))
                .col(big_integer_null(Runs::FinishedAt))
                .col(double(Runs::RuntimeSeconds))
                .col(integer_null(Runs::ExitCode))
                .col(string_null(Runs::Color))
                .col(big_integer_null(Runs::DeletedAt))
                .foreign_key(&mut fk(
                    (Runs::Table, Runs::ProjectId),
                    (Projects::Table, Projects::Id),
                ))
                .foreign_key(&mut fk(
                    (Runs::Table, Runs::UserId),
                    (Users::Table, Users::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_runs_project_run_id")
                .table(Runs::Table)
                .col(Runs::ProjectId)
                .col(Runs::RunId)
                .unique()
                .to_owned(),
        )
        .await?;
        // NULL in `value` stands for NaN: SQLite cannot store a NaN REAL.
        m.create_table(
            Table::create()
                .table(MetricPoints::Table)
                .col(integer(MetricPoints::RunId))
                .col(string(MetricPoints::Key))
                .col(big_integer(MetricPoints::Step))
                .col(double_null(MetricPoints::Value))
                .col(double(MetricPoints::WallTime))
                .primary_key(
                    Index::create()
                        .col(MetricPoints::RunId)
                        .col(MetricPoints::Key)
                        .col(MetricPoints::Step),
                )
                .foreign_key(&mut fk(
                    (MetricPoints::Table, MetricPoints::RunId),
                    (Runs::Table, Runs::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ConsoleLines::Table)
                .col(integer(ConsoleLines::RunId))
                .col(big_integer(ConsoleLines::LineNo))
                .col(string(ConsoleLines::Stream))
                .col(text(ConsoleLines::Text))
                .primary_key(
                    Index::create()
                        .col(ConsoleLines::RunId)
                        .col(ConsoleLines::LineNo),
                )
                .foreign_key(&mut fk(
                    (ConsoleLines::Table, ConsoleLines::RunId),
                    (Runs::Table, Runs::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(RunFiles::Table)
                .col(pk_auto(RunFiles::Id))
                .col(integer(RunFiles::RunId))
                .col(string(RunFiles::Name))
                .col(big_integer(RunFiles::Size))
                .col(string(RunFiles::Md5))
                .col(string(RunFiles::Sha256))
                .col(big_integer(RunFiles::CreatedAt))
                .foreign_key(&mut fk(
                    (RunFiles::Table, RunFiles::RunId),
                    (Runs::Table, Runs::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_run_files_run_name")
                .table(RunFiles::Table)
                .col(RunFiles::RunId)
                .col(RunFiles::Name)
                .unique()
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            RunFiles::Table.into_iden(),
            ConsoleLines::Table.into_iden(),
            MetricPoints::Table.into_iden(),
            Runs::Table.into_iden(),
            Projects::Table.into_iden(),
            Sessions::Table.into_iden(),
            ApiKeys::Table.into_iden(),
            TeamMembers::Table.into_iden(),
            Entities::Table.into_iden(),
            Users::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
