//! The fields Cairn answers for the wandb client, object by object (PROTOCOL.md §6).
//! Objects hold the database rows they describe; fields are computed when selected.

use std::sync::Arc;

use serde_json::{json, Value};

use app::logic::format::iso_utc_seconds;
use app::model::RunState;

use crate::auth::access::{project_access, Access};
use crate::db::entities::{entity, project, run, run_file, user};
use crate::db::repo::{console, projects, runs as run_repo, users};
use crate::error::ApiError;

mod artifact_api;
mod report_api;
mod sweep_api;

use super::artifacts::{self, ArtifactRow, CollectionRow};
use super::filters;
use super::gql::{Args, BoxFuture, Failure, Resolver, Val};
use super::history;
use super::ids;
use super::storage::{Grant, Kind, MANIFEST_NAME};
use super::upsert::{self, RunRow};
use super::wire;
use super::WandbState;
use crate::db::repo::{run_lines, run_wandb};

/// What one GraphQL request runs with: the server's parts, the caller and the base
/// URL storage links are built on.
pub struct Ctx {
    pub state: WandbState,
    pub user: user::Model,
    pub base_url: String,
}

/// The objects of the schema.
#[derive(Clone)]
pub enum Obj {
    Query,
    Mutation,
    Project(Arc<(project::Model, entity::Model)>),
    Run(Arc<RunRow>),
    Collection(Arc<CollectionRow>),
    Artifact(Arc<ArtifactRow>),
    Membership(Arc<ArtifactRow>),
    /// An artifact type of a project: (project, owner, type name).
    ArtifactType(Arc<(project::Model, entity::Model, String)>),
    Sweep(Arc<crate::service::sweeps::Found>),
    Agent(Arc<sweep_api::AgentObj>),
    /// `project(name: null)` of an entity with no such project: only its sweeps
    /// answer (a bare `wandb agent ID` sends no project).
    EntityScope(Arc<entity::Model>),
}

type Out = Result<Val<Obj>, Failure>;

impl From<ApiError> for Failure {
    fn from(e: ApiError) -> Failure {
        let status = e.status().as_u16();
        match status {
            401 => Failure::Http(401, e.to_string()),
            500..=599 => {
                tracing::error!("wandb GraphQL: {e}");
                Failure::Http(status, e.public_message())
            }
            _ => Failure::Client(e.to_string()),
        }
    }
}

impl From<sea_orm::DbErr> for Failure {
    fn from(e: sea_orm::DbErr) -> Failure {
        ApiError::from(e).into()
    }
}

fn json_text(v: &Value) -> Val<Obj> {
    Val::json(v.to_string())
}

/// A `{edges: [{node, cursor}], pageInfo, totalCount}` connection over `nodes` (already
/// the page, starting at `offset`) of `total` items in all.
fn connection(nodes: Vec<Val<Obj>>, offset: usize, total: usize) -> Val<Obj> {
    let end = offset + nodes.len();
    let has_next = end < total;
    let edges = nodes
        .into_iter()
        .enumerate()
        .map(|(i, node)| {
            Val::Map(
                "Edge",
                vec![
                    ("node", node),
                    ("cursor", Val::json(cursor(offset + i + 1))),
                ],
            )
        })
        .collect();
    Val::Map(
        "Connection",
        vec![
            ("edges", Val::List(edges)),
            (
                "pageInfo",
                Val::json(json!({
                    "__typename": "PageInfo",
                    "endCursor": if end > offset { Value::from(cursor(end)) } else { Value::Null },
                    "hasNextPage": has_next,
                })),
            ),
            ("totalCount", Val::json(total)),
        ],
    )
}

/// Cursors are opaque offsets: the cursor of the Nth item (1-based) means "after N".
fn cursor(after: usize) -> String {
    ids::encode(&format!("cursor:{after}"))
}

fn offset_of(args: &Args) -> usize {
    args.str("after")
        .and_then(|c| {
            let plain =
                base64::Engine::decode(&base64::engine::general_purpose::STANDARD, c).ok()?;
            String::from_utf8(plain)
                .ok()?
                .strip_prefix("cursor:")?
                .parse()
                .ok()
        })
        .unwrap_or(0)
}

impl Ctx {
    fn db(&self) -> &sea_orm::DatabaseConnection {
        &self.state.app.db
    }

    fn url(&self, method: &str, kind: Kind, id: i32, name: &str) -> String {
        let grant = Grant {
            method,
            kind,
            id,
            name,
            uid: self.user.id,
        };
        self.state.signer.url(&self.base_url, &grant)
    }

    /// A project the caller may read, by entity (the caller's own when absent) and name.
    async fn readable_project(
        &self,
        entity_name: Option<&str>,
        name: Option<&str>,
    ) -> Result<Option<Obj>, ApiError> {
        let db = self.db();
        let owner = match entity_name {
            Some(e) => projects::find_entity(db, e).await?,
            None => projects::personal_entity(db, self.user.id).await?,
        };
        let Some(owner) = owner else { return Ok(None) };
        let name = name.unwrap_or(wire::DEFAULT_PROJECT);
        let Some(project) = projects::find_project(db, owner.id, name).await? else {
            return Ok(None);
        };
        if project.deleted_at.is_some()
            || project_access(db, Some(&self.user), &project, &owner).await? == Access::None
        {
            return Ok(None);
        }
        Ok(Some(Obj::Project(Arc::new((project, owner)))))
    }

    async fn readable_artifact(&self, id: &str) -> Result<Option<Arc<ArtifactRow>>, ApiError> {
        let Some(row) = artifacts::load_by_id(self.db(), id).await? else {
            return Ok(None);
        };
        if row.at.project.deleted_at.is_some() {
            return Ok(None);
        }
        let access =
            project_access(self.db(), Some(&self.user), &row.at.project, &row.at.entity).await?;
        Ok((access != Access::None).then(|| Arc::new(row)))
    }

    fn viewer(&self) -> Value {
        let entity = self.user.username.clone();
        json!({
            "__typename": "User",
            "id": ids::keyed("User", self.user.id),
            "entity": entity,
            "username": self.user.username,
            "name": self.user.display_name,
            "email": "",
            "admin": self.user.is_admin,
            "flags": "{}",
            "teams": {"edges": [{"node": {"name": entity}}]},
        })
    }

    async fn query(&self, name: &str, args: Args) -> Out {
        Ok(match name {
            "viewer" => Val::Json(self.viewer()),
            "serverInfo" => Val::json(json!({
                "__typename": "ServerInfo",
                "features": [],
                "cliVersionInfo": {},
                "latestLocalVersionInfo": null,
            })),
            "entity" => {
                let found = match args.str("name") {
                    Some(n) => projects::find_entity(self.db(), n).await?,
                    None => None,
                };
                match found {
                    Some(e) => Val::json(json!({
                        "__typename": "Entity",
                        "id": ids::keyed("Entity", e.id),
                        "name": e.name,
                        "organization": null,
                        "isTeam": e.kind == "team",
                    })),
                    None => Val::null(),
                }
            }
            "project" | "model" => {
                match self
                    .readable_project(args.str("entityName"), args.str("name"))
                    .await?
                {
                    Some(p) => Val::Obj(p),
                    None if args.str("name").is_none() => {
                        let owner = match args.str("entityName") {
                            Some(e) => projects::find_entity(self.db(), e).await?,
                            None => projects::personal_entity(self.db(), self.user.id).await?,
                        };
                        Val::opt(owner.map(|o| Obj::EntityScope(Arc::new(o))))
                    }
                    None => Val::null(),
                }
            }
            "artifact" => match args.str("id") {
                Some(id) => Val::opt(self.readable_artifact(id).await?.map(Obj::Artifact)),
                None => Val::null(),
            },
            "view" => return self.view(&args).await,
            _ => Val::null(),
        })
    }

    async fn mutation(&self, name: &str, args: Args) -> Out {
        let input = args.object("input");
        let db = self.db();
        Ok(match name {
            "upsertBucket" => {
                let (row, inserted) = upsert::upsert_bucket(db, &self.user, &input).await?;
                Val::Map(
                    "UpsertBucketPayload",
                    vec![
                        ("bucket", Val::Obj(Obj::Run(Arc::new(row)))),
                        ("inserted", Val::json(inserted)),
                    ],
                )
            }
            "createRunFiles" => self.create_run_files(&input).await?,
            "createArtifact" => {
                let row = artifacts::create(db, &self.user, &input).await?;
                Val::Map(
                    "CreateArtifactPayload",
                    vec![("artifact", Val::Obj(Obj::Artifact(Arc::new(row))))],
                )
            }
            "createArtifactManifest" => {
                let id = input
                    .str("artifactID")
                    .ok_or_else(|| ApiError::Unprocessable("artifactID is required".into()))?;
                let row =
                    artifacts::create_manifest(db, &self.user, id, input.str("digest")).await?;
                let pk = row.art.id;
                Val::json(json!({
                    "artifactManifest": {
                        "__typename": "ArtifactManifest",
                        "id": ids::keyed("ArtifactManifest", pk),
                        "file": {
                            "__typename": "File",
                            "id": ids::keyed("ManifestFile", pk),
                            "name": MANIFEST_NAME,
                            "uploadUrl": self.url("PUT", Kind::Manifest, pk, MANIFEST_NAME),
                            "uploadHeaders": ["Content-Type:application/json"],
                            "directUrl": self.url("GET", Kind::Manifest, pk, MANIFEST_NAME),
                        }
                    }
                }))
            }
            "createArtifactFiles" => {
                let slots = artifacts::create_files(db, &self.user, &input).await?;
                let edges: Vec<Value> = slots
                    .iter()
                    .map(|s| {
                        let upload = s
                            .needs_upload
                            .then(|| self.url("PUT", Kind::ArtifactFile, s.artifact_pk, &s.path));
                        json!({"node": {
                            "__typename": "File",
                            "storagePath": format!("artifacts/{}/{}", s.artifact_pk, s.path),
                            "uploadUrl": upload,
                            "uploadHeaders": [],
                            "uploadMultipartUrls": null,
                            "artifact": {"__typename": "Artifact", "id": ids::keyed("Artifact", s.birth_pk)},
                        }})
                    })
                    .collect();
                Val::json(json!({"files": {"edges": edges}}))
            }
            "commitArtifact" => {
                let id = input
                    .str("artifactID")
                    .ok_or_else(|| ApiError::Unprocessable("artifactID is required".into()))?;
                let row = artifacts::commit(db, &self.state.app.blobs, &self.user, id).await?;
                Val::Map(
                    "CommitArtifactPayload",
                    vec![("artifact", Val::Obj(Obj::Artifact(Arc::new(row))))],
                )
            }
            "useArtifact" => {
                let row = artifacts::use_artifact(db, &self.user, &input).await?;
                Val::Map(
                    "UseArtifactPayload",
                    vec![("artifact", Val::Obj(Obj::Artifact(Arc::new(row))))],
                )
            }
            "updateArtifact" | "addAliases" | "deleteAliases" | "deleteArtifact" => {
                return self.artifact_mutation(name, &input).await
            }
            "upsertView" | "deleteView" => return self.view_mutation(name, &args).await,
            "upsertSweep" => return self.upsert_sweep(&input).await,
            "createAgent" => return self.create_agent(&input).await,
            "agentHeartbeat" => return self.agent_heartbeat(&input).await,
            "notifyScriptableRunAlert" => {
                // `run.alert(title, text, level)`: routed to the project's alert
                // automations.
                let need = |k: &str| {
                    input
                        .str(k)
                        .ok_or_else(|| ApiError::Unprocessable(format!("{k} is required")))
                };
                let at = app::model::ProjectRef::new(
                    match input.str("entityName") {
                        Some(e) => e.to_owned(),
                        None => self.user.username.clone(),
                    },
                    input
                        .str("projectName")
                        .unwrap_or(wire::DEFAULT_PROJECT)
                        .to_owned(),
                );
                let alert = crate::service::automations::events::Alert {
                    title: need("title")?.to_owned(),
                    text: input.str("text").unwrap_or_default().to_owned(),
                    level: app::model::AlertLevel::parse(input.str("severity").unwrap_or("INFO")),
                };
                crate::service::automations::events::alert(
                    db,
                    &self.user,
                    &at,
                    need("runName")?,
                    alert,
                )
                .await?;
                Val::json(json!({"success": true}))
            }
            other => {
                return Err(Failure::Client(format!(
                    "Cairn does not implement the mutation {other:?}"
                )))
            }
        })
    }

    /// `CreateRunFiles`: a signed upload URL per requested name.
    async fn create_run_files(&self, input: &Args) -> Out {
        let entity = input.str("entityName");
        let project = input.str("projectName").unwrap_or(wire::DEFAULT_PROJECT);
        let run_name = input
            .str("runName")
            .ok_or_else(|| ApiError::Unprocessable("runName is required".into()))?;
        let names = input.strings("files").unwrap_or_default();
        for n in &names {
            crate::service::ops::check_file_name(n)?;
        }
        let (tx, _turn) = crate::db::write::begin(self.db()).await?;
        let (project, _owner) =
            crate::service::ops::writable_project(&tx, &self.user, entity, project, false).await?;
        let run = run_repo::find_run(&tx, project.id, run_name)
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("run {run_name:?} not found")))?;
        tx.rollback().await.map_err(ApiError::from)?;
        let files: Vec<Value> = names
            .iter()
            .map(|n| json!({"name": n, "uploadUrl": self.url("PUT", Kind::RunFile, run.id, n)}))
            .collect();
        Ok(Val::json(json!({
            "runID": ids::keyed("Run", run.id),
            "uploadHeaders": [],
            "files": files,
        })))
    }

    async fn project(
        &self,
        p: &Arc<(project::Model, entity::Model)>,
        name: &str,
        args: Args,
    ) -> Out {
        let (project, owner) = (&p.0, &p.1);
        let db = self.db();
        Ok(match name {
            "id" => Val::json(ids::project(&owner.name, &project.name)),
            "internalId" => Val::json(project.id.to_string()),
            "name" => Val::json(project.name.clone()),
            "entityName" => Val::json(owner.name.clone()),
            "description" => Val::json(project.description.clone()),
            "readOnly" => {
                let access = project_access(db, Some(&self.user), project, owner).await?;
                Val::json(access != Access::Write)
            }
            "entity" => Val::json(json!({
                "__typename": "Entity",
                "id": ids::keyed("Entity", owner.id),
                "name": owner.name,
            })),
            "runCount" => match run_filter(&args)? {
                None => Val::json(crate::db::repo::runs::count_live(db, project.id).await?),
                Some(f) => Val::json(filtered_runs(db, project.id, &f, None).await?.len()),
            },
            "runs" => {
                let first = args.i64("first").unwrap_or(50).clamp(1, 1000) as u64;
                let (page, total, offset) = match run_filter(&args)? {
                    None => {
                        let total =
                            crate::db::repo::runs::count_live(db, project.id).await? as usize;
                        let offset = offset_of(&args).min(total);
                        let page = crate::db::repo::runs::page(
                            db,
                            project.id,
                            args.str("order"),
                            offset as u64,
                            first,
                        )
                        .await?;
                        (page, total, offset)
                    }
                    Some(f) => {
                        let all = filtered_runs(db, project.id, &f, args.str("order")).await?;
                        let total = all.len();
                        let offset = offset_of(&args).min(total);
                        let page = all.into_iter().skip(offset).take(first as usize).collect();
                        (page, total, offset)
                    }
                };
                let nodes = page
                    .into_iter()
                    .map(|run| {
                        Val::Obj(Obj::Run(Arc::new(RunRow {
                            run,
                            project: project.clone(),
                            entity: owner.clone(),
                        })))
                    })
                    .collect();
                connection(nodes, offset, total)
            }
            "run" | "bucket" => {
                let found = match args.str("name") {
                    Some(n) => run_repo::find_run(db, project.id, n).await?,
                    None => None,
                };
                Val::opt(found.map(|run| {
                    Obj::Run(Arc::new(RunRow {
                        run,
                        project: project.clone(),
                        entity: owner.clone(),
                    }))
                }))
            }
            "artifact" | "artifactCollectionMembership" => {
                let found = match args.str("name") {
                    Some(n) => artifacts::resolve(db, project, owner, n).await?,
                    None => None,
                };
                let wrap = if name == "artifact" {
                    Obj::Artifact
                } else {
                    Obj::Membership
                };
                Val::opt(found.map(|r| wrap(Arc::new(r))))
            }
            "artifactTypes" | "artifactType" | "artifactCollections" => {
                return self.project_artifacts(p, name, &args).await
            }
            "allViews" | "views" => return self.project_views(p, &args).await,
            "sweep" => return self.project_sweep(owner, &args).await,
            "sweeps" | "totalSweeps" => return self.project_sweeps(p, name, &args).await,
            "artifactCollection" | "artifactSequence" => {
                let found = match args.str("name") {
                    Some(n) => artifacts::collection(db, project, owner, n).await?,
                    None => None,
                };
                Val::opt(found.map(|c| Obj::Collection(Arc::new(c))))
            }
            _ => Val::null(),
        })
    }

    async fn run(&self, r: &Arc<RunRow>, name: &str, args: Args) -> Out {
        let run = &r.run;
        let db = self.db();
        Ok(match name {
            "id" => Val::json(ids::keyed("Run", run.id)),
            "name" => Val::json(run.run_id.clone()),
            "displayName" => Val::json(run.display_name.clone()),
            "projectId" => Val::json(r.project.id.to_string()),
            "project" => Val::Obj(Obj::Project(Arc::new((
                r.project.clone(),
                r.entity.clone(),
            )))),
            "state" => Val::json(run.state.clone()),
            "tags" => Val::Json(json!(run.tag_list())),
            "notes" => Val::json(Some(run.notes.clone()).filter(|n| !n.is_empty())),
            "description" => Val::json(Some(run.notes.clone()).filter(|n| !n.is_empty())),
            "group" => Val::json(run.group_name.clone()),
            "jobType" => Val::json(run.job_type.clone()),
            "commit" => Val::json(run.git_commit.clone()),
            "host" => Val::json(run.host.clone()),
            "sweepName" => Val::json(crate::service::sweeps::sweep_of_run(db, run.id).await?),
            "stopped" | "shouldStop" => {
                let marked = crate::db::repo::sweeps::run_of(db, run.id)
                    .await?
                    .is_some_and(|r| r.stop_at.is_some());
                Val::json(marked || run.state == RunState::Killed.as_str())
            }
            "failed" => Val::json(matches!(run.state.as_str(), "failed" | "crashed")),
            "running" => Val::json(run.state == RunState::Running.as_str()),
            "readOnly" => {
                let access = project_access(db, Some(&self.user), &r.project, &r.entity).await?;
                Val::json(access != Access::Write)
            }
            "createdAt" => Val::json(iso_utc_seconds(run.created_at)),
            "heartbeatAt" => Val::json(iso_utc_seconds(run.heartbeat_at)),
            "exitcode" => Val::json(run.exit_code),
            "user" => {
                let u = users::find_by_id(db, run.user_id).await?;
                Val::Json(u.map_or(Value::Null, |u| {
                    json!({"__typename": "User", "name": u.display_name, "username": u.username})
                }))
            }
            "config" => {
                let meta = run_wandb::find(db, run.id).await?.map(|w| w.wandb_config);
                Val::json(wire::wandb_config_text(&run.config, meta.as_deref()))
            }
            "wandbConfig" => {
                let meta: Value = run_wandb::find(db, run.id)
                    .await?
                    .and_then(|w| serde_json::from_str(&w.wandb_config).ok())
                    .unwrap_or(json!({}));
                let keys = args.strings("keys");
                let picked: serde_json::Map<String, Value> = meta
                    .as_object()
                    .map(|m| {
                        m.iter()
                            .filter(|(k, _)| keys.as_ref().is_none_or(|ks| ks.contains(k)))
                            .map(|(k, v)| (k.clone(), v.clone()))
                            .collect()
                    })
                    .unwrap_or_default();
                json_text(&Value::Object(picked))
            }
            "summaryMetrics" => {
                let stored = run_wandb::find(db, run.id).await?.and_then(|w| w.summary);
                let summary = match stored {
                    Some(s) => s,
                    None => {
                        // A run logged through /api/v1: its effective summary.
                        let auto = run.auto_summary();
                        let explicit = run.explicit_summary();
                        Value::Object(app::logic::summary::effective(&auto, &explicit)).to_string()
                    }
                };
                Val::json(summary)
            }
            "systemMetrics" => {
                let tail = history::events_tail(db, run.id).await?;
                Val::json(tail.last().cloned().unwrap_or_else(|| "{}".into()))
            }
            "historyLineCount" => Val::json(run_lines::history_count(db, run.id).await?),
            "eventsLineCount" => Val::json(run_lines::events_count(db, run.id).await?),
            "logLineCount" => Val::json(console::next_line(db, run.id).await?),
            "historyTail" => json_text(&json!(history::history_tail(db, run.id).await?)),
            "eventsTail" => json_text(&json!(history::events_tail(db, run.id).await?)),
            "historyKeys" => Val::Json(history::history_keys(db, run.id).await?),
            "history" => {
                let samples = args.i64("samples").unwrap_or(500).clamp(1, 100_000) as usize;
                let (min, max) = (args.i64("minStep"), args.i64("maxStep"));
                let lines = if min.is_some() || max.is_some() {
                    run_lines::history_lines(db, run.id, min, max, Some(samples as u64)).await?
                } else {
                    history::spread_history(db, run.id, samples).await?
                };
                Val::json(lines)
            }
            "sampledHistory" => {
                let specs = args
                    .get("specs")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                let mut out = Vec::with_capacity(specs.len());
                for spec in specs {
                    let spec = match spec {
                        Value::String(s) => wire::parse_lenient(&s).unwrap_or(Value::Null),
                        other => other,
                    };
                    // `{}` (what the sweep agent sends) asks for nothing.
                    if spec.as_object().is_some_and(|o| o.is_empty()) {
                        out.push(Value::Array(Vec::new()));
                        continue;
                    }
                    out.push(Value::Array(
                        history::sampled_history(db, run.id, &spec).await?,
                    ));
                }
                Val::json(out)
            }
            "parquetHistory" => Val::json(json!({"parquetUrls": [], "liveData": []})),
            "fileCount" => Val::json(self.run_files(run).await?.len()),
            "files" => {
                let all = self.run_files(run).await?;
                let names = args.strings("names").unwrap_or_default();
                let pattern = args.str("pattern");
                let matching: Vec<run_file::Model> = all
                    .into_iter()
                    .filter(|f| names.is_empty() || names.contains(&f.name))
                    .filter(|f| pattern.is_none_or(|p| like(p, &f.name)))
                    .collect();
                let offset = offset_of(&args).min(matching.len());
                let first = args.i64("first").unwrap_or(50).clamp(1, 10_000) as usize;
                let page: Vec<Val<Obj>> = matching
                    .iter()
                    .skip(offset)
                    .take(first)
                    .map(|f| Val::Json(self.file_json(run, f)))
                    .collect();
                connection(page, offset, matching.len())
            }
            _ => Val::null(),
        })
    }

    async fn run_files(&self, run: &run::Model) -> Result<Vec<run_file::Model>, ApiError> {
        // Every file: the client pages through them itself.
        Ok(crate::db::repo::files::list(self.db(), run.id, None).await?)
    }

    fn file_json(&self, run: &run::Model, f: &run_file::Model) -> Value {
        let url = self.url("GET", Kind::RunFile, run.id, &f.name);
        json!({
            "__typename": "File",
            "id": ids::keyed("File", f.id),
            "name": f.name,
            "url": url,
            "directUrl": url,
            "sizeBytes": f.size,
            "mimetype": mimetype(&f.name),
            "updatedAt": iso_utc_seconds(f.created_at),
            "md5": artifacts::md5_base64_of_hex(&f.md5),
        })
    }

    async fn collection(&self, c: &Arc<CollectionRow>, name: &str) -> Out {
        Ok(match name {
            "id" => Val::json(ids::keyed("ArtifactCollection", c.coll.id)),
            "name" => Val::json(c.coll.name.clone()),
            "description" => Val::json(c.coll.description.clone()),
            "createdAt" | "updatedAt" => Val::json(iso_utc_seconds(c.coll.created_at)),
            "tags" => Val::json(json!({"edges": []})),
            "project" => Val::Obj(Obj::Project(Arc::new((
                c.project.clone(),
                c.entity.clone(),
            )))),
            "artifactType" | "defaultArtifactType" => {
                Val::json(json!({"__typename": "ArtifactType", "name": c.coll.type_name}))
            }
            "latestArtifact" => Val::opt(
                artifacts::version(self.db(), c, "latest")
                    .await?
                    .map(|r| Obj::Artifact(Arc::new(r))),
            ),
            _ => Val::null(),
        })
    }

    async fn artifact(&self, a: &Arc<ArtifactRow>, name: &str, args: Args) -> Out {
        let art = &a.art;
        let db = self.db();
        Ok(match name {
            "id" => Val::json(ids::keyed("Artifact", art.id)),
            "artifactSequence" | "artifactCollection" => {
                Val::Obj(Obj::Collection(Arc::new(a.at.clone())))
            }
            "versionIndex" => Val::json(art.version_index),
            "version" => Val::json(format!("v{}", art.version_index)),
            "artifactType" => {
                Val::json(json!({"__typename": "ArtifactType", "name": a.at.coll.type_name}))
            }
            "description" => Val::json(art.description.clone()),
            "metadata" => Val::json(art.metadata.clone().unwrap_or_else(|| "{}".into())),
            "ttlDurationSeconds" => Val::json(art.ttl_seconds.unwrap_or(-2)),
            "ttlIsInherited" => Val::json(art.ttl_seconds.is_none()),
            "tags" | "usedBy" | "createdBy" => return self.artifact_links(a, name).await,
            "historyStep" => Val::json(art.history_step),
            "state" => Val::json(art.state.clone()),
            "size" => Val::json(art.size),
            "digest" => Val::json(art.digest.clone()),
            "digestAlgorithm" => Val::json("MANIFEST_MD5"),
            "commitHash" => Val::json(art.digest.get(..20).map(str::to_owned)),
            "fileCount" => Val::json(art.file_count),
            "createdAt" => Val::json(iso_utc_seconds(art.created_at)),
            "updatedAt" => Val::json(iso_utc_seconds(art.updated_at)),
            "aliases" => {
                let names = artifacts::aliases_of(db, art.id).await?;
                Val::List(
                    names
                        .into_iter()
                        .map(|alias| {
                            Val::Map(
                                "ArtifactAlias",
                                vec![
                                    (
                                        "id",
                                        Val::json(ids::encode(&format!(
                                            "ArtifactAlias:{}:{alias}",
                                            art.id
                                        ))),
                                    ),
                                    ("alias", Val::json(alias)),
                                    (
                                        "artifactCollection",
                                        Val::Obj(Obj::Collection(Arc::new(a.at.clone()))),
                                    ),
                                ],
                            )
                        })
                        .collect(),
                )
            }
            "currentManifest" => Val::json(json!({
                "__typename": "ArtifactManifest",
                "id": ids::keyed("ArtifactManifest", art.id),
                "file": {
                    "__typename": "File",
                    "id": ids::keyed("ManifestFile", art.id),
                    "name": MANIFEST_NAME,
                    "directUrl": self.url("GET", Kind::Manifest, art.id, MANIFEST_NAME),
                },
            })),
            "files" => self.artifact_files(a, &args).await?,
            _ => Val::null(),
        })
    }

    async fn artifact_files(&self, a: &Arc<ArtifactRow>, args: &Args) -> Out {
        let files = artifacts::files_of(self.db(), a.art.id).await?;
        let names = args.strings("names").unwrap_or_default();
        let matching: Vec<_> = files
            .into_iter()
            .filter(|f| names.is_empty() || names.contains(&f.path))
            .collect();
        let offset = offset_of(args).min(matching.len());
        let first = args.i64("first").unwrap_or(5000).clamp(1, 10_000) as usize;
        let page: Vec<Val<Obj>> = matching
            .iter()
            .skip(offset)
            .take(first)
            .map(|f| {
                Val::json(json!({
                    "__typename": "File",
                    "id": ids::encode(&format!("ArtifactFile:{}:{}", a.art.id, f.path)),
                    "name": f.path,
                    "displayName": f.path,
                    "digest": f.md5,
                    "md5": f.md5,
                    "sizeBytes": f.size,
                    "mimetype": mimetype(&f.path),
                    "directUrl": self.url("GET", Kind::ArtifactFile, a.art.id, &f.path),
                    "url": self.url("GET", Kind::ArtifactFile, a.art.id, &f.path),
                }))
            })
            .collect();
        Ok(connection(page, offset, matching.len()))
    }

    async fn membership(&self, a: &Arc<ArtifactRow>, name: &str, args: Args) -> Out {
        Ok(match name {
            "id" => Val::json(ids::keyed("ArtifactCollectionMembership", a.art.id)),
            "artifact" => Val::Obj(Obj::Artifact(a.clone())),
            "artifactCollection" => Val::Obj(Obj::Collection(Arc::new(a.at.clone()))),
            "versionIndex" | "createdAt" | "aliases" => return self.artifact(a, name, args).await,
            "files" => self.artifact_files(a, &args).await?,
            _ => Val::null(),
        })
    }
}

/// The `filters` argument of `runs`/`runCount`, checked; `None` for no filter.
fn run_filter(args: &Args) -> Result<Option<Value>, Failure> {
    let filter = match args.get("filters") {
        None => return Ok(None),
        Some(Value::String(text)) => wire::parse_lenient(text)
            .map_err(|e| Failure::Client(format!("filters is not JSON: {e}")))?,
        Some(other) => other.clone(),
    };
    if filter.as_object().is_some_and(|o| o.is_empty()) {
        return Ok(None);
    }
    filters::check(&filter).map_err(|e| Failure::Client(format!("bad run filter: {}", e.0)))?;
    Ok(Some(filter))
}

/// The project's live runs passing `filter`, oldest first (`-…` order: newest first).
async fn filtered_runs(
    db: &sea_orm::DatabaseConnection,
    project_id: i32,
    filter: &Value,
    order: Option<&str>,
) -> Result<Vec<run::Model>, Failure> {
    let mut all = run_repo::list(db, project_id).await?;
    // `list` is newest first.
    if !order.is_some_and(|o| o.starts_with('-')) {
        all.reverse();
    }
    let sweeps = crate::db::repo::sweeps::sweep_names_of_project(db, project_id).await?;
    let mut out = Vec::new();
    for run in all {
        let mut doc = run_document(&run);
        doc["sweep"] = sweeps
            .get(&run.id)
            .map_or(Value::Null, |n| Value::from(n.clone()));
        if filters::matches(filter, &doc).map_err(|e| Failure::Client(e.0))? {
            out.push((run, doc));
        }
    }
    // An order by a document key (`+summary_metrics.loss`, what `sweep.best_run()`
    // asks): numbers in that order, runs without the key last either way.
    if let Some(key) = order
        .map(|o| o.trim_start_matches(['+', '-']))
        .filter(|k| !matches!(*k, "created_at" | "createdAt" | ""))
    {
        let desc = order.is_some_and(|o| o.starts_with('-'));
        let value = |doc: &Value| filters::lookup(doc, key).and_then(Value::as_f64);
        out.sort_by(|(_, a), (_, b)| match (value(a), value(b)) {
            (Some(x), Some(y)) if desc => y.total_cmp(&x),
            (Some(x), Some(y)) => x.total_cmp(&y),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        });
    }
    Ok(out.into_iter().map(|(r, _)| r).collect())
}

/// A run as the public API's filters see it.
fn run_document(run: &run::Model) -> Value {
    let auto = run.auto_summary();
    let explicit = run.explicit_summary();
    let summary = app::logic::summary::effective(&auto, &explicit);
    let created = iso_utc_seconds(run.created_at);
    json!({
        "name": run.run_id,
        "display_name": run.display_name,
        "displayName": run.display_name,
        "state": run.state,
        "tags": json!(run.tag_list()),
        "group": run.group_name,
        "jobType": run.job_type,
        "job_type": run.job_type,
        "host": run.host,
        "notes": run.notes,
        "createdAt": created,
        "created_at": created,
        "config": Value::Object(run.config_map()),
        "summary_metrics": summary,
    })
}

/// A `%`-wildcard pattern (as W&B's file `pattern` argument) against a name.
fn like(pattern: &str, name: &str) -> bool {
    let parts: Vec<&str> = pattern.split('%').collect();
    if parts.len() == 1 {
        return pattern == name;
    }
    let mut rest = name;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            match rest.strip_prefix(part) {
                Some(r) => rest = r,
                None => return false,
            }
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            match rest.find(part) {
                Some(at) => rest = &rest[at + part.len()..],
                None => return false,
            }
        }
    }
    true
}

fn mimetype(name: &str) -> &'static str {
    match name.rsplit_once('.').map(|(_, ext)| ext) {
        Some("json") => "application/json",
        Some("txt" | "log" | "yaml" | "yml" | "csv") => "text/plain",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        _ => "application/octet-stream",
    }
}

impl Resolver for Ctx {
    type Obj = Obj;

    fn typename(&self, obj: &Obj) -> &'static str {
        match obj {
            Obj::Query => "Query",
            Obj::Mutation => "Mutation",
            Obj::Project(_) => "Project",
            Obj::Run(_) => "Run",
            Obj::Collection(_) => "ArtifactSequence",
            Obj::Artifact(_) => "Artifact",
            Obj::Membership(_) => "ArtifactCollectionMembership",
            Obj::ArtifactType(_) => "ArtifactType",
            Obj::Sweep(_) => "Sweep",
            Obj::Agent(_) => "Agent",
            Obj::EntityScope(_) => "Project",
        }
    }

    fn field<'a>(&'a self, obj: &'a Obj, name: &'a str, args: Args) -> BoxFuture<'a, Out> {
        Box::pin(async move {
            match obj {
                Obj::Query => self.query(name, args).await,
                Obj::Mutation => self.mutation(name, args).await,
                Obj::Project(p) => self.project(p, name, args).await,
                Obj::Run(r) => self.run(r, name, args).await,
                Obj::Sweep(sw) => self.sweep(sw, name, args).await,
                Obj::Agent(a) => self.agent(a, name, args).await,
                Obj::EntityScope(e) => match name {
                    "sweep" => self.project_sweep(e, &args).await,
                    "entityName" => Ok(Val::json(e.name.clone())),
                    _ => Ok(Val::null()),
                },
                Obj::Collection(c) => match name {
                    "artifactMembership" => {
                        let alias = args.str("aliasName").unwrap_or("latest");
                        Ok(Val::opt(
                            artifacts::version(self.db(), c, alias)
                                .await?
                                .map(|r| Obj::Membership(Arc::new(r))),
                        ))
                    }
                    _ => self.collection(c, name).await,
                },
                Obj::Artifact(a) => self.artifact(a, name, args).await,
                Obj::Membership(a) => self.membership(a, name, args).await,
                Obj::ArtifactType(t) => self.artifact_type(t, name, args).await,
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns() {
        assert!(like("media/%", "media/images/a.png"));
        assert!(like("%.png", "media/images/a.png"));
        assert!(like("%images%", "media/images/a.png"));
        assert!(!like("%.jpg", "media/images/a.png"));
        assert!(like("config.yaml", "config.yaml"));
        assert!(!like("config.yaml", "config.yml"));
    }

    #[test]
    fn cursors_round_trip() {
        let args = Args(
            serde_json::json!({"after": cursor(7)})
                .as_object()
                .unwrap()
                .clone(),
        );
        assert_eq!(offset_of(&args), 7);
        assert_eq!(offset_of(&Args::default()), 0);
    }
}
