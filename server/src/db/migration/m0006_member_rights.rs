//! A restricted project's member-list entry states its own right (`can_write`),
//! fixed when the entry is made, instead of taking it from the person's current
//! team role; leaving the team then can never raise what the entry gives.
//! Entries that exist already keep what they gave on the day of the upgrade: read
//! for people who are viewers of the owning team, write for everyone else.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0006_member_rights"
    }
}

#[derive(DeriveIden)]
enum ProjectMembers {
    Table,
    CanWrite,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(ProjectMembers::Table)
                    .add_column(
                        ColumnDef::new(ProjectMembers::CanWrite)
                            .boolean()
                            .not_null()
                            .default(true),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE project_members SET can_write = false WHERE EXISTS (\
                   SELECT 1 FROM projects p JOIN team_members tm ON tm.entity_id = p.entity_id \
                   WHERE p.id = project_members.project_id \
                     AND tm.user_id = project_members.user_id AND tm.role = 'viewer')",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(ProjectMembers::Table)
                    .drop_column(ProjectMembers::CanWrite)
                    .to_owned(),
            )
            .await
    }
}
