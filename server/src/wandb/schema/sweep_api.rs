//! Sweeps for the wandb client: `UpsertSweep` (create, update, state changes, the
//! local controller's syncs), `SweepWithRuns` and the public API's `GetSweep(s)`
//! (`project.sweep(sweepName)`, `project.sweeps`), `CreateAgent` and the agents'
//! heartbeats. All of them go through `service::sweeps`.

use std::sync::Arc;

use serde_json::{json, Value};

use app::logic::format::iso_utc_seconds;
use app::logic::sweeps::config;

use super::{connection, offset_of, Ctx, Obj, Out};
use crate::db::entities::{entity, project};
use crate::db::repo::sweeps as repo;
use crate::error::ApiError;
use crate::service::sweeps::{self, Found};
use crate::wandb::gql::{Args, Failure, Val};
use crate::wandb::ids;
use crate::wandb::upsert::RunRow;

/// An agent of a sweep.
pub struct AgentObj {
    pub row: repo::AgentRow,
    pub sweep: Arc<Found>,
}

/// A sweep id as the client sends it back: the keyed form Cairn hands out.
fn sweep_pk(id: &str) -> Option<i32> {
    ids::parse_keyed("Sweep", id).or_else(|| id.parse().ok())
}

/// `e/p/id` or `p/id` where a bare id belongs (`wandb controller e/p/id`).
fn last_segment(name: &str) -> &str {
    name.rsplit('/').next().unwrap_or(name)
}

impl Ctx {
    /// `project.sweep(sweepName)`: by the project's entity; sweep names are unique
    /// per entity, so a sweep of another project of the entity is found too (a bare
    /// `wandb agent ID` names no project).
    pub(super) async fn project_sweep(&self, owner: &entity::Model, args: &Args) -> Out {
        let Some(name) = args.str("sweepName").or(args.str("name")) else {
            return Ok(Val::null());
        };
        match sweeps::find(
            self.db(),
            Some(&self.user),
            Some(&owner.name),
            last_segment(name),
        )
        .await
        {
            Ok(f) => Ok(Val::Obj(Obj::Sweep(Arc::new(f)))),
            Err(ApiError::NotFound(_)) => Ok(Val::null()),
            Err(e) => Err(e.into()),
        }
    }

    /// `project.sweeps(first, after)` and `project.totalSweeps`.
    pub(super) async fn project_sweeps(
        &self,
        p: &Arc<(project::Model, entity::Model)>,
        name: &str,
        args: &Args,
    ) -> Out {
        let rows = repo::list(self.db(), p.0.id).await?;
        if name == "totalSweeps" {
            return Ok(Val::json(rows.len()));
        }
        let first = args.i64("first").unwrap_or(50).clamp(1, 500) as usize;
        let total = rows.len();
        let offset = offset_of(args).min(total);
        let nodes = rows
            .into_iter()
            .skip(offset)
            .take(first)
            .map(|row| {
                Val::Obj(Obj::Sweep(Arc::new(Found {
                    row,
                    project: p.0.clone(),
                    entity: p.1.clone(),
                    access: crate::auth::access::Access::Read,
                })))
            })
            .collect();
        Ok(connection(nodes, offset, total))
    }

    /// A sweep's fields.
    pub(super) async fn sweep(&self, f: &Arc<Found>, name: &str, args: Args) -> Out {
        let db = self.db();
        let row = &f.row;
        let cfg = config::parse(&row.config).ok();
        Ok(match name {
            "id" => Val::json(ids::keyed("Sweep", row.id)),
            "name" => Val::json(row.name.clone()),
            "displayName" => Val::json(
                row.display_name
                    .clone()
                    .or_else(|| cfg.as_ref().and_then(|c| c.name.clone())),
            ),
            "description" => Val::json(cfg.as_ref().and_then(|c| c.description.clone())),
            "method" => Val::json(row.method.clone()),
            "state" => Val::json(row.state.clone()),
            "config" => Val::json(row.config.clone()),
            "controller" => Val::json(row.controller.clone()),
            "scheduler" => Val::json(row.scheduler.clone()),
            "createdAt" => Val::json(iso_utc_seconds(row.created_at)),
            "updatedAt" => Val::json(iso_utc_seconds(row.updated_at)),
            "heartbeatAt" => Val::json(row.heartbeat_at.map(iso_utc_seconds)),
            "earlyStopJobRunning" => Val::json(false),
            "user" => Val::json(
                json!({"__typename": "User", "username": row.creator, "name": row.creator}),
            ),
            "project" => Val::Obj(Obj::Project(Arc::new((
                f.project.clone(),
                f.entity.clone(),
            )))),
            "runCountExpected" => Val::json(cfg.as_ref().and_then(|c| c.expected_runs())),
            "runCount" | "bestLoss" => {
                let runs = repo::runs(db, row.id).await?;
                if name == "runCount" {
                    return Ok(Val::json(runs.len()));
                }
                let Some(c) = cfg else { return Ok(Val::null()) };
                let past = sweeps::past_runs(&c, &runs);
                let best = c.metric.as_ref().and_then(|m| {
                    past.iter()
                        .filter_map(|p| p.metric)
                        .reduce(|a, b| if m.better(b, a) { b } else { a })
                });
                Val::json(best)
            }
            "runs" => {
                let runs = repo::runs(db, row.id).await?;
                let models = crate::db::repo::runs::find_by_pks(
                    db,
                    &runs.iter().map(|r| r.run_pk).collect::<Vec<_>>(),
                )
                .await?;
                let total = models.len();
                let nodes = models
                    .into_iter()
                    .map(|run| {
                        Val::Obj(Obj::Run(Arc::new(RunRow {
                            run,
                            project: f.project.clone(),
                            entity: f.entity.clone(),
                        })))
                    })
                    .collect();
                connection(nodes, 0, total)
            }
            "agents" => {
                let agents = repo::agents(db, row.id).await?;
                let total = agents.len();
                let nodes = agents
                    .into_iter()
                    .map(|a| {
                        Val::Obj(Obj::Agent(Arc::new(AgentObj {
                            row: a,
                            sweep: f.clone(),
                        })))
                    })
                    .collect();
                connection(nodes, 0, total)
            }
            "agent" => {
                let key = args.str("agentName").unwrap_or_default();
                let agents = repo::agents(db, row.id).await?;
                Val::opt(
                    agents
                        .into_iter()
                        .find(|a| a.name == key || ids::keyed("Agent", a.id) == key)
                        .map(|a| {
                            Obj::Agent(Arc::new(AgentObj {
                                row: a,
                                sweep: f.clone(),
                            }))
                        }),
                )
            }
            _ => Val::null(),
        })
    }

    pub(super) async fn agent(&self, a: &Arc<AgentObj>, name: &str, args: Args) -> Out {
        let row = &a.row;
        Ok(match name {
            "id" => Val::json(ids::keyed("Agent", row.id)),
            "name" => Val::json(row.name.clone()),
            "host" => Val::json(row.host.clone()),
            "state" => Val::json(row.state.clone()),
            "totalRuns" => Val::json(row.total_runs),
            "createdAt" => Val::json(iso_utc_seconds(row.created_at)),
            "heartbeatAt" => Val::json(iso_utc_seconds(row.heartbeat_at)),
            "user" => {
                Val::json(json!({"__typename": "User", "username": row.user, "name": row.user}))
            }
            "sweep" => Val::Obj(Obj::Sweep(a.sweep.clone())),
            "runs" => {
                // The runs this agent was given, oldest first (`GetAgentRuns`).
                let db = self.db();
                let pks: Vec<i32> = repo::runs(db, a.sweep.row.id)
                    .await?
                    .into_iter()
                    .filter(|r| r.agent_id == Some(row.id))
                    .map(|r| r.run_pk)
                    .collect();
                let models = crate::db::repo::runs::find_by_pks(db, &pks).await?;
                let total = models.len();
                let first = args.i64("first").unwrap_or(50).clamp(1, 1000) as usize;
                let offset = offset_of(&args).min(total);
                let nodes = models
                    .into_iter()
                    .skip(offset)
                    .take(first)
                    .map(|run| {
                        Val::Obj(Obj::Run(Arc::new(RunRow {
                            run,
                            project: a.sweep.project.clone(),
                            entity: a.sweep.entity.clone(),
                        })))
                    })
                    .collect();
                connection(nodes, offset, total)
            }
            _ => Val::null(),
        })
    }

    /// `upsertSweep(input)`.
    pub(super) async fn upsert_sweep(&self, input: &Args) -> Out {
        let db = self.db();
        // JSONString inputs arrive as text (or, from other clients, as JSON).
        let text = |k: &str| -> Option<String> {
            match input.get(k) {
                None | Some(Value::Null) => None,
                Some(Value::String(s)) if k != "config" && (s == "null" || s.is_empty()) => None,
                Some(Value::String(s)) => Some(s.clone()),
                Some(other) => Some(other.to_string()),
            }
        };
        let prior = match text("priorRunsFilters") {
            Some(f) => sweeps::prior_run_names(&f)?,
            None => Vec::new(),
        };
        let (found, warnings) = match input.str("id") {
            None => {
                let config = text("config").ok_or_else(|| {
                    ApiError::Unprocessable("a new sweep needs its config".into())
                })?;
                sweeps::create(
                    db,
                    &self.user,
                    sweeps::Create {
                        entity: input.str("entityName"),
                        project: input.str("projectName"),
                        config: &config,
                        display_name: input.str("displayName"),
                        controller: text("controller").as_deref(),
                        prior_runs: prior,
                    },
                )
                .await?
            }
            Some(id) => {
                let pk = sweep_pk(id)
                    .ok_or_else(|| ApiError::NotFound(format!("sweep {id} not found")))?;
                let (config, controller, scheduler) =
                    (text("config"), text("controller"), text("scheduler"));
                let f = sweeps::update(
                    db,
                    &self.user,
                    pk,
                    sweeps::Update {
                        config: config.as_deref(),
                        controller: controller.as_deref(),
                        scheduler: scheduler.as_deref(),
                        state: input.str("state"),
                        display_name: input.str("displayName"),
                        prior_runs: prior,
                    },
                )
                .await?;
                (f, Vec::new())
            }
        };
        Ok(Val::Map(
            "UpsertSweepPayload",
            vec![
                ("sweep", Val::Obj(Obj::Sweep(Arc::new(found)))),
                ("configValidationWarnings", Val::json(warnings)),
                ("inserted", Val::json(input.str("id").is_none())),
            ],
        ))
    }

    /// `createAgent(input)`: a finished or cancelled sweep answers HTTP 400 with
    /// "Sweep ID is not running", which the agent prints and stops on.
    pub(super) async fn create_agent(&self, input: &Args) -> Out {
        let Some(sweep) = input.str("sweep") else {
            return Err(Failure::Client("createAgent needs the sweep".into()));
        };
        let sweep = last_segment(sweep);
        let id = match sweeps::create_agent(
            self.db(),
            &self.user,
            input.str("entityName"),
            sweep,
            input.str("host").unwrap_or(""),
        )
        .await
        {
            Ok(id) => id,
            Err(ApiError::BadRequest(m)) => return Err(Failure::Http(400, m)),
            Err(e) => return Err(e.into()),
        };
        Ok(Val::Map(
            "CreateAgentPayload",
            vec![(
                "agent",
                Val::json(
                    json!({"__typename": "Agent", "id": ids::keyed("Agent", id), "name": format!("agent-{id}")}),
                ),
            )],
        ))
    }

    /// `agentHeartbeat(input)`: `commands` is a JSON string holding a list. An
    /// agent or sweep that is gone answers 404, which makes the agent drain and quit.
    pub(super) async fn agent_heartbeat(&self, input: &Args) -> Out {
        let id = input
            .str("id")
            .and_then(|i| ids::parse_keyed("Agent", i).or_else(|| i.parse().ok()))
            .ok_or_else(|| Failure::Http(404, "agent not found".into()))?;
        let running: Vec<String> = match input.get("runState") {
            Some(Value::String(s)) => match serde_json::from_str::<Value>(s) {
                Ok(Value::Object(m)) => m
                    .into_iter()
                    .filter(|(_, v)| v.as_bool() != Some(false))
                    .map(|(k, _)| k)
                    .collect(),
                _ => Vec::new(),
            },
            Some(Value::Object(m)) => m.keys().cloned().collect(),
            _ => Vec::new(),
        };
        let commands = match sweeps::heartbeat(
            self.db(),
            &self.user,
            sweeps::Heartbeat {
                agent_id: id,
                running,
            },
        )
        .await
        {
            Ok(c) => c,
            Err(ApiError::NotFound(m)) => return Err(Failure::Http(404, m)),
            Err(e) => return Err(e.into()),
        };
        Ok(Val::Map(
            "AgentHeartbeatPayload",
            vec![
                (
                    "agent",
                    Val::json(json!({"__typename": "Agent", "id": ids::keyed("Agent", id)})),
                ),
                ("commands", Val::json(Value::Array(commands).to_string())),
            ],
        ))
    }
}
