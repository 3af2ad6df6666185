//! The artifacts' clean-up, run by the hourly job: versions whose time to live ran
//! out are deleted (with a history event), deleted versions and collections past
//! their keeping time are removed for good, and blobs nothing references any more
//! (those rows' files, manifests, and bytes of uploads that were refused or never
//! attached) are removed from the blob store after a grace period.

use std::time::Duration;

use sea_orm::{ConnectionTrait, DatabaseConnection};

use app::model::ProjectRef;

use super::edits::delete_version;
use super::{record_event, Door};
use crate::auth::access::Access;
use crate::blobs::BlobStore;
use crate::db::entities::{artifact_collection, user};
use crate::db::repo::artifacts as repo;
use crate::db::repo::projects;
use crate::db::write::begin;
use crate::error::ApiError;
use crate::service::accounts::RESTORE_WINDOW_MS;
use crate::service::reads::readable_project_rights;

/// A deleted version's rows are kept this long (nothing restores a version; the
/// delay only spares a download that started just before the deletion).
pub const DELETED_VERSION_KEPT_MS: i64 = 24 * 3600 * 1000;

/// What one clean-up did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Cleanup {
    pub expired: usize,
    pub versions_purged: usize,
    pub collections_purged: usize,
    pub blobs_removed: usize,
}

/// Run the clean-up at time `now`; blobs stored within `grace` are never removed.
pub async fn clean_up(
    db: &DatabaseConnection,
    blobs: &BlobStore,
    now: i64,
    grace: Duration,
) -> Result<Cleanup, ApiError> {
    let mut done = Cleanup::default();
    for v in repo::expired_versions(db, now).await? {
        let (tx, _turn) = begin(db).await?;
        // Looked at again inside the transaction: it may have changed meanwhile.
        let Some(v) = repo::version(&tx, v.id).await?.filter(|v| {
            v.deleted_at.is_none()
                && v.ttl_seconds
                    .is_some_and(|s| v.created_at.saturating_add(s.saturating_mul(1000)) <= now)
        }) else {
            continue;
        };
        delete_version(&tx, v.collection_id, &v, true).await?;
        let detail = format!(
            "v{} expired (time to live) and was deleted",
            v.version_index
        );
        record_event(
            &tx,
            v.collection_id,
            Some(&v),
            "expired",
            detail,
            None,
            Door::Server,
        )
        .await?;
        tx.commit().await?;
        done.expired += 1;
    }
    for pk in repo::versions_deleted_before(db, now - DELETED_VERSION_KEPT_MS).await? {
        repo::delete_version_row(db, pk).await?;
        done.versions_purged += 1;
    }
    for id in repo::collections_deleted_before(db, now - RESTORE_WINDOW_MS).await? {
        repo::delete_collection_row(db, id).await?;
        done.collections_purged += 1;
    }
    let mut unused = Vec::new();
    for sha in blobs.idle_blobs(grace).await.map_err(io)? {
        if !projects::blob_in_use(db, &sha).await? {
            unused.push(sha);
        }
    }
    let needed = |sha: String| async move { projects::blob_in_use(db, &sha).await.unwrap_or(true) };
    done.blobs_removed += blobs
        .collect_many(&unused, grace, needed)
        .await
        .map_err(io)?;
    if done != Cleanup::default() {
        tracing::info!(?done, "artifacts cleaned up");
    }
    Ok(done)
}

fn io(e: std::io::Error) -> ApiError {
    ApiError::Internal(format!("the blob store failed: {e}"))
}

/// Bring back a deleted collection (a project admin, within the restore window).
pub async fn restore_collection(
    db: &DatabaseConnection,
    user: &user::Model,
    at: &ProjectRef,
    collection_id: i32,
) -> Result<(), ApiError> {
    use sea_orm::Set;
    let (tx, _turn) = begin(db).await?;
    let (project, _, rights) = readable_project_rights(&tx, Some(user), at).await?;
    if !rights.manages {
        return Err(ApiError::Forbidden(
            "only a project admin restores deleted artifacts".into(),
        ));
    }
    let coll = repo::collection(&tx, collection_id)
        .await?
        .filter(|c| c.project_id == project.id && c.deleted_at.is_some())
        .ok_or_else(|| ApiError::NotFound("no such deleted artifact".into()))?;
    if repo::collection_named(&tx, project.id, &coll.name)
        .await?
        .is_some()
    {
        return Err(ApiError::Conflict(format!(
            "an artifact named {:?} was logged since; rename or delete it first",
            coll.name
        )));
    }
    let mut c: artifact_collection::ActiveModel = coll.clone().into();
    c.deleted_at = Set(None);
    repo::update_collection(&tx, c).await?;
    let detail = format!("{} restored", coll.name);
    record_event(
        &tx,
        coll.id,
        None,
        "collection_restored",
        detail,
        Some(user),
        Door::Ui,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A project's deleted collections, for its admins (others get an empty list).
pub async fn deleted_collections(
    db: &impl ConnectionTrait,
    viewer: Option<&user::Model>,
    at: &ProjectRef,
) -> Result<Vec<app::model::DeletedCollection>, ApiError> {
    let (project, _, rights) = readable_project_rights(db, viewer, at).await?;
    if !rights.manages || rights.access != Access::Write {
        return Ok(Vec::new());
    }
    Ok(repo::deleted_collections(db, project.id)
        .await?
        .into_iter()
        .filter_map(|c| {
            let deleted_at = c.deleted_at?;
            Some(app::model::DeletedCollection {
                id: c.id,
                name: c.name,
                type_name: c.type_name,
                deleted_at,
                purge_at: deleted_at + RESTORE_WINDOW_MS,
            })
        })
        .collect())
}
