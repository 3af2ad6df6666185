//! `/api/v1/artifacts/...`: reading a project's artifacts (collections, versions,
//! files, zips, lineage, history) and changing them, over the same service as the
//! Artifacts tab.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;

use app::model::{ArtifactEdit, ProjectRef, VersionRef, VersionSort, VersionsQuery};

use super::extract::{bad_query, ApiJson, Caller, Reader};
use crate::error::ApiError;
use crate::service::artifacts::{self, Door, Focus};
use crate::state::AppState;

type CollectionPath = Path<(String, String, String, String)>;
type VersionPath = Path<(String, String, String, String, String)>;

fn version_ref(
    (entity, project, type_name, collection, version): (String, String, String, String, String),
) -> VersionRef {
    VersionRef {
        project: ProjectRef::new(entity, project),
        type_name,
        collection,
        version,
    }
}

/// The artifact routes, merged into the `/api/v1` router.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/artifacts/{entity}/{project}", get(index))
        .route(
            "/artifacts/{entity}/{project}/{type}/{collection}",
            get(versions),
        )
        .route(
            "/artifacts/{entity}/{project}/{type}/{collection}/history",
            get(history),
        )
        .route(
            "/artifacts/{entity}/{project}/{type}/{collection}/versions/{version}",
            get(version),
        )
        .route(
            "/artifacts/{entity}/{project}/{type}/{collection}/versions/{version}/edit",
            post(edit),
        )
        .route(
            "/artifacts/{entity}/{project}/{type}/{collection}/versions/{version}/files",
            get(files),
        )
        .route(
            "/artifacts/{entity}/{project}/{type}/{collection}/versions/{version}/files/{*path}",
            get(download),
        )
        .route(
            "/artifacts/{entity}/{project}/{type}/{collection}/versions/{version}/zip",
            get(zip),
        )
        .route(
            "/artifacts/{entity}/{project}/{type}/{collection}/versions/{version}/lineage",
            get(lineage),
        )
}

async fn index(
    State(s): State<AppState>,
    Reader(user): Reader,
    Path((e, p)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let at = ProjectRef::new(e, p);
    Ok(Json(artifacts::index(&s.db, user.as_ref(), &at).await?).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VersionsParams {
    sort: Option<String>,
    #[serde(default)]
    desc: Option<bool>,
    #[serde(default)]
    offset: u64,
    limit: Option<u64>,
}

async fn versions(
    State(s): State<AppState>,
    Reader(user): Reader,
    Path((e, p, t, c)): CollectionPath,
    query: Result<Query<VersionsParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = query.map_err(bad_query)?;
    let sort = match q.sort.as_deref() {
        None => VersionSort::Version,
        Some(s) => VersionSort::from_slug(s).ok_or_else(|| {
            ApiError::BadRequest(format!(
                "sort {s:?} is not one of version, created, size, files"
            ))
        })?,
    };
    let query = VersionsQuery {
        collection: c,
        sort,
        descending: q.desc.unwrap_or(true),
        offset: q.offset,
        limit: q.limit.unwrap_or(app::model::VERSIONS_PER_PAGE),
    };
    let at = ProjectRef::new(e, p);
    let page = artifacts::versions_page(&s.db, user.as_ref(), &at, Some(&t), &query).await?;
    Ok(Json(page).into_response())
}

async fn history(
    State(s): State<AppState>,
    Reader(user): Reader,
    Path((e, p, t, c)): CollectionPath,
) -> Result<Response, ApiError> {
    let at = ProjectRef::new(e, p);
    Ok(Json(artifacts::events(&s.db, user.as_ref(), &at, Some(&t), &c).await?).into_response())
}

async fn version(
    State(s): State<AppState>,
    Reader(user): Reader,
    Path(path): VersionPath,
) -> Result<Response, ApiError> {
    let r = version_ref(path);
    Ok(Json(artifacts::version_detail(&s.db, user.as_ref(), &r).await?).into_response())
}

async fn edit(
    State(s): State<AppState>,
    Caller(user): Caller,
    Path(path): VersionPath,
    ApiJson(change): ApiJson<ArtifactEdit>,
) -> Result<Response, ApiError> {
    let r = version_ref(path);
    artifacts::edit(&s.db, &user, &r, change, Door::Api).await?;
    Ok(Json(serde_json::json!({ "ok": true })).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FolderParams {
    #[serde(default)]
    folder: String,
    #[serde(default)]
    offset: u64,
    limit: Option<u64>,
}

async fn files(
    State(s): State<AppState>,
    Reader(user): Reader,
    Path(path): VersionPath,
    query: Result<Query<FolderParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = query.map_err(bad_query)?;
    let r = version_ref(path);
    let limit = q.limit.unwrap_or(app::model::FILES_PER_PAGE);
    let page = artifacts::files_page(&s.db, user.as_ref(), &r, &q.folder, q.offset, limit).await?;
    Ok(Json(page).into_response())
}

async fn download(
    State(s): State<AppState>,
    Reader(user): Reader,
    Path((e, p, t, c, v, file)): Path<(String, String, String, String, String, String)>,
) -> Result<Response, ApiError> {
    let r = version_ref((e, p, t, c, v));
    let read = artifacts::file_bytes(&s.db, &s.blobs, user.as_ref(), &r, &file).await?;
    Ok(crate::headers::streamed_file_response(
        &file,
        read.size,
        read.reader,
    ))
}

async fn zip(
    State(s): State<AppState>,
    Reader(user): Reader,
    Path(path): VersionPath,
    query: Result<Query<FolderParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = query.map_err(bad_query)?;
    let r = version_ref(path);
    let (name, entries) = artifacts::zip_entries(&s.db, user.as_ref(), &r, &q.folder).await?;
    Ok(crate::headers::zip_response(
        &name,
        artifacts::zip::stream(s.blobs.clone(), entries),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DepthParams {
    depth: Option<usize>,
}

async fn lineage(
    State(s): State<AppState>,
    Reader(user): Reader,
    Path(path): VersionPath,
    query: Result<Query<DepthParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = query.map_err(bad_query)?;
    let focus = Focus::Version(version_ref(path));
    let depth = q.depth.unwrap_or(2);
    Ok(Json(artifacts::lineage(&s.db, user.as_ref(), &focus, depth).await?).into_response())
}
