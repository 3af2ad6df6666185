//! What the Artifacts tab needs beyond what the wandb client stored: tags, a time to
//! live and soft deletion on versions, soft deletion on collections, the audit log of
//! a collection (`artifact_events`), and an index to find what a run used.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0007_artifact_tab"
    }
}

#[derive(DeriveIden)]
enum Artifacts {
    Table,
    Tags,
    TtlSeconds,
    DeletedAt,
}

#[derive(DeriveIden)]
enum ArtifactCollections {
    Table,
    Id,
    DeletedAt,
}

#[derive(DeriveIden)]
enum ArtifactUsages {
    Table,
    RunId,
}

#[derive(DeriveIden)]
enum ArtifactEvents {
    Table,
    Id,
    CollectionId,
    ArtifactId,
    VersionIndex,
    Action,
    Detail,
    UserId,
    Via,
    At,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column per ALTER: SQLite adds a single column per statement.
        for col in [
            ColumnDef::new(Artifacts::Tags)
                .text()
                .not_null()
                .default("[]")
                .to_owned(),
            big_integer_null(Artifacts::TtlSeconds),
            big_integer_null(Artifacts::DeletedAt),
        ] {
            m.alter_table(
                Table::alter()
                    .table(Artifacts::Table)
                    .add_column(col)
                    .to_owned(),
            )
            .await?;
        }
        m.alter_table(
            Table::alter()
                .table(ArtifactCollections::Table)
                .add_column(big_integer_null(ArtifactCollections::DeletedAt))
                .to_owned(),
        )
        .await?;
        // A deleted collection keeps its name until it is purged, but a new one of the
        // same name may be logged meanwhile: the name is unique among live ones only.
        let db = m.get_connection();
        db.execute_unprepared("DROP INDEX ux_artifact_collections_project_name")
            .await?;
        db.execute_unprepared(
            "CREATE UNIQUE INDEX ux_artifact_collections_live_name \
             ON artifact_collections (project_id, name) WHERE deleted_at IS NULL",
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_artifact_usages_run")
                .table(ArtifactUsages::Table)
                .col(ArtifactUsages::RunId)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ArtifactEvents::Table)
                .col(pk_auto(ArtifactEvents::Id))
                .col(integer(ArtifactEvents::CollectionId))
                // Kept when the version is purged: the history outlives it.
                .col(integer_null(ArtifactEvents::ArtifactId))
                .col(integer_null(ArtifactEvents::VersionIndex))
                .col(string(ArtifactEvents::Action))
                .col(text(ArtifactEvents::Detail))
                .col(integer_null(ArtifactEvents::UserId))
                .col(string(ArtifactEvents::Via))
                .col(big_integer(ArtifactEvents::At))
                .foreign_key(
                    ForeignKey::create()
                        .from(ArtifactEvents::Table, ArtifactEvents::CollectionId)
                        .to(ArtifactCollections::Table, ArtifactCollections::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_artifact_events_collection")
                .table(ArtifactEvents::Table)
                .col(ArtifactEvents::CollectionId)
                .col(ArtifactEvents::Id)
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(ArtifactEvents::Table).to_owned())
            .await?;
        let db = m.get_connection();
        db.execute_unprepared("DELETE FROM artifact_collections WHERE deleted_at IS NOT NULL")
            .await?;
        db.execute_unprepared("DROP INDEX ux_artifact_collections_live_name")
            .await?;
        db.execute_unprepared(
            "CREATE UNIQUE INDEX ux_artifact_collections_project_name \
             ON artifact_collections (project_id, name)",
        )
        .await?;
        m.drop_index(
            Index::drop()
                .name("ix_artifact_usages_run")
                .table(ArtifactUsages::Table)
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(ArtifactCollections::Table)
                .drop_column(ArtifactCollections::DeletedAt)
                .to_owned(),
        )
        .await?;
        for col in [Artifacts::Tags, Artifacts::TtlSeconds, Artifacts::DeletedAt] {
            m.alter_table(
                Table::alter()
                    .table(Artifacts::Table)
                    .drop_column(col)
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}
