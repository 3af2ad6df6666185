//! Sweeps, their agents and their runs (migration m0010). Plain SQL that reads the
//! same on SQLite and PostgreSQL.

use sea_orm::{ConnectionTrait, DbErr, QueryResult};

use crate::db::sql::Sql;

/// A sweep's row, with its creator's name.
#[derive(Clone, Debug)]
pub struct SweepRow {
    pub id: i32,
    pub project_id: i32,
    pub entity_id: i32,
    pub name: String,
    pub display_name: Option<String>,
    pub created_by: Option<i32>,
    pub creator: String,
    pub state: String,
    pub method: String,
    pub config: String,
    pub controller: Option<String>,
    pub scheduler: Option<String>,
    pub queue: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub heartbeat_at: Option<i64>,
    pub finished_at: Option<i64>,
}

const COLUMNS: &str = "SELECT s.id, s.project_id, s.entity_id, s.name, s.display_name, \
     s.created_by, COALESCE(u.username, '') AS creator, s.state, s.method, s.config, \
     s.controller, s.scheduler, s.queue, s.created_at, s.updated_at, s.heartbeat_at, \
     s.finished_at FROM sweeps s LEFT JOIN users u ON u.id = s.created_by";

fn row(r: &QueryResult) -> Result<SweepRow, DbErr> {
    Ok(SweepRow {
        id: r.try_get("", "id")?,
        project_id: r.try_get("", "project_id")?,
        entity_id: r.try_get("", "entity_id")?,
        name: r.try_get("", "name")?,
        display_name: r.try_get("", "display_name")?,
        created_by: r.try_get("", "created_by")?,
        creator: r.try_get("", "creator")?,
        state: r.try_get("", "state")?,
        method: r.try_get("", "method")?,
        config: r.try_get("", "config")?,
        controller: r.try_get("", "controller")?,
        scheduler: r.try_get("", "scheduler")?,
        queue: r.try_get("", "queue")?,
        created_at: r.try_get("", "created_at")?,
        updated_at: r.try_get("", "updated_at")?,
        heartbeat_at: r.try_get("", "heartbeat_at")?,
        finished_at: r.try_get("", "finished_at")?,
    })
}

async fn one(db: &impl ConnectionTrait, q: Sql) -> Result<Option<SweepRow>, DbErr> {
    db.query_one_raw(q.build())
        .await?
        .as_ref()
        .map(row)
        .transpose()
}

/// A live sweep by its entity and name.
pub async fn find_by_name(
    db: &impl ConnectionTrait,
    entity_id: i32,
    name: &str,
) -> Result<Option<SweepRow>, DbErr> {
    let mut q = Sql::new(db.get_database_backend());
    q.push(COLUMNS)
        .push(" WHERE s.entity_id = ")
        .bind(entity_id)
        .push(" AND s.name = ")
        .bind(name.to_owned())
        .push(" AND s.deleted_at IS NULL");
    one(db, q).await
}

/// A live sweep by id.
pub async fn find(db: &impl ConnectionTrait, id: i32) -> Result<Option<SweepRow>, DbErr> {
    let mut q = Sql::new(db.get_database_backend());
    q.push(COLUMNS)
        .push(" WHERE s.id = ")
        .bind(id)
        .push(" AND s.deleted_at IS NULL");
    one(db, q).await
}

/// A live sweep by id, locked until the transaction ends (PostgreSQL; SQLite's
/// writers already take turns), so every decision about it is taken one at a time.
pub async fn lock(db: &impl ConnectionTrait, id: i32) -> Result<Option<SweepRow>, DbErr> {
    let mut q = Sql::new(db.get_database_backend());
    q.push(COLUMNS)
        .push(" WHERE s.id = ")
        .bind(id)
        .push(" AND s.deleted_at IS NULL");
    if q.is_postgres() {
        q.push(" FOR UPDATE OF s");
    }
    one(db, q).await
}

/// A project's live sweeps, newest first.
pub async fn list(db: &impl ConnectionTrait, project_id: i32) -> Result<Vec<SweepRow>, DbErr> {
    let mut q = Sql::new(db.get_database_backend());
    q.push(COLUMNS)
        .push(" WHERE s.project_id = ")
        .bind(project_id)
        .push(" AND s.deleted_at IS NULL ORDER BY s.created_at DESC, s.id DESC");
    db.query_all_raw(q.build()).await?.iter().map(row).collect()
}

pub struct NewSweep<'a> {
    pub project_id: i32,
    pub entity_id: i32,
    pub name: &'a str,
    pub display_name: Option<&'a str>,
    pub user_id: i32,
    pub state: &'a str,
    pub method: &'a str,
    pub config: &'a str,
    pub controller: Option<&'a str>,
    pub now: i64,
}

/// Insert a sweep; its id.
pub async fn insert(db: &impl ConnectionTrait, s: NewSweep<'_>) -> Result<i32, DbErr> {
    let mut q = Sql::new(db.get_database_backend());
    q.push(
        "INSERT INTO sweeps (project_id, entity_id, name, display_name, created_by, state, \
         method, config, controller, scheduler, queue, created_at, updated_at) VALUES (",
    )
    .bind(s.project_id)
    .push(", ")
    .bind(s.entity_id)
    .push(", ")
    .bind(s.name.to_owned())
    .push(", ")
    .bind(s.display_name.map(str::to_owned))
    .push(", ")
    .bind(s.user_id)
    .push(", ")
    .bind(s.state.to_owned())
    .push(", ")
    .bind(s.method.to_owned())
    .push(", ")
    .bind(s.config.to_owned())
    .push(", ")
    .bind(s.controller.map(str::to_owned))
    .push(", NULL, '[]', ")
    .bind(s.now)
    .push(", ")
    .bind(s.now)
    .push(") RETURNING id");
    let got = db
        .query_one_raw(q.build())
        .await?
        .ok_or(DbErr::RecordNotInserted)?;
    got.try_get("", "id")
}

/// What an update changes (None: unchanged).
#[derive(Default)]
pub struct SweepUpdate {
    pub state: Option<String>,
    pub config: Option<String>,
    pub method: Option<String>,
    pub display_name: Option<String>,
    pub controller: Option<String>,
    pub scheduler: Option<String>,
    pub queue: Option<String>,
    pub heartbeat_at: Option<i64>,
    pub finished_at: Option<Option<i64>>,
    pub deleted_at: Option<i64>,
}

pub async fn update(
    db: &impl ConnectionTrait,
    id: i32,
    u: SweepUpdate,
    now: i64,
) -> Result<(), DbErr> {
    let mut q = Sql::new(db.get_database_backend());
    q.push("UPDATE sweeps SET updated_at = ").bind(now);
    let text = [
        ("state", u.state),
        ("config", u.config),
        ("method", u.method),
        ("display_name", u.display_name),
        ("controller", u.controller),
        ("scheduler", u.scheduler),
        ("queue", u.queue),
    ];
    for (col, v) in text {
        if let Some(v) = v {
            q.push(", ").push(col).push(" = ").bind(v);
        }
    }
    if let Some(v) = u.heartbeat_at {
        q.push(", heartbeat_at = ").bind(v);
    }
    if let Some(v) = u.finished_at {
        q.push(", finished_at = ").bind(v);
    }
    if let Some(v) = u.deleted_at {
        q.push(", deleted_at = ").bind(v);
    }
    q.push(" WHERE id = ").bind(id);
    db.execute_raw(q.build()).await?;
    Ok(())
}

// ---- agents ----

#[derive(Clone, Debug)]
pub struct AgentRow {
    pub id: i32,
    pub sweep_id: i32,
    pub name: String,
    pub host: String,
    pub user_id: Option<i32>,
    pub user: String,
    pub state: String,
    pub run_pk: Option<i32>,
    pub total_runs: i32,
    pub created_at: i64,
    pub heartbeat_at: i64,
}

const AGENT_COLUMNS: &str = "SELECT a.id, a.sweep_id, a.name, a.host, a.user_id, \
     COALESCE(u.username, '') AS username, a.state, a.run_pk, a.total_runs, a.created_at, \
     a.heartbeat_at FROM sweep_agents a LEFT JOIN users u ON u.id = a.user_id";

fn agent_row(r: &QueryResult) -> Result<AgentRow, DbErr> {
    Ok(AgentRow {
        id: r.try_get("", "id")?,
        sweep_id: r.try_get("", "sweep_id")?,
        name: r.try_get("", "name")?,
        host: r.try_get("", "host")?,
        user_id: r.try_get("", "user_id")?,
        user: r.try_get("", "username")?,
        state: r.try_get("", "state")?,
        run_pk: r.try_get("", "run_pk")?,
        total_runs: r.try_get("", "total_runs")?,
        created_at: r.try_get("", "created_at")?,
        heartbeat_at: r.try_get("", "heartbeat_at")?,
    })
}

pub async fn find_agent(db: &impl ConnectionTrait, id: i32) -> Result<Option<AgentRow>, DbErr> {
    let mut q = Sql::new(db.get_database_backend());
    q.push(AGENT_COLUMNS).push(" WHERE a.id = ").bind(id);
    db.query_one_raw(q.build())
        .await?
        .as_ref()
        .map(agent_row)
        .transpose()
}

pub async fn agents(db: &impl ConnectionTrait, sweep_id: i32) -> Result<Vec<AgentRow>, DbErr> {
    let mut q = Sql::new(db.get_database_backend());
    q.push(AGENT_COLUMNS)
        .push(" WHERE a.sweep_id = ")
        .bind(sweep_id)
        .push(" ORDER BY a.id");
    db.query_all_raw(q.build())
        .await?
        .iter()
        .map(agent_row)
        .collect()
}

/// Insert an agent; its id.
pub async fn insert_agent(
    db: &impl ConnectionTrait,
    sweep_id: i32,
    host: &str,
    user_id: i32,
    now: i64,
) -> Result<i32, DbErr> {
    let mut q = Sql::new(db.get_database_backend());
    q.push(
        "INSERT INTO sweep_agents (sweep_id, name, host, user_id, state, run_pk, total_runs, \
         created_at, heartbeat_at) VALUES (",
    )
    .bind(sweep_id)
    .push(", '', ")
    .bind(host.to_owned())
    .push(", ")
    .bind(user_id)
    .push(", 'RUNNING', NULL, 0, ")
    .bind(now)
    .push(", ")
    .bind(now)
    .push(") RETURNING id");
    let got = db
        .query_one_raw(q.build())
        .await?
        .ok_or(DbErr::RecordNotInserted)?;
    let id: i32 = got.try_get("", "id")?;
    // The agent's name is its number in the sweep's words: a short, stable handle.
    let mut q = Sql::new(db.get_database_backend());
    q.push("UPDATE sweep_agents SET name = ")
        .bind(format!("agent-{id}"))
        .push(" WHERE id = ")
        .bind(id);
    db.execute_raw(q.build()).await?;
    Ok(id)
}

pub async fn save_agent(db: &impl ConnectionTrait, a: &AgentRow) -> Result<(), DbErr> {
    let mut q = Sql::new(db.get_database_backend());
    q.push("UPDATE sweep_agents SET state = ")
        .bind(a.state.clone())
        .push(", run_pk = ")
        .bind(a.run_pk)
        .push(", total_runs = ")
        .bind(a.total_runs)
        .push(", heartbeat_at = ")
        .bind(a.heartbeat_at)
        .push(" WHERE id = ")
        .bind(a.id);
    db.execute_raw(q.build()).await?;
    Ok(())
}

// ---- the sweep's runs ----

/// A run of a sweep with what the controller and the pages need.
#[derive(Clone, Debug)]
pub struct SweepRunRow {
    pub run_pk: i32,
    pub run_id: String,
    pub display_name: String,
    pub state: String,
    pub config: String,
    pub summary_auto: String,
    pub summary_explicit: String,
    pub created_at: i64,
    pub heartbeat_at: i64,
    pub runtime_seconds: f64,
    pub agent_id: Option<i32>,
    pub param_key: Option<String>,
    pub args: Option<String>,
    pub requeued_at: Option<i64>,
    pub stop_at: Option<i64>,
}

const RUN_COLUMNS: &str = "SELECT r.id AS run_pk, r.run_id, r.display_name, r.state, \
     r.config, r.summary_auto, r.summary_explicit, r.created_at, r.heartbeat_at, \
     r.runtime_seconds, sr.agent_id, sr.param_key, sr.args, sr.requeued_at, sr.stop_at \
     FROM sweep_runs sr JOIN runs r ON r.id = sr.run_pk";

fn run_row(r: &QueryResult) -> Result<SweepRunRow, DbErr> {
    Ok(SweepRunRow {
        run_pk: r.try_get("", "run_pk")?,
        run_id: r.try_get("", "run_id")?,
        display_name: r.try_get("", "display_name")?,
        state: r.try_get("", "state")?,
        config: r.try_get("", "config")?,
        summary_auto: r.try_get("", "summary_auto")?,
        summary_explicit: r.try_get("", "summary_explicit")?,
        created_at: r.try_get("", "created_at")?,
        heartbeat_at: r.try_get("", "heartbeat_at")?,
        runtime_seconds: r.try_get("", "runtime_seconds")?,
        agent_id: r.try_get("", "agent_id")?,
        param_key: r.try_get("", "param_key")?,
        args: r.try_get("", "args")?,
        requeued_at: r.try_get("", "requeued_at")?,
        stop_at: r.try_get("", "stop_at")?,
    })
}

/// Every live run of a sweep, oldest first.
pub async fn runs(db: &impl ConnectionTrait, sweep_id: i32) -> Result<Vec<SweepRunRow>, DbErr> {
    let mut q = Sql::new(db.get_database_backend());
    q.push(RUN_COLUMNS)
        .push(" WHERE sr.sweep_id = ")
        .bind(sweep_id)
        .push(" AND r.deleted_at IS NULL ORDER BY r.created_at, r.id");
    db.query_all_raw(q.build())
        .await?
        .iter()
        .map(run_row)
        .collect()
}

/// Run counts and compute time of every sweep of a project: (sweep id, runs, seconds).
pub async fn run_totals(
    db: &impl ConnectionTrait,
    project_id: i32,
) -> Result<Vec<(i32, i64, f64)>, DbErr> {
    let mut q = Sql::new(db.get_database_backend());
    q.push(
        "SELECT sr.sweep_id, COUNT(*) AS n, COALESCE(SUM(r.runtime_seconds), 0.0) AS secs \
         FROM sweep_runs sr JOIN runs r ON r.id = sr.run_pk JOIN sweeps s ON s.id = sr.sweep_id \
         WHERE s.project_id = ",
    )
    .bind(project_id)
    .push(" AND r.deleted_at IS NULL GROUP BY sr.sweep_id");
    db.query_all_raw(q.build())
        .await?
        .iter()
        .map(|r| {
            Ok((
                r.try_get("", "sweep_id")?,
                r.try_get("", "n")?,
                r.try_get::<f64>("", "secs")?,
            ))
        })
        .collect()
}

pub struct NewSweepRun<'a> {
    pub run_pk: i32,
    pub sweep_id: i32,
    pub agent_id: Option<i32>,
    pub param_key: Option<&'a str>,
    pub args: Option<&'a str>,
    pub now: i64,
}

/// Make a run a member of a sweep (nothing when it already is one of some sweep).
pub async fn add_run(db: &impl ConnectionTrait, r: NewSweepRun<'_>) -> Result<(), DbErr> {
    let mut q = Sql::new(db.get_database_backend());
    q.push(
        "INSERT INTO sweep_runs (run_pk, sweep_id, agent_id, param_key, args, created_at) VALUES (",
    )
    .bind(r.run_pk)
    .push(", ")
    .bind(r.sweep_id)
    .push(", ")
    .bind(r.agent_id)
    .push(", ")
    .bind(r.param_key.map(str::to_owned))
    .push(", ")
    .bind(r.args.map(str::to_owned))
    .push(", ")
    .bind(r.now)
    .push(") ON CONFLICT (run_pk) DO NOTHING");
    db.execute_raw(q.build()).await?;
    Ok(())
}

/// The sweep a run belongs to: (sweep id, sweep name).
pub async fn sweep_of_run(
    db: &impl ConnectionTrait,
    run_pk: i32,
) -> Result<Option<(i32, String)>, DbErr> {
    let mut q = Sql::new(db.get_database_backend());
    q.push("SELECT s.id, s.name FROM sweep_runs sr JOIN sweeps s ON s.id = sr.sweep_id WHERE sr.run_pk = ")
        .bind(run_pk);
    match db.query_one_raw(q.build()).await? {
        Some(r) => Ok(Some((r.try_get("", "id")?, r.try_get("", "name")?))),
        None => Ok(None),
    }
}

/// Mark runs of a sweep: asked to stop, or re-queued.
pub async fn mark_runs(
    db: &impl ConnectionTrait,
    run_pks: &[i32],
    column: RunMark,
    now: i64,
) -> Result<(), DbErr> {
    if run_pks.is_empty() {
        return Ok(());
    }
    let mut q = Sql::new(db.get_database_backend());
    q.push("UPDATE sweep_runs SET ")
        .push(match column {
            RunMark::Stop => "stop_at",
            RunMark::Requeued => "requeued_at",
        })
        .push(" = ")
        .bind(now)
        .push(" WHERE run_pk IN ")
        .bind_list(run_pks.iter().copied());
    db.execute_raw(q.build()).await?;
    Ok(())
}

#[derive(Clone, Copy)]
pub enum RunMark {
    Stop,
    Requeued,
}

/// Fail the sweep's pending runs whose agent has not been heard from since `before`
/// (its machine went away before the script started): they will never start, and
/// would hold the sweep open and count against its cap.
pub async fn fail_abandoned(
    db: &impl ConnectionTrait,
    sweep_id: i32,
    before: i64,
    now: i64,
) -> Result<Vec<i32>, DbErr> {
    let mut q = Sql::new(db.get_database_backend());
    q.push("UPDATE runs SET state = 'failed', heartbeat_at = ")
        .bind(now)
        .push(
            " WHERE state = 'pending' AND id IN (SELECT sr.run_pk FROM sweep_runs sr \
             JOIN sweep_agents a ON a.id = sr.agent_id WHERE sr.sweep_id = ",
        )
        .bind(sweep_id)
        .push(" AND a.heartbeat_at < ")
        .bind(before)
        .push(") RETURNING id");
    db.query_all_raw(q.build())
        .await?
        .iter()
        .map(|r| r.try_get::<i32>("", "id"))
        .collect()
}

/// Set a run's state (a pending run that never started, a cancelled one).
pub async fn set_run_state(
    db: &impl ConnectionTrait,
    run_pk: i32,
    state: &str,
    now: i64,
) -> Result<(), DbErr> {
    let mut q = Sql::new(db.get_database_backend());
    q.push("UPDATE runs SET state = ")
        .bind(state.to_owned())
        .push(", heartbeat_at = ")
        .bind(now)
        .push(" WHERE id = ")
        .bind(run_pk);
    db.execute_raw(q.build()).await?;
    Ok(())
}

/// One run of a sweep by its primary key.
pub async fn run_of(db: &impl ConnectionTrait, run_pk: i32) -> Result<Option<SweepRunRow>, DbErr> {
    let mut q = Sql::new(db.get_database_backend());
    q.push(RUN_COLUMNS).push(" WHERE sr.run_pk = ").bind(run_pk);
    db.query_one_raw(q.build())
        .await?
        .as_ref()
        .map(run_row)
        .transpose()
}

/// How many runs the sweep has handed out that count against its cap (prior runs
/// and re-queued ones do not), and how many of those it handed out are pending or
/// running (a prior run still running does not hold the sweep open).
pub async fn counts(db: &impl ConnectionTrait, sweep_id: i32) -> Result<(i64, i64), DbErr> {
    let mut q = Sql::new(db.get_database_backend());
    q.push(
        "SELECT COALESCE(SUM(CASE WHEN sr.args IS NOT NULL AND sr.requeued_at IS NULL THEN 1 ELSE 0 END), 0) AS handed, \
         COALESCE(SUM(CASE WHEN sr.args IS NOT NULL AND r.state IN ('pending', 'running') THEN 1 ELSE 0 END), 0) AS active \
         FROM sweep_runs sr JOIN runs r ON r.id = sr.run_pk WHERE r.deleted_at IS NULL AND sr.sweep_id = ",
    )
    .bind(sweep_id);
    let r = db.query_one_raw(q.build()).await?;
    Ok(match r {
        Some(r) => (r.try_get("", "handed")?, r.try_get("", "active")?),
        None => (0, 0),
    })
}

/// The sweep name of every run of a project that belongs to one (run pk → name).
pub async fn sweep_names_of_project(
    db: &impl ConnectionTrait,
    project_id: i32,
) -> Result<std::collections::HashMap<i32, String>, DbErr> {
    let mut q = Sql::new(db.get_database_backend());
    q.push("SELECT sr.run_pk, s.name FROM sweep_runs sr JOIN sweeps s ON s.id = sr.sweep_id WHERE s.project_id = ")
        .bind(project_id);
    db.query_all_raw(q.build())
        .await?
        .iter()
        .map(|r| Ok((r.try_get("", "run_pk")?, r.try_get("", "name")?)))
        .collect()
}
