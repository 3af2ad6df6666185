//! Reports for the wandb client: `project.allViews` (what `wandb.Api().reports()`
//! lists), `view(id)`, and `upsertView` / `deleteView` (the wandb-workspaces
//! package). All of them go through `service::reports`.

use std::sync::Arc;

use serde_json::{json, Value};

use app::logic::format::iso_utc_seconds;
use app::model::{ProjectRef, ReportEdit, ReportRef};

use super::{connection, offset_of, Ctx, Out};
use crate::db::entities::{entity, project};
use crate::error::ApiError;
use crate::service::reports::client::{self, ClientView, Upsert};
use crate::wandb::gql::{Args, Failure, Val};
use crate::wandb::ids;
use crate::wandb::report_spec::{doc_from_spec, spec_from_doc};

/// A view id: the report's number (what Cairn hands out), or the keyed form.
fn view_id(id: &str) -> Option<i32> {
    id.parse().ok().or_else(|| ids::parse_keyed("View", id))
}

/// A report as the client's `View`.
fn view_json(v: &ClientView) -> Value {
    let spec = match &v.row.wandb_spec {
        Some(s) => s.clone(),
        None => spec_from_doc(&v.doc).to_string(),
    };
    json!({
        "__typename": "View",
        // Plain digits: the client builds the report's URL as `{title}--{id}`, and
        // the digits are what a report URL ends in.
        "id": v.row.id.to_string(),
        "name": v.row.wandb_name.clone().unwrap_or_else(|| format!("report-{}", v.row.id)),
        "displayName": v.doc.title,
        "description": v.doc.description,
        "type": if v.row.published_revision.is_some() { "runs" } else { "runs/draft" },
        "user": {"__typename": "User", "username": v.row.author, "photoUrl": "", "email": ""},
        "spec": spec,
        "createdAt": iso_utc_seconds(v.row.created_at),
        "updatedAt": iso_utc_seconds(v.row.updated_at),
        "project": {"__typename": "Project", "name": "", "entityName": ""},
        "accessTokens": [],
    })
}

impl Ctx {
    /// `project.allViews(viewType, viewName, first, after)`.
    pub(super) async fn project_views(
        &self,
        p: &Arc<(project::Model, entity::Model)>,
        args: &Args,
    ) -> Out {
        let at = ProjectRef::new(p.1.name.clone(), p.0.name.clone());
        let drafts = args.str("viewType") == Some("runs/draft");
        let mut views = client::list(self.db(), &self.user, &at, drafts).await?;
        if let Some(name) = args.str("viewName") {
            views.retain(|v| v.row.wandb_name.as_deref() == Some(name) || v.doc.title == name);
        }
        let first = args.i64("first").unwrap_or(50).clamp(1, 500) as usize;
        let total = views.len();
        let offset = offset_of(args).min(total);
        let nodes = views
            .iter()
            .skip(offset)
            .take(first)
            .map(|v| Val::json(view_json(v)))
            .collect();
        Ok(connection(nodes, offset, total))
    }

    /// `view(id)`.
    pub(super) async fn view(&self, args: &Args) -> Out {
        let Some(id) = args.str("id").and_then(view_id) else {
            return Ok(Val::null());
        };
        Ok(match client::get(self.db(), &self.user, id).await? {
            Some(v) => Val::json(view_json(&v)),
            None => Val::null(),
        })
    }

    /// `upsertView(input)` and `deleteView(id)`.
    pub(super) async fn view_mutation(&self, name: &str, args: &Args) -> Out {
        let db = self.db();
        if name == "deleteView" {
            let id = args
                .str("id")
                .and_then(view_id)
                .ok_or_else(|| ApiError::Unprocessable("id names no view".into()))?;
            let Some(v) = client::get(db, &self.user, id).await? else {
                return Err(ApiError::NotFound("no such view".into()).into());
            };
            let project = crate::db::repo::projects::find_project_by_id(db, v.row.project_id)
                .await?
                .ok_or_else(|| ApiError::NotFound("no such view".into()))?;
            let owner = crate::db::repo::projects::find_entity_by_id(db, project.entity_id)
                .await?
                .ok_or_else(|| ApiError::NotFound("no such view".into()))?;
            let r = ReportRef::new(ProjectRef::new(owner.name, project.name), id as u64);
            crate::service::reports::edit(db, &self.user, &r, ReportEdit::Delete).await?;
            return Ok(Val::json(
                json!({"__typename": "DeleteViewPayload", "success": true, "pendingDrafts": false}),
            ));
        }
        let input = args.object("input");
        let entity_name = input
            .str("entityName")
            .map(str::to_owned)
            .unwrap_or_else(|| self.user.username.clone());
        let project_name = input
            .str("projectName")
            .ok_or_else(|| ApiError::Unprocessable("projectName is required".into()))?;
        let kind = input.str("type").unwrap_or("runs");
        if kind != "runs" && kind != "runs/draft" {
            return Err(Failure::Client(format!(
                "Cairn keeps views of type runs and runs/draft, not {kind:?}"
            )));
        }
        let spec_text = match input.get("spec") {
            Some(Value::String(s)) => s.clone(),
            Some(other) if !other.is_null() => other.to_string(),
            _ => "{}".to_owned(),
        };
        let spec: Value = serde_json::from_str(&spec_text)
            .map_err(|e| ApiError::Unprocessable(format!("spec is not JSON: {e}")))?;
        let doc = doc_from_spec(
            input.str("displayName").unwrap_or(""),
            input.str("description").unwrap_or(""),
            &spec,
        );
        let at = ProjectRef::new(entity_name, project_name);
        let (v, inserted) = client::upsert(
            db,
            &self.user,
            Upsert {
                at: &at,
                id: input.str("id").and_then(view_id),
                name: input.str("name").unwrap_or(""),
                doc,
                spec: &spec_text,
                draft: kind == "runs/draft",
            },
        )
        .await?;
        Ok(Val::Map(
            "UpsertViewPayload",
            vec![
                ("view", Val::json(view_json(&v))),
                ("inserted", Val::json(inserted)),
            ],
        ))
    }
}
