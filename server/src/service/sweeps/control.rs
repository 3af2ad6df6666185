//! Changing sweeps: creating and updating them, their states, agents and their
//! heartbeats (where the next run is decided), re-queueing failed runs, and runs
//! joining their sweep.

use std::collections::{HashMap, HashSet};
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction, Set};
use serde_json::{json, Map, Value};

use app::logic::sweeps::config::{self, assignment_args, assignment_config, assignment_key};
use app::logic::sweeps::{hyperband, next_run, Method, Next, SweepConfig};
use app::logic::validate;
use app::model::{ProjectRef, RunState, SweepAction, SweepState};

use super::{find_by_id, found, past_runs, Found};
use crate::db::entities::{project, run, user};
use crate::db::now_ms;
use crate::db::repo::sweeps::{self as repo, NewSweep, NewSweepRun, RunMark, SweepUpdate};
use crate::db::repo::{projects, runs};
use crate::error::ApiError;
use crate::service::automations;
use crate::service::ops;

/// Most bytes of a sweep configuration.
pub const MAX_CONFIG_BYTES: usize = 256 * 1024;

/// An agent not heard from for this long is gone: its run that never started fails.
const AGENT_GONE_MS: i64 = 2 * 60 * 1000;

/// How long a hyperband verdict is reused before the histories are read again.
const HYPERBAND_EVERY: Duration = Duration::from_secs(5);

fn bad(e: impl std::fmt::Display) -> ApiError {
    ApiError::Unprocessable(e.to_string())
}

fn check_config(text: &str) -> Result<SweepConfig, ApiError> {
    if text.len() > MAX_CONFIG_BYTES {
        return Err(ApiError::PayloadTooLarge(format!(
            "a sweep configuration may take at most {} KiB",
            MAX_CONFIG_BYTES / 1024
        )));
    }
    config::parse(text).map_err(|e| bad(format!("invalid sweep configuration: {e}")))
}

fn json_object(text: &str, what: &str) -> Result<Map<String, Value>, ApiError> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(Value::Null) => Ok(Map::new()),
        _ => Err(bad(format!("{what} must be a JSON object"))),
    }
}

/// The run names a `priorRunsFilters` value (`{"$or": [{"name": id}, …]}`) lists.
pub fn prior_run_names(filters: &str) -> Result<Vec<String>, ApiError> {
    let v = json_object(filters, "priorRunsFilters")?;
    let mut out = Vec::new();
    let mut walk = vec![Value::Object(v)];
    while let Some(v) = walk.pop() {
        match v {
            Value::Object(m) => {
                for (k, v) in m {
                    match (k.as_str(), v) {
                        ("name", Value::String(s)) => out.push(s),
                        (_, inner) => walk.push(inner),
                    }
                }
            }
            Value::Array(a) => walk.extend(a),
            _ => {}
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// Creating a sweep.
pub struct Create<'a> {
    pub entity: Option<&'a str>,
    pub project: Option<&'a str>,
    pub config: &'a str,
    pub display_name: Option<&'a str>,
    pub controller: Option<&'a str>,
    pub prior_runs: Vec<String>,
}

/// Create a sweep (pending until an agent starts it); with its configuration's
/// warnings. Everything is checked before anything is written, so a refused
/// request leaves nothing behind (the wandb client retries it several times).
pub async fn create(
    db: &DatabaseConnection,
    user: &user::Model,
    c: Create<'_>,
) -> Result<(Found, Vec<String>), ApiError> {
    let cfg = check_config(c.config)?;
    if let Some(ctl) = c.controller {
        json_object(ctl, "controller")?;
    }
    if let Some(d) = c.display_name {
        validate::label("sweep name", d)?;
    }
    // The wandb client's project when none is set.
    let project_name = c.project.unwrap_or("uncategorized");
    let (tx, _turn) = crate::db::write::begin(db).await?;
    let (project, owner) = ops::writable_project(&tx, user, c.entity, project_name, true).await?;
    let now = now_ms();
    let mut name = None;
    for _ in 0..16 {
        let candidate = {
            use rand::Rng;
            let mut rng = rand::thread_rng();
            app::logic::run_id::generate(|n| rng.gen_range(0..n))
        };
        if repo::find_by_name(&tx, owner.id, &candidate)
            .await?
            .is_none()
        {
            name = Some(candidate);
            break;
        }
    }
    let name = name.ok_or_else(|| ApiError::Internal("could not find a free sweep id".into()))?;
    let id = repo::insert(
        &tx,
        NewSweep {
            project_id: project.id,
            entity_id: owner.id,
            name: &name,
            display_name: c.display_name,
            user_id: user.id,
            state: SweepState::Pending.as_wire(),
            method: cfg.method.as_str(),
            config: c.config,
            controller: c.controller,
            now,
        },
    )
    .await?;
    attach_prior(&tx, id, &project, &cfg, &c.prior_runs, now).await?;
    projects::touch_last_active(&tx, project.id, now).await?;
    tx.commit().await?;
    let f = find_by_id(db, Some(user), id).await?;
    Ok((f, cfg.warnings))
}

/// Make existing runs of the project part of the sweep (`-R`): the controller then
/// learns from them, and a grid skips their combinations. No cap on how many.
async fn attach_prior(
    tx: &DatabaseTransaction,
    sweep_id: i32,
    project: &project::Model,
    cfg: &SweepConfig,
    names: &[String],
    now: i64,
) -> Result<(), ApiError> {
    for chunk in names.chunks(500) {
        for r in runs::find_many(tx, project.id, chunk).await? {
            repo::add_run(
                tx,
                NewSweepRun {
                    run_pk: r.id,
                    sweep_id,
                    agent_id: None,
                    param_key: config::config_key(cfg, &r.config_map()).as_deref(),
                    args: None,
                    now,
                },
            )
            .await?;
        }
    }
    Ok(())
}

/// Changing a sweep through `UpsertSweep` with its id (None: unchanged).
#[derive(Default)]
pub struct Update<'a> {
    pub config: Option<&'a str>,
    pub controller: Option<&'a str>,
    pub scheduler: Option<&'a str>,
    pub state: Option<&'a str>,
    pub display_name: Option<&'a str>,
    pub prior_runs: Vec<String>,
}

/// Update a sweep: its configuration while pending (an unchanged one is accepted
/// at any time: the local controller sends it back with every sync), the local
/// controller's fields, its state, prior runs.
pub async fn update(
    db: &DatabaseConnection,
    user: &user::Model,
    id: i32,
    u: Update<'_>,
) -> Result<Found, ApiError> {
    let new_cfg = u.config.map(check_config).transpose()?;
    let state = u
        .state
        .map(|s| SweepState::parse(s).ok_or_else(|| bad(format!("{s:?} is not a sweep state"))))
        .transpose()?;
    let controller = u
        .controller
        .map(|c| json_object(c, "controller"))
        .transpose()?;
    if let Some(s) = u.scheduler {
        json_object(s, "scheduler")?;
    }
    let (tx, _turn) = crate::db::write::begin(db).await?;
    let f = locked(&tx, user, id).await?;
    f.require_write()?;
    let now = now_ms();
    let mut change = SweepUpdate::default();
    let cfg = match new_cfg {
        Some(new) => {
            let old = f.config()?;
            if new.raw != old.raw {
                if f.state() != SweepState::Pending {
                    return Err(ApiError::Conflict(format!(
                        "sweep {} has started; only a pending sweep's configuration can change",
                        f.row.name
                    )));
                }
                change.config = u.config.map(str::to_owned);
                change.method = Some(new.method.as_str().to_owned());
            }
            new
        }
        None => f.config()?,
    };
    if let Some(d) = u.display_name {
        validate::label("sweep name", d)?;
        change.display_name = Some(d.to_owned());
    }
    if let Some(c) = &controller {
        change.controller = Some(Value::Object(c.clone()).to_string());
        // Early-stop requests become stop commands for the runs' agents.
        let names: HashSet<&str> = c
            .get("earlystop")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if !names.is_empty() {
            let pks: Vec<i32> = repo::runs(&tx, f.row.id)
                .await?
                .into_iter()
                .filter(|r| names.contains(r.run_id.as_str()) && r.stop_at.is_none())
                .map(|r| r.run_pk)
                .collect();
            repo::mark_runs(&tx, &pks, RunMark::Stop, now).await?;
        }
    }
    if let Some(s) = u.scheduler {
        change.scheduler = Some(s.to_owned());
    }
    repo::update(&tx, f.row.id, change, now).await?;
    if let Some(to) = state {
        transition(&tx, &f, to, now).await?;
    }
    attach_prior(&tx, f.row.id, &f.project, &cfg, &u.prior_runs, now).await?;
    tx.commit().await?;
    find_by_id(db, Some(user), id).await
}

/// The sweep, locked for this transaction, as `user` sees it.
async fn locked(tx: &DatabaseTransaction, user: &user::Model, id: i32) -> Result<Found, ApiError> {
    let row = repo::lock(tx, id)
        .await?
        .ok_or_else(|| ApiError::NotFound("sweep not found".into()))?;
    let owner = projects::find_entity_by_id(tx, row.entity_id)
        .await?
        .ok_or_else(|| ApiError::NotFound("sweep not found".into()))?;
    found(tx, Some(user), row, owner).await
}

/// Move a sweep to another state; cancelling stops its running runs.
async fn transition(
    tx: &DatabaseTransaction,
    f: &Found,
    to: SweepState,
    now: i64,
) -> Result<(), ApiError> {
    let from = f.state();
    if from == to {
        return Ok(());
    }
    if !from.may_become(to) {
        return Err(ApiError::Conflict(format!(
            "sweep {} is {}; it cannot become {}",
            f.row.name,
            from.label().to_lowercase(),
            to.label().to_lowercase()
        )));
    }
    if to == SweepState::Canceled {
        let runs = repo::runs(tx, f.row.id).await?;
        // Only the runs the sweep handed out: a prior run (`-R`) is not the sweep's.
        let live: Vec<_> = runs
            .iter()
            .filter(|r| r.args.is_some() && (r.state == "running" || r.state == "pending"))
            .collect();
        let pks: Vec<i32> = live.iter().map(|r| r.run_pk).collect();
        repo::mark_runs(tx, &pks, RunMark::Stop, now).await?;
        for r in live {
            // A killed run's next file_stream post answers `stopped`, ending the
            // script even where its agent is gone.
            repo::set_run_state(tx, r.run_pk, RunState::Killed.as_str(), now).await?;
        }
    }
    repo::update(
        tx,
        f.row.id,
        SweepUpdate {
            state: Some(to.as_wire().to_owned()),
            finished_at: Some(to.is_over().then_some(now)),
            ..SweepUpdate::default()
        },
        now,
    )
    .await?;
    if to == SweepState::Finished {
        automations::events::sweep_finished(tx, f.project.id, f.row.id, None).await?;
    }
    Ok(())
}

/// Set a sweep's state by id (the wandb CLI's `--pause/--resume/--stop/--cancel`).
pub async fn set_state(
    db: &DatabaseConnection,
    user: &user::Model,
    id: i32,
    to: SweepState,
) -> Result<Found, ApiError> {
    let (tx, _turn) = crate::db::write::begin(db).await?;
    let f = locked(&tx, user, id).await?;
    f.require_write()?;
    transition(&tx, &f, to, now_ms()).await?;
    tx.commit().await?;
    find_by_id(db, Some(user), id).await
}

/// A button of the sweep page (or `/api/v1`).
pub async fn act(
    db: &DatabaseConnection,
    user: &user::Model,
    at: &ProjectRef,
    name: &str,
    action: SweepAction,
) -> Result<Found, ApiError> {
    let f = super::open(db, Some(user), at, name).await?;
    f.require_write()?;
    match action {
        SweepAction::Pause => set_state(db, user, f.row.id, SweepState::Paused).await,
        SweepAction::Resume => set_state(db, user, f.row.id, SweepState::Running).await,
        SweepAction::Stop => set_state(db, user, f.row.id, SweepState::Finished).await,
        SweepAction::Cancel => set_state(db, user, f.row.id, SweepState::Canceled).await,
        SweepAction::Requeue => requeue(db, user, f.row.id).await,
    }
}

/// Queue the parameter sets of the sweep's failed and crashed runs again; a
/// finished sweep runs again to hand them out.
async fn requeue(db: &DatabaseConnection, user: &user::Model, id: i32) -> Result<Found, ApiError> {
    let (tx, _turn) = crate::db::write::begin(db).await?;
    let f = locked(&tx, user, id).await?;
    f.require_write()?;
    if f.state() == SweepState::Canceled {
        return Err(ApiError::Conflict(format!(
            "sweep {} was cancelled; nothing more runs in it",
            f.row.name
        )));
    }
    let cfg = f.config()?;
    if cfg.local_controller {
        return Err(ApiError::Conflict(
            "this sweep's local controller decides its runs; re-queue there".into(),
        ));
    }
    // A stopped sweep with no end of its own would, reopened, run on without end.
    let bounded =
        cfg.run_cap.is_some() || cfg.method == Method::Grid || cfg.random_without_replacement;
    if f.state() == SweepState::Finished && !bounded {
        return Err(ApiError::Conflict(format!(
            "sweep {} was stopped and has no run_cap: reopened it would not end; create a new sweep (wandb sweep -R with these runs)",
            f.row.name
        )));
    }
    let runs = repo::runs(&tx, f.row.id).await?;
    let failed: Vec<_> = runs
        .iter()
        .filter(|r| matches!(r.state.as_str(), "failed" | "crashed"))
        .filter(|r| r.requeued_at.is_none() && r.args.is_some())
        .collect();
    if failed.is_empty() {
        return Err(ApiError::Conflict(
            "no failed or crashed runs to re-queue".into(),
        ));
    }
    let mut queue: Vec<Value> = serde_json::from_str(&f.row.queue).unwrap_or_default();
    for r in &failed {
        if let Some(args) = r.args.as_deref().and_then(|a| serde_json::from_str(a).ok()) {
            queue.push(args);
        }
    }
    let now = now_ms();
    let pks: Vec<i32> = failed.iter().map(|r| r.run_pk).collect();
    repo::mark_runs(&tx, &pks, RunMark::Requeued, now).await?;
    let reopen = f.state() == SweepState::Finished;
    repo::update(
        &tx,
        f.row.id,
        SweepUpdate {
            queue: Some(Value::Array(queue).to_string()),
            state: reopen.then(|| SweepState::Running.as_wire().to_owned()),
            finished_at: reopen.then_some(None),
            ..SweepUpdate::default()
        },
        now,
    )
    .await?;
    tx.commit().await?;
    find_by_id(db, Some(user), id).await
}

/// Register an agent (`CreateAgent`); its id. A pending sweep starts; a finished
/// or cancelled one refuses with the message the agent prints.
pub async fn create_agent(
    db: &DatabaseConnection,
    user: &user::Model,
    entity_name: Option<&str>,
    sweep_name: &str,
    host: &str,
) -> Result<i32, ApiError> {
    let f = super::find(db, Some(user), entity_name, sweep_name).await?;
    f.require_write()?;
    let (tx, _turn) = crate::db::write::begin(db).await?;
    let f = locked(&tx, user, f.row.id).await?;
    let state = f.state();
    if state.is_over() {
        return Err(ApiError::BadRequest(format!(
            "Sweep {sweep_name} is not running"
        )));
    }
    let now = now_ms();
    if state == SweepState::Pending {
        transition(&tx, &f, SweepState::Running, now).await?;
    }
    let host = host.chars().take(200).collect::<String>();
    let id = repo::insert_agent(&tx, f.row.id, &host, user.id, now).await?;
    tx.commit().await?;
    Ok(id)
}

/// One heartbeat: the agent's id and the runs it says are alive.
pub struct Heartbeat {
    pub agent_id: i32,
    pub running: Vec<String>,
}

fn stop(run_id: &str) -> Value {
    json!({"type": "stop", "run_id": run_id})
}

fn exit() -> Value {
    json!({"type": "exit"})
}

/// Answer an agent's heartbeat with at most one command (the function agent reads
/// only the first): `stop` for a run to end, `run` for an idle agent when the
/// sweep has one to give, `exit` when it never will again.
pub async fn heartbeat(
    db: &DatabaseConnection,
    user: &user::Model,
    hb: Heartbeat,
) -> Result<Vec<Value>, ApiError> {
    let gone = || ApiError::NotFound("Sweep was deleted or agent was not found".into());
    let agent = repo::find_agent(db, hb.agent_id).await?.ok_or_else(gone)?;
    let (tx, _turn) = crate::db::write::begin(db).await?;
    let f = locked(&tx, user, agent.sweep_id).await?;
    f.require_write()?;
    // Read again under the lock: another heartbeat of this agent may have changed it.
    let mut agent = repo::find_agent(&tx, hb.agent_id).await?.ok_or_else(gone)?;
    let now = now_ms();
    agent.heartbeat_at = now;
    let cfg = f.config()?;
    let state = f.state();
    let alive: HashSet<&str> = hb.running.iter().map(String::as_str).collect();
    let mut commands = Vec::new();

    // The run this agent was given.
    if let Some(pk) = agent.run_pk {
        match repo::run_of(&tx, pk).await? {
            Some(r) if alive.contains(r.run_id.as_str()) => {
                // A local controller does its own early stopping (its `earlystop`).
                let stop_it = r.stop_at.is_some()
                    || state == SweepState::Canceled
                    || (cfg.early_terminate.is_some()
                        && !cfg.local_controller
                        && r.state == "running"
                        && hyperband_stops(&tx, &f, &cfg, now).await?.contains(&pk));
                if stop_it {
                    if r.stop_at.is_none() {
                        repo::mark_runs(&tx, &[pk], RunMark::Stop, now).await?;
                    }
                    commands.push(stop(&r.run_id));
                }
                return finish(tx, &f, &agent, now, commands).await;
            }
            Some(r) => {
                // The agent is done with it. A run still pending never started (its
                // script failed before `wandb.init`): it failed.
                if r.state == RunState::Pending.as_str() {
                    repo::set_run_state(&tx, pk, RunState::Failed.as_str(), now).await?;
                    if let Some(run) = crate::db::repo::runs::find_by_pks(&tx, &[pk])
                        .await?
                        .into_iter()
                        .next()
                    {
                        automations::events::run_state(&tx, &run, RunState::Pending.as_str())
                            .await?;
                    }
                }
                agent.run_pk = None;
            }
            None => agent.run_pk = None,
        }
    }
    // Runs Cairn did not give this agent (a restarted server, a second child).
    if let Some(other) = hb.running.first() {
        if state == SweepState::Canceled {
            commands.push(stop(other));
        }
        return finish(tx, &f, &agent, now, commands).await;
    }
    // An idle agent.
    match state {
        SweepState::Paused => return finish(tx, &f, &agent, now, commands).await,
        SweepState::Finished | SweepState::Canceled => {
            agent.state = "FINISHED".into();
            commands.push(exit());
            return finish(tx, &f, &agent, now, commands).await;
        }
        SweepState::Pending => transition(&tx, &f, SweepState::Running, now).await?,
        SweepState::Running => {}
    }
    match decide(&tx, &f, &cfg).await? {
        Decision::Run { args, schedule_id } => {
            let run = create_pending_run(&tx, &f, user, &args, now).await?;
            repo::add_run(
                &tx,
                NewSweepRun {
                    run_pk: run.id,
                    sweep_id: f.row.id,
                    agent_id: Some(agent.id),
                    param_key: Some(&Value::Object(plain_config(&args)).to_string()),
                    args: Some(&Value::Object(args.clone()).to_string()),
                    now,
                },
            )
            .await?;
            if let Some(sid) = schedule_id {
                record_scheduled(&tx, &f, &sid, &run.run_id, now).await?;
            }
            agent.run_pk = Some(run.id);
            agent.total_runs += 1;
            commands.push(json!({
                "type": "run",
                "run_id": run.run_id,
                "program": cfg.program.clone().unwrap_or_default(),
                "args": args,
            }));
        }
        Decision::Wait => {}
        Decision::Done => {
            repo::update(
                &tx,
                f.row.id,
                SweepUpdate {
                    state: Some(SweepState::Finished.as_wire().to_owned()),
                    finished_at: Some(Some(now)),
                    ..SweepUpdate::default()
                },
                now,
            )
            .await?;
            automations::events::sweep_finished(&tx, f.project.id, f.row.id, Some(user.id)).await?;
            agent.state = "FINISHED".into();
            commands.push(exit());
        }
    }
    finish(tx, &f, &agent, now, commands).await
}

async fn finish(
    tx: DatabaseTransaction,
    f: &Found,
    agent: &repo::AgentRow,
    now: i64,
    commands: Vec<Value>,
) -> Result<Vec<Value>, ApiError> {
    repo::save_agent(&tx, agent).await?;
    repo::update(
        &tx,
        f.row.id,
        SweepUpdate {
            heartbeat_at: Some(now),
            ..SweepUpdate::default()
        },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(commands)
}

enum Decision {
    /// Hand out a run with these `args` (from the local controller's schedule
    /// entry `schedule_id`, when it came from there).
    Run {
        args: Map<String, Value>,
        schedule_id: Option<String>,
    },
    /// Nothing now; ask again.
    Wait,
    /// Nothing ever again: the sweep is finished.
    Done,
}

/// The values of `args` (`{"lr": {"value": 0.1}}` → `{"lr": 0.1}`).
fn plain_config(args: &Map<String, Value>) -> Map<String, Value> {
    args.iter()
        .map(|(k, v)| {
            let inner = match v {
                Value::Object(o) if o.contains_key("value") => o["value"].clone(),
                other => other.clone(),
            };
            (k.clone(), inner)
        })
        .collect()
}

/// What an idle agent of a running sweep gets, decided under the sweep's lock.
async fn decide(
    tx: &DatabaseTransaction,
    f: &Found,
    cfg: &SweepConfig,
) -> Result<Decision, ApiError> {
    let now = now_ms();
    let failed = repo::fail_abandoned(tx, f.row.id, now - AGENT_GONE_MS, now).await?;
    for run in crate::db::repo::runs::find_by_pks(tx, &failed).await? {
        automations::events::run_state(tx, &run, RunState::Pending.as_str()).await?;
    }
    if cfg.local_controller {
        return local_schedule(tx, f).await;
    }
    let (handed, active) = repo::counts(tx, f.row.id).await?;
    let over = |active: i64| {
        if active > 0 {
            Decision::Wait
        } else {
            Decision::Done
        }
    };
    let mut queue: Vec<Value> = serde_json::from_str(&f.row.queue).unwrap_or_default();
    if let Some(cap) = cfg.run_cap {
        if handed >= cap as i64 {
            return Ok(over(active));
        }
    }
    if !queue.is_empty() {
        let first = queue.remove(0);
        repo::update(
            tx,
            f.row.id,
            SweepUpdate {
                queue: Some(Value::Array(queue).to_string()),
                ..SweepUpdate::default()
            },
            now_ms(),
        )
        .await?;
        if let Value::Object(args) = first {
            return Ok(Decision::Run {
                args,
                schedule_id: None,
            });
        }
    }
    // A Send generator: it lives across the awaits below.
    let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::from_entropy();
    let next = if cfg.method == Method::Random && !cfg.random_without_replacement {
        // Nothing to read: draws are independent.
        Next::Run(app::logic::sweeps::sample::assignment(cfg, &mut rng))
    } else {
        let runs = repo::runs(tx, f.row.id).await?;
        next_run(cfg, &past_runs(cfg, &runs), &mut rng)
    };
    Ok(match next {
        Next::Run(a) => {
            debug_assert_eq!(
                Value::Object(assignment_config(&a)).to_string(),
                assignment_key(&a)
            );
            Decision::Run {
                args: assignment_args(&a),
                schedule_id: None,
            }
        }
        Next::Exhausted => over(active),
    })
}

/// The local controller's next schedule entry that has no run yet.
async fn local_schedule(tx: &DatabaseTransaction, f: &Found) -> Result<Decision, ApiError> {
    let controller = json_object(f.row.controller.as_deref().unwrap_or("{}"), "controller")?;
    let scheduled = scheduled_ids(f);
    let entry = controller
        .get("schedule")
        .and_then(Value::as_array)
        .and_then(|s| {
            s.iter().find(|e| {
                e.get("id")
                    .and_then(Value::as_str)
                    .is_some_and(|id| !scheduled.contains(id))
            })
        });
    let Some(entry) = entry else {
        return Ok(Decision::Wait);
    };
    let id = entry.get("id").and_then(Value::as_str).unwrap_or_default();
    match entry.pointer("/data/args") {
        Some(Value::Object(args)) => Ok(Decision::Run {
            args: args.clone(),
            schedule_id: Some(id.to_owned()),
        }),
        // The controller's search is exhausted: it parks an entry without args.
        _ => {
            let (_, active) = repo::counts(tx, f.row.id).await?;
            Ok(if active > 0 {
                Decision::Wait
            } else {
                Decision::Done
            })
        }
    }
}

fn scheduled_ids(f: &Found) -> HashSet<String> {
    f.row
        .scheduler
        .as_deref()
        .and_then(|s| serde_json::from_str::<Value>(s).ok())
        .and_then(|v| v.get("scheduled").cloned())
        .and_then(|v| v.as_array().cloned())
        .unwrap_or_default()
        .iter()
        .filter_map(|e| e.get("id").and_then(Value::as_str).map(str::to_owned))
        .collect()
}

/// Note in the sweep's `scheduler` that schedule entry `id` became run `run_id`
/// (what the local controller reads back).
async fn record_scheduled(
    tx: &DatabaseTransaction,
    f: &Found,
    id: &str,
    run_id: &str,
    now: i64,
) -> Result<(), ApiError> {
    let mut scheduler = json_object(f.row.scheduler.as_deref().unwrap_or("{}"), "scheduler")?;
    let list = scheduler
        .entry("scheduled")
        .or_insert_with(|| Value::Array(Vec::new()));
    if let Value::Array(a) = list {
        a.push(json!({"id": id, "runid": run_id}));
    }
    repo::update(
        tx,
        f.row.id,
        SweepUpdate {
            scheduler: Some(Value::Object(scheduler).to_string()),
            ..SweepUpdate::default()
        },
        now,
    )
    .await?;
    Ok(())
}

/// A run created ahead for an agent: pending, with its parameters as config, so
/// it shows at once.
async fn create_pending_run(
    tx: &DatabaseTransaction,
    f: &Found,
    user: &user::Model,
    args: &Map<String, Value>,
    now: i64,
) -> Result<run::Model, ApiError> {
    let mut model = ops::new_run(tx, f.project.id, None, user.id, now).await?;
    model.state = Set(RunState::Pending.as_str().to_owned());
    model.config = Set(ops::to_json(&plain_config(args))?);
    Ok(runs::insert(tx, model).await?)
}

type Verdicts = HashMap<i32, (Instant, HashSet<i32>)>;

/// Hyperband's verdicts per sweep, reused for a few seconds (every busy agent's
/// heartbeat asks).
static HYPERBAND: LazyLock<Mutex<Verdicts>> = LazyLock::new(|| Mutex::new(HashMap::new()));

/// The runs of the sweep hyperband would stop now (their primary keys).
async fn hyperband_stops(
    tx: &DatabaseTransaction,
    f: &Found,
    cfg: &SweepConfig,
    now: i64,
) -> Result<HashSet<i32>, ApiError> {
    if let Ok(cache) = HYPERBAND.lock() {
        if let Some((at, v)) = cache.get(&f.row.id) {
            if at.elapsed() < HYPERBAND_EVERY {
                return Ok(v.clone());
            }
        }
    }
    let Some(metric) = &cfg.metric else {
        return Ok(HashSet::new());
    };
    let runs = repo::runs(tx, f.row.id).await?;
    let mut past = past_runs(cfg, &runs);
    let pks: Vec<i32> = runs.iter().map(|r| r.run_pk).collect();
    let series = crate::metrics::store::series_for_runs(tx, &pks, &metric.name).await?;
    let index: HashMap<i32, usize> = pks.iter().enumerate().map(|(i, pk)| (*pk, i)).collect();
    for s in series {
        if let Some(&i) = index.get(&s.run_pk) {
            let points = crate::metrics::store::read_all(tx, s.id).await?;
            past[i].history = points.iter().map(|p| p.value).collect();
        }
    }
    let stops: HashSet<i32> = hyperband::to_stop(cfg, &past)
        .into_iter()
        .map(|i| runs[i].run_pk)
        .collect();
    let fresh: Vec<i32> = stops
        .iter()
        .copied()
        .filter(|pk| runs.iter().any(|r| r.run_pk == *pk && r.stop_at.is_none()))
        .collect();
    repo::mark_runs(tx, &fresh, RunMark::Stop, now).await?;
    if let Ok(mut cache) = HYPERBAND.lock() {
        cache.insert(f.row.id, (Instant::now(), stops.clone()));
    }
    Ok(stops)
}

/// The sweep a run joins (`upsertBucket(sweep: …)`), if the user may write to it:
/// the run goes to the sweep's project whatever project its script named.
pub async fn join_target(
    tx: &DatabaseTransaction,
    user: &user::Model,
    entity_name: Option<&str>,
    sweep_name: &str,
) -> Result<Option<Found>, ApiError> {
    match super::find(tx, Some(user), entity_name, sweep_name).await {
        Ok(f) => {
            f.require_write()?;
            Ok(Some(f))
        }
        Err(ApiError::NotFound(_)) => {
            tracing::warn!(
                "a run names sweep {sweep_name:?}, which is not there; logged without it"
            );
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// Make a run a member of its sweep (once), with its parameters' key.
pub async fn join_run(
    tx: &DatabaseTransaction,
    f: &Found,
    run: &run::Model,
    now: i64,
) -> Result<(), ApiError> {
    // A run of another project (found by its storage id) does not join.
    if run.project_id != f.project.id {
        return Ok(());
    }
    let key = f
        .config()
        .ok()
        .and_then(|cfg| config::config_key(&cfg, &run.config_map()));
    repo::add_run(
        tx,
        NewSweepRun {
            run_pk: run.id,
            sweep_id: f.row.id,
            agent_id: None,
            param_key: key.as_deref(),
            args: None,
            now,
        },
    )
    .await?;
    Ok(())
}

/// Used by the wandb adapter: `ConnectionTrait` is enough to read.
pub async fn sweep_of_run(
    db: &impl ConnectionTrait,
    run_pk: i32,
) -> Result<Option<String>, ApiError> {
    Ok(repo::sweep_of_run(db, run_pk).await?.map(|(_, n)| n))
}
