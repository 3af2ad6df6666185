//! Reports as the wandb client's GraphQL "views" see them: listed per project,
//! read by id, and written by `upsertView` (a draft, or published when its type is
//! `runs`). The adapter turns the client's spec into a document; this keeps the
//! spec as it came, with the same access rules and revisions as every other door.

use sea_orm::{ConnectionTrait, DatabaseConnection};

use app::model::{ProjectRef, ReportDoc, ReportRef};

use super::edits::publish_doc;
use super::{doc_text, open, parse_doc, published_doc};
use crate::auth::access::Access;
use crate::db::entities::user;
use crate::db::now_ms;
use crate::db::repo::reports::{self as repo, NewReport, ReportRow};
use crate::db::write::begin;
use crate::error::ApiError;
use crate::service::reads::readable_project_rights;

/// A report as a view.
pub struct ClientView {
    pub row: ReportRow,
    /// What the view holds: the published document (or the draft for `runs/draft`).
    pub doc: ReportDoc,
}

/// A project's reports as views: published ones (`drafts` false), or the drafts
/// its writers may see.
pub async fn list(
    db: &impl ConnectionTrait,
    viewer: &user::Model,
    at: &ProjectRef,
    drafts: bool,
) -> Result<Vec<ClientView>, ApiError> {
    let (project, _, rights) = readable_project_rights(db, Some(viewer), at).await?;
    let mut out = Vec::new();
    for row in repo::list(db, project.id, false).await? {
        let doc = if drafts {
            if rights.access != Access::Write {
                continue;
            }
            parse_doc(&row.draft)?
        } else {
            match published_doc(db, &row).await? {
                Some(d) => d,
                None => continue,
            }
        };
        out.push(ClientView { row, doc });
    }
    Ok(out)
}

/// One report by id, if the viewer may read it.
pub async fn get(
    db: &impl ConnectionTrait,
    viewer: &user::Model,
    id: i32,
) -> Result<Option<ClientView>, ApiError> {
    let Some(row) = repo::find_any(db, id).await? else {
        return Ok(None);
    };
    let Some(project) = crate::db::repo::projects::find_project_by_id(db, row.project_id).await?
    else {
        return Ok(None);
    };
    let Some(owner) = crate::db::repo::projects::find_entity_by_id(db, project.entity_id).await?
    else {
        return Ok(None);
    };
    let r = ReportRef::new(ProjectRef::new(owner.name, project.name), id as u64);
    let o = match open(db, Some(viewer), &r).await {
        Ok(o) => o,
        Err(ApiError::NotFound(_)) => return Ok(None),
        Err(e) => return Err(e),
    };
    let doc = match published_doc(db, &o.row).await? {
        Some(d) => d,
        None => parse_doc(&o.row.draft)?,
    };
    Ok(Some(ClientView { row: o.row, doc }))
}

/// What `upsertView` asks for.
pub struct Upsert<'a> {
    pub at: &'a ProjectRef,
    /// The report, when the client names one by id.
    pub id: Option<i32>,
    pub name: &'a str,
    pub doc: ReportDoc,
    pub spec: &'a str,
    /// `runs/draft`: save the draft only; `runs`: publish.
    pub draft: bool,
}

/// Make or change a report from the client; the view and whether it is new.
pub async fn upsert(
    db: &DatabaseConnection,
    viewer: &user::Model,
    u: Upsert<'_>,
) -> Result<(ClientView, bool), ApiError> {
    let text = doc_text(&u.doc)?;
    let (project, _, rights) = readable_project_rights(db, Some(viewer), u.at).await?;
    if rights.access != Access::Write {
        return Err(ApiError::Forbidden(format!(
            "you may not write reports in {}/{}",
            u.at.entity, u.at.project
        )));
    }
    let (tx, _turn) = begin(db).await?;
    let existing = match u.id {
        Some(id) => repo::find(&tx, project.id, id).await?,
        None if !u.name.is_empty() => repo::find_by_wandb_name(&tx, project.id, u.name).await?,
        None => None,
    }
    .filter(|r| r.deleted_at.is_none());
    let now = now_ms();
    let (id, inserted) = match existing {
        Some(row) => {
            repo::save_draft(
                &tx,
                row.id,
                row.draft_version,
                &text,
                (&u.doc.title, &u.doc.description),
                viewer.id,
                now,
            )
            .await?
            .ok_or_else(|| ApiError::Conflict("the report changed meanwhile; try again".into()))?;
            (row.id, false)
        }
        None => {
            let id = repo::insert(
                &tx,
                NewReport {
                    project_id: project.id,
                    user_id: viewer.id,
                    title: &u.doc.title,
                    description: &u.doc.description,
                    draft: &text,
                    wandb_name: (!u.name.is_empty()).then_some(u.name),
                    wandb_spec: Some(u.spec),
                    now,
                },
            )
            .await?;
            (id, true)
        }
    };
    let r = ReportRef::new(u.at.clone(), id as u64);
    let o = open(&tx, Some(viewer), &r).await?;
    if !u.draft {
        publish_doc(
            &tx,
            &o,
            &u.doc,
            viewer,
            "published by the wandb client",
            Some(u.spec),
        )
        .await?;
    }
    tx.commit().await?;
    let row = repo::find(db, project.id, id)
        .await?
        .ok_or_else(|| ApiError::Internal("a report vanished while it was written".into()))?;
    Ok((ClientView { row, doc: u.doc }, inserted))
}
