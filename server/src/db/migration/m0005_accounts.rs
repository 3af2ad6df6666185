//! Accounts, teams and the project lifecycle:
//! - `project_members`: the explicit member list of `restricted` projects;
//! - `stars`: a user's starred projects (the home page lists them first);
//! - `project_aliases`: a renamed project's old names, so old URLs redirect;
//! - `site_settings`: switches an admin can flip at run time (`signup_enabled`: on for a
//!   new install, off for one that already had users when it upgraded, so upgrading never
//!   opens registration by itself);
//! - user and team names are unique without case (an index, where the data allows);
//! - project names are unique among live projects only, so a deleted project's name can
//!   be used again (SQLite and PostgreSQL both have partial indexes).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0005_accounts"
    }
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
enum Entities {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum ProjectMembers {
    Table,
    ProjectId,
    UserId,
    AddedAt,
}

#[derive(DeriveIden)]
enum Stars {
    Table,
    UserId,
    ProjectId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ProjectAliases {
    Table,
    EntityId,
    Name,
    ProjectId,
}

#[derive(DeriveIden)]
enum SiteSettings {
    Table,
    Key,
    Value,
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
        m.create_table(
            Table::create()
                .table(ProjectMembers::Table)
                .col(integer(ProjectMembers::ProjectId))
                .col(integer(ProjectMembers::UserId))
                .col(big_integer(ProjectMembers::AddedAt))
                .primary_key(
                    Index::create()
                        .col(ProjectMembers::ProjectId)
                        .col(ProjectMembers::UserId),
                )
                .foreign_key(&mut cascade(
                    (ProjectMembers::Table, ProjectMembers::ProjectId),
                    (Projects::Table, Projects::Id),
                ))
                .foreign_key(&mut cascade(
                    (ProjectMembers::Table, ProjectMembers::UserId),
                    (Users::Table, Users::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Stars::Table)
                .col(integer(Stars::UserId))
                .col(integer(Stars::ProjectId))
                .col(big_integer(Stars::CreatedAt))
                .primary_key(Index::create().col(Stars::UserId).col(Stars::ProjectId))
                .foreign_key(&mut cascade(
                    (Stars::Table, Stars::UserId),
                    (Users::Table, Users::Id),
                ))
                .foreign_key(&mut cascade(
                    (Stars::Table, Stars::ProjectId),
                    (Projects::Table, Projects::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ProjectAliases::Table)
                .col(integer(ProjectAliases::EntityId))
                .col(string(ProjectAliases::Name))
                .col(integer(ProjectAliases::ProjectId))
                .primary_key(
                    Index::create()
                        .col(ProjectAliases::EntityId)
                        .col(ProjectAliases::Name),
                )
                .foreign_key(&mut cascade(
                    (ProjectAliases::Table, ProjectAliases::EntityId),
                    (Entities::Table, Entities::Id),
                ))
                .foreign_key(&mut cascade(
                    (ProjectAliases::Table, ProjectAliases::ProjectId),
                    (Projects::Table, Projects::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(SiteSettings::Table)
                .col(string(SiteSettings::Key).primary_key())
                .col(text(SiteSettings::Value))
                .to_owned(),
        )
        .await?;
        let db = m.get_connection();
        db.execute_unprepared("DROP INDEX ux_projects_entity_name")
            .await?;
        db.execute_unprepared(
            "CREATE UNIQUE INDEX ux_projects_live_name ON projects (entity_id, name) \
             WHERE deleted_at IS NULL",
        )
        .await?;
        // User and team names are unique without case. Existing installs may already hold
        // two names that differ only in case; they keep working, checked in code only.
        let clashes = db
            .query_one_raw(sea_orm::Statement::from_string(
                m.get_database_backend(),
                "SELECT COUNT(*) AS n FROM (SELECT lower(name) AS l FROM entities \
                 GROUP BY lower(name) HAVING COUNT(*) > 1) AS c",
            ))
            .await?
            .map(|r| r.try_get::<i64>("", "n"))
            .transpose()?
            .unwrap_or(0);
        if clashes == 0 {
            db.execute_unprepared(
                "CREATE UNIQUE INDEX ux_entities_lower_name ON entities (lower(name))",
            )
            .await?;
        }
        db.execute_unprepared(
            "INSERT INTO site_settings (key, value) \
             SELECT 'signup_enabled', 'false' WHERE EXISTS (SELECT 1 FROM users)",
        )
        .await?;
        Ok(())
    }
}
