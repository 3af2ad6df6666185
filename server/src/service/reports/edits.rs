//! Every change to a report: drafts saved over a version check, publishing and
//! restoring (each a new revision, in one transaction with the report's row),
//! stars, view-only links, comments, soft deletion, new reports and clones.

use sea_orm::{ConnectionTrait, DatabaseConnection, TransactionTrait};

use app::logic::reports::report_segment;
use app::model::{
    Block, BlockKind, ProjectRef, ReportDoc, ReportEdit, ReportEditDone, ReportRef, RunSet,
    SectionSnapshot,
};

use super::{doc_text, open, parse_doc, published_doc, report_not_found, Opened};
use crate::auth::access::Access;
use crate::auth::credentials::{new_session_token, token_hash};
use crate::db::entities::user;
use crate::db::now_ms;
use crate::db::repo::reports::{self as repo, NewReport};
use crate::db::repo::view_settings;
use crate::db::write::begin;
use crate::error::ApiError;
use crate::service::reads::readable_project_rights;
use crate::service::workspace::REPORT_DRAFT_PREFIX;

/// Longest comment, in characters.
pub const MAX_COMMENT_CHARS: usize = 10_000;

/// Publish `doc` as the report's next revision and make it what readers see.
pub(super) async fn publish_doc(
    tx: &impl ConnectionTrait,
    o: &Opened,
    doc: &ReportDoc,
    user: &user::Model,
    note: &str,
    wandb_spec: Option<&str>,
) -> Result<u32, ApiError> {
    let text = doc_text(doc)?;
    let now = now_ms();
    let number = repo::last_revision(tx, o.row.id).await? + 1;
    repo::insert_revision(tx, o.row.id, number, &text, Some(user.id), note, now).await?;
    repo::set_published(
        tx,
        o.row.id,
        number,
        &doc.title,
        &doc.description,
        wandb_spec,
        now,
    )
    .await?;
    Ok(number as u32)
}

fn conflict(o: &Opened) -> ApiError {
    ApiError::Conflict(format!(
        "{} saved this report since you opened it; reload to see their changes \
         (yours are kept in this page until you do)",
        if o.row.draft_by_name.is_empty() {
            "someone".to_owned()
        } else {
            o.row.draft_by_name.clone()
        }
    ))
}

/// Apply one change to a report.
pub async fn edit(
    db: &DatabaseConnection,
    viewer: &user::Model,
    r: &ReportRef,
    change: ReportEdit,
) -> Result<ReportEditDone, ApiError> {
    // Links only read: a change always goes by the viewer's own rights.
    let r = &ReportRef {
        token: None,
        ..r.clone()
    };
    let mut done = ReportEditDone::default();
    match change {
        ReportEdit::SaveDraft { doc, base_version } => {
            let o = open(db, Some(viewer), r).await?;
            o.require_write()?;
            let text = doc_text(&doc)?;
            let base = i32::try_from(base_version)
                .map_err(|_| ApiError::BadRequest("base_version is out of range".into()))?;
            let saved = repo::save_draft(
                db,
                o.row.id,
                base,
                &text,
                (&doc.title, &doc.description),
                viewer.id,
                now_ms(),
            )
            .await?;
            match saved {
                Some(v) => done.draft_version = Some(i64::from(v)),
                None => {
                    // Read again for who saved in between.
                    let now = open(db, Some(viewer), r).await?;
                    return Err(conflict(&now));
                }
            }
        }
        ReportEdit::Publish { base_version } => {
            let (tx, _turn) = begin(db).await?;
            let o = open(&tx, Some(viewer), r).await?;
            o.require_write()?;
            if i64::from(o.row.draft_version) != base_version {
                return Err(conflict(&o));
            }
            let doc = parse_doc(&o.row.draft)?;
            done.published = Some(publish_doc(&tx, &o, &doc, viewer, "published", None).await?);
            tx.commit().await?;
        }
        ReportEdit::DiscardDraft => {
            let o = open(db, Some(viewer), r).await?;
            o.require_write()?;
            let Some(published) = published_doc(db, &o.row).await? else {
                return Err(ApiError::BadRequest(
                    "this report was never published; delete it instead".into(),
                ));
            };
            let text = doc_text(&published)?;
            let v = repo::save_draft(
                db,
                o.row.id,
                o.row.draft_version,
                &text,
                (&published.title, &published.description),
                viewer.id,
                now_ms(),
            )
            .await?
            .ok_or_else(|| conflict(&o))?;
            done.draft_version = Some(i64::from(v));
        }
        ReportEdit::RestoreRevision { number } => {
            let (tx, _turn) = begin(db).await?;
            let o = open(&tx, Some(viewer), r).await?;
            o.require_write()?;
            let rev = repo::revision(&tx, o.row.id, number as i32)
                .await?
                .ok_or_else(|| ApiError::NotFound(format!("revision {number} not found")))?;
            let doc = parse_doc(&rev.doc)?;
            let n = publish_doc(
                &tx,
                &o,
                &doc,
                viewer,
                &format!("restored revision {number}"),
                None,
            )
            .await?;
            // The draft follows, so the editor opens what readers now see.
            let v = repo::save_draft(
                &tx,
                o.row.id,
                o.row.draft_version,
                &rev.doc,
                (&doc.title, &doc.description),
                viewer.id,
                now_ms(),
            )
            .await?
            .ok_or_else(|| conflict(&o))?;
            tx.commit().await?;
            done.published = Some(n);
            done.draft_version = Some(i64::from(v));
        }
        ReportEdit::Star { on } => {
            let o = open(db, Some(viewer), r).await?;
            repo::set_star(db, o.row.id, viewer.id, on, now_ms()).await?;
        }
        ReportEdit::Delete => {
            let o = open(db, Some(viewer), r).await?;
            o.require_write()?;
            repo::set_deleted(db, o.row.id, Some(now_ms()), Some(viewer.id)).await?;
        }
        ReportEdit::Restore => {
            // A deleted report is not `open`-able: look it up as its project's admin.
            let (project, _, rights) =
                readable_project_rights(db, Some(viewer), &r.project).await?;
            let row = repo::find(db, project.id, super::report_pk(r)?)
                .await?
                .ok_or_else(|| report_not_found(r))?;
            if !rights.manages {
                return Err(ApiError::Forbidden(
                    "only an administrator of the project may restore reports".into(),
                ));
            }
            repo::set_deleted(db, row.id, None, None).await?;
        }
        ReportEdit::CreateLink { label } => {
            let o = open(db, Some(viewer), r).await?;
            o.require_admin()?;
            if o.row.published_revision.is_none() {
                return Err(ApiError::BadRequest(
                    "publish the report before sharing it".into(),
                ));
            }
            let label = label.trim();
            if label.chars().count() > 200 {
                return Err(ApiError::BadRequest(
                    "a link's label is at most 200 characters".into(),
                ));
            }
            let token = new_session_token();
            repo::insert_link(
                db,
                o.row.id,
                &token_hash(&token),
                label,
                viewer.id,
                now_ms(),
            )
            .await?;
            done.link_url = Some(format!(
                "{}/reports/{}?share={token}",
                o.at.href(),
                app::logic::url::encode_segment(&report_segment(&o.row.title, o.row.id as u64))
            ));
        }
        ReportEdit::RevokeLink { id } => {
            let o = open(db, Some(viewer), r).await?;
            o.require_admin()?;
            let id = i32::try_from(id).map_err(|_| ApiError::NotFound("no such link".into()))?;
            if !repo::revoke_link(db, o.row.id, id, now_ms()).await? {
                return Err(ApiError::NotFound("no such link on this report".into()));
            }
        }
        ReportEdit::Comment {
            block_id,
            panel_id,
            body,
        } => {
            let o = open(db, Some(viewer), r).await?;
            let body = body.trim();
            if body.is_empty() {
                return Err(ApiError::BadRequest("a comment needs some text".into()));
            }
            if body.chars().count() > MAX_COMMENT_CHARS {
                return Err(ApiError::BadRequest(format!(
                    "a comment is at most {MAX_COMMENT_CHARS} characters"
                )));
            }
            if let Some(b) = block_id {
                let doc = match published_doc(db, &o.row).await? {
                    Some(d) => d,
                    None => parse_doc(&o.row.draft)?,
                };
                let found = doc.blocks.iter().find(|x| x.id == b);
                let ok = match (found, panel_id) {
                    (None, _) => false,
                    (Some(_), None) => true,
                    (Some(x), Some(p)) => matches!(&x.kind,
                        BlockKind::PanelGrid { section, .. } if section.panels.iter().any(|q| q.id == p)),
                };
                if !ok {
                    return Err(ApiError::BadRequest(
                        "that block or panel is not in this report".into(),
                    ));
                }
            } else if panel_id.is_some() {
                return Err(ApiError::BadRequest(
                    "a comment on a panel names its block too".into(),
                ));
            }
            let to_i64 = |v: Option<u64>| v.map(|v| v.min(i64::MAX as u64) as i64);
            repo::insert_comment(
                db,
                o.row.id,
                to_i64(block_id),
                to_i64(panel_id),
                viewer.id,
                body,
                now_ms(),
            )
            .await?;
        }
        ReportEdit::DeleteComment { id } => {
            let o = open(db, Some(viewer), r).await?;
            let id = i32::try_from(id).map_err(|_| ApiError::NotFound("no such comment".into()))?;
            let mine = repo::comments(db, o.row.id)
                .await?
                .into_iter()
                .find(|c| c.id == id)
                .ok_or_else(|| ApiError::NotFound("no such comment".into()))?;
            if mine.user_id != viewer.id && !o.admin && o.access != Access::Write {
                return Err(ApiError::Forbidden(
                    "only its author or the report's editors may delete a comment".into(),
                ));
            }
            repo::delete_comment(db, o.row.id, id, now_ms()).await?;
        }
    }
    Ok(done)
}

/// A new block id, above every id the document holds (panel ids included, so a
/// grid's section keeps its own).
fn next_id(doc: &ReportDoc) -> u64 {
    doc.blocks.iter().map(|b| b.id).max().unwrap_or(0) + 1
}

/// The document a Workspace section export becomes: its panels over a run set that
/// is the sidebar's selection at the time.
fn doc_from_export(snap: SectionSnapshot, title: &str) -> ReportDoc {
    let mut filter = snap.runs.filter.trim().to_owned();
    let search = snap.runs.search.trim();
    if !search.is_empty() {
        let pattern = if snap.runs.search_regex {
            search.to_owned()
        } else {
            regex::escape(search)
        };
        let quoted = format!("\"{}\"", pattern.replace('\\', "\\\\").replace('"', "\\\""));
        let name = format!("name =~ {quoted}");
        filter = if filter.is_empty() {
            name
        } else {
            format!("({filter}) and {name}")
        };
    }
    let run_set = RunSet {
        name: "Workspace runs".into(),
        filter,
        sort: snap.runs.sort.clone(),
        group_by: snap.runs.group_by.iter().cloned().collect(),
        frozen: None,
        max_runs: snap.runs.max_runs,
    };
    let mut doc = ReportDoc {
        title: title.to_owned(),
        description: String::new(),
        blocks: Vec::new(),
    };
    doc.blocks.push(Block {
        id: 1,
        kind: BlockKind::Heading {
            level: 2,
            text: snap.section.name.clone(),
        },
    });
    let id = next_id(&doc);
    doc.blocks.push(Block {
        id,
        kind: BlockKind::PanelGrid {
            run_sets: vec![run_set],
            section: snap.section,
        },
    });
    doc
}

/// Insert a new, unpublished report holding `doc` as its draft; its id.
async fn insert_new(
    db: &impl ConnectionTrait,
    project_id: i32,
    viewer: &user::Model,
    doc: &ReportDoc,
) -> Result<i32, ApiError> {
    let text = doc_text(doc)?;
    Ok(repo::insert(
        db,
        NewReport {
            project_id,
            user_id: viewer.id,
            title: &doc.title,
            description: &doc.description,
            draft: &text,
            wandb_name: None,
            wandb_spec: None,
            now: now_ms(),
        },
    )
    .await?)
}

/// Make a report (for project writers): empty, or from one of the viewer's
/// exported Workspace sections (which then leaves their exports). Its id and title.
pub async fn create_report(
    db: &DatabaseConnection,
    viewer: &user::Model,
    at: &ProjectRef,
    title: &str,
    from_export: Option<&str>,
) -> Result<(u64, String), ApiError> {
    let (project, _, rights) = readable_project_rights(db, Some(viewer), at).await?;
    if rights.access != Access::Write {
        return Err(ApiError::Forbidden(
            "you may read this project but not write reports in it".into(),
        ));
    }
    let title = title.trim();
    let (doc, export_name) = match from_export {
        Some(name) => {
            let key = format!("{REPORT_DRAFT_PREFIX}{name}");
            let text = view_settings::load(db, viewer.id, project.id, &key)
                .await?
                .ok_or_else(|| ApiError::NotFound(format!("no exported section {name:?}")))?;
            let snap: SectionSnapshot = serde_json::from_str(&text).map_err(|e| {
                ApiError::BadRequest(format!("the exported section cannot be read: {e}"))
            })?;
            let title = if title.is_empty() {
                snap.section.name.clone()
            } else {
                title.to_owned()
            };
            (doc_from_export(snap, &title), Some(key))
        }
        None => (
            ReportDoc {
                title: if title.is_empty() {
                    "Untitled report".to_owned()
                } else {
                    title.to_owned()
                },
                ..ReportDoc::default()
            },
            None,
        ),
    };
    let tx = db.begin().await?;
    let id = insert_new(&tx, project.id, viewer, &doc).await?;
    if let Some(key) = export_name {
        view_settings::delete(&tx, viewer.id, project.id, &key).await?;
    }
    tx.commit().await?;
    Ok((id as u64, doc.title))
}

/// Copy a report into another project the viewer may write, as a new unpublished
/// report whose run sets now select runs there (frozen run lists are dropped: they
/// name the other project's runs). Its project, id and title.
pub async fn clone_report(
    db: &DatabaseConnection,
    viewer: &user::Model,
    r: &ReportRef,
    target: &ProjectRef,
) -> Result<(ProjectRef, u64, String), ApiError> {
    let o = open(db, Some(viewer), r).await?;
    if o.via_link {
        return Err(report_not_found(r));
    }
    // Its editors copy the draft; readers what is published.
    let mut doc = if o.can_write() {
        parse_doc(&o.row.draft)?
    } else {
        published_doc(db, &o.row)
            .await?
            .ok_or_else(|| report_not_found(r))?
    };
    for b in &mut doc.blocks {
        if let BlockKind::PanelGrid { run_sets, .. } = &mut b.kind {
            for s in run_sets {
                s.frozen = None;
            }
        }
    }
    let (project, _, rights) = readable_project_rights(db, Some(viewer), target).await?;
    if rights.access != Access::Write {
        return Err(ApiError::Forbidden(format!(
            "you may not write reports in {}/{}",
            target.entity, target.project
        )));
    }
    let id = insert_new(db, project.id, viewer, &doc).await?;
    Ok((target.clone(), id as u64, doc.title))
}
