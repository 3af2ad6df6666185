//! What the Artifacts tab and the `/api/v1` artifact routes read.

use std::collections::{BTreeSet, HashMap};

use sea_orm::ConnectionTrait;

use app::logic::artifacts::{self as logic, FileEntry, FolderEntry};
use app::model::{
    ArtifactEvent, ArtifactTypeGroup, ArtifactVersion, ArtifactsIndex, CollectionCard,
    CollectionInfo, DiffLine, FilesPage, ProjectRef, RunId, RunLink, VersionDiff, VersionRef,
    VersionRow, VersionSort, VersionsPage, VersionsQuery, FILES_PER_PAGE,
};

use super::{readable_collection, readable_version, Place, Readable};
use crate::auth::access::Access;
use crate::blobs::BlobStore;
use crate::db::entities::{artifact, artifact_collection, artifact_file, run, user};
use crate::db::repo::artifacts as repo;
use crate::db::repo::{runs, users};
use crate::error::ApiError;
use crate::service::reads::readable_project_rights;

/// Events the action history shows.
const EVENTS_SHOWN: u64 = 500;
/// Files larger than this get no line diff.
const TEXT_DIFF_MAX_BYTES: i64 = 256 * 1024;
/// Changed files diffed line by line, at most.
const TEXT_DIFFS_MAX: usize = 20;

/// The tab's left column: every live collection of the project, by type.
pub async fn index(
    db: &impl ConnectionTrait,
    viewer: Option<&user::Model>,
    at: &ProjectRef,
) -> Result<ArtifactsIndex, ApiError> {
    let (project, _, rights) = readable_project_rights(db, viewer, at).await?;
    let mut types: Vec<ArtifactTypeGroup> = Vec::new();
    for (c, versions, newest) in repo::collections_of(db, project.id).await? {
        let card = CollectionCard {
            name: c.name,
            type_name: c.type_name.clone(),
            versions,
            updated_at: newest.unwrap_or(c.created_at),
        };
        match types.last_mut() {
            Some(t) if t.type_name == c.type_name => t.collections.push(card),
            _ => types.push(ArtifactTypeGroup {
                type_name: c.type_name,
                collections: vec![card],
            }),
        }
    }
    Ok(ArtifactsIndex {
        types,
        can_write: rights.access == Access::Write,
        deleted: super::deleted_collections(db, viewer, at).await?,
    })
}

/// Links to runs by primary key, leaving out runs of projects the viewer may not
/// read (a private project's runs do not show up in another project's lineage).
pub(super) async fn run_links(
    db: &impl ConnectionTrait,
    viewer: Option<&user::Model>,
    pks: &[i32],
) -> Result<HashMap<i32, (RunLink, run::Model)>, ApiError> {
    let mut readable = Readable::new(viewer);
    let mut out = HashMap::new();
    for r in runs::live_by_pks(db, pks).await? {
        if let Some(project) = readable.get(db, r.project_id).await? {
            let link = RunLink {
                project,
                run_id: RunId(r.run_id.clone()),
                name: r.display_name.clone(),
            };
            out.insert(r.id, (link, r));
        }
    }
    Ok(out)
}

/// The numeric top-level summary values of a run, by key.
fn numeric_summary(r: &run::Model) -> Vec<(String, f64)> {
    r.explicit_summary()
        .into_iter()
        .filter_map(|(k, v)| v.as_f64().filter(|x| x.is_finite()).map(|x| (k, x)))
        .collect()
}

/// The table rows of `versions`, in their order.
/// The table rows of `versions`, in their order, with what they were built from:
/// every use of them and the runs (producers and consumers) the viewer may see.
struct Rows {
    rows: Vec<VersionRow>,
    usages: Vec<(i32, i32)>,
    links: HashMap<i32, (RunLink, run::Model)>,
}

async fn rows_of(
    db: &impl ConnectionTrait,
    viewer: Option<&user::Model>,
    versions: &[artifact::Model],
) -> Result<Rows, ApiError> {
    let pks: Vec<i32> = versions.iter().map(|v| v.id).collect();
    let mut aliases = repo::aliases_of_many(db, &pks).await?;
    let usages = repo::usages_of_versions(db, &pks).await?;
    let consumer_pks: Vec<i32> = usages.iter().map(|(_, r)| *r).collect();
    let producer_pks: Vec<i32> = versions.iter().filter_map(|v| v.run_id).collect();
    let all: Vec<i32> = producer_pks.iter().chain(&consumer_pks).copied().collect();
    let links = run_links(db, viewer, &all).await?;
    let mut consumers: HashMap<i32, u64> = HashMap::new();
    for (v, r) in &usages {
        if links.contains_key(r) {
            *consumers.entry(*v).or_default() += 1;
        }
    }
    let rows = versions
        .iter()
        .map(|v| {
            let producer = v.run_id.and_then(|r| links.get(&r));
            VersionRow {
                index: v.version_index,
                aliases: aliases.remove(&v.id).unwrap_or_default(),
                tags: tags_of(v),
                size: v.size,
                file_count: v.file_count,
                created_at: v.created_at,
                created_by: producer.map(|(l, _)| l.clone()),
                consumers: consumers.get(&v.id).copied().unwrap_or(0),
                ttl_seconds: v.ttl_seconds,
                summary: producer
                    .map(|(_, r)| numeric_summary(r))
                    .unwrap_or_default(),
            }
        })
        .collect();
    Ok(Rows {
        rows,
        usages,
        links,
    })
}

/// A version's tags (stored as a JSON list).
pub(super) fn tags_of(v: &artifact::Model) -> Vec<String> {
    crate::db::stored::decode("artifacts", "tags", i64::from(v.id), &v.tags)
}

async fn collection_info(
    db: &impl ConnectionTrait,
    coll: &artifact_collection::Model,
) -> Result<CollectionInfo, ApiError> {
    Ok(CollectionInfo {
        name: coll.name.clone(),
        type_name: coll.type_name.clone(),
        description: coll.description.clone(),
        created_at: coll.created_at,
        versions: repo::live_version_count(db, coll.id).await?,
    })
}

/// A page of a collection's versions table.
pub async fn versions_page(
    db: &impl ConnectionTrait,
    viewer: Option<&user::Model>,
    at: &ProjectRef,
    type_name: Option<&str>,
    q: &VersionsQuery,
) -> Result<VersionsPage, ApiError> {
    let place = readable_collection(db, viewer, at, type_name, &q.collection).await?;
    let order = match q.sort {
        VersionSort::Version => repo::VersionOrder::Index,
        VersionSort::Created => repo::VersionOrder::Created,
        VersionSort::Size => repo::VersionOrder::Size,
        VersionSort::Files => repo::VersionOrder::Files,
    };
    let limit = q.limit.clamp(1, 500);
    let versions =
        repo::versions_page(db, place.coll.id, order, q.descending, q.offset, limit).await?;
    let rows = rows_of(db, viewer, &versions).await?.rows;
    let summary_keys: BTreeSet<String> = rows
        .iter()
        .flat_map(|r| r.summary.iter().map(|(k, _)| k.clone()))
        .collect();
    let collection = collection_info(db, &place.coll).await?;
    Ok(VersionsPage {
        total: collection.versions,
        collection,
        rows,
        offset: q.offset,
        summary_keys: summary_keys.into_iter().collect(),
        can_write: place.rights.access == Access::Write,
    })
}

/// Everything a version's Overview, Metadata and Usage tabs show.
pub async fn version_detail(
    db: &impl ConnectionTrait,
    viewer: Option<&user::Model>,
    r: &VersionRef,
) -> Result<ArtifactVersion, ApiError> {
    let (place, v) = readable_version(db, viewer, r).await?;
    let Rows {
        mut rows,
        usages,
        links,
    } = rows_of(db, viewer, std::slice::from_ref(&v)).await?;
    let row = rows
        .pop()
        .ok_or_else(|| ApiError::Internal("a version's row went missing".into()))?;
    let mut consumers: Vec<RunLink> = usages
        .iter()
        .filter_map(|(_, pk)| links.get(pk).map(|(l, _)| l.clone()))
        .collect();
    consumers.sort_by(|a, b| (&a.project.project, &a.name).cmp(&(&b.project.project, &b.name)));
    let run_config = v
        .run_id
        .and_then(|pk| links.get(&pk))
        .map(|(_, r)| serde_json::Value::Object(r.config_map()).to_string());
    let other_versions = repo::version_indexes(db, place.coll.id)
        .await?
        .into_iter()
        .filter(|i| *i != v.version_index)
        .collect();
    Ok(ArtifactVersion {
        project: place.at(),
        collection: collection_info(db, &place.coll).await?,
        row,
        digest: v.digest.clone(),
        state: v.state.clone(),
        description: v.description.clone(),
        metadata: v.metadata.clone(),
        run_config,
        consumers,
        expires_at: logic::expires_at(v.created_at, v.ttl_seconds),
        ttl_allowed: logic::ttl_allowed(&place.coll.type_name),
        other_versions,
        can_write: place.rights.access == Access::Write,
    })
}

fn entry_of(f: &artifact_file::Model) -> FileEntry {
    FileEntry {
        path: f.path.clone(),
        size: f.size.unwrap_or(0),
        digest: f.md5.clone(),
    }
}

/// A folder must be `""` or end in `/`, without empty or dot segments.
fn check_prefix(prefix: &str) -> Result<(), ApiError> {
    let ok = prefix.is_empty()
        || prefix.strip_suffix('/').is_some_and(|stem| {
            stem.split('/')
                .all(|s| !s.is_empty() && s != "." && s != "..")
        });
    if ok {
        Ok(())
    } else {
        Err(ApiError::BadRequest(format!(
            "folder {prefix:?} is not a folder path (like \"images/\")"
        )))
    }
}

/// One page of one folder of a version's files: its folders (with totals), then its
/// files. Both come from what the commit stored (the folder rows and each file's
/// folder), so the page costs the same for 10 files or 100,000.
pub async fn files_page(
    db: &impl ConnectionTrait,
    viewer: Option<&user::Model>,
    r: &VersionRef,
    prefix: &str,
    offset: u64,
    limit: u64,
) -> Result<FilesPage, ApiError> {
    check_prefix(prefix)?;
    let (place, v) = readable_version(db, viewer, r).await?;
    let limit = limit.clamp(1, 5 * FILES_PER_PAGE);
    let Some(here) = repo::folder(db, v.id, prefix).await? else {
        if prefix.is_empty() {
            // Nothing stored (a version committed by a build without folder rows and
            // missed by the migration): list it from its files.
            return listed_in_memory(db, &v, prefix, offset, limit).await;
        }
        return Err(ApiError::NotFound(format!(
            "folder {prefix:?} not found in {}:v{}",
            place.coll.name, v.version_index
        )));
    };
    let subfolders = repo::subfolders(db, v.id, prefix).await?;
    let direct = here.direct_files.max(0) as u64;
    let folder_count = subfolders.len() as u64;
    let folders: Vec<FolderEntry> = subfolders
        .into_iter()
        .skip(offset as usize)
        .take(limit as usize)
        .map(|d| FolderEntry {
            name: d.name,
            files: d.files.max(0) as u64,
            size: d.size,
        })
        .collect();
    let room = limit - folders.len() as u64;
    let files = if room > 0 && direct > 0 {
        let file_offset = offset.saturating_sub(folder_count);
        repo::files_in_dir(db, v.id, prefix, file_offset, room)
            .await?
            .iter()
            .map(entry_of)
            .collect()
    } else {
        Vec::new()
    };
    Ok(FilesPage {
        prefix: prefix.to_owned(),
        folders,
        files,
        total: folder_count + direct,
        offset,
    })
}

/// A folder page computed from all of a version's files.
async fn listed_in_memory(
    db: &impl ConnectionTrait,
    v: &artifact::Model,
    prefix: &str,
    offset: u64,
    limit: u64,
) -> Result<FilesPage, ApiError> {
    let mut all: Vec<FileEntry> = repo::files_of(db, v.id)
        .await?
        .iter()
        .map(entry_of)
        .collect();
    all.sort_unstable_by(|a, b| a.path.cmp(&b.path));
    let (folders, files) = logic::folder_listing(&all, prefix);
    let total = (folders.len() + files.len()) as u64;
    let skip = offset as usize;
    let folders_here: Vec<_> = folders
        .into_iter()
        .skip(skip)
        .take(limit as usize)
        .collect();
    let file_skip = skip.saturating_sub(total as usize - files.len());
    let files_here: Vec<_> = files
        .into_iter()
        .skip(file_skip)
        .take(limit as usize - folders_here.len())
        .collect();
    Ok(FilesPage {
        prefix: prefix.to_owned(),
        folders: folders_here,
        files: files_here,
        total,
        offset,
    })
}

/// The bytes of one file of a version.
pub async fn file_bytes(
    db: &impl ConnectionTrait,
    blobs: &BlobStore,
    viewer: Option<&user::Model>,
    r: &VersionRef,
    path: &str,
) -> Result<crate::blobs::BlobRead, ApiError> {
    let (place, v) = readable_version(db, viewer, r).await?;
    let file = repo::file(db, v.id, path)
        .await?
        .and_then(|f| f.sha256)
        .ok_or_else(|| {
            ApiError::NotFound(format!(
                "file {path:?} not found in {}:v{}",
                place.coll.name, v.version_index
            ))
        })?;
    blobs
        .open_read(&file)
        .await
        .map_err(|e| ApiError::Internal(format!("stored file {file} is unreadable: {e}")))
}

/// What a zip of a folder (or, for `""`, the whole version) holds: the zip's file
/// name and `(path inside the zip, blob address)` of every file.
pub async fn zip_entries(
    db: &impl ConnectionTrait,
    viewer: Option<&user::Model>,
    r: &VersionRef,
    prefix: &str,
) -> Result<(String, Vec<(String, String)>), ApiError> {
    check_prefix(prefix)?;
    let (place, v) = readable_version(db, viewer, r).await?;
    let files: Vec<_> = repo::files_of(db, v.id)
        .await?
        .into_iter()
        .filter(|f| f.path.starts_with(prefix))
        .collect();
    if files.is_empty() && !prefix.is_empty() {
        return Err(ApiError::NotFound(format!(
            "folder {prefix:?} not found in {}:v{}",
            place.coll.name, v.version_index
        )));
    }
    let entries = files
        .into_iter()
        .filter_map(|f| {
            let inside = f.path.strip_prefix(prefix)?.to_owned();
            Some((inside, f.sha256?))
        })
        .collect();
    let mut name = format!("{}-v{}", place.coll.name, v.version_index);
    if let Some(folder) = prefix.trim_end_matches('/').rsplit('/').next() {
        if !folder.is_empty() {
            name = format!("{name}-{folder}");
        }
    }
    Ok((format!("{name}.zip"), entries))
}

/// The collection's action history, newest first.
pub async fn events(
    db: &impl ConnectionTrait,
    viewer: Option<&user::Model>,
    at: &ProjectRef,
    type_name: Option<&str>,
    collection: &str,
) -> Result<Vec<ArtifactEvent>, ApiError> {
    let place: Place = readable_collection(db, viewer, at, type_name, collection).await?;
    let rows = repo::events_of(db, place.coll.id, EVENTS_SHOWN).await?;
    let ids: Vec<i32> = rows.iter().filter_map(|e| e.user_id).collect();
    let names = users::usernames(db, &ids).await?;
    Ok(rows
        .into_iter()
        .map(|e| ArtifactEvent {
            at: e.at,
            action: e.action,
            detail: e.detail,
            version_index: e.version_index,
            user: e.user_id.and_then(|u| names.get(&u).cloned()),
            via: e.via,
        })
        .collect())
}

/// Whether a file's bytes look like text worth a line diff.
fn is_text(bytes: &[u8]) -> bool {
    std::str::from_utf8(bytes).is_ok() && !bytes.contains(&0)
}

/// Compare version `r` with version `other` (`vN` or an alias) of the same
/// collection: files added, removed and changed by digest, with line diffs of small
/// changed text files.
pub async fn diff(
    db: &impl ConnectionTrait,
    blobs: &BlobStore,
    viewer: Option<&user::Model>,
    r: &VersionRef,
    other: &str,
) -> Result<VersionDiff, ApiError> {
    let (place, to) = readable_version(db, viewer, r).await?;
    let from = super::version_named(db, &place, other).await?;
    let old_files = repo::files_of(db, from.id).await?;
    let new_files = repo::files_of(db, to.id).await?;
    let old: Vec<FileEntry> = old_files.iter().map(entry_of).collect();
    let new: Vec<FileEntry> = new_files.iter().map(entry_of).collect();
    let d = logic::diff(&old, &new);
    let old_sha: HashMap<&str, &str> = old_files
        .iter()
        .filter_map(|f| Some((f.path.as_str(), f.sha256.as_deref()?)))
        .collect();
    let new_sha: HashMap<&str, &str> = new_files
        .iter()
        .filter_map(|f| Some((f.path.as_str(), f.sha256.as_deref()?)))
        .collect();
    let mut text = Vec::new();
    for (a, b) in d.changed.iter().take(TEXT_DIFFS_MAX) {
        if a.size > TEXT_DIFF_MAX_BYTES || b.size > TEXT_DIFF_MAX_BYTES {
            continue;
        }
        let (Some(sa), Some(sb)) = (old_sha.get(a.path.as_str()), new_sha.get(b.path.as_str()))
        else {
            continue;
        };
        let (Ok(ba), Ok(bb)) = (blobs.get(sa).await, blobs.get(sb).await) else {
            continue;
        };
        if !is_text(&ba) || !is_text(&bb) {
            continue;
        }
        let (ta, tb) = (String::from_utf8_lossy(&ba), String::from_utf8_lossy(&bb));
        text.push((b.path.clone(), line_diff(&ta, &tb)));
    }
    Ok(VersionDiff {
        from: from.version_index,
        to: to.version_index,
        added: d.added,
        removed: d.removed,
        changed: d.changed,
        unchanged: d.unchanged,
        text,
    })
}

/// A line diff (the `similar` crate's Myers diff).
fn line_diff(old: &str, new: &str) -> Vec<DiffLine> {
    use similar::{ChangeTag, TextDiff};
    TextDiff::from_lines(old, new)
        .iter_all_changes()
        .map(|c| {
            let line = c.value().trim_end_matches('\n').to_owned();
            match c.tag() {
                ChangeTag::Equal => DiffLine::Same(line),
                ChangeTag::Insert => DiffLine::Added(line),
                ChangeTag::Delete => DiffLine::Removed(line),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_are_checked() {
        for ok in ["", "a/", "a/b/"] {
            assert!(check_prefix(ok).is_ok(), "{ok}");
        }
        for bad in ["a", "/", "a//", "../", "a/./"] {
            assert!(check_prefix(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn line_diff_marks_lines() {
        let d = line_diff("a\nb\nc\n", "a\nx\nc\n");
        assert_eq!(
            d,
            vec![
                DiffLine::Same("a".into()),
                DiffLine::Removed("b".into()),
                DiffLine::Added("x".into()),
                DiffLine::Same("c".into()),
            ]
        );
    }
}
