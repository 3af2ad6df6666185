//! Artifacts in Cairn's own model: collections (`ds`), versions (`v0`, `v1`, … by
//! digest), aliases (`latest` kept on the newest commit, plus any the client asks
//! for), files whose bytes live in the content-addressed blob store, the run that
//! produced a version and the runs that used it. The wandb mutations call these;
//! the Artifacts tab will read the same tables.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use md5::{Digest, Md5};
use std::collections::{BTreeMap, HashMap};

use sea_orm::{ConnectionTrait, DatabaseConnection, Set};
use serde_json::Value;

use app::logic::validate;

use crate::blobs::BlobStore;
use crate::db::entities::{artifact, artifact_collection, artifact_file, entity, project, user};
use crate::db::now_ms;
use crate::db::repo::artifacts as repo;
use crate::db::repo::{projects, runs};
use crate::error::ApiError;
use crate::service::artifacts::{point_alias, record_event, Door};
use crate::service::ops;

use super::gql::Args;
use super::ids;

/// A collection with its project and entity.
#[derive(Clone, Debug)]
pub struct CollectionRow {
    pub coll: artifact_collection::Model,
    pub project: project::Model,
    pub entity: entity::Model,
}

/// An artifact version with where it lives.
#[derive(Clone, Debug)]
pub struct ArtifactRow {
    pub art: artifact::Model,
    pub at: CollectionRow,
}

pub use repo::{COMMITTED, PENDING};

/// base64 of the raw MD5 of `bytes`: how wandb names file contents.
pub fn md5_base64(bytes: &[u8]) -> String {
    STANDARD.encode(Md5::digest(bytes))
}

/// The hex form of a base64 MD5 (the blob index's key), if it is one.
pub fn md5_hex_of_base64(b64: &str) -> Option<String> {
    let raw = STANDARD.decode(b64).ok()?;
    (raw.len() == 16).then(|| hex::encode(raw))
}

/// base64 of an MD5 given in hex (run files store hex).
pub fn md5_base64_of_hex(hex_md5: &str) -> String {
    hex::decode(hex_md5)
        .map(|raw| STANDARD.encode(raw))
        .unwrap_or_default()
}

async fn collection_row(
    db: &impl ConnectionTrait,
    coll: artifact_collection::Model,
) -> Result<CollectionRow, ApiError> {
    let project = projects::project_by_id(db, coll.project_id)
        .await?
        .ok_or_else(|| ApiError::Internal("an artifact collection's project is missing".into()))?;
    let entity = projects::find_entity_by_id(db, project.entity_id)
        .await?
        .ok_or_else(|| ApiError::Internal("a project's entity is missing".into()))?;
    Ok(CollectionRow {
        coll,
        project,
        entity,
    })
}

/// An artifact version by database key, with its collection, project and entity.
/// Deleted versions, and versions of deleted collections, are not found.
pub async fn load(db: &impl ConnectionTrait, pk: i32) -> Result<Option<ArtifactRow>, ApiError> {
    match repo::version(db, pk).await? {
        Some(art) if art.deleted_at.is_none() => {
            let row = with_place(db, art).await?;
            Ok(row.at.coll.deleted_at.is_none().then_some(row))
        }
        _ => Ok(None),
    }
}

/// A version with its collection, project and entity.
async fn with_place(
    db: &impl ConnectionTrait,
    art: artifact::Model,
) -> Result<ArtifactRow, ApiError> {
    let coll = repo::collection(db, art.collection_id)
        .await?
        .ok_or_else(|| ApiError::Internal("an artifact's collection is missing".into()))?;
    Ok(ArtifactRow {
        art,
        at: collection_row(db, coll).await?,
    })
}

/// The version a wandb artifact id names.
pub async fn load_by_id(
    db: &impl ConnectionTrait,
    id: &str,
) -> Result<Option<ArtifactRow>, ApiError> {
    match ids::parse_keyed("Artifact", id) {
        Some(pk) => load(db, pk).await,
        None => Ok(None),
    }
}

pub async fn collection(
    db: &impl ConnectionTrait,
    project: &project::Model,
    entity: &entity::Model,
    name: &str,
) -> Result<Option<CollectionRow>, ApiError> {
    Ok(repo::collection_named(db, project.id, name)
        .await?
        .map(|coll| CollectionRow {
            coll,
            project: project.clone(),
            entity: entity.clone(),
        }))
}

/// The version an alias or `vN` names in a collection (aliases first).
pub async fn version(
    db: &impl ConnectionTrait,
    at: &CollectionRow,
    alias: &str,
) -> Result<Option<ArtifactRow>, ApiError> {
    let art = match repo::aliased_version(db, at.coll.id, alias).await? {
        Some(art) => Some(art),
        None => match alias.strip_prefix('v').and_then(|n| n.parse::<i32>().ok()) {
            Some(index) => repo::committed_version(db, at.coll.id, index).await?,
            None => None,
        },
    };
    Ok(art.map(|art| ArtifactRow {
        art,
        at: at.clone(),
    }))
}

/// `collection:alias` (or `collection:vN`, or just `collection` for `latest`).
pub async fn resolve(
    db: &impl ConnectionTrait,
    project: &project::Model,
    entity: &entity::Model,
    name: &str,
) -> Result<Option<ArtifactRow>, ApiError> {
    let (coll, alias) = name.rsplit_once(':').unwrap_or((name, "latest"));
    match collection(db, project, entity, coll).await? {
        Some(at) => version(db, &at, alias).await,
        None => Ok(None),
    }
}

/// The aliases pointing at a version, `latest` and `vN` included, sorted.
pub async fn aliases_of(db: &impl ConnectionTrait, pk: i32) -> Result<Vec<String>, ApiError> {
    Ok(repo::aliases_of(db, pk).await?)
}

/// A version's files, by path.
pub async fn files_of(
    db: &impl ConnectionTrait,
    pk: i32,
) -> Result<Vec<artifact_file::Model>, ApiError> {
    Ok(repo::files_of(db, pk).await?)
}

/// The version writes go to, after checking the user may write its project.
/// The version's row is locked until the transaction ends (PostgreSQL), so a commit
/// and a file registration for one version take turns.
async fn writable(
    tx: &impl ConnectionTrait,
    user: &user::Model,
    id: &str,
) -> Result<ArtifactRow, ApiError> {
    let not_found = || ApiError::NotFound(format!("artifact {id:?} not found"));
    let pk = ids::parse_keyed("Artifact", id).ok_or_else(not_found)?;
    let art = repo::version_for_update(tx, pk)
        .await?
        .ok_or_else(not_found)?;
    let row = with_place(tx, art).await?;
    check_write(tx, user, &row.at).await?;
    Ok(row)
}

async fn check_write(
    db: &impl ConnectionTrait,
    user: &user::Model,
    at: &CollectionRow,
) -> Result<(), ApiError> {
    use crate::auth::access::{project_access, Access};
    if at.project.deleted_at.is_some() {
        return Err(ApiError::NotFound("artifact not found".into()));
    }
    match project_access(db, Some(user), &at.project, &at.entity).await? {
        Access::Write => Ok(()),
        Access::Read => Err(ApiError::Forbidden(format!(
            "you may read {}/{} but not write to it",
            at.entity.name, at.project.name
        ))),
        Access::None => Err(ApiError::NotFound("artifact not found".into())),
    }
}

/// The alias names in list `key` of a mutation's input: objects with `alias` (what
/// the client sends), or plain strings.
pub fn alias_values(input: &Args, key: &str) -> Vec<String> {
    input
        .get(key)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|x| match x {
                    Value::String(s) => Some(s.clone()),
                    Value::Object(o) => o.get("alias").and_then(Value::as_str).map(str::to_owned),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Alias names from `CreateArtifact`'s `aliases`, sorted, once each.
fn alias_names(input: &Args) -> Vec<String> {
    let mut out: Vec<String> = alias_values(input, "aliases")
        .into_iter()
        .filter(|a| !a.is_empty() && a.len() <= 128)
        .collect();
    out.sort();
    out.dedup();
    out
}

fn check_alias(alias: &str) -> Result<(), ApiError> {
    Ok(app::logic::artifacts::check_alias(alias)?)
}

/// `CreateArtifact`: a new pending version (or, for content already committed in the
/// collection, that version, with the requested aliases moved to it).
pub async fn create(
    db: &DatabaseConnection,
    user: &user::Model,
    input: &Args,
) -> Result<ArtifactRow, ApiError> {
    let type_name = input
        .str("artifactTypeName")
        .ok_or_else(|| ApiError::Unprocessable("artifactTypeName is required".into()))?;
    let coll_name = input
        .str("artifactCollectionName")
        .or_else(|| {
            input
                .get("artifactCollectionNames")
                .and_then(Value::as_array)
                .and_then(|a| a.first())
                .and_then(Value::as_str)
        })
        .ok_or_else(|| ApiError::Unprocessable("artifactCollectionName is required".into()))?;
    let digest = input
        .str("digest")
        .ok_or_else(|| ApiError::Unprocessable("digest is required".into()))?;
    for (what, v) in [("artifact name", coll_name), ("artifact type", type_name)] {
        validate::label(what, v)?;
        if v.contains(['/', ':']) {
            return Err(ApiError::Unprocessable(format!(
                "{what} {v:?} may not contain '/' or ':'"
            )));
        }
    }
    let project_name = input
        .str("projectName")
        .unwrap_or(super::wire::DEFAULT_PROJECT);
    let aliases = alias_names(input);
    for a in aliases.iter().filter(|a| *a != "latest") {
        check_alias(a)?;
    }
    let metadata = match input.str("metadata") {
        Some(text) => match super::wire::parse_lenient(text) {
            Ok(v @ Value::Object(_)) => Some(v.to_string()),
            _ => {
                return Err(ApiError::Unprocessable(
                    "metadata must be a JSON object encoded as a string".into(),
                ))
            }
        },
        None => None,
    };

    let (tx, _turn) = crate::db::write::begin(db).await?;
    let now = now_ms();
    let (project, owner) =
        ops::writable_project(&tx, user, input.str("entityName"), project_name, true).await?;
    let at = match collection(&tx, &project, &owner, coll_name).await? {
        Some(at) if at.coll.type_name != type_name => {
            return Err(ApiError::Conflict(format!(
                "artifact {coll_name:?} has type {:?}, not {type_name:?}",
                at.coll.type_name
            )))
        }
        Some(at) => at,
        None => {
            let coll = repo::insert_collection(&tx, project.id, coll_name, type_name, now).await?;
            CollectionRow {
                coll,
                project: project.clone(),
                entity: owner.clone(),
            }
        }
    };

    // A retried CreateArtifact (same client id) gets the version it made the first time.
    if let Some(client_id) = input.str("clientID") {
        if let Some(art) = repo::version_by_client_id(&tx, at.coll.id, client_id).await? {
            tx.commit().await?;
            return Ok(ArtifactRow { art, at });
        }
    }
    if input.bool("enableDigestDeduplication") != Some(false) {
        if let Some(art) = repo::committed_by_digest(&tx, at.coll.id, digest).await? {
            for a in &aliases {
                point_alias(&tx, at.coll.id, a, &art, Some(user), Door::Wandb).await?;
            }
            tx.commit().await?;
            return Ok(ArtifactRow { art, at });
        }
    }
    let next_index = repo::next_version_index(&tx, at.coll.id).await?;
    let run_pk = match input.str("runName") {
        Some(r) => runs::find_run(&tx, project.id, r).await?.map(|r| r.id),
        None => None,
    };
    let version = artifact::ActiveModel {
        collection_id: Set(at.coll.id),
        version_index: Set(next_index),
        digest: Set(digest.to_owned()),
        state: Set(PENDING.to_owned()),
        description: Set(input.str("description").map(str::to_owned)),
        metadata: Set(metadata),
        size: Set(0),
        file_count: Set(0),
        run_id: Set(run_pk),
        client_id: Set(input.str("clientID").map(str::to_owned)),
        sequence_client_id: Set(input.str("sequenceClientID").map(str::to_owned)),
        history_step: Set(input.i64("historyStep")),
        requested_aliases: Set(ops::to_json(&aliases)?),
        manifest_sha256: Set(None),
        manifest_digest: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    let art = repo::insert_version(&tx, version).await?;
    projects::touch_last_active(&tx, project.id, now).await?;
    tx.commit().await?;
    Ok(ArtifactRow { art, at })
}

/// `CreateArtifactManifest` (called before and after the file uploads): records the
/// manifest digest when one is given. The manifest id is the version's own.
pub async fn create_manifest(
    db: &DatabaseConnection,
    user: &user::Model,
    id: &str,
    digest: Option<&str>,
) -> Result<ArtifactRow, ApiError> {
    let (tx, _turn) = crate::db::write::begin(db).await?;
    let mut row = writable(&tx, user, id).await?;
    if row.art.state == COMMITTED {
        return Err(ApiError::Conflict(format!(
            "artifact {}:v{} is committed; its manifest cannot change",
            row.at.coll.name, row.art.version_index
        )));
    }
    if let Some(d) = digest.filter(|d| !d.is_empty()) {
        let mut active: artifact::ActiveModel = row.art.clone().into();
        active.manifest_digest = Set(Some(d.to_owned()));
        active.updated_at = Set(now_ms());
        row.art = repo::update_version(&tx, active).await?;
    }
    tx.commit().await?;
    Ok(row)
}

/// What `CreateArtifactFiles` answers per file, in the request's order.
pub struct FileSlot {
    pub artifact_pk: i32,
    pub path: String,
    /// Whether the bytes must still be uploaded (false: already stored).
    pub needs_upload: bool,
    pub birth_pk: i32,
}

/// `CreateArtifactFiles`: register files of versions. A file whose MD5 matches bytes
/// already stored for this project needs no upload; its birth version is the one
/// that first stored them. Dedup stays within a project: knowing a file's MD5 must
/// not be enough to read another project's file. The client sends up to 1,000 files
/// at a time; they are checked first, then looked up and written 500 to a query.
pub async fn create_files(
    db: &DatabaseConnection,
    user: &user::Model,
    input: &Args,
) -> Result<Vec<FileSlot>, ApiError> {
    let files = input
        .get("artifactFiles")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    // (artifact id, path, md5) of each file, all checked before anything is written.
    let mut wanted: Vec<(String, String, String)> = Vec::with_capacity(files.len());
    for f in &files {
        let f = Args(f.as_object().cloned().unwrap_or_default());
        let id = f.str("artifactID").ok_or_else(|| {
            ApiError::Unprocessable("artifactFiles[].artifactID is required".into())
        })?;
        let path = f
            .str("name")
            .ok_or_else(|| ApiError::Unprocessable("artifactFiles[].name is required".into()))?;
        ops::check_file_name(path)?;
        let md5 = f
            .str("md5")
            .ok_or_else(|| ApiError::Unprocessable("artifactFiles[].md5 is required".into()))?;
        md5_hex_of_base64(md5).ok_or_else(|| {
            ApiError::Unprocessable(format!("md5 {md5:?} of {path:?} is not a base64 MD5"))
        })?;
        wanted.push((id.to_owned(), path.to_owned(), md5.to_owned()));
    }
    let (tx, _turn) = crate::db::write::begin(db).await?;
    let mut versions: HashMap<String, ArtifactRow> = HashMap::new();
    for (id, _, _) in &wanted {
        if versions.contains_key(id) {
            continue;
        }
        let row = writable(&tx, user, id).await?;
        if row.art.state == COMMITTED {
            return Err(ApiError::Conflict(format!(
                "artifact {}:v{} is committed; its files cannot change",
                row.at.coll.name, row.art.version_index
            )));
        }
        versions.insert(id.clone(), row);
    }
    // The rows these paths already have, and the oldest stored copy of each content
    // in the project.
    let mut existing: HashMap<(i32, String), artifact_file::Model> = HashMap::new();
    let mut earlier: HashMap<(i32, String), artifact_file::Model> = HashMap::new();
    for row in versions.values() {
        let mine = || {
            wanted
                .iter()
                .filter(|(i, _, _)| versions[i].art.id == row.art.id)
        };
        let paths: Vec<String> = mine().map(|(_, p, _)| p.clone()).collect();
        for f in repo::files_at(&tx, row.art.id, &paths).await? {
            existing.insert((f.artifact_id, f.path.clone()), f);
        }
        let md5s: Vec<String> = mine().map(|(_, _, m)| m.clone()).collect();
        for (md5, copy) in repo::earlier_copies(&tx, row.at.project.id, &md5s).await? {
            earlier.insert((row.at.project.id, md5), copy);
        }
    }
    let mut out = Vec::with_capacity(wanted.len());
    let mut rows: BTreeMap<(i32, String), artifact_file::Model> = BTreeMap::new();
    for (id, path, md5) in wanted {
        let row = &versions[&id];
        let key = (row.art.id, path.clone());
        let (sha, size, birth) = match (
            existing.get(&key),
            earlier.get(&(row.at.project.id, md5.clone())),
        ) {
            (Some(e), _) if e.md5 == md5 && e.sha256.is_some() => {
                (e.sha256.clone(), e.size, e.birth_artifact_id)
            }
            (_, Some(copy)) => (copy.sha256.clone(), copy.size, copy.birth_artifact_id),
            _ => (None, None, row.art.id),
        };
        let file = artifact_file::Model {
            artifact_id: row.art.id,
            dir: Some(app::logic::artifacts::parent_dir(&path).to_owned()),
            path: path.clone(),
            md5,
            size,
            sha256: sha.clone(),
            birth_artifact_id: birth,
        };
        // A path named twice in one request: the later entry wins, as it would have
        // one request at a time.
        existing.insert(key.clone(), file.clone());
        rows.insert(key, file);
        out.push(FileSlot {
            artifact_pk: row.art.id,
            path,
            needs_upload: sha.is_none(),
            birth_pk: birth,
        });
    }
    repo::upsert_files(&tx, &rows.into_values().collect::<Vec<_>>()).await?;
    tx.commit().await?;
    Ok(out)
}

/// `CommitArtifact`: check the manifest and every file were uploaded, take size and
/// file count from the manifest, and apply the aliases (`latest`, `vN`, requested).
/// Committing twice is harmless.
pub async fn commit(
    db: &DatabaseConnection,
    blobs: &BlobStore,
    user: &user::Model,
    id: &str,
) -> Result<ArtifactRow, ApiError> {
    let (tx, _turn) = crate::db::write::begin(db).await?;
    let mut row = writable(&tx, user, id).await?;
    if row.art.state == COMMITTED {
        tx.commit().await?;
        return Ok(row);
    }
    let sha = row.art.manifest_sha256.clone().ok_or_else(|| {
        ApiError::Unprocessable("the artifact's manifest was never uploaded".into())
    })?;
    let manifest: Value = serde_json::from_slice(
        &blobs
            .get(&sha)
            .await
            .map_err(|e| ApiError::Internal(format!("could not read a manifest: {e}")))?,
    )
    .map_err(|e| ApiError::Internal(format!("a stored manifest is not JSON: {e}")))?;
    let contents = manifest
        .get("contents")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let files = files_of(&tx, row.art.id).await?;
    if let Some(missing) = files.iter().find(|f| f.sha256.is_none()) {
        return Err(ApiError::Unprocessable(format!(
            "file {:?} of the artifact was never uploaded",
            missing.path
        )));
    }
    let size: i64 = contents
        .values()
        .filter_map(|e| e.get("size").and_then(Value::as_i64))
        .sum();
    let now = now_ms();
    let requested: Vec<String> =
        serde_json::from_str(&row.art.requested_aliases).unwrap_or_default();
    // The version's folders with their totals, for the files tree.
    let entries: Vec<app::logic::artifacts::FileEntry> = files
        .iter()
        .map(|f| app::logic::artifacts::FileEntry {
            path: f.path.clone(),
            size: f.size.unwrap_or(0),
            digest: f.md5.clone(),
        })
        .collect();
    repo::save_folders(
        &tx,
        row.art.id,
        &app::logic::artifacts::folder_rows(&entries),
    )
    .await?;
    let mut active: artifact::ActiveModel = row.art.clone().into();
    active.state = Set(COMMITTED.to_owned());
    active.size = Set(size);
    active.file_count = Set(contents.len() as i64);
    active.updated_at = Set(now);
    row.art = repo::update_version(&tx, active).await?;
    let version = format!("v{}", row.art.version_index);
    record_event(
        &tx,
        row.at.coll.id,
        Some(&row.art),
        "created",
        format!(
            "{version} created ({} files, {} bytes)",
            row.art.file_count, row.art.size
        ),
        Some(user),
        Door::Wandb,
    )
    .await?;
    crate::service::automations::events::artifact(
        &tx,
        "artifact_created",
        &row.art,
        None,
        Some(user),
    )
    .await?;
    for alias in ["latest".to_owned(), version].into_iter().chain(requested) {
        point_alias(
            &tx,
            row.at.coll.id,
            &alias,
            &row.art,
            Some(user),
            Door::Wandb,
        )
        .await?;
    }
    projects::touch_last_active(&tx, row.at.project.id, now).await?;
    tx.commit().await?;
    Ok(row)
}

/// `UseArtifact`: record that a run consumed a version (lineage). The version must be
/// readable by the user and the run writable.
pub async fn use_artifact(
    db: &DatabaseConnection,
    user: &user::Model,
    input: &Args,
) -> Result<ArtifactRow, ApiError> {
    use crate::auth::access::{project_access, Access};
    let id = input
        .str("artifactID")
        .ok_or_else(|| ApiError::Unprocessable("artifactID is required".into()))?;
    let run_name = input
        .str("runName")
        .ok_or_else(|| ApiError::Unprocessable("runName is required".into()))?;
    let (tx, _turn) = crate::db::write::begin(db).await?;
    let row = load_by_id(&tx, id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("artifact {id:?} not found")))?;
    if row.at.project.deleted_at.is_some()
        || project_access(&tx, Some(user), &row.at.project, &row.at.entity).await? == Access::None
    {
        return Err(ApiError::NotFound(format!("artifact {id:?} not found")));
    }
    let project_name = input
        .str("projectName")
        .unwrap_or(super::wire::DEFAULT_PROJECT);
    let (project, _owner) =
        ops::writable_project(&tx, user, input.str("entityName"), project_name, false).await?;
    let run = runs::find_run(&tx, project.id, run_name)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("run {run_name:?} not found")))?;
    repo::record_usage(&tx, row.art.id, run.id, now_ms()).await?;
    tx.commit().await?;
    Ok(row)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn md5_forms() {
        let b64 = md5_base64("hello artifact\n".repeat(3).as_bytes());
        assert_eq!(b64, "xjl+eyiSpMFXxPLxB++VLw==");
        assert_eq!(
            md5_hex_of_base64(&b64).as_deref(),
            Some("c6397e7b2892a4c157c4f2f107ef952f")
        );
        assert_eq!(md5_base64_of_hex("c6397e7b2892a4c157c4f2f107ef952f"), b64);
        assert_eq!(md5_hex_of_base64("bm90IG1kNQ=="), None);
    }

    #[test]
    fn aliases_are_read_from_objects_or_strings_and_checked() {
        let args = Args(
            serde_json::json!({"aliases": [{"alias": "best", "artifactCollectionName": "ds"}, "latest", "best"]})
                .as_object()
                .unwrap()
                .clone(),
        );
        assert_eq!(alias_names(&args), ["best", "latest"]);
        assert!(check_alias("best").is_ok());
        assert!(check_alias("v3").is_err());
        assert!(check_alias("a/b").is_err());
    }
}
