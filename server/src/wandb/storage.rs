//! Signed storage URLs. The wandb client uploads and downloads files with plain
//! `PUT`/`GET` requests that carry no credentials, so each URL carries its own: an
//! expiry time and an HMAC-SHA256 over the method, the one file it names and that
//! expiry. A signature opens exactly one file for one method until it expires.

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use hmac::{Hmac, Mac};
use http_body_util::BodyExt;
use sea_orm::{ConnectionTrait, DatabaseConnection, Set};
use serde::Deserialize;
use sha2::Sha256;

use super::WandbState;
use crate::blobs::StoredBlob;
use crate::db::entities::{artifact, run};
use crate::db::now_ms;
use crate::db::repo::{artifacts, files, runs, server_secrets};
use crate::error::ApiError;

/// How long a handed-out URL stays valid.
pub const URL_TTL_SECS: i64 = 24 * 3600;

const KEY_NAME: &str = "storage_signing_key";

/// What a URL may open.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    /// A run file: `run-files/{run pk}/{name}`.
    RunFile,
    /// A file of an artifact version: `artifact-files/{artifact pk}/{path}`.
    ArtifactFile,
    /// An artifact version's manifest: `manifests/{artifact pk}/wandb_manifest.json`.
    Manifest,
}

impl Kind {
    fn segment(self) -> &'static str {
        match self {
            Kind::RunFile => "run-files",
            Kind::ArtifactFile => "artifact-files",
            Kind::Manifest => "manifests",
        }
    }
}

/// Signs and checks storage URLs with the server's own key.
#[derive(Clone)]
pub struct Signer {
    key: Vec<u8>,
}

impl Signer {
    pub fn new(key: Vec<u8>) -> Signer {
        Signer { key }
    }

    /// The server's signing key, made on first use and kept in the database so URLs
    /// stay valid across restarts and across servers sharing one database.
    pub async fn load(db: &DatabaseConnection) -> Result<Signer, ApiError> {
        let key = server_secrets::get_or_create(db, KEY_NAME, || {
            use rand::Rng;
            let mut rng = rand::rngs::OsRng;
            (0..64)
                .map(|_| char::from_digit(rng.gen_range(0..16), 16).unwrap_or('0'))
                .collect()
        })
        .await?;
        Ok(Signer::new(key.into_bytes()))
    }

    /// The MAC state over what a URL grants: method, kind, key, file, expiry, and the
    /// user it was issued to (whose access is checked again when it is used).
    fn mac(&self, g: &Grant, exp: i64) -> Hmac<Sha256> {
        // HMAC accepts keys of any length, so this cannot fail.
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).unwrap_or_else(|_| unreachable!());
        mac.update(
            format!(
                "{}\n{}\n{}\n{}\n{exp}\n{}",
                g.method,
                g.kind.segment(),
                g.id,
                g.name,
                g.uid
            )
            .as_bytes(),
        );
        mac
    }

    fn signature(&self, g: &Grant, exp: i64) -> String {
        hex::encode(self.mac(g, exp).finalize().into_bytes())
    }

    /// A URL under `base` (e.g. `http://host:port`) that opens what `g` names until
    /// `URL_TTL_SECS` from now.
    pub fn url(&self, base: &str, g: &Grant) -> String {
        self.url_until(base, g, now_ms() / 1000 + URL_TTL_SECS)
    }

    /// Like [`Signer::url`], valid until `exp` (Unix seconds); tests make expired ones.
    pub fn url_until(&self, base: &str, g: &Grant, exp: i64) -> String {
        let sig = self.signature(g, exp);
        format!(
            "{base}/storage/{}/{}/{}?exp={exp}&uid={}&sig={sig}",
            g.kind.segment(),
            g.id,
            encode_path(g.name),
            g.uid
        )
    }

    /// Whether `sig` signs this request and has not expired.
    pub fn check(&self, g: &Grant, exp: i64, sig: &str) -> Result<(), ApiError> {
        if exp < now_ms() / 1000 {
            return Err(ApiError::Forbidden("this storage URL has expired".into()));
        }
        // The MAC's own verifier compares in constant time.
        let given = hex::decode(sig).unwrap_or_default();
        self.mac(g, exp)
            .verify_slice(&given)
            .map_err(|_| ApiError::Forbidden("the storage URL's signature is not valid".into()))
    }
}

/// Percent-encode a file path for a URL, keeping `/` between its parts.
pub fn encode_path(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// What one storage URL opens: one file of one object for one method, for one user.
#[derive(Debug, Clone, Copy)]
pub struct Grant<'a> {
    pub method: &'a str,
    pub kind: Kind,
    pub id: i32,
    pub name: &'a str,
    pub uid: i32,
}

#[derive(Deserialize)]
pub struct Signed {
    exp: i64,
    sig: String,
    uid: i32,
}

impl Signed {
    /// Check the signature, then that the user it was issued to may still do this to
    /// the project (`Write` for uploads, `Read` for downloads) and that the project
    /// was not deleted meanwhile. A signature outlives neither.
    async fn check(
        &self,
        state: &WandbState,
        method: &str,
        kind: Kind,
        id: i32,
        name: &str,
        project_id: impl std::future::Future<Output = Result<i32, ApiError>>,
    ) -> Result<(), ApiError> {
        let grant = Grant {
            method,
            kind,
            id,
            name,
            uid: self.uid,
        };
        state.signer.check(&grant, self.exp, &self.sig)?;
        let gone = || ApiError::NotFound("the project of this file does not exist".into());
        let db = &state.app.db;
        let project = crate::db::repo::projects::project_by_id(db, project_id.await?)
            .await?
            .filter(|p| p.deleted_at.is_none())
            .ok_or_else(gone)?;
        let owner = crate::db::repo::projects::find_entity_by_id(db, project.entity_id)
            .await?
            .ok_or_else(gone)?;
        let user = crate::db::repo::users::find_by_id(db, self.uid).await?;
        let access =
            crate::auth::access::project_access(db, user.as_ref(), &project, &owner).await?;
        let need = if method == "PUT" {
            crate::auth::access::Access::Write
        } else {
            crate::auth::access::Access::Read
        };
        if user.is_none() || access < need {
            return Err(ApiError::Forbidden(
                "the user this URL was issued to may no longer open this file".into(),
            ));
        }
        Ok(())
    }
}

/// The project a run belongs to (deleted runs included: `live_run` refuses those).
async fn project_of_run(db: &impl ConnectionTrait, run_pk: i32) -> Result<i32, ApiError> {
    Ok(live_run(db, run_pk).await?.project_id)
}

/// The project an artifact version belongs to.
async fn project_of_artifact(db: &impl ConnectionTrait, artifact_pk: i32) -> Result<i32, ApiError> {
    let missing = || ApiError::NotFound("the artifact does not exist".into());
    let art = artifacts::version(db, artifact_pk)
        .await?
        .ok_or_else(missing)?;
    Ok(artifacts::collection(db, art.collection_id)
        .await?
        .ok_or_else(missing)?
        .project_id)
}

/// Largest manifest; manifests are read whole to check them.
const MAX_MANIFEST_BYTES: usize = 256 << 20;

/// A stored file as a download named `name`, streamed from the blob store.
/// The blob's bytes: streamed through the server, or (with `--blob-presign`) a
/// temporary redirect to a presigned URL of the object store, so the bytes go from the
/// store to the client directly. The access check has been made by then.
async fn blob_download(state: &WandbState, name: &str, sha256: &str) -> Result<Response, ApiError> {
    if let Some(url) = state.app.blobs.direct_download_url(sha256).await {
        return Ok((
            StatusCode::TEMPORARY_REDIRECT,
            [(axum::http::header::LOCATION, url)],
        )
            .into_response());
    }
    let read = state
        .app
        .blobs
        .open_read(sha256)
        .await
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => {
                ApiError::NotFound("the file's bytes are missing".into())
            }
            _ => ApiError::Internal(format!("could not read a stored file: {e}")),
        })?;
    Ok(crate::headers::streamed_file_response(
        name,
        read.size,
        read.reader,
    ))
}

fn io_error(e: std::io::Error) -> ApiError {
    ApiError::Internal(format!("could not store the upload: {e}"))
}

/// Stream a request body into the blob store.
async fn store_body(state: &WandbState, body: Body) -> Result<StoredBlob, ApiError> {
    let limit = state.app.config.max_upload_bytes;
    let mut writer = state.app.blobs.writer().await.map_err(io_error)?;
    let mut body = body;
    while let Some(frame) = body.frame().await {
        let frame = match frame {
            Ok(f) => f,
            Err(e) => {
                writer.abort().await;
                return Err(ApiError::BadRequest(format!("the upload broke off: {e}")));
            }
        };
        if let Some(data) = frame.data_ref() {
            if writer.size() + data.len() as u64 > limit {
                writer.abort().await;
                return Err(ApiError::PayloadTooLarge(format!(
                    "uploads are limited to {limit} bytes (CAIRN_MAX_UPLOAD_BYTES)"
                )));
            }
            if let Err(e) = writer.write(data).await {
                writer.abort().await;
                return Err(io_error(e));
            }
        }
    }
    writer.finish().await.map_err(io_error)
}

async fn live_run(db: &impl ConnectionTrait, run_pk: i32) -> Result<run::Model, ApiError> {
    runs::find_live_by_pk(db, run_pk)
        .await?
        .ok_or_else(|| ApiError::NotFound("the run of this file does not exist".into()))
}

pub async fn put_run_file(
    State(state): State<WandbState>,
    Path((run_pk, name)): Path<(i32, String)>,
    Query(s): Query<Signed>,
    body: Body,
) -> Result<Response, ApiError> {
    s.check(
        &state,
        "PUT",
        Kind::RunFile,
        run_pk,
        &name,
        project_of_run(&state.app.db, run_pk),
    )
    .await?;
    crate::service::ops::check_file_name(&name)?;
    live_run(&state.app.db, run_pk).await?;
    let stored = store_body(&state, body).await?;
    let run = crate::service::ops::RunOfFile::Signed { run_pk };
    crate::service::ops::record_run_file(&state.app.db, run, &name, &stored).await?;
    Ok(StatusCode::OK.into_response())
}

pub async fn get_run_file(
    State(state): State<WandbState>,
    Path((run_pk, name)): Path<(i32, String)>,
    Query(s): Query<Signed>,
) -> Result<Response, ApiError> {
    s.check(
        &state,
        "GET",
        Kind::RunFile,
        run_pk,
        &name,
        project_of_run(&state.app.db, run_pk),
    )
    .await?;
    let run = live_run(&state.app.db, run_pk).await?;
    let file = files::find(&state.app.db, run.id, &name)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("run file {name:?} was never uploaded")))?;
    blob_download(&state, &name, &file.sha256).await
}

/// A version that may still take files: it exists and is not committed.
async fn pending_artifact(
    db: &impl ConnectionTrait,
    artifact_pk: i32,
) -> Result<artifact::Model, ApiError> {
    let art = artifacts::version(db, artifact_pk)
        .await?
        .ok_or_else(|| ApiError::NotFound("the artifact does not exist".into()))?;
    if art.state != artifacts::PENDING {
        return Err(ApiError::Conflict(
            "the artifact version is committed; its files cannot change".into(),
        ));
    }
    Ok(art)
}

pub async fn put_artifact_file(
    State(state): State<WandbState>,
    Path((artifact_pk, path)): Path<(i32, String)>,
    Query(s): Query<Signed>,
    body: Body,
) -> Result<Response, ApiError> {
    s.check(
        &state,
        "PUT",
        Kind::ArtifactFile,
        artifact_pk,
        &path,
        project_of_artifact(&state.app.db, artifact_pk),
    )
    .await?;
    pending_artifact(&state.app.db, artifact_pk).await?;
    let stored = store_body(&state, body).await?;
    let md5_b64 = super::artifacts::md5_base64_of_hex(&stored.md5);
    let (tx, _turn) = crate::db::write::begin(&state.app.db).await?;
    pending_artifact(&tx, artifact_pk).await?;
    // Only the row still announcing these bytes' MD5 takes them: a file re-registered
    // with other content meanwhile is not pointed at the wrong bytes.
    let attached = artifacts::attach_upload(
        &tx,
        artifact_pk,
        &path,
        &md5_b64,
        &stored.sha256,
        stored.size as i64,
    )
    .await?;
    if !attached {
        let announced = artifacts::file(&tx, artifact_pk, &path).await?;
        return Err(match announced {
            None => ApiError::NotFound(format!("artifact file {path:?} does not exist")),
            Some(f) => ApiError::BadRequest(format!(
                "the uploaded bytes have MD5 {md5_b64}, but the artifact announced {} for {path:?}",
                f.md5
            )),
        });
    }
    tx.commit().await?;
    Ok(StatusCode::OK.into_response())
}

pub async fn get_artifact_file(
    State(state): State<WandbState>,
    Path((artifact_pk, path)): Path<(i32, String)>,
    Query(s): Query<Signed>,
) -> Result<Response, ApiError> {
    s.check(
        &state,
        "GET",
        Kind::ArtifactFile,
        artifact_pk,
        &path,
        project_of_artifact(&state.app.db, artifact_pk),
    )
    .await?;
    let row = artifacts::file(&state.app.db, artifact_pk, &path)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("artifact file {path:?} does not exist")))?;
    let sha = row
        .sha256
        .ok_or_else(|| ApiError::NotFound(format!("{path:?} was never uploaded")))?;
    blob_download(&state, &path, &sha).await
}

/// The manifest's one file name.
pub const MANIFEST_NAME: &str = "wandb_manifest.json";

pub async fn put_manifest(
    State(state): State<WandbState>,
    Path((artifact_pk, name)): Path<(i32, String)>,
    Query(s): Query<Signed>,
    body: Body,
) -> Result<Response, ApiError> {
    s.check(
        &state,
        "PUT",
        Kind::Manifest,
        artifact_pk,
        &name,
        project_of_artifact(&state.app.db, artifact_pk),
    )
    .await?;
    pending_artifact(&state.app.db, artifact_pk).await?;
    let bytes = axum::body::to_bytes(body, MAX_MANIFEST_BYTES)
        .await
        .map_err(|e| ApiError::PayloadTooLarge(format!("the manifest could not be read: {e}")))?;
    let manifest: serde_json::Value = serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::BadRequest(format!("the manifest is not JSON: {e}")))?;
    if !manifest.get("contents").is_some_and(|c| c.is_object()) {
        return Err(ApiError::BadRequest(
            "the manifest has no \"contents\" object".into(),
        ));
    }
    let stored = state.app.blobs.put(&bytes).await.map_err(io_error)?;
    let (tx, _turn) = crate::db::write::begin(&state.app.db).await?;
    let art = pending_artifact(&tx, artifact_pk).await?;
    let mut active: artifact::ActiveModel = art.into();
    active.manifest_sha256 = Set(Some(stored.sha256));
    active.updated_at = Set(now_ms());
    artifacts::update_version(&tx, active).await?;
    tx.commit().await?;
    Ok(StatusCode::OK.into_response())
}

pub async fn get_manifest(
    State(state): State<WandbState>,
    Path((artifact_pk, name)): Path<(i32, String)>,
    Query(s): Query<Signed>,
) -> Result<Response, ApiError> {
    s.check(
        &state,
        "GET",
        Kind::Manifest,
        artifact_pk,
        &name,
        project_of_artifact(&state.app.db, artifact_pk),
    )
    .await?;
    let art = artifacts::version(&state.app.db, artifact_pk)
        .await?
        .ok_or_else(|| ApiError::NotFound("the artifact does not exist".into()))?;
    let sha = art
        .manifest_sha256
        .ok_or_else(|| ApiError::NotFound("the manifest was never uploaded".into()))?;
    blob_download(&state, MANIFEST_NAME, &sha).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(url: &str) -> (i64, String) {
        let query = url.split_once('?').unwrap().1;
        let mut exp = 0;
        let mut sig = String::new();
        for kv in query.split('&') {
            match kv.split_once('=').unwrap() {
                ("exp", v) => exp = v.parse().unwrap(),
                ("sig", v) => sig = v.to_owned(),
                _ => {}
            }
        }
        (exp, sig)
    }

    fn grant(
        method: &'static str,
        kind: Kind,
        id: i32,
        name: &'static str,
        uid: i32,
    ) -> Grant<'static> {
        Grant {
            method,
            kind,
            id,
            name,
            uid,
        }
    }

    #[test]
    fn a_signature_opens_one_file_for_one_method_and_user() {
        let signer = Signer::new(b"k".to_vec());
        let g = grant("PUT", Kind::RunFile, 3, "media/a b.png", 7);
        let url = signer.url("http://h", &g);
        assert!(url.starts_with("http://h/storage/run-files/3/media/a%20b.png?exp="));
        assert!(url.contains("&uid=7&"));
        let (exp, sig) = parts(&url);
        assert!(signer.check(&g, exp, &sig).is_ok());
        // Another method, file, run, kind, user, expiry or key: refused.
        for other in [
            grant("GET", Kind::RunFile, 3, "media/a b.png", 7),
            grant("PUT", Kind::RunFile, 3, "media/b.png", 7),
            grant("PUT", Kind::RunFile, 4, "media/a b.png", 7),
            grant("PUT", Kind::ArtifactFile, 3, "media/a b.png", 7),
            grant("PUT", Kind::RunFile, 3, "media/a b.png", 8),
        ] {
            assert!(signer.check(&other, exp, &sig).is_err(), "{other:?}");
        }
        assert!(signer.check(&g, exp + 1, &sig).is_err());
        assert!(Signer::new(b"other".to_vec()).check(&g, exp, &sig).is_err());
        assert!(signer.check(&g, exp, "zz").is_err());
    }

    #[test]
    fn expired_urls_are_refused() {
        let signer = Signer::new(b"k".to_vec());
        let past = now_ms() / 1000 - 10;
        let g = grant("GET", Kind::Manifest, 1, MANIFEST_NAME, 1);
        let sig = signer.signature(&g, past);
        let err = signer.check(&g, past, &sig).unwrap_err();
        assert!(err.to_string().contains("expired"));
    }
}
