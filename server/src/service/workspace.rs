//! The Workspace tab: the viewer's saved document, the project's metric keys and
//! the columns the sidebar can sort, group and filter on.

use sea_orm::ConnectionTrait;

use app::logic::workspace::{check_doc, MAX_DOC_BYTES};
use app::model::{ProjectRef, SectionSnapshot, WorkspaceData, WorkspaceDoc};

use super::runs_table::{open, table_meta};
use crate::db::entities::user;
use crate::db::repo::view_settings;
use crate::db::sql::Sql;
use crate::error::ApiError;

const DOC_NAME: &str = "workspace";

/// Everything the Workspace loads first.
pub async fn workspace_data(
    db: &impl ConnectionTrait,
    viewer: Option<&user::Model>,
    at: &ProjectRef,
) -> Result<WorkspaceData, ApiError> {
    let meta = table_meta(db, viewer, at).await?;
    let (project, _) = open(db, viewer, at).await?;
    let metric_keys = metric_keys(db, project.id).await?;
    let doc = match viewer {
        Some(v) => view_settings::load(db, v.id, project.id, DOC_NAME)
            .await?
            // A document this version cannot read is treated as a first visit
            // rather than breaking the tab.
            .and_then(|text| serde_json::from_str::<WorkspaceDoc>(&text).ok()),
        None => None,
    };
    Ok(WorkspaceData {
        doc,
        metric_keys,
        columns: meta.columns,
        can_write: meta.can_write,
        signed_in: meta.signed_in,
    })
}

/// Every metric key logged in a project's live runs, sorted.
pub async fn metric_keys(
    db: &impl ConnectionTrait,
    project_id: i32,
) -> Result<Vec<String>, ApiError> {
    let mut q = Sql::new(db.get_database_backend());
    q.push(
        "SELECT DISTINCT s.key AS key FROM metric_series s JOIN runs r ON r.id = s.run_id \
         WHERE r.project_id = ",
    )
    .bind(project_id)
    .push(" AND r.deleted_at IS NULL ORDER BY 1");
    let mut keys = Vec::new();
    for row in db.query_all_raw(q.build()).await? {
        keys.push(row.try_get::<String>("", "key")?);
    }
    Ok(keys)
}

/// Save the viewer's document after checking it (any reader may arrange their own
/// workspace; it changes nothing anyone else sees).
pub async fn save_workspace(
    db: &impl ConnectionTrait,
    viewer: &user::Model,
    at: &ProjectRef,
    mut doc: WorkspaceDoc,
) -> Result<(), ApiError> {
    let (project, _) = open(db, Some(viewer), at).await?;
    check_doc(&mut doc).map_err(ApiError::BadRequest)?;
    let text = serde_json::to_string(&doc).map_err(|e| ApiError::Internal(e.to_string()))?;
    if text.len() > MAX_DOC_BYTES {
        return Err(ApiError::BadRequest(format!(
            "the workspace is {} bytes; at most {MAX_DOC_BYTES} can be saved",
            text.len()
        )));
    }
    view_settings::save(db, viewer.id, project.id, DOC_NAME, text).await?;
    Ok(())
}

/// Prefix of report drafts in `view_settings`; the Reports tab lists them.
pub const REPORT_DRAFT_PREFIX: &str = "report-draft/";

/// Keep a section snapshot as one of the viewer's report drafts (named by the
/// section and the time), for the Reports tab to open later.
pub async fn save_report_draft(
    db: &impl ConnectionTrait,
    viewer: &user::Model,
    at: &ProjectRef,
    snapshot: SectionSnapshot,
) -> Result<String, ApiError> {
    let (project, _) = open(db, Some(viewer), at).await?;
    // Checked (and clamped) as a one-section workspace; what is stored is the
    // checked copy.
    let mut probe = WorkspaceDoc {
        sections: vec![snapshot.section],
        runs: snapshot.runs,
        ..WorkspaceDoc::default()
    };
    check_doc(&mut probe).map_err(ApiError::BadRequest)?;
    let snapshot = SectionSnapshot {
        section: probe.sections.remove(0),
        runs: probe.runs,
        created_ms: snapshot.created_ms,
    };
    let text = serde_json::to_string(&snapshot).map_err(|e| ApiError::Internal(e.to_string()))?;
    if text.len() > MAX_DOC_BYTES {
        return Err(ApiError::BadRequest(
            "the section is too large to export".into(),
        ));
    }
    let name = format!(
        "{} ({})",
        snapshot.section.name,
        app::logic::format::iso_utc_seconds(crate::db::now_ms())
    );
    view_settings::save(
        db,
        viewer.id,
        project.id,
        &format!("{REPORT_DRAFT_PREFIX}{name}"),
        text,
    )
    .await?;
    Ok(name)
}
