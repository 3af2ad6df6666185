//! What the wandb compatibility layer stores beyond Cairn's own run model: raw history
//! and system-metrics lines by line offset (the client addresses them by line), the
//! wandb-only parts of a run (its `_wandb` config block and the summary exactly as the
//! client sent it), artifacts (collections, versions, aliases, files, usage; files are
//! indexed by MD5 because wandb names content by MD5) and server secrets (the key that
//! signs storage URLs).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0003_wandb"
    }
}

#[derive(DeriveIden)]
enum Runs {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Projects {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum RunHistory {
    Table,
    RunId,
    LineNo,
    Step,
    Body,
}

#[derive(DeriveIden)]
enum RunEvents {
    Table,
    RunId,
    LineNo,
    Body,
}

#[derive(DeriveIden)]
enum RunWandb {
    Table,
    RunId,
    WandbConfig,
    Summary,
    Program,
}

#[derive(DeriveIden)]
enum ServerSecrets {
    Table,
    Name,
    Value,
}

#[derive(DeriveIden)]
enum ArtifactCollections {
    Table,
    Id,
    ProjectId,
    Name,
    TypeName,
    Description,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Artifacts {
    Table,
    Id,
    CollectionId,
    VersionIndex,
    Digest,
    State,
    Description,
    Metadata,
    Size,
    FileCount,
    RunId,
    ClientId,
    SequenceClientId,
    HistoryStep,
    RequestedAliases,
    ManifestSha256,
    ManifestDigest,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ArtifactAliases {
    Table,
    CollectionId,
    Alias,
    ArtifactId,
}

#[derive(DeriveIden)]
enum ArtifactFiles {
    Table,
    ArtifactId,
    Path,
    Md5,
    Size,
    Sha256,
    BirthArtifactId,
}

#[derive(DeriveIden)]
enum ArtifactUsages {
    Table,
    ArtifactId,
    RunId,
    UsedAt,
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
        // Lines of `wandb-history.jsonl` and `wandb-events.jsonl`, by line number.
        m.create_table(
            Table::create()
                .table(RunHistory::Table)
                .col(integer(RunHistory::RunId))
                .col(big_integer(RunHistory::LineNo))
                .col(big_integer_null(RunHistory::Step))
                .col(text(RunHistory::Body))
                .primary_key(
                    Index::create()
                        .col(RunHistory::RunId)
                        .col(RunHistory::LineNo),
                )
                .foreign_key(&mut cascade(
                    (RunHistory::Table, RunHistory::RunId),
                    (Runs::Table, Runs::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(RunEvents::Table)
                .col(integer(RunEvents::RunId))
                .col(big_integer(RunEvents::LineNo))
                .col(text(RunEvents::Body))
                .primary_key(Index::create().col(RunEvents::RunId).col(RunEvents::LineNo))
                .foreign_key(&mut cascade(
                    (RunEvents::Table, RunEvents::RunId),
                    (Runs::Table, Runs::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(RunWandb::Table)
                .col(integer(RunWandb::RunId).primary_key())
                .col(text(RunWandb::WandbConfig))
                .col(text_null(RunWandb::Summary))
                .col(text_null(RunWandb::Program))
                .foreign_key(&mut cascade(
                    (RunWandb::Table, RunWandb::RunId),
                    (Runs::Table, Runs::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ServerSecrets::Table)
                .col(string(ServerSecrets::Name).primary_key())
                .col(string(ServerSecrets::Value))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ArtifactCollections::Table)
                .col(pk_auto(ArtifactCollections::Id))
                .col(integer(ArtifactCollections::ProjectId))
                .col(string(ArtifactCollections::Name))
                .col(string(ArtifactCollections::TypeName))
                .col(text_null(ArtifactCollections::Description))
                .col(big_integer(ArtifactCollections::CreatedAt))
                .foreign_key(&mut cascade(
                    (ArtifactCollections::Table, ArtifactCollections::ProjectId),
                    (Projects::Table, Projects::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_artifact_collections_project_name")
                .table(ArtifactCollections::Table)
                .col(ArtifactCollections::ProjectId)
                .col(ArtifactCollections::Name)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Artifacts::Table)
                .col(pk_auto(Artifacts::Id))
                .col(integer(Artifacts::CollectionId))
                .col(integer(Artifacts::VersionIndex))
                .col(string(Artifacts::Digest))
                .col(string(Artifacts::State))
                .col(text_null(Artifacts::Description))
                .col(text_null(Artifacts::Metadata))
                .col(big_integer(Artifacts::Size))
                .col(big_integer(Artifacts::FileCount))
                .col(integer_null(Artifacts::RunId))
                .col(string_null(Artifacts::ClientId))
                .col(string_null(Artifacts::SequenceClientId))
                .col(big_integer_null(Artifacts::HistoryStep))
                .col(text(Artifacts::RequestedAliases))
                .col(string_null(Artifacts::ManifestSha256))
                .col(string_null(Artifacts::ManifestDigest))
                .col(big_integer(Artifacts::CreatedAt))
                .col(big_integer(Artifacts::UpdatedAt))
                .foreign_key(&mut cascade(
                    (Artifacts::Table, Artifacts::CollectionId),
                    (ArtifactCollections::Table, ArtifactCollections::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_artifacts_collection_version")
                .table(Artifacts::Table)
                .col(Artifacts::CollectionId)
                .col(Artifacts::VersionIndex)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_artifacts_run")
                .table(Artifacts::Table)
                .col(Artifacts::RunId)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ArtifactAliases::Table)
                .col(integer(ArtifactAliases::CollectionId))
                .col(string(ArtifactAliases::Alias))
                .col(integer(ArtifactAliases::ArtifactId))
                .primary_key(
                    Index::create()
                        .col(ArtifactAliases::CollectionId)
                        .col(ArtifactAliases::Alias),
                )
                .foreign_key(&mut cascade(
                    (ArtifactAliases::Table, ArtifactAliases::CollectionId),
                    (ArtifactCollections::Table, ArtifactCollections::Id),
                ))
                .foreign_key(&mut cascade(
                    (ArtifactAliases::Table, ArtifactAliases::ArtifactId),
                    (Artifacts::Table, Artifacts::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ArtifactFiles::Table)
                .col(integer(ArtifactFiles::ArtifactId))
                .col(string(ArtifactFiles::Path))
                .col(string(ArtifactFiles::Md5))
                .col(big_integer_null(ArtifactFiles::Size))
                .col(string_null(ArtifactFiles::Sha256))
                .col(integer(ArtifactFiles::BirthArtifactId))
                .primary_key(
                    Index::create()
                        .col(ArtifactFiles::ArtifactId)
                        .col(ArtifactFiles::Path),
                )
                .foreign_key(&mut cascade(
                    (ArtifactFiles::Table, ArtifactFiles::ArtifactId),
                    (Artifacts::Table, Artifacts::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_artifact_files_md5")
                .table(ArtifactFiles::Table)
                .col(ArtifactFiles::Md5)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ArtifactUsages::Table)
                .col(integer(ArtifactUsages::ArtifactId))
                .col(integer(ArtifactUsages::RunId))
                .col(big_integer(ArtifactUsages::UsedAt))
                .primary_key(
                    Index::create()
                        .col(ArtifactUsages::ArtifactId)
                        .col(ArtifactUsages::RunId),
                )
                .foreign_key(&mut cascade(
                    (ArtifactUsages::Table, ArtifactUsages::ArtifactId),
                    (Artifacts::Table, Artifacts::Id),
                ))
                .foreign_key(&mut cascade(
                    (ArtifactUsages::Table, ArtifactUsages::RunId),
                    (Runs::Table, Runs::Id),
                ))
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
