//! A report to take away: one self-contained HTML file (the site's stylesheet
//! inline, charts as inline SVG, images from run files as data URLs, so it opens
//! offline with no request), or Markdown with its charts as SVG files beside it,
//! zipped.

use async_zip::base::write::ZipFileWriter;
use async_zip::{Compression, ZipEntryBuilder};
use base64::Engine as _;
use sea_orm::DatabaseConnection;

use app::logic::html::escape_text as esc;
use app::logic::report_html::{body_html, to_markdown};
use app::logic::reports::slug;
use app::model::{BlockKind, ProjectRef, ReportRef, ReportView, RunId};

use super::{view, Showing};
use crate::blobs::BlobStore;
use crate::db::entities::user;
use crate::error::ApiError;
use crate::metrics::cache::MetaCache;

/// The site's stylesheet, which holds the report's styles and the print rules.
const STYLESHEET: &str = include_str!("../../../../style/main.css");

/// Largest image put inline into an export.
const MAX_INLINE_IMAGE: usize = 8 << 20;

/// The bytes of an image block's path when it names a file of a run the reader may
/// read (`/{entity}/{project}/runs/{run}/files/{name}`), as a data URL.
async fn inline_image(
    db: &DatabaseConnection,
    blobs: &BlobStore,
    viewer: Option<&user::Model>,
    src: &str,
) -> Option<String> {
    let path = src.split(['?', '#']).next()?;
    // An image uploaded into a report: `/{entity}/{project}/reports/{id}/images/{sha}`.
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    if let [entity, project, "reports", id, "images", sha] = parts.as_slice() {
        let decode = |s: &str| app::logic::url::decode_segment(s);
        let r = ReportRef {
            project: ProjectRef::new(decode(entity)?, decode(project)?),
            id: app::logic::reports::report_id(id)?,
            token: None,
        };
        let (mime, bytes) = super::images::read(db, blobs, viewer, &r, sha).await.ok()?;
        return Some(format!(
            "data:{mime};base64,{}",
            base64::engine::general_purpose::STANDARD.encode(bytes)
        ));
    }
    let parts: Vec<&str> = path.trim_start_matches('/').splitn(6, '/').collect();
    let [entity, project, "runs", run, "files", name] = parts.as_slice() else {
        return None;
    };
    let decode = |s: &str| app::logic::url::decode_segment(s);
    let name = decode(name)?;
    let mime = image_type(&name)?;
    let at = ProjectRef::new(decode(entity)?, decode(project)?);
    let file = crate::service::reads::run_file(db, blobs, viewer, &at, &RunId(decode(run)?), &name)
        .await
        .ok()?;
    if usize::try_from(file.size).map_or(true, |n| n > MAX_INLINE_IMAGE) {
        return None;
    }
    let mut bytes = Vec::new();
    let mut reader = tokio::io::AsyncReadExt::take(file.reader, file.size);
    tokio::io::AsyncReadExt::read_to_end(&mut reader, &mut bytes)
        .await
        .ok()?;
    Some(format!(
        "data:{mime};base64,{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    ))
}

/// The image type a run file's name says it is (only images are put inline).
fn image_type(name: &str) -> Option<&'static str> {
    let ext = name.rsplit_once('.')?.1.to_ascii_lowercase();
    Some(match ext.as_str() {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        _ => return None,
    })
}

/// An image of this very report, read through the link the reader came with.
async fn inline_report_image(
    db: &DatabaseConnection,
    blobs: &BlobStore,
    r: &ReportRef,
    src: &str,
) -> Option<String> {
    let sha = src.split(['?', '#']).next()?.rsplit('/').next()?;
    let (mime, bytes) = super::images::read(db, blobs, None, r, sha).await.ok()?;
    Some(format!(
        "data:{mime};base64,{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    ))
}

async fn readable(
    db: &DatabaseConnection,
    cache: &MetaCache,
    viewer: Option<&user::Model>,
    r: &ReportRef,
) -> Result<ReportView, ApiError> {
    view(db, cache, viewer, r, Showing::Published).await
}

/// The report as one HTML file; its file name and text.
pub async fn html(
    db: &DatabaseConnection,
    cache: &MetaCache,
    blobs: &BlobStore,
    viewer: Option<&user::Model>,
    r: &ReportRef,
) -> Result<(String, String), ApiError> {
    let mut v = readable(db, cache, viewer, r).await?;
    // Images become data URLs (a link reader reads no run files: those stay links;
    // the report's own images come along).
    let reader = if v.via_link { None } else { viewer };
    for b in &mut v.doc.blocks {
        if let BlockKind::Image { src, .. } = &mut b.kind {
            let own = src.contains("/reports/") && src.contains("/images/");
            let data = if own && v.via_link {
                inline_report_image(db, blobs, r, src).await
            } else {
                inline_image(db, blobs, reader, src).await
            };
            if let Some(data) = data {
                *src = data;
            }
        }
    }
    let body = body_html(&v.doc, &v.rendered);
    let note = format!(
        "Exported from Cairn: {}/{} · {}{} · {}",
        v.project.entity,
        v.project.project,
        v.author,
        v.revision
            .map(|n| format!(" · revision {n}"))
            .unwrap_or_default(),
        app::logic::format::timestamp(v.updated_ms)
    );
    let doc = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title><style>{STYLESHEET}</style></head>\
         <body><main class=\"page\"><article class=\"report card\">{body}\
         <p class=\"muted report-byline\">{}</p></article></main></body></html>\n",
        esc(&v.doc.title),
        esc(&note)
    );
    Ok((format!("{}.html", slug(&v.doc.title)), doc))
}

/// The report as Markdown with its charts, zipped; the zip's file name and bytes.
pub async fn markdown_zip(
    db: &DatabaseConnection,
    cache: &MetaCache,
    viewer: Option<&user::Model>,
    r: &ReportRef,
) -> Result<(String, Vec<u8>), ApiError> {
    let v = readable(db, cache, viewer, r).await?;
    let (md, charts) = to_markdown(&v.doc, &v.rendered);
    let name = slug(&v.doc.title);
    let mut files = vec![(format!("{name}/README.md"), md.into_bytes())];
    for (path, svg) in charts {
        let svg = svg.replacen("<svg ", "<svg xmlns=\"http://www.w3.org/2000/svg\" ", 1);
        files.push((format!("{name}/{path}"), svg.into_bytes()));
    }
    let bytes = zip(files)
        .await
        .map_err(|e| ApiError::Internal(format!("could not write the zip: {e}")))?;
    Ok((format!("{name}.zip"), bytes))
}

/// Small files zipped in memory (stored: they are small).
async fn zip(files: Vec<(String, Vec<u8>)>) -> Result<Vec<u8>, async_zip::error::ZipError> {
    let mut out = Vec::new();
    let mut w = ZipFileWriter::with_tokio(&mut out);
    for (name, bytes) in files {
        w.write_entry_whole(
            ZipEntryBuilder::new(name.into(), Compression::Stored),
            &bytes,
        )
        .await?;
    }
    w.close().await?;
    Ok(out)
}
