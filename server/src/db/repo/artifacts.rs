//! Artifacts: collections, versions, aliases, files and usage (lineage). The wandb
//! protocol writes them today and the Artifacts tab reads them; both go through here.

use sea_orm::sea_query::{Expr, Func, OnConflict, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, JoinType, QueryFilter,
    QueryOrder, QuerySelect, RelationDef, Set,
};

use crate::db::entities::{
    artifact, artifact_alias, artifact_collection, artifact_dir, artifact_event, artifact_file,
    artifact_usage,
};

/// A version's state while files are still being registered and uploaded.
pub const PENDING: &str = "PENDING";
/// A version's state once committed: its files no longer change.
pub const COMMITTED: &str = "COMMITTED";

/// A version by its key.
pub async fn version(db: &impl ConnectionTrait, pk: i32) -> Result<Option<artifact::Model>, DbErr> {
    artifact::Entity::find_by_id(pk).one(db).await
}

/// A version by its key, its row locked until the transaction ends (on PostgreSQL),
/// so a commit and a file registration for one version take turns.
pub async fn version_for_update(
    db: &impl ConnectionTrait,
    pk: i32,
) -> Result<Option<artifact::Model>, DbErr> {
    artifact::Entity::find_by_id(pk)
        .lock_exclusive()
        .one(db)
        .await
}

/// A collection by its key.
pub async fn collection(
    db: &impl ConnectionTrait,
    id: i32,
) -> Result<Option<artifact_collection::Model>, DbErr> {
    artifact_collection::Entity::find_by_id(id).one(db).await
}

/// A project's collection by name.
pub async fn collection_named(
    db: &impl ConnectionTrait,
    project_id: i32,
    name: &str,
) -> Result<Option<artifact_collection::Model>, DbErr> {
    artifact_collection::Entity::find()
        .filter(artifact_collection::Column::ProjectId.eq(project_id))
        .filter(artifact_collection::Column::Name.eq(name))
        .filter(artifact_collection::Column::DeletedAt.is_null())
        .one(db)
        .await
}

/// Create a collection.
pub async fn insert_collection(
    db: &impl ConnectionTrait,
    project_id: i32,
    name: &str,
    type_name: &str,
    now: i64,
) -> Result<artifact_collection::Model, DbErr> {
    artifact_collection::ActiveModel {
        project_id: Set(project_id),
        name: Set(name.to_owned()),
        type_name: Set(type_name.to_owned()),
        description: Set(None),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
}

/// Store a new version.
pub async fn insert_version(
    db: &impl ConnectionTrait,
    version: artifact::ActiveModel,
) -> Result<artifact::Model, DbErr> {
    version.insert(db).await
}

/// Save changes to a version.
pub async fn update_version(
    db: &impl ConnectionTrait,
    version: artifact::ActiveModel,
) -> Result<artifact::Model, DbErr> {
    version.update(db).await
}

/// The version an alias points at in a collection.
pub async fn aliased_version(
    db: &impl ConnectionTrait,
    collection_id: i32,
    alias: &str,
) -> Result<Option<artifact::Model>, DbErr> {
    match artifact_alias::Entity::find_by_id((collection_id, alias.to_owned()))
        .one(db)
        .await?
    {
        Some(a) => version(db, a.artifact_id).await,
        None => Ok(None),
    }
}

/// The committed version `v{index}` of a collection (a pending one has no name yet).
pub async fn committed_version(
    db: &impl ConnectionTrait,
    collection_id: i32,
    index: i32,
) -> Result<Option<artifact::Model>, DbErr> {
    artifact::Entity::find()
        .filter(artifact::Column::CollectionId.eq(collection_id))
        .filter(artifact::Column::VersionIndex.eq(index))
        .filter(artifact::Column::State.eq(COMMITTED))
        .filter(artifact::Column::DeletedAt.is_null())
        .one(db)
        .await
}

/// The version a client made with this client id (a retried create finds it).
pub async fn version_by_client_id(
    db: &impl ConnectionTrait,
    collection_id: i32,
    client_id: &str,
) -> Result<Option<artifact::Model>, DbErr> {
    artifact::Entity::find()
        .filter(artifact::Column::CollectionId.eq(collection_id))
        .filter(artifact::Column::ClientId.eq(client_id))
        .one(db)
        .await
}

/// The newest committed version with this digest (the same content).
pub async fn committed_by_digest(
    db: &impl ConnectionTrait,
    collection_id: i32,
    digest: &str,
) -> Result<Option<artifact::Model>, DbErr> {
    artifact::Entity::find()
        .filter(artifact::Column::CollectionId.eq(collection_id))
        .filter(artifact::Column::Digest.eq(digest))
        .filter(artifact::Column::State.eq(COMMITTED))
        .filter(artifact::Column::DeletedAt.is_null())
        .order_by_desc(artifact::Column::VersionIndex)
        .one(db)
        .await
}

/// The index the next version of a collection gets (0 for the first).
pub async fn next_version_index(
    db: &impl ConnectionTrait,
    collection_id: i32,
) -> Result<i32, DbErr> {
    let q = Query::select()
        .expr_as(Func::max(Expr::col(artifact::Column::VersionIndex)), "m")
        .from(artifact::Entity)
        .and_where(artifact::Column::CollectionId.eq(collection_id))
        .to_owned();
    let row = db.query_one(&q).await?;
    let max: Option<i32> = row.map(|r| r.try_get("", "m")).transpose()?.flatten();
    Ok(max.map_or(0, |m| m + 1))
}

/// The aliases pointing at a version, `latest` and `vN` included, sorted.
pub async fn aliases_of(db: &impl ConnectionTrait, pk: i32) -> Result<Vec<String>, DbErr> {
    let mut names: Vec<String> = artifact_alias::Entity::find()
        .filter(artifact_alias::Column::ArtifactId.eq(pk))
        .all(db)
        .await?
        .into_iter()
        .map(|a| a.alias)
        .collect();
    names.sort();
    Ok(names)
}

/// Point `alias` of the collection at version `pk` (moving it if it pointed elsewhere).
pub async fn set_alias(
    db: &impl ConnectionTrait,
    collection_id: i32,
    alias: &str,
    pk: i32,
) -> Result<(), DbErr> {
    let insert = Query::insert()
        .into_table(artifact_alias::Entity)
        .columns([
            artifact_alias::Column::CollectionId,
            artifact_alias::Column::Alias,
            artifact_alias::Column::ArtifactId,
        ])
        .values_panic([collection_id.into(), alias.into(), pk.into()])
        .on_conflict(
            OnConflict::columns([
                artifact_alias::Column::CollectionId,
                artifact_alias::Column::Alias,
            ])
            .update_column(artifact_alias::Column::ArtifactId)
            .to_owned(),
        )
        .to_owned();
    db.execute(&insert).await?;
    Ok(())
}

/// A version's files, by path.
pub async fn files_of(
    db: &impl ConnectionTrait,
    pk: i32,
) -> Result<Vec<artifact_file::Model>, DbErr> {
    artifact_file::Entity::find()
        .filter(artifact_file::Column::ArtifactId.eq(pk))
        .order_by_asc(artifact_file::Column::Path)
        .all(db)
        .await
}

/// One file of a version.
pub async fn file(
    db: &impl ConnectionTrait,
    pk: i32,
    path: &str,
) -> Result<Option<artifact_file::Model>, DbErr> {
    artifact_file::Entity::find_by_id((pk, path.to_owned()))
        .one(db)
        .await
}

/// The files of a version among `paths`.
pub async fn files_at(
    db: &impl ConnectionTrait,
    pk: i32,
    paths: &[String],
) -> Result<Vec<artifact_file::Model>, DbErr> {
    let mut out = Vec::new();
    for part in paths.chunks(500) {
        out.extend(
            artifact_file::Entity::find()
                .filter(artifact_file::Column::ArtifactId.eq(pk))
                .filter(artifact_file::Column::Path.is_in(part.iter().cloned()))
                .all(db)
                .await?,
        );
    }
    Ok(out)
}

/// For each of `md5s` whose bytes are already stored for a file of this project's
/// artifacts, the oldest such copy.
pub async fn earlier_copies(
    db: &impl ConnectionTrait,
    project_id: i32,
    md5s: &[String],
) -> Result<std::collections::HashMap<String, artifact_file::Model>, DbErr> {
    // artifact_files → artifacts → artifact_collections, filtered to the project.
    let to_artifact: RelationDef = artifact_file::Entity::belongs_to(artifact::Entity)
        .from(artifact_file::Column::ArtifactId)
        .to(artifact::Column::Id)
        .into();
    let to_collection: RelationDef = artifact::Entity::belongs_to(artifact_collection::Entity)
        .from(artifact::Column::CollectionId)
        .to(artifact_collection::Column::Id)
        .into();
    let mut wanted: Vec<&String> = md5s.iter().collect();
    wanted.sort();
    wanted.dedup();
    let mut out = std::collections::HashMap::new();
    for part in wanted.chunks(500) {
        let copies = artifact_file::Entity::find()
            .join(JoinType::InnerJoin, to_artifact.clone())
            .join(JoinType::InnerJoin, to_collection.clone())
            .filter(artifact_collection::Column::ProjectId.eq(project_id))
            .filter(artifact_file::Column::Md5.is_in(part.iter().map(|m| (*m).clone())))
            .filter(artifact_file::Column::Sha256.is_not_null())
            .order_by_asc(artifact_file::Column::BirthArtifactId)
            .all(db)
            .await?;
        for c in copies {
            out.entry(c.md5.clone()).or_insert(c);
        }
    }
    Ok(out)
}

/// Write file rows, each replacing the row of its version and path if there is one,
/// 500 to a statement.
pub async fn upsert_files(
    db: &impl ConnectionTrait,
    rows: &[artifact_file::Model],
) -> Result<(), DbErr> {
    for part in rows.chunks(500) {
        let mut insert = Query::insert()
            .into_table(artifact_file::Entity)
            .columns([
                artifact_file::Column::ArtifactId,
                artifact_file::Column::Path,
                artifact_file::Column::Md5,
                artifact_file::Column::Size,
                artifact_file::Column::Sha256,
                artifact_file::Column::BirthArtifactId,
                artifact_file::Column::Dir,
            ])
            .on_conflict(
                OnConflict::columns([
                    artifact_file::Column::ArtifactId,
                    artifact_file::Column::Path,
                ])
                .update_columns([
                    artifact_file::Column::Md5,
                    artifact_file::Column::Size,
                    artifact_file::Column::Sha256,
                    artifact_file::Column::BirthArtifactId,
                    artifact_file::Column::Dir,
                ])
                .to_owned(),
            )
            .to_owned();
        for f in part {
            insert.values_panic([
                f.artifact_id.into(),
                f.path.clone().into(),
                f.md5.clone().into(),
                f.size.into(),
                f.sha256.clone().into(),
                f.birth_artifact_id.into(),
                f.dir.clone().into(),
            ]);
        }
        db.execute(&insert).await?;
    }
    Ok(())
}

/// Attach uploaded bytes to the file row that announced their MD5; false when no row
/// of that path announces that MD5 (so other content is never pointed at).
pub async fn attach_upload(
    db: &impl ConnectionTrait,
    pk: i32,
    path: &str,
    md5_base64: &str,
    sha256: &str,
    size: i64,
) -> Result<bool, DbErr> {
    let update = Query::update()
        .table(artifact_file::Entity)
        .value(artifact_file::Column::Sha256, sha256)
        .value(artifact_file::Column::Size, size)
        .and_where(artifact_file::Column::ArtifactId.eq(pk))
        .and_where(artifact_file::Column::Path.eq(path))
        .and_where(artifact_file::Column::Md5.eq(md5_base64))
        .to_owned();
    Ok(db.execute(&update).await?.rows_affected() > 0)
}

/// Record that a run used a version (once per pair).
pub async fn record_usage(
    db: &impl ConnectionTrait,
    pk: i32,
    run_pk: i32,
    now: i64,
) -> Result<(), DbErr> {
    let insert = Query::insert()
        .into_table(artifact_usage::Entity)
        .columns([
            artifact_usage::Column::ArtifactId,
            artifact_usage::Column::RunId,
            artifact_usage::Column::UsedAt,
        ])
        .values_panic([pk.into(), run_pk.into(), now.into()])
        .on_conflict(
            OnConflict::columns([
                artifact_usage::Column::ArtifactId,
                artifact_usage::Column::RunId,
            ])
            .do_nothing()
            .to_owned(),
        )
        .to_owned();
    db.execute(&insert).await?;
    Ok(())
}

/// A project's live collections with their live committed version counts and the
/// time of their newest version, by type and name.
pub async fn collections_of(
    db: &impl ConnectionTrait,
    project_id: i32,
) -> Result<Vec<(artifact_collection::Model, u64, Option<i64>)>, DbErr> {
    let collections = artifact_collection::Entity::find()
        .filter(artifact_collection::Column::ProjectId.eq(project_id))
        .filter(artifact_collection::Column::DeletedAt.is_null())
        .order_by_asc(artifact_collection::Column::TypeName)
        .order_by_asc(artifact_collection::Column::Name)
        .all(db)
        .await?;
    let q = Query::select()
        .column(artifact::Column::CollectionId)
        .expr_as(Func::count(Expr::col(artifact::Column::Id)), "n")
        .expr_as(Func::max(Expr::col(artifact::Column::CreatedAt)), "newest")
        .from(artifact::Entity)
        .and_where(
            artifact::Column::CollectionId.in_subquery(
                Query::select()
                    .column(artifact_collection::Column::Id)
                    .from(artifact_collection::Entity)
                    .and_where(artifact_collection::Column::ProjectId.eq(project_id))
                    .to_owned(),
            ),
        )
        .and_where(artifact::Column::State.eq(COMMITTED))
        .and_where(artifact::Column::DeletedAt.is_null())
        .group_by_col(artifact::Column::CollectionId)
        .to_owned();
    let mut counts = std::collections::HashMap::new();
    for row in db.query_all(&q).await? {
        let id: i32 = row.try_get("", "collection_id")?;
        let n: i64 = row.try_get("", "n")?;
        let newest: Option<i64> = row.try_get("", "newest")?;
        counts.insert(id, (n as u64, newest));
    }
    Ok(collections
        .into_iter()
        .map(|c| {
            let (n, newest) = counts.get(&c.id).copied().unwrap_or((0, None));
            (c, n, newest)
        })
        .collect())
}

/// How many live committed versions a collection has.
pub async fn live_version_count(
    db: &impl ConnectionTrait,
    collection_id: i32,
) -> Result<u64, DbErr> {
    use sea_orm::PaginatorTrait;
    artifact::Entity::find()
        .filter(artifact::Column::CollectionId.eq(collection_id))
        .filter(artifact::Column::State.eq(COMMITTED))
        .filter(artifact::Column::DeletedAt.is_null())
        .count(db)
        .await
}

/// What the versions table sorts by.
#[derive(Clone, Copy, Debug)]
pub enum VersionOrder {
    Index,
    Created,
    Size,
    Files,
}

/// A page of a collection's live committed versions.
pub async fn versions_page(
    db: &impl ConnectionTrait,
    collection_id: i32,
    order: VersionOrder,
    descending: bool,
    offset: u64,
    limit: u64,
) -> Result<Vec<artifact::Model>, DbErr> {
    use sea_orm::Order;
    let dir = if descending { Order::Desc } else { Order::Asc };
    let col = match order {
        VersionOrder::Index => artifact::Column::VersionIndex,
        VersionOrder::Created => artifact::Column::CreatedAt,
        VersionOrder::Size => artifact::Column::Size,
        VersionOrder::Files => artifact::Column::FileCount,
    };
    artifact::Entity::find()
        .filter(artifact::Column::CollectionId.eq(collection_id))
        .filter(artifact::Column::State.eq(COMMITTED))
        .filter(artifact::Column::DeletedAt.is_null())
        .order_by(col, dir.clone())
        .order_by(artifact::Column::VersionIndex, dir)
        .offset(offset)
        .limit(limit)
        .all(db)
        .await
}

/// The indexes of a collection's live committed versions, newest first.
pub async fn version_indexes(
    db: &impl ConnectionTrait,
    collection_id: i32,
) -> Result<Vec<i32>, DbErr> {
    let q = Query::select()
        .column(artifact::Column::VersionIndex)
        .from(artifact::Entity)
        .and_where(artifact::Column::CollectionId.eq(collection_id))
        .and_where(artifact::Column::State.eq(COMMITTED))
        .and_where(artifact::Column::DeletedAt.is_null())
        .order_by(artifact::Column::VersionIndex, sea_orm::Order::Desc)
        .to_owned();
    db.query_all(&q)
        .await?
        .into_iter()
        .map(|r| r.try_get("", "version_index"))
        .collect()
}

/// The aliases of each of `pks`, sorted.
pub async fn aliases_of_many(
    db: &impl ConnectionTrait,
    pks: &[i32],
) -> Result<std::collections::HashMap<i32, Vec<String>>, DbErr> {
    let mut out: std::collections::HashMap<i32, Vec<String>> = Default::default();
    for part in pks.chunks(500) {
        for a in artifact_alias::Entity::find()
            .filter(artifact_alias::Column::ArtifactId.is_in(part.iter().copied()))
            .all(db)
            .await?
        {
            out.entry(a.artifact_id).or_default().push(a.alias);
        }
    }
    for names in out.values_mut() {
        names.sort();
    }
    Ok(out)
}

/// Every `(version, run)` use among versions `pks`.
pub async fn usages_of_versions(
    db: &impl ConnectionTrait,
    pks: &[i32],
) -> Result<Vec<(i32, i32)>, DbErr> {
    let mut out = Vec::new();
    for part in pks.chunks(500) {
        out.extend(
            artifact_usage::Entity::find()
                .filter(artifact_usage::Column::ArtifactId.is_in(part.iter().copied()))
                .all(db)
                .await?
                .into_iter()
                .map(|u| (u.artifact_id, u.run_id)),
        );
    }
    Ok(out)
}

/// Every `(version, run)` use by runs `run_pks`.
pub async fn usages_by_runs(
    db: &impl ConnectionTrait,
    run_pks: &[i32],
) -> Result<Vec<(i32, i32)>, DbErr> {
    let mut out = Vec::new();
    for part in run_pks.chunks(500) {
        out.extend(
            artifact_usage::Entity::find()
                .filter(artifact_usage::Column::RunId.is_in(part.iter().copied()))
                .all(db)
                .await?
                .into_iter()
                .map(|u| (u.artifact_id, u.run_id)),
        );
    }
    Ok(out)
}

/// The live committed versions among `pks`.
pub async fn live_versions(
    db: &impl ConnectionTrait,
    pks: &[i32],
) -> Result<Vec<artifact::Model>, DbErr> {
    let mut out = Vec::new();
    for part in pks.chunks(500) {
        out.extend(
            artifact::Entity::find()
                .filter(artifact::Column::Id.is_in(part.iter().copied()))
                .filter(artifact::Column::State.eq(COMMITTED))
                .filter(artifact::Column::DeletedAt.is_null())
                .all(db)
                .await?,
        );
    }
    Ok(out)
}

/// The live committed versions runs `run_pks` logged.
pub async fn produced_by_runs(
    db: &impl ConnectionTrait,
    run_pks: &[i32],
) -> Result<Vec<artifact::Model>, DbErr> {
    let mut out = Vec::new();
    for part in run_pks.chunks(500) {
        out.extend(
            artifact::Entity::find()
                .filter(artifact::Column::RunId.is_in(part.iter().copied()))
                .filter(artifact::Column::State.eq(COMMITTED))
                .filter(artifact::Column::DeletedAt.is_null())
                .all(db)
                .await?,
        );
    }
    Ok(out)
}

/// Collections by key (deleted ones included: the caller decides).
pub async fn collections_by_id(
    db: &impl ConnectionTrait,
    ids: &[i32],
) -> Result<Vec<artifact_collection::Model>, DbErr> {
    let mut out = Vec::new();
    for part in ids.chunks(500) {
        out.extend(
            artifact_collection::Entity::find()
                .filter(artifact_collection::Column::Id.is_in(part.iter().copied()))
                .all(db)
                .await?,
        );
    }
    Ok(out)
}

/// Store a version's folders (replacing any stored before).
pub async fn save_folders(
    db: &impl ConnectionTrait,
    pk: i32,
    rows: &[app::logic::artifacts::FolderRow],
) -> Result<(), DbErr> {
    artifact_dir::Entity::delete_many()
        .filter(artifact_dir::Column::ArtifactId.eq(pk))
        .exec(db)
        .await?;
    for part in rows.chunks(500) {
        let mut insert = Query::insert()
            .into_table(artifact_dir::Entity)
            .columns([
                artifact_dir::Column::ArtifactId,
                artifact_dir::Column::Path,
                artifact_dir::Column::Parent,
                artifact_dir::Column::Name,
                artifact_dir::Column::Files,
                artifact_dir::Column::Size,
                artifact_dir::Column::DirectFiles,
            ])
            .to_owned();
        for r in part {
            insert.values_panic([
                pk.into(),
                r.path.clone().into(),
                r.parent.clone().into(),
                r.name.clone().into(),
                (r.files as i64).into(),
                r.size.into(),
                (r.direct_files as i64).into(),
            ]);
        }
        db.execute(&insert).await?;
    }
    Ok(())
}

/// One stored folder of a version.
pub async fn folder(
    db: &impl ConnectionTrait,
    pk: i32,
    path: &str,
) -> Result<Option<artifact_dir::Model>, DbErr> {
    artifact_dir::Entity::find_by_id((pk, path.to_owned()))
        .one(db)
        .await
}

/// The stored folders directly in folder `parent` of a version, by name.
pub async fn subfolders(
    db: &impl ConnectionTrait,
    pk: i32,
    parent: &str,
) -> Result<Vec<artifact_dir::Model>, DbErr> {
    artifact_dir::Entity::find()
        .filter(artifact_dir::Column::ArtifactId.eq(pk))
        .filter(artifact_dir::Column::Parent.eq(parent))
        .order_by_asc(artifact_dir::Column::Name)
        .all(db)
        .await
}

/// A page of the files directly in folder `dir` of a version, by path.
pub async fn files_in_dir(
    db: &impl ConnectionTrait,
    pk: i32,
    dir: &str,
    offset: u64,
    limit: u64,
) -> Result<Vec<artifact_file::Model>, DbErr> {
    artifact_file::Entity::find()
        .filter(artifact_file::Column::ArtifactId.eq(pk))
        .filter(artifact_file::Column::Dir.eq(dir))
        .order_by_asc(artifact_file::Column::Path)
        .offset(offset)
        .limit(limit)
        .all(db)
        .await
}

/// Remove an alias from a collection; returns the version it pointed at.
pub async fn remove_alias(
    db: &impl ConnectionTrait,
    collection_id: i32,
    alias: &str,
) -> Result<Option<i32>, DbErr> {
    let Some(row) = artifact_alias::Entity::find_by_id((collection_id, alias.to_owned()))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    artifact_alias::Entity::delete_by_id((collection_id, alias.to_owned()))
        .exec(db)
        .await?;
    Ok(Some(row.artifact_id))
}

/// The newest live committed version of a collection (where `latest` belongs).
pub async fn newest_live(
    db: &impl ConnectionTrait,
    collection_id: i32,
) -> Result<Option<artifact::Model>, DbErr> {
    artifact::Entity::find()
        .filter(artifact::Column::CollectionId.eq(collection_id))
        .filter(artifact::Column::State.eq(COMMITTED))
        .filter(artifact::Column::DeletedAt.is_null())
        .order_by_desc(artifact::Column::VersionIndex)
        .one(db)
        .await
}

/// Save changes to a collection.
pub async fn update_collection(
    db: &impl ConnectionTrait,
    coll: artifact_collection::ActiveModel,
) -> Result<artifact_collection::Model, DbErr> {
    coll.update(db).await
}

/// Append an event to a collection's action history.
pub async fn insert_event(
    db: &impl ConnectionTrait,
    event: artifact_event::ActiveModel,
) -> Result<(), DbErr> {
    event.insert(db).await?;
    Ok(())
}

/// A collection's newest `limit` events, newest first.
pub async fn events_of(
    db: &impl ConnectionTrait,
    collection_id: i32,
    limit: u64,
) -> Result<Vec<artifact_event::Model>, DbErr> {
    artifact_event::Entity::find()
        .filter(artifact_event::Column::CollectionId.eq(collection_id))
        .order_by_desc(artifact_event::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

/// Live committed versions whose time to live ran out by `now`.
pub async fn expired_versions(
    db: &impl ConnectionTrait,
    now: i64,
) -> Result<Vec<artifact::Model>, DbErr> {
    Ok(artifact::Entity::find()
        .filter(artifact::Column::TtlSeconds.is_not_null())
        .filter(artifact::Column::DeletedAt.is_null())
        .filter(artifact::Column::State.eq(COMMITTED))
        .all(db)
        .await?
        .into_iter()
        .filter(|v| {
            v.ttl_seconds
                .is_some_and(|s| v.created_at.saturating_add(s.saturating_mul(1000)) <= now)
        })
        .collect())
}

/// Keys of versions deleted before `cutoff`.
pub async fn versions_deleted_before(
    db: &impl ConnectionTrait,
    cutoff: i64,
) -> Result<Vec<i32>, DbErr> {
    Ok(artifact::Entity::find()
        .filter(artifact::Column::DeletedAt.lt(cutoff))
        .all(db)
        .await?
        .into_iter()
        .map(|v| v.id)
        .collect())
}

/// Keys of collections deleted before `cutoff`.
pub async fn collections_deleted_before(
    db: &impl ConnectionTrait,
    cutoff: i64,
) -> Result<Vec<i32>, DbErr> {
    Ok(artifact_collection::Entity::find()
        .filter(artifact_collection::Column::DeletedAt.lt(cutoff))
        .all(db)
        .await?
        .into_iter()
        .map(|c| c.id)
        .collect())
}

/// A project's deleted collections, newest deletion first.
pub async fn deleted_collections(
    db: &impl ConnectionTrait,
    project_id: i32,
) -> Result<Vec<artifact_collection::Model>, DbErr> {
    artifact_collection::Entity::find()
        .filter(artifact_collection::Column::ProjectId.eq(project_id))
        .filter(artifact_collection::Column::DeletedAt.is_not_null())
        .order_by_desc(artifact_collection::Column::DeletedAt)
        .all(db)
        .await
}

/// Remove a version's row for good (its files, aliases and uses go with it).
pub async fn delete_version_row(db: &impl ConnectionTrait, pk: i32) -> Result<(), DbErr> {
    artifact::Entity::delete_by_id(pk).exec(db).await?;
    Ok(())
}

/// Remove a collection's row for good (its versions and history go with it).
pub async fn delete_collection_row(db: &impl ConnectionTrait, id: i32) -> Result<(), DbErr> {
    artifact_collection::Entity::delete_by_id(id)
        .exec(db)
        .await?;
    Ok(())
}
