//! Reports: the report with its working draft (one per report, saved with a version
//! number so a second editor can never overwrite the first unseen), every published
//! revision kept whole, stars, revocable view-only links and comments.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0009_reports"
    }
}

#[derive(DeriveIden)]
enum Projects {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Reports {
    Table,
    Id,
    ProjectId,
    CreatedBy,
    Title,
    Description,
    Draft,
    DraftVersion,
    DraftBy,
    DraftAt,
    PublishedRevision,
    WandbName,
    WandbSpec,
    CreatedAt,
    UpdatedAt,
    DeletedAt,
    DeletedBy,
}

#[derive(DeriveIden)]
enum ReportRevisions {
    Table,
    Id,
    ReportId,
    Number,
    Doc,
    AuthorId,
    Note,
    At,
}

#[derive(DeriveIden)]
enum ReportStars {
    Table,
    ReportId,
    UserId,
    At,
}

#[derive(DeriveIden)]
enum ReportLinks {
    Table,
    Id,
    ReportId,
    TokenHash,
    Label,
    CreatedBy,
    CreatedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum ReportImages {
    Table,
    Id,
    ReportId,
    Sha256,
    ContentType,
    Bytes,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ReportComments {
    Table,
    Id,
    ReportId,
    BlockId,
    PanelId,
    UserId,
    Body,
    At,
    DeletedAt,
}

/// `report_id` of `table` pointing at `reports`, deleted with its report.
fn to_report<T: IntoIden + 'static>(table: T) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, Alias::new("report_id"))
        .to(Reports::Table, Reports::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Reports::Table)
                .col(pk_auto(Reports::Id))
                .col(integer(Reports::ProjectId))
                .col(integer_null(Reports::CreatedBy))
                .col(string(Reports::Title))
                .col(text(Reports::Description))
                // The working draft (a `ReportDoc` as JSON) and its version number.
                .col(text(Reports::Draft))
                .col(integer(Reports::DraftVersion))
                .col(integer_null(Reports::DraftBy))
                .col(big_integer(Reports::DraftAt))
                // The number of the revision readers see; none until first published.
                .col(integer_null(Reports::PublishedRevision))
                // The name the wandb client gave the view, when it made the report.
                .col(string_null(Reports::WandbName))
                // The spec the wandb client sent, kept as it came while the report is
                // as the client left it (a publish from Cairn clears it).
                .col(text_null(Reports::WandbSpec))
                .col(big_integer(Reports::CreatedAt))
                .col(big_integer(Reports::UpdatedAt))
                .col(big_integer_null(Reports::DeletedAt))
                .col(integer_null(Reports::DeletedBy))
                .foreign_key(
                    ForeignKey::create()
                        .from(Reports::Table, Reports::ProjectId)
                        .to(Projects::Table, Projects::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_reports_project")
                .table(Reports::Table)
                .col(Reports::ProjectId)
                .col(Reports::UpdatedAt)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ReportRevisions::Table)
                .col(pk_auto(ReportRevisions::Id))
                .col(integer(ReportRevisions::ReportId))
                .col(integer(ReportRevisions::Number))
                .col(text(ReportRevisions::Doc))
                .col(integer_null(ReportRevisions::AuthorId))
                .col(string(ReportRevisions::Note))
                .col(big_integer(ReportRevisions::At))
                .foreign_key(&mut to_report(ReportRevisions::Table))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_report_revisions_number")
                .table(ReportRevisions::Table)
                .col(ReportRevisions::ReportId)
                .col(ReportRevisions::Number)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ReportStars::Table)
                .col(integer(ReportStars::ReportId))
                .col(integer(ReportStars::UserId))
                .col(big_integer(ReportStars::At))
                .primary_key(
                    Index::create()
                        .col(ReportStars::ReportId)
                        .col(ReportStars::UserId),
                )
                .foreign_key(&mut to_report(ReportStars::Table))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ReportLinks::Table)
                .col(pk_auto(ReportLinks::Id))
                .col(integer(ReportLinks::ReportId))
                // SHA-256 of the token: the token itself is shown once and not kept.
                .col(string_uniq(ReportLinks::TokenHash))
                .col(string(ReportLinks::Label))
                .col(integer_null(ReportLinks::CreatedBy))
                .col(big_integer(ReportLinks::CreatedAt))
                .col(big_integer_null(ReportLinks::RevokedAt))
                .foreign_key(&mut to_report(ReportLinks::Table))
                .to_owned(),
        )
        .await?;
        // Images uploaded into a report (their bytes are in the blob store, which
        // keeps a blob while a row here names it).
        m.create_table(
            Table::create()
                .table(ReportImages::Table)
                .col(pk_auto(ReportImages::Id))
                .col(integer(ReportImages::ReportId))
                .col(string(ReportImages::Sha256))
                .col(string(ReportImages::ContentType))
                .col(big_integer(ReportImages::Bytes))
                .col(integer_null(ReportImages::CreatedBy))
                .col(big_integer(ReportImages::CreatedAt))
                .foreign_key(&mut to_report(ReportImages::Table))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_report_images_blob")
                .table(ReportImages::Table)
                .col(ReportImages::ReportId)
                .col(ReportImages::Sha256)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_report_images_sha")
                .table(ReportImages::Table)
                .col(ReportImages::Sha256)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ReportComments::Table)
                .col(pk_auto(ReportComments::Id))
                .col(integer(ReportComments::ReportId))
                // The block and panel a comment is on; both empty for the report.
                .col(big_integer_null(ReportComments::BlockId))
                .col(big_integer_null(ReportComments::PanelId))
                .col(integer(ReportComments::UserId))
                .col(text(ReportComments::Body))
                .col(big_integer(ReportComments::At))
                .col(big_integer_null(ReportComments::DeletedAt))
                .foreign_key(&mut to_report(ReportComments::Table))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_report_comments_report")
                .table(ReportComments::Table)
                .col(ReportComments::ReportId)
                .col(ReportComments::Id)
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            ReportComments::Table.into_iden(),
            ReportImages::Table.into_iden(),
            ReportLinks::Table.into_iden(),
            ReportStars::Table.into_iden(),
            ReportRevisions::Table.into_iden(),
            Reports::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
