//! The Files tab's preview of one file: text, pretty JSON, the first rows of a
//! CSV/TSV or a wandb `*.table.json` as a table, or an image. Only the start of a
//! large file is read.

use sea_orm::ConnectionTrait;
use serde_json::Value;
use tokio::io::AsyncReadExt as _;

use app::model::{FilePreview, VersionRef};

use super::readable_version;
use crate::blobs::BlobStore;
use crate::db::entities::user;
use crate::db::repo::artifacts as repo;
use crate::error::ApiError;

/// Bytes of a file read for a preview, at most.
const HEAD_BYTES: u64 = 4 << 20;
/// Characters of text shown.
const TEXT_CHARS: usize = 100_000;
/// Table rows shown.
const TABLE_ROWS: usize = 200;

fn extension(path: &str) -> String {
    let base = path.rsplit('/').next().unwrap_or(path);
    base.rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default()
}

/// The preview of file `path` of version `r`.
pub async fn preview(
    db: &impl ConnectionTrait,
    blobs: &BlobStore,
    viewer: Option<&user::Model>,
    r: &VersionRef,
    path: &str,
) -> Result<FilePreview, ApiError> {
    let (place, v) = readable_version(db, viewer, r).await?;
    let not_found = || {
        ApiError::NotFound(format!(
            "file {path:?} not found in {}:v{}",
            place.coll.name, v.version_index
        ))
    };
    let file = repo::file(db, v.id, path).await?.ok_or_else(not_found)?;
    let sha = file.sha256.ok_or_else(not_found)?;
    let ext = extension(path);
    if matches!(ext.as_str(), "png" | "jpg" | "jpeg" | "gif" | "webp") {
        return Ok(FilePreview::Image);
    }
    let mut head = Vec::new();
    blobs
        .reader(&sha)
        .await
        .map_err(|e| ApiError::Internal(format!("stored file {sha} is unreadable: {e}")))?
        .take(HEAD_BYTES)
        .read_to_end(&mut head)
        .await
        .map_err(|e| ApiError::Internal(format!("stored file {sha} is unreadable: {e}")))?;
    let whole = (head.len() as u64) < HEAD_BYTES;
    Ok(preview_of(path, &ext, &head, whole))
}

/// The preview of the first bytes of a file (`whole`: they are all of it).
fn preview_of(path: &str, ext: &str, head: &[u8], whole: bool) -> FilePreview {
    let text = match std::str::from_utf8(head) {
        Ok(t) => t,
        // A cut in the middle of a character: keep the valid start.
        Err(e) if !whole && e.error_len().is_none() => {
            std::str::from_utf8(&head[..e.valid_up_to()]).unwrap_or_default()
        }
        Err(_) => return FilePreview::Binary,
    };
    if text.contains('\0') {
        return FilePreview::Binary;
    }
    if whole && path.ends_with(".table.json") {
        if let Some(t) = wandb_table(text) {
            return t;
        }
    }
    if matches!(ext, "csv" | "tsv") {
        if let Some(t) = delimited(text, if ext == "tsv" { b'\t' } else { b',' }, whole) {
            return t;
        }
    }
    if whole && ext == "json" {
        if let Ok(v) = serde_json::from_str::<Value>(text) {
            let pretty = serde_json::to_string_pretty(&v).unwrap_or_default();
            return cut_text(&pretty, false);
        }
    }
    cut_text(text, !whole)
}

fn cut_text(text: &str, truncated: bool) -> FilePreview {
    match text.char_indices().nth(TEXT_CHARS) {
        Some((i, _)) => FilePreview::Text {
            text: text[..i].to_owned(),
            truncated: true,
        },
        None => FilePreview::Text {
            text: text.to_owned(),
            truncated,
        },
    }
}

fn cell(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// A wandb table file: `{"columns": [...], "data": [[...], ...]}`.
fn wandb_table(text: &str) -> Option<FilePreview> {
    let v: Value = serde_json::from_str(text).ok()?;
    let header: Vec<String> = v.get("columns")?.as_array()?.iter().map(cell).collect();
    let data = v.get("data")?.as_array()?;
    let rows = data
        .iter()
        .take(TABLE_ROWS)
        .map(|r| {
            r.as_array()
                .map(|c| c.iter().map(cell).collect())
                .unwrap_or_default()
        })
        .collect();
    Some(FilePreview::Table {
        header,
        rows,
        total_rows: data.len() as u64,
    })
}

/// A CSV or TSV file's first rows (the first line is the header).
fn delimited(text: &str, delimiter: u8, whole: bool) -> Option<FilePreview> {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_reader(text.as_bytes());
    let header: Vec<String> = reader.headers().ok()?.iter().map(str::to_owned).collect();
    let mut rows = Vec::new();
    let mut total = 0u64;
    for record in reader.records() {
        let Ok(record) = record else {
            // A row cut by the end of what was read, or a malformed one: stop there.
            break;
        };
        total += 1;
        if rows.len() < TABLE_ROWS {
            rows.push(record.iter().map(str::to_owned).collect());
        } else if !whole {
            break;
        }
    }
    Some(FilePreview::Table {
        header,
        rows,
        total_rows: total,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn previews_by_kind() {
        let csv = "a,b\n1,\"x, y\"\n2,z\n";
        assert_eq!(
            preview_of("d/t.csv", "csv", csv.as_bytes(), true),
            FilePreview::Table {
                header: vec!["a".into(), "b".into()],
                rows: vec![
                    vec!["1".into(), "x, y".into()],
                    vec!["2".into(), "z".into()]
                ],
                total_rows: 2
            }
        );
        let table = r#"{"columns": ["id", "label"], "data": [[1, "cat"], [2, null]]}"#;
        assert_eq!(
            preview_of("t.table.json", "json", table.as_bytes(), true),
            FilePreview::Table {
                header: vec!["id".into(), "label".into()],
                rows: vec![vec!["1".into(), "cat".into()], vec!["2".into(), "".into()]],
                total_rows: 2
            }
        );
        match preview_of("m.json", "json", br#"{"a":1}"#, true) {
            FilePreview::Text { text, truncated } => {
                assert_eq!(text, "{\n  \"a\": 1\n}");
                assert!(!truncated);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            preview_of("w.bin", "bin", &[0, 159, 146, 150], true),
            FilePreview::Binary
        );
        // A cut inside a multi-byte character keeps the text before it.
        let cut = &"héllo".as_bytes()[..2];
        assert_eq!(
            preview_of("r.txt", "txt", cut, false),
            FilePreview::Text {
                text: "h".into(),
                truncated: true
            }
        );
    }
}
