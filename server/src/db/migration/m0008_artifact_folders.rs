//! A version's folders, stored when it is committed, so a folder page of a version
//! with 100,000 files is two index lookups: `artifact_dirs` holds every folder with
//! its totals, and `artifact_files.dir` names the folder each file sits in. Versions
//! committed before this migration get both here (with this file's own copy of the
//! folder rule, so later code changes cannot alter what it wrote).

use std::collections::BTreeMap;

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, Statement, TransactionTrait};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0008_artifact_folders"
    }
}

#[derive(DeriveIden)]
enum ArtifactFiles {
    Table,
    ArtifactId,
    Dir,
    Path,
}

#[derive(DeriveIden)]
enum ArtifactDirs {
    Table,
    ArtifactId,
    Path,
    Parent,
    Name,
    Files,
    Size,
    DirectFiles,
}

#[derive(DeriveIden)]
enum Artifacts {
    Table,
    Id,
}

/// The folder of a path: "a/b/" for "a/b/c", "" for "c".
fn parent_dir(path: &str) -> &str {
    path.rfind('/').map_or("", |i| &path[..=i])
}

/// (parent, name, files, size, direct files) of every folder, by path, top included.
type Folders = BTreeMap<String, (Option<String>, String, i64, i64, i64)>;

fn folders(files: &[(String, i64)]) -> Folders {
    let mut out: Folders = BTreeMap::new();
    let ensure = |path: &str, out: &mut Folders| {
        out.entry(path.to_owned())
            .or_insert_with(|| match path.strip_suffix('/') {
                None => (None, String::new(), 0, 0, 0),
                Some(stem) => {
                    let parent = parent_dir(stem);
                    (
                        Some(parent.to_owned()),
                        stem[parent.len()..].to_owned(),
                        0,
                        0,
                        0,
                    )
                }
            });
    };
    ensure("", &mut out);
    for (path, size) in files {
        let dir = parent_dir(path);
        let mut at = 0;
        loop {
            let folder = &dir[..at];
            ensure(folder, &mut out);
            if let Some(row) = out.get_mut(folder) {
                row.2 += 1;
                row.3 += size;
                if folder == dir {
                    row.4 += 1;
                }
            }
            match dir[at..].find('/') {
                Some(i) => at += i + 1,
                None => break,
            }
        }
    }
    out
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(ArtifactFiles::Table)
                .add_column(text_null(ArtifactFiles::Dir))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_artifact_files_dir")
                .table(ArtifactFiles::Table)
                .col(ArtifactFiles::ArtifactId)
                .col(ArtifactFiles::Dir)
                .col(ArtifactFiles::Path)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ArtifactDirs::Table)
                .col(integer(ArtifactDirs::ArtifactId))
                .col(text(ArtifactDirs::Path))
                .col(text_null(ArtifactDirs::Parent))
                .col(text(ArtifactDirs::Name))
                .col(big_integer(ArtifactDirs::Files))
                .col(big_integer(ArtifactDirs::Size))
                .col(big_integer(ArtifactDirs::DirectFiles))
                .primary_key(
                    Index::create()
                        .col(ArtifactDirs::ArtifactId)
                        .col(ArtifactDirs::Path),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(ArtifactDirs::Table, ArtifactDirs::ArtifactId)
                        .to(Artifacts::Table, Artifacts::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_artifact_dirs_parent")
                .table(ArtifactDirs::Table)
                .col(ArtifactDirs::ArtifactId)
                .col(ArtifactDirs::Parent)
                .col(ArtifactDirs::Name)
                .to_owned(),
        )
        .await?;
        // Versions committed before: their folders and their files' folders.
        let db = m.get_connection();
        let backend = db.get_database_backend();
        let ids = db
            .query_all_raw(Statement::from_string(
                backend,
                "SELECT id FROM artifacts WHERE state = 'COMMITTED'".to_owned(),
            ))
            .await?;
        let placeholders = |n: usize, from: usize| -> String {
            match backend {
                sea_orm_migration::sea_orm::DatabaseBackend::Postgres => (from..from + n)
                    .map(|i| format!("${i}"))
                    .collect::<Vec<_>>()
                    .join(", "),
                _ => vec!["?"; n].join(", "),
            }
        };
        for row in ids {
            let id: i32 = row.try_get("", "id")?;
            let files = db
                .query_all_raw(Statement::from_sql_and_values(
                    backend,
                    format!(
                        "SELECT path, size FROM artifact_files WHERE artifact_id = {}",
                        placeholders(1, 1)
                    ),
                    [id.into()],
                ))
                .await?
                .into_iter()
                .map(|r| {
                    let path: String = r.try_get("", "path")?;
                    let size: Option<i64> = r.try_get("", "size")?;
                    Ok((path, size.unwrap_or(0)))
                })
                .collect::<Result<Vec<_>, DbErr>>()?;
            let tx = db.begin().await?;
            for (path, (parent, name, n, size, direct)) in folders(&files) {
                tx.execute_raw(Statement::from_sql_and_values(
                    backend,
                    format!(
                        "INSERT INTO artifact_dirs (artifact_id, path, parent, name, files, size, direct_files) VALUES ({})",
                        placeholders(7, 1)
                    ),
                    [
                        id.into(),
                        path.into(),
                        parent.into(),
                        name.into(),
                        n.into(),
                        size.into(),
                        direct.into(),
                    ],
                ))
                .await?;
            }
            for (path, _) in &files {
                tx.execute_raw(Statement::from_sql_and_values(
                    backend,
                    format!(
                        "UPDATE artifact_files SET dir = {} WHERE artifact_id = {} AND path = {}",
                        placeholders(1, 1),
                        placeholders(1, 2),
                        placeholders(1, 3)
                    ),
                    [parent_dir(path).into(), id.into(), path.clone().into()],
                ))
                .await?;
            }
            tx.commit().await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(ArtifactDirs::Table).to_owned())
            .await?;
        m.drop_index(
            Index::drop()
                .name("ix_artifact_files_dir")
                .table(ArtifactFiles::Table)
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(ArtifactFiles::Table)
                .drop_column(ArtifactFiles::Dir)
                .to_owned(),
        )
        .await
    }
}
