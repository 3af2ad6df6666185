//! Sweeps: one service behind every door (the Sweeps tab's server functions,
//! `/api/v1`, and the wandb client's `wandb sweep`, `wandb agent`, `wandb
//! controller` and public API). Cairn is the controller: an idle agent's heartbeat
//! asks for the next run, decided inside one transaction with the sweep's row
//! locked, so a run cap or a grid holds exactly however many agents poll at once.
//!
//! Reading follows the project's visibility; creating, steering and running a sweep
//! needs write access to its project.

use std::collections::HashMap;

use sea_orm::ConnectionTrait;
use serde_json::{Map, Value};

use app::logic::summary::AutoSummary;
use app::logic::sweeps::config::{self, Goal, SweepConfig};
use app::logic::sweeps::{Outcome, PastRun};
use app::model::{
    ParamScore, ProjectRef, RunState, SweepAgentView, SweepRunView, SweepState, SweepSummary,
    SweepView, SweepsIndex,
};

use crate::auth::access::Access;
use crate::db::entities::{entity, project, user};
use crate::db::repo::projects;
use crate::db::repo::sweeps::{self as repo, SweepRow, SweepRunRow};
use crate::error::ApiError;
use crate::service::reads::readable_project_rights;

mod control;

pub use control::{
    act, create, create_agent, heartbeat, join_run, join_target, prior_run_names, set_state,
    sweep_of_run, update, Create, Heartbeat, Update,
};

/// A sweep with the project and entity it lives in.
#[derive(Clone, Debug)]
pub struct Found {
    pub row: SweepRow,
    pub project: project::Model,
    pub entity: entity::Model,
    pub access: Access,
}

impl Found {
    pub fn at(&self) -> ProjectRef {
        ProjectRef::new(self.entity.name.clone(), self.project.name.clone())
    }

    pub fn state(&self) -> SweepState {
        SweepState::parse(&self.row.state).unwrap_or(SweepState::Finished)
    }

    /// The configuration as Cairn reads it (a stored one was checked when saved).
    pub fn config(&self) -> Result<SweepConfig, ApiError> {
        config::parse(&self.row.config)
            .map_err(|e| ApiError::Internal(format!("sweep {}: stored config: {e}", self.row.name)))
    }

    /// What creating it answers: its id, page, the agent command, the warnings.
    pub fn created(&self, warnings: Vec<String>) -> app::model::SweepCreated {
        let at = self.at();
        app::model::SweepCreated {
            url: app::model::sweep_href(&at, &self.row.name),
            agent_command: agent_command(&at, &self.row.name),
            name: self.row.name.clone(),
            warnings,
        }
    }

    pub fn require_write(&self) -> Result<(), ApiError> {
        if self.access == Access::Write {
            Ok(())
        } else {
            Err(ApiError::Forbidden(
                "you may read this sweep but not change it".into(),
            ))
        }
    }
}

/// The command that starts an agent on a sweep.
pub fn agent_command(at: &ProjectRef, name: &str) -> String {
    format!("wandb agent {}/{}/{}", at.entity, at.project, name)
}

fn not_found(name: &str) -> ApiError {
    ApiError::NotFound(format!("sweep {name} not found"))
}

/// A sweep by entity and name (names are unique per entity, so the project may be
/// left out, as `wandb agent ID` does), if the viewer may read its project.
pub async fn find(
    db: &impl ConnectionTrait,
    viewer: Option<&user::Model>,
    entity_name: Option<&str>,
    name: &str,
) -> Result<Found, ApiError> {
    let owner = match (entity_name, viewer) {
        (Some(e), _) => projects::find_entity(db, e).await?,
        (None, Some(u)) => projects::personal_entity(db, u.id).await?,
        (None, None) => None,
    }
    .ok_or_else(|| not_found(name))?;
    let row = repo::find_by_name(db, owner.id, name)
        .await?
        .ok_or_else(|| not_found(name))?;
    found(db, viewer, row, owner).await
}

/// A sweep by its number.
pub async fn find_by_id(
    db: &impl ConnectionTrait,
    viewer: Option<&user::Model>,
    id: i32,
) -> Result<Found, ApiError> {
    let row = repo::find(db, id)
        .await?
        .ok_or_else(|| not_found(&id.to_string()))?;
    let owner = projects::find_entity_by_id(db, row.entity_id)
        .await?
        .ok_or_else(|| not_found(&row.name))?;
    found(db, viewer, row, owner).await
}

async fn found(
    db: &impl ConnectionTrait,
    viewer: Option<&user::Model>,
    row: SweepRow,
    owner: entity::Model,
) -> Result<Found, ApiError> {
    let project = projects::find_project_by_id(db, row.project_id)
        .await?
        .filter(|p| p.deleted_at.is_none())
        .ok_or_else(|| not_found(&row.name))?;
    let access = crate::auth::access::project_access(db, viewer, &project, &owner).await?;
    if access == Access::None {
        return Err(not_found(&row.name));
    }
    Ok(Found {
        row,
        project,
        entity: owner,
        access,
    })
}

/// A sweep at a project's URL: the same 404 for a missing sweep and a project the
/// viewer may not read.
pub async fn open(
    db: &impl ConnectionTrait,
    viewer: Option<&user::Model>,
    at: &ProjectRef,
    name: &str,
) -> Result<Found, ApiError> {
    let (project, owner, _) = readable_project_rights(db, viewer, at).await?;
    let row = repo::find_by_name(db, owner.id, name)
        .await?
        .filter(|r| r.project_id == project.id)
        .ok_or_else(|| not_found(name))?;
    found(db, viewer, row, owner).await
}

// ---- what runs tell the controller ----

/// The metric's value in a run's summary (explicit values win, as everywhere).
pub fn summary_metric(run: &SweepRunRow, metric: &str) -> Option<f64> {
    let explicit: Map<String, Value> =
        serde_json::from_str(&run.summary_explicit).unwrap_or_default();
    if let Some(v) = explicit.get(metric).and_then(Value::as_f64) {
        return Some(v);
    }
    let auto: AutoSummary = serde_json::from_str(&run.summary_auto).unwrap_or_default();
    auto.0
        .get(metric)
        .map(|p| p.value.0)
        .filter(|v| v.is_finite())
}

fn outcome(state: &str) -> Outcome {
    match state.parse::<RunState>() {
        Ok(RunState::Pending) => Outcome::Pending,
        Ok(RunState::Running) => Outcome::Running,
        Ok(RunState::Finished) => Outcome::Finished,
        _ => Outcome::Failed,
    }
}

/// A run's value for a parameter path (config values may be wrapped as wandb
/// sends them, `{"value": v}`).
fn param_value(cfg_map: &Map<String, Value>, path: &[String]) -> Option<Value> {
    let mut at = cfg_map;
    for (i, k) in path.iter().enumerate() {
        let mut v = at.get(k)?;
        if let Value::Object(m) = v {
            if i == 0 && m.contains_key("value") && m.len() <= 2 {
                v = &m["value"];
            }
        }
        if i + 1 == path.len() {
            return Some(v.clone());
        }
        at = v.as_object()?;
    }
    None
}

/// What the controller knows of each run (metric histories left empty).
pub fn past_runs(cfg: &SweepConfig, runs: &[SweepRunRow]) -> Vec<PastRun> {
    let leaves = cfg.leaves();
    runs.iter()
        .map(|r| {
            let cfg_map: Map<String, Value> = serde_json::from_str(&r.config).unwrap_or_default();
            let params = leaves
                .iter()
                .filter_map(|(p, _)| param_value(&cfg_map, p).map(|v| (p.clone(), v)))
                .collect();
            PastRun {
                key: r
                    .param_key
                    .clone()
                    .or_else(|| config::config_key(cfg, &cfg_map)),
                params,
                outcome: outcome(&r.state),
                metric: cfg.metric.as_ref().and_then(|m| summary_metric(r, &m.name)),
                history: Vec::new(),
            }
        })
        .collect()
}

/// The best metric value among the runs.
fn best(cfg: &SweepConfig, past: &[PastRun]) -> Option<f64> {
    let m = cfg.metric.as_ref()?;
    past.iter()
        .filter_map(|p| p.metric)
        .fold(None, |acc: Option<f64>, v| match acc {
            Some(b) if !m.better(v, b) => Some(b),
            _ => Some(v),
        })
}

fn summary_of(
    row: &SweepRow,
    cfg: Option<&SweepConfig>,
    past: &[PastRun],
    totals: (i64, f64),
) -> SweepSummary {
    SweepSummary {
        name: row.name.clone(),
        display_name: row
            .display_name
            .clone()
            .or_else(|| cfg.and_then(|c| c.name.clone())),
        state: SweepState::parse(&row.state).unwrap_or(SweepState::Finished),
        method: row.method.clone(),
        creator: row.creator.clone(),
        created_at_ms: row.created_at,
        run_count: totals.0.max(0) as u64,
        expected_runs: cfg.and_then(SweepConfig::expected_runs),
        metric: cfg.and_then(|c| c.metric.as_ref().map(|m| m.name.clone())),
        maximize: cfg
            .and_then(|c| c.metric.as_ref())
            .is_some_and(|m| m.goal == Goal::Maximize),
        best: cfg.and_then(|c| best(c, past)),
        compute_seconds: totals.1,
    }
}

/// The Sweeps tab.
pub async fn index(
    db: &impl ConnectionTrait,
    viewer: Option<&user::Model>,
    at: &ProjectRef,
) -> Result<SweepsIndex, ApiError> {
    let (project, _, rights) = readable_project_rights(db, viewer, at).await?;
    let rows = repo::list(db, project.id).await?;
    let totals: HashMap<i32, (i64, f64)> = repo::run_totals(db, project.id)
        .await?
        .into_iter()
        .map(|(id, n, s)| (id, (n, s)))
        .collect();
    let mut sweeps = Vec::with_capacity(rows.len());
    for row in rows {
        let cfg = config::parse(&row.config).ok();
        // The best value needs the runs' summaries; only for sweeps with a metric.
        let past = match &cfg {
            Some(c) if c.metric.is_some() => past_runs(c, &repo::runs(db, row.id).await?),
            _ => Vec::new(),
        };
        let t = totals.get(&row.id).copied().unwrap_or((0, 0.0));
        sweeps.push(summary_of(&row, cfg.as_ref(), &past, t));
    }
    Ok(SweepsIndex {
        at: at.clone(),
        sweeps,
        can_write: rights.access == Access::Write,
    })
}

/// A number for a parameter's value (categorical values by their position).
fn numeric(v: &Value, dist: &config::Dist) -> Option<f64> {
    if let Some(x) = v.as_f64() {
        return Some(x);
    }
    if let Some(b) = v.as_bool() {
        return Some(f64::from(u8::from(b)));
    }
    match dist {
        config::Dist::Categorical { values, .. } => {
            values.iter().position(|c| c == v).map(|i| i as f64)
        }
        _ => None,
    }
}

/// A sweep's page.
pub async fn view(
    db: &impl ConnectionTrait,
    viewer: Option<&user::Model>,
    at: &ProjectRef,
    name: &str,
) -> Result<SweepView, ApiError> {
    let f = open(db, viewer, at, name).await?;
    let cfg = f.config()?;
    let runs = repo::runs(db, f.row.id).await?;
    let past = past_runs(&cfg, &runs);
    let compute: f64 = runs.iter().map(|r| r.runtime_seconds).sum();
    let summary = summary_of(&f.row, Some(&cfg), &past, (runs.len() as i64, compute));
    let leaves = cfg.leaves();
    let params: Vec<String> = leaves.iter().map(|(p, _)| p.join(".")).collect();
    let run_views: Vec<SweepRunView> = runs
        .iter()
        .zip(&past)
        .map(|(r, p)| SweepRunView {
            run_id: r.run_id.clone(),
            display_name: r.display_name.clone(),
            state: r.state.parse().unwrap_or(RunState::Crashed),
            created_at_ms: r.created_at,
            runtime_seconds: r.runtime_seconds,
            metric: p.metric,
            values: leaves
                .iter()
                .map(|(path, _)| {
                    p.params
                        .iter()
                        .find(|(q, _)| q == path)
                        .map_or(Value::Null, |(_, v)| v.clone())
                })
                .collect(),
            requeued: r.requeued_at.is_some(),
        })
        .collect();
    // Importance: over runs with the metric, every parameter that varies.
    let mut importance = Vec::new();
    if cfg.metric.is_some() {
        let scored: Vec<&PastRun> = past.iter().filter(|p| p.metric.is_some()).collect();
        let y: Vec<f64> = scored.iter().filter_map(|p| p.metric).collect();
        let columns: Vec<(String, Vec<f64>)> = leaves
            .iter()
            .filter(|(_, d)| !matches!(d, config::Dist::Constant(_)))
            .filter_map(|(path, d)| {
                let col: Option<Vec<f64>> = scored
                    .iter()
                    .map(|p| {
                        p.params
                            .iter()
                            .find(|(q, _)| q == path)
                            .and_then(|(_, v)| numeric(v, d))
                    })
                    .collect();
                col.map(|c| (path.join("."), c))
            })
            .collect();
        importance = app::logic::sweeps::importance::scores(&columns, &y)
            .into_iter()
            .map(|s| ParamScore {
                name: s.name,
                correlation: s.correlation,
                importance: s.importance,
            })
            .collect();
        importance.sort_by(|a, b| {
            b.importance
                .unwrap_or(0.0)
                .total_cmp(&a.importance.unwrap_or(0.0))
                .then(
                    b.correlation
                        .map_or(0.0, f64::abs)
                        .total_cmp(&a.correlation.map_or(0.0, f64::abs)),
                )
        });
    }
    let by_pk: HashMap<i32, &str> = runs.iter().map(|r| (r.run_pk, r.run_id.as_str())).collect();
    let agents = repo::agents(db, f.row.id)
        .await?
        .into_iter()
        .map(|a| SweepAgentView {
            current_run: a
                .run_pk
                .and_then(|pk| by_pk.get(&pk).map(|s| (*s).to_owned())),
            name: a.name,
            host: a.host,
            user: a.user,
            state: a.state,
            created_at_ms: a.created_at,
            heartbeat_at_ms: a.heartbeat_at,
            total_runs: a.total_runs.max(0) as u64,
        })
        .collect();
    let queued = serde_json::from_str::<Vec<Value>>(&f.row.queue)
        .map(|q| q.len() as u64)
        .unwrap_or(0);
    Ok(SweepView {
        agent_command: format!(
            "wandb agent {}/{}/{}",
            f.entity.name, f.project.name, f.row.name
        ),
        at: f.at(),
        summary,
        description: cfg.description.clone(),
        config: f.row.config.clone(),
        local_controller: cfg.local_controller,
        early_terminate: cfg.early_terminate.is_some(),
        params,
        runs: run_views,
        agents,
        importance,
        queued,
        can_write: f.access == Access::Write,
    })
}
