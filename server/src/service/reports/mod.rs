//! Reports: one service behind every door (pages and server functions, `/api/v1`,
//! the wandb client's GraphQL views). A report has a working draft, saved with a
//! version number so two editors never overwrite each other unseen, and published
//! revisions that are kept whole: publishing, restoring and discarding only ever
//! add a revision or reset the draft.
//!
//! Who reads: whoever may read the project, for published reports; writers also
//! read drafts. A view-only link's token opens its one report's published revision
//! to anyone, and nothing else.

use sea_orm::{ConnectionTrait, DatabaseConnection};

use app::logic::reports::{check_doc, diff, BlockChange};
use app::model::{
    BlockDiffLine, BlockKind, ExportedSection, ProjectRef, ReportDoc, ReportDraft, ReportLink,
    ReportRef, ReportRevision, ReportSummary, ReportView, ReportsIndex, SectionSnapshot,
};

use crate::auth::access::Access;
use crate::auth::credentials::token_hash;
use crate::db::entities::{project, user};
use crate::db::repo::reports::{self as repo, ReportRow};
use crate::db::repo::{projects, view_settings};
use crate::error::ApiError;
use crate::metrics::cache::MetaCache;
use crate::service::reads::readable_project_rights;
use crate::service::workspace::REPORT_DRAFT_PREFIX;

pub mod client;
mod edits;
pub mod export;
pub mod images;
pub mod render;

pub use edits::{clone_report, create_report, edit};

/// Most bytes a saved report document takes.
pub const MAX_DOC_BYTES: usize = 4 << 20;

/// A report the reader may see, with what they may do to it.
pub struct Opened {
    pub row: ReportRow,
    pub project: project::Model,
    pub at: ProjectRef,
    pub access: Access,
    pub admin: bool,
    pub via_link: bool,
}

impl Opened {
    fn can_write(&self) -> bool {
        self.access == Access::Write
    }

    fn require_write(&self) -> Result<(), ApiError> {
        if self.can_write() {
            Ok(())
        } else {
            Err(ApiError::Forbidden(
                "you may read this report but not change it".into(),
            ))
        }
    }

    fn require_admin(&self) -> Result<(), ApiError> {
        if self.admin {
            Ok(())
        } else {
            Err(ApiError::Forbidden(
                "only an administrator of the project may do this".into(),
            ))
        }
    }
}

fn report_not_found(r: &ReportRef) -> ApiError {
    ApiError::NotFound(format!(
        "report {} not found in {}/{}",
        r.id, r.project.entity, r.project.project
    ))
}

fn report_pk(r: &ReportRef) -> Result<i32, ApiError> {
    i32::try_from(r.id).map_err(|_| report_not_found(r))
}

/// The report behind a view-only link's token, if the token is live and names this
/// very report of this very project.
async fn by_link(db: &impl ConnectionTrait, r: &ReportRef) -> Result<Option<Opened>, ApiError> {
    let Some(token) = r.token.as_deref().filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    let Some(link) = repo::live_link(db, &token_hash(token)).await? else {
        return Ok(None);
    };
    if i64::from(link.report_id) != r.id as i64 {
        return Ok(None);
    }
    let Some(owner) = projects::find_entity(db, &r.project.entity).await? else {
        return Ok(None);
    };
    let Some(project) = projects::find_project(db, owner.id, &r.project.project).await? else {
        return Ok(None);
    };
    let Some(row) = repo::find(db, project.id, link.report_id).await? else {
        return Ok(None);
    };
    if row.deleted_at.is_some() || row.published_revision.is_none() {
        return Ok(None);
    }
    Ok(Some(Opened {
        row,
        at: r.project.clone(),
        project,
        access: Access::Read,
        admin: false,
        via_link: true,
    }))
}

/// The report if the viewer may read it (or holds its live link); `NotFound`
/// otherwise, so a report nobody may read looks like one that does not exist.
pub async fn open(
    db: &impl ConnectionTrait,
    viewer: Option<&user::Model>,
    r: &ReportRef,
) -> Result<Opened, ApiError> {
    let pk = report_pk(r)?;
    match readable_project_rights(db, viewer, &r.project).await {
        Ok((project, _, rights)) => {
            let row = repo::find(db, project.id, pk)
                .await?
                .filter(|row| row.deleted_at.is_none())
                .ok_or_else(|| report_not_found(r))?;
            if row.published_revision.is_none() && rights.access != Access::Write {
                // Only a draft: its writers see it; a link cannot open it either.
                return Err(report_not_found(r));
            }
            Ok(Opened {
                row,
                at: r.project.clone(),
                project,
                access: rights.access,
                admin: rights.manages,
                via_link: false,
            })
        }
        Err(ApiError::NotFound(m)) => match by_link(db, r).await? {
            Some(o) => Ok(o),
            None => Err(ApiError::NotFound(m)),
        },
        Err(e) => Err(e),
    }
}

fn parse_doc(text: &str) -> Result<ReportDoc, ApiError> {
    serde_json::from_str(text)
        .map_err(|e| ApiError::Internal(format!("a stored report does not parse: {e}")))
}

pub(crate) fn doc_text(doc: &ReportDoc) -> Result<String, ApiError> {
    check_doc(doc).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let text = serde_json::to_string(doc).map_err(|e| ApiError::Internal(e.to_string()))?;
    if text.len() > MAX_DOC_BYTES {
        return Err(ApiError::PayloadTooLarge(format!(
            "the report is {} bytes; at most {MAX_DOC_BYTES} can be saved",
            text.len()
        )));
    }
    Ok(text)
}

/// The published document of a report (`None` while only a draft).
async fn published_doc(
    db: &impl ConnectionTrait,
    row: &ReportRow,
) -> Result<Option<ReportDoc>, ApiError> {
    let Some(n) = row.published_revision else {
        return Ok(None);
    };
    let rev = repo::revision(db, row.id, n)
        .await?
        .ok_or_else(|| ApiError::Internal(format!("report {} lost revision {n}", row.id)))?;
    Ok(Some(parse_doc(&rev.doc)?))
}

/// Whether the draft differs from what readers see.
async fn has_changes(db: &impl ConnectionTrait, row: &ReportRow) -> Result<bool, ApiError> {
    Ok(match published_doc(db, row).await? {
        Some(p) => p != parse_doc(&row.draft)?,
        None => true,
    })
}

fn summary(row: &ReportRow, stars: &[(i32, u32, bool)], changes: bool) -> ReportSummary {
    let (n, mine) = stars
        .iter()
        .find(|s| s.0 == row.id)
        .map_or((0, false), |s| (s.1, s.2));
    ReportSummary {
        id: row.id as u64,
        title: row.title.clone(),
        description: row.description.clone(),
        author: row.author.clone(),
        updated_ms: row.updated_at,
        published: row.published_revision.map(|n| n as u32),
        unpublished_changes: changes,
        stars: n,
        starred: mine,
        deleted_ms: row.deleted_at,
    }
}

/// The Reports tab.
pub async fn index(
    db: &impl ConnectionTrait,
    viewer: Option<&user::Model>,
    at: &ProjectRef,
) -> Result<ReportsIndex, ApiError> {
    let (project, _, rights) = readable_project_rights(db, viewer, at).await?;
    let can_write = rights.access == Access::Write;
    let stars = repo::stars(db, project.id, viewer.map(|v| v.id)).await?;
    let mut reports = Vec::new();
    for row in repo::list(db, project.id, false).await? {
        if row.published_revision.is_none() && !can_write {
            continue;
        }
        let changes = can_write && has_changes(db, &row).await?;
        reports.push(summary(&row, &stars, changes));
    }
    let deleted = if rights.manages {
        repo::list(db, project.id, true)
            .await?
            .iter()
            .map(|row| summary(row, &stars, false))
            .collect()
    } else {
        Vec::new()
    };
    let mut exported = Vec::new();
    if let (Some(v), true) = (viewer, can_write) {
        for (name, text) in
            view_settings::with_prefix(db, v.id, project.id, REPORT_DRAFT_PREFIX).await?
        {
            let Ok(snap) = serde_json::from_str::<SectionSnapshot>(&text) else {
                continue;
            };
            exported.push(ExportedSection {
                name: name[REPORT_DRAFT_PREFIX.len()..].to_owned(),
                panels: snap.section.panels.len() as u32,
                created_ms: snap.created_ms,
            });
        }
    }
    Ok(ReportsIndex {
        reports,
        exported,
        deleted,
        can_write,
        can_admin: rights.manages,
        signed_in: viewer.is_some(),
    })
}

/// What to show: the published revision, the draft (writers), or an older revision.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Showing {
    Published,
    Draft,
    Revision(u32),
}

impl Showing {
    /// From a request's `draft` and `revision` (the draft wins).
    pub fn of(draft: bool, revision: Option<u32>) -> Showing {
        match (draft, revision) {
            (true, _) => Showing::Draft,
            (false, Some(n)) => Showing::Revision(n),
            (false, None) => Showing::Published,
        }
    }
}

/// A report drawn for reading.
pub async fn view(
    db: &DatabaseConnection,
    cache: &MetaCache,
    viewer: Option<&user::Model>,
    r: &ReportRef,
    showing: Showing,
) -> Result<ReportView, ApiError> {
    let o = open(db, viewer, r).await?;
    let doc = shown_doc(db, &o, showing).await?;
    let (revision, is_draft) = match showing {
        Showing::Draft if o.can_write() => (None, true),
        Showing::Revision(n) if !o.via_link => (Some(n), false),
        _ => match o.row.published_revision {
            Some(n) => (Some(n as u32), false),
            // Unpublished: only writers got here; they see the draft.
            None => (None, true),
        },
    };
    let src = render::Source {
        db,
        cache,
        project_id: o.project.id,
        at: &o.at,
    };
    let rendered = render::render_doc(&src, &doc).await?;
    let stars = repo::stars(db, o.project.id, viewer.map(|v| v.id)).await?;
    let (n, mine) = stars
        .iter()
        .find(|s| s.0 == o.row.id)
        .map_or((0, false), |s| (s.1, s.2));
    let comments = if o.via_link {
        Vec::new()
    } else {
        repo::comments(db, o.row.id)
            .await?
            .into_iter()
            .map(|c| app::model::ReportComment {
                id: i64::from(c.id),
                block_id: c.block_id.map(|b| b as u64),
                panel_id: c.panel_id.map(|p| p as u64),
                can_delete: viewer.is_some_and(|v| v.id == c.user_id) || o.admin || o.can_write(),
                author: c.author,
                body: c.body,
                at_ms: c.at,
            })
            .collect()
    };
    Ok(ReportView {
        id: o.row.id as u64,
        project: o.at.clone(),
        doc,
        rendered,
        author: o.row.author.clone(),
        updated_ms: o.row.updated_at,
        revision,
        is_draft,
        stars: n,
        starred: mine,
        comments,
        can_write: o.can_write(),
        can_admin: o.admin,
        signed_in: viewer.is_some() && !o.via_link,
        via_link: o.via_link,
    })
}

/// The document a reader sees for `showing` (what [`view`] draws).
async fn shown_doc(
    db: &impl ConnectionTrait,
    o: &Opened,
    showing: Showing,
) -> Result<ReportDoc, ApiError> {
    Ok(match showing {
        Showing::Draft if o.can_write() => parse_doc(&o.row.draft)?,
        Showing::Revision(n) if !o.via_link => {
            let rev = repo::revision(db, o.row.id, n as i32)
                .await?
                .ok_or_else(|| ApiError::NotFound(format!("revision {n} not found")))?;
            parse_doc(&rev.doc)?
        }
        _ => match published_doc(db, &o.row).await? {
            Some(d) => d,
            None => parse_doc(&o.row.draft)?,
        },
    })
}

/// One line chart of a report, for the reader's interactive chart (zoom asks again
/// here): only what the report shows, so a view-only link reads nothing more.
#[allow(clippy::too_many_arguments)]
pub async fn panel_data(
    db: &DatabaseConnection,
    cache: &MetaCache,
    viewer: Option<&user::Model>,
    r: &ReportRef,
    showing: Showing,
    (block_id, panel_id): (u64, u64),
    zoom: Option<(f64, f64)>,
    buckets: u32,
) -> Result<app::model::ReportPanelData, ApiError> {
    let o = open(db, viewer, r).await?;
    let doc = shown_doc(db, &o, showing).await?;
    let missing = || ApiError::NotFound("no such chart in this report".into());
    let (run_sets, section) = doc
        .blocks
        .iter()
        .find_map(|b| match &b.kind {
            BlockKind::PanelGrid { run_sets, section } if b.id == block_id => {
                Some((run_sets, section))
            }
            _ => None,
        })
        .ok_or_else(missing)?;
    let plot = section
        .panels
        .iter()
        .find_map(|p| match &p.kind {
            app::model::PanelKind::Line(l) if p.id == panel_id => Some(l.clone()),
            _ => None,
        })
        .ok_or_else(missing)?;
    if zoom.is_some_and(|(a, b)| !(a.is_finite() && b.is_finite() && a < b)) {
        return Err(ApiError::BadRequest(
            "zoom must be two finite numbers, low then high".into(),
        ));
    }
    let src = render::Source {
        db,
        cache,
        project_id: o.project.id,
        at: &o.at,
    };
    let (rows, _) = render::grid_runs(&src, run_sets, Vec::new()).await?;
    let runs: Vec<_> = rows.iter().map(render::drawn).collect();
    let buckets = buckets.clamp(50, 2_000);
    let (fetched, grouped) = if runs.is_empty() {
        (
            app::logic::line_panel::Fetched {
                series: Vec::new(),
                x_series: None,
                buckets: buckets as usize,
            },
            false,
        )
    } else {
        render::line_data(
            &src,
            &runs,
            &plot,
            render::grid_group(run_sets),
            buckets as usize,
            zoom,
            &mut None,
        )
        .await?
    };
    Ok(app::model::ReportPanelData {
        plot,
        runs: runs
            .into_iter()
            .map(|d| app::model::ReportRun {
                id: d.id,
                name: d.name,
                color: d.color,
            })
            .collect(),
        series: fetched.series,
        x_series: fetched.x_series,
        grouped,
        buckets,
    })
}

/// The working draft, for its editors.
pub async fn draft(
    db: &impl ConnectionTrait,
    viewer: Option<&user::Model>,
    r: &ReportRef,
) -> Result<ReportDraft, ApiError> {
    let o = open(db, viewer, r).await?;
    o.require_write()?;
    let meta = crate::service::workspace::metric_keys(db, o.project.id).await?;
    let columns = crate::service::runs_table::table_meta(db, viewer, &o.at)
        .await?
        .columns;
    Ok(ReportDraft {
        id: o.row.id as u64,
        doc: parse_doc(&o.row.draft)?,
        version: i64::from(o.row.draft_version),
        saved_by: o.row.draft_by_name.clone(),
        saved_ms: o.row.draft_at,
        published: o.row.published_revision.map(|n| n as u32),
        metric_keys: meta,
        columns,
    })
}

fn counts(changes: &[BlockChange]) -> (u32, u32, u32, u32) {
    let mut c = (0, 0, 0, 0);
    for ch in changes {
        match ch {
            BlockChange::Added { .. } => c.0 += 1,
            BlockChange::Removed { .. } => c.1 += 1,
            BlockChange::Changed { .. } => c.2 += 1,
            BlockChange::Moved { .. } => c.3 += 1,
        }
    }
    c
}

/// Every kept revision, newest first, each with its changes against the one before.
pub async fn revisions(
    db: &impl ConnectionTrait,
    viewer: Option<&user::Model>,
    r: &ReportRef,
) -> Result<Vec<ReportRevision>, ApiError> {
    let o = open(db, viewer, r).await?;
    if o.via_link {
        return Err(report_not_found(r));
    }
    let rows = repo::revisions(db, o.row.id).await?;
    let docs: Vec<ReportDoc> = rows
        .iter()
        .map(|v| parse_doc(&v.doc))
        .collect::<Result<_, _>>()?;
    let empty = ReportDoc::default();
    Ok(rows
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let before = docs.get(i + 1).unwrap_or(&empty);
            let (added, removed, changed, moved) = counts(&diff(before, &docs[i]));
            ReportRevision {
                number: v.number as u32,
                author: v.author.clone(),
                at_ms: v.at,
                note: v.note.clone(),
                added,
                removed,
                changed,
                moved,
            }
        })
        .collect())
}

/// A block described in a few words, for the diff.
pub fn block_label(kind: &BlockKind) -> String {
    let short = |t: &str| {
        let t = t.trim();
        let cut: String = t.chars().take(60).collect();
        if cut.len() < t.len() {
            format!("{cut}…")
        } else {
            cut
        }
    };
    match kind {
        BlockKind::Heading { text, .. } => format!("Heading: {}", short(text)),
        BlockKind::Markdown { text } => format!("Text: {}", short(text)),
        BlockKind::Code { language, .. } => format!("Code ({language})"),
        BlockKind::Math { tex } => format!("Math: {}", short(tex)),
        BlockKind::Image { src, .. } => format!("Image: {}", short(src)),
        BlockKind::Callout { text, .. } => format!("Callout: {}", short(text)),
        BlockKind::Rule => "Horizontal rule".into(),
        BlockKind::TableOfContents => "Table of contents".into(),
        BlockKind::PanelGrid { section, run_sets } => format!(
            "Panel grid: {} panels over {}",
            section.panels.len(),
            run_sets
                .iter()
                .map(|s| s.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        BlockKind::Unknown { label, .. } => format!("Other block: {label}"),
    }
}

/// The changes from revision `from` to revision `to` (0 = an empty report; the
/// draft when `to` is `None`).
pub async fn revision_diff(
    db: &impl ConnectionTrait,
    viewer: Option<&user::Model>,
    r: &ReportRef,
    from: u32,
    to: Option<u32>,
) -> Result<Vec<BlockDiffLine>, ApiError> {
    let o = open(db, viewer, r).await?;
    if o.via_link {
        return Err(report_not_found(r));
    }
    let load = |n: u32| async move {
        if n == 0 {
            return Ok(ReportDoc::default());
        }
        let rev = repo::revision(db, o.row.id, n as i32)
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("revision {n} not found")))?;
        parse_doc(&rev.doc)
    };
    let old = load(from).await?;
    let new = match to {
        Some(n) => load(n).await?,
        None => {
            o.require_write()?;
            parse_doc(&o.row.draft)?
        }
    };
    let label = |id: u64| {
        new.blocks
            .iter()
            .chain(&old.blocks)
            .find(|b| b.id == id)
            .map(|b| block_label(&b.kind))
            .unwrap_or_default()
    };
    Ok(diff(&old, &new)
        .into_iter()
        .map(|c| {
            let (change, id) = match c {
                BlockChange::Added { id, .. } => ("added", id),
                BlockChange::Removed { id } => ("removed", id),
                BlockChange::Changed { id } => ("changed", id),
                BlockChange::Moved { id } => ("moved", id),
            };
            BlockDiffLine {
                change: change.into(),
                block_id: id,
                label: label(id),
            }
        })
        .collect())
}

/// A report's view-only links (project admins).
pub async fn links(
    db: &impl ConnectionTrait,
    viewer: Option<&user::Model>,
    r: &ReportRef,
) -> Result<Vec<ReportLink>, ApiError> {
    let o = open(db, viewer, r).await?;
    o.require_admin()?;
    Ok(repo::links(db, o.row.id)
        .await?
        .into_iter()
        .map(|l| ReportLink {
            id: i64::from(l.id),
            label: l.label,
            created_by: l.created_by,
            created_ms: l.created_at,
            revoked_ms: l.revoked_at,
        })
        .collect())
}
