//! Run files: name, size and checksums per run; the bytes live in the blob store.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use crate::db::entities::run_file;

/// Record a file for a run, replacing an earlier file of the same name.
pub async fn upsert(
    db: &impl ConnectionTrait,
    run_pk: i32,
    name: &str,
    size: i64,
    md5: &str,
    sha256: &str,
    now: i64,
) -> Result<run_file::Model, DbErr> {
    if let Some(existing) = find(db, run_pk, name).await? {
        let mut active: run_file::ActiveModel = existing.into();
        active.size = Set(size);
        active.md5 = Set(md5.to_owned());
        active.sha256 = Set(sha256.to_owned());
        active.created_at = Set(now);
        return active.update(db).await;
    }
    run_file::ActiveModel {
        run_id: Set(run_pk),
        name: Set(name.to_owned()),
        size: Set(size),
        md5: Set(md5.to_owned()),
        sha256: Set(sha256.to_owned()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
}

pub async fn find(
    db: &impl ConnectionTrait,
    run_pk: i32,
    name: &str,
) -> Result<Option<run_file::Model>, DbErr> {
    run_file::Entity::find()
        .filter(run_file::Column::RunId.eq(run_pk))
        .filter(run_file::Column::Name.eq(name))
        .one(db)
        .await
}

/// A run's files by name, at most `limit` of them (all with `None`).
pub async fn list(
    db: &impl ConnectionTrait,
    run_pk: i32,
    limit: Option<u64>,
) -> Result<Vec<run_file::Model>, DbErr> {
    run_file::Entity::find()
        .filter(run_file::Column::RunId.eq(run_pk))
        .order_by_asc(run_file::Column::Name)
        .limit(limit)
        .all(db)
        .await
}
