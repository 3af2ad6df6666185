//! Images uploaded into a report: stored in the blob store (a row per report and
//! blob keeps the bytes from the clean-up), read with the report's own access (a
//! view-only link shows them too).

use base64::Engine as _;
use sea_orm::ConnectionTrait;

use app::model::ReportRef;

use super::open;
use crate::blobs::BlobStore;
use crate::db::entities::user;
use crate::db::now_ms;
use crate::db::repo::reports as repo;
use crate::error::ApiError;

/// Largest image a report takes (what fits a server function's body as base64).
pub const MAX_IMAGE_BYTES: usize = 1_400_000;

/// The image types a report shows, by the bytes they start with.
fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some("image/gif")
    } else if bytes.len() > 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

/// The path an uploaded image is read from.
pub fn image_path(r: &ReportRef, sha256: &str) -> String {
    format!("{}/reports/{}/images/{sha256}", r.project.href(), r.id)
}

/// Store an image (a `data:` URL, as the browser reads a file) for the report's
/// editors; its path on this server.
pub async fn upload(
    db: &impl ConnectionTrait,
    blobs: &BlobStore,
    viewer: &user::Model,
    r: &ReportRef,
    data_url: &str,
) -> Result<String, ApiError> {
    let r = &ReportRef {
        token: None,
        ..r.clone()
    };
    let o = open(db, Some(viewer), r).await?;
    o.require_write()?;
    let b64 = data_url
        .split_once(";base64,")
        .map(|(_, b)| b)
        .ok_or_else(|| ApiError::BadRequest("send the image as a base64 data: URL".into()))?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .map_err(|e| ApiError::BadRequest(format!("the image is not valid base64: {e}")))?;
    if bytes.len() > MAX_IMAGE_BYTES {
        return Err(ApiError::PayloadTooLarge(format!(
            "the image has {} bytes; a report takes images up to {} KB",
            bytes.len(),
            MAX_IMAGE_BYTES / 1000
        )));
    }
    let content_type = sniff(&bytes).ok_or_else(|| {
        ApiError::BadRequest("only PNG, JPEG, GIF and WebP images can be put in a report".into())
    })?;
    let stored = blobs
        .put(&bytes)
        .await
        .map_err(|e| ApiError::Internal(format!("the blob store failed: {e}")))?;
    repo::insert_image(
        db,
        o.row.id,
        &stored.sha256,
        content_type,
        bytes.len() as i64,
        viewer.id,
        now_ms(),
    )
    .await?;
    Ok(image_path(r, &stored.sha256))
}

/// An image of the report, for whoever may read it: its type and bytes.
pub async fn read(
    db: &impl ConnectionTrait,
    blobs: &BlobStore,
    viewer: Option<&user::Model>,
    r: &ReportRef,
    sha256: &str,
) -> Result<(String, Vec<u8>), ApiError> {
    let o = open(db, viewer, r).await?;
    let content_type = repo::image_type(db, o.row.id, sha256)
        .await?
        .ok_or_else(|| ApiError::NotFound("no such image in this report".into()))?;
    let bytes = blobs
        .get(sha256)
        .await
        .map_err(|_| ApiError::NotFound("the image's bytes are gone".into()))?;
    Ok((content_type, bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_image_bytes_pass() {
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\nrest"), Some("image/png"));
        assert_eq!(sniff(b"GIF89a..."), Some("image/gif"));
        assert_eq!(sniff(b"<svg onload=alert(1)>"), None);
        assert_eq!(sniff(b"<html>"), None);
    }
}
