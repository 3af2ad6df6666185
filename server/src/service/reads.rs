//! Reads with their access checks. Both the UI's server functions and the
//! `/api/v1` GET routes call these, so the two never disagree.

use sea_orm::ConnectionTrait;
use serde_json::Value;

use app::logic::bucket::bucket_series;
use app::logic::summary::{self, AutoSummary};
use app::model::{
    ChartSeries, ProjectCard, ProjectOverview, ProjectRef, RunDetail, RunId, RunState,
    RunSummaryRow, Visibility,
};

use crate::auth::access::{decide, project_access, Access};
use crate::db::entities::{entity, project, run, user};
use crate::db::repo::{console, metrics, projects, runs};
use crate::error::ApiError;

/// Console lines a run page shows.
pub const CONSOLE_TAIL: u64 = 1_000;

fn not_found(at: &ProjectRef) -> ApiError {
    ApiError::NotFound(format!("project {}/{} not found", at.entity, at.project))
}

/// The project at `at` if the viewer may read it; otherwise `NotFound`, so private
/// projects do not reveal that they exist.
pub async fn readable_project(
    db: &impl ConnectionTrait,
    viewer: Option<&user::Model>,
    at: &ProjectRef,
) -> Result<(project::Model, entity::Model), ApiError> {
    let owner = projects::find_entity(db, &at.entity)
        .await?
        .ok_or_else(|| not_found(at))?;
    let project = projects::find_project(db, owner.id, &at.project)
        .await?
        .ok_or_else(|| not_found(at))?;
    if project_access(db, viewer, &project, &owner).await? == Access::None {
        return Err(not_found(at));
    }
    Ok((project, owner))
}

/// The live run at `at`/`run_id` if the viewer may read its project.
pub async fn readable_run(
    db: &impl ConnectionTrait,
    viewer: Option<&user::Model>,
    at: &ProjectRef,
    run_id: &RunId,
) -> Result<(project::Model, entity::Model, run::Model), ApiError> {
    let (project, owner) = readable_project(db, viewer, at).await?;
    let run = runs::find_run(db, project.id, &run_id.0)
        .await?
        .ok_or_else(|| {
            ApiError::NotFound(format!(
                "run {:?} not found in {}/{}",
                run_id.0, at.entity, at.project
            ))
        })?;
    Ok((project, owner, run))
}

fn visibility_of(p: &project::Model) -> Visibility {
    p.visibility.parse().unwrap_or(Visibility::Private)
}

/// Projects the viewer can see, most recently active first.
pub async fn list_projects(
    db: &impl ConnectionTrait,
    viewer: Option<&user::Model>,
) -> Result<Vec<ProjectCard>, ApiError> {
    let all = projects::list_projects(db).await?;
    let counts = projects::run_counts(db).await?;
    let mut out = Vec::new();
    for (p, e) in all {
        // Team roles are only looked up when they could change the answer.
        let access = match (viewer, e.kind.as_str()) {
            (Some(_), "team") => project_access(db, viewer, &p, &e).await?,
            _ => decide(viewer, &p, &e, None),
        };
        if access == Access::None {
            continue;
        }
        out.push(ProjectCard {
            project: ProjectRef::new(e.name.clone(), p.name.clone()),
            description: p.description.clone(),
            visibility: visibility_of(&p),
            run_count: counts
                .iter()
                .find(|(id, _)| *id == p.id)
                .map(|c| c.1)
                .unwrap_or(0),
            last_active_ms: p.last_active_at,
        });
    }
    Ok(out)
}

fn state_of(r: &run::Model) -> RunState {
    r.state.parse().unwrap_or(RunState::Crashed)
}

fn tags_of(r: &run::Model) -> Vec<String> {
    serde_json::from_str(&r.tags).unwrap_or_default()
}

/// Usernames by id for the runs given, in one pass.
async fn usernames(
    db: &impl ConnectionTrait,
    runs: &[run::Model],
) -> Result<Vec<(i32, String)>, ApiError> {
    let mut ids: Vec<i32> = runs.iter().map(|r| r.user_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let name = crate::db::repo::users::find_by_id(db, id)
            .await?
            .map(|u| u.username)
            .unwrap_or_else(|| "unknown".into());
        out.push((id, name));
    }
    Ok(out)
}

fn name_of(names: &[(i32, String)], id: i32) -> String {
    names
        .iter()
        .find(|(i, _)| *i == id)
        .map(|(_, n)| n.clone())
        .unwrap_or_default()
}

/// The runs of a project as lists show them.
pub async fn list_runs(
    db: &impl ConnectionTrait,
    viewer: Option<&user::Model>,
    at: &ProjectRef,
) -> Result<Vec<RunSummaryRow>, ApiError> {
    let (project, _) = readable_project(db, viewer, at).await?;
    run_rows(db, project.id).await
}

async fn run_rows(
    db: &impl ConnectionTrait,
    project_id: i32,
) -> Result<Vec<RunSummaryRow>, ApiError> {
    let list = runs::list(db, project_id).await?;
    let names = usernames(db, &list).await?;
    Ok(list
        .iter()
        .map(|r| RunSummaryRow {
            id: RunId(r.run_id.clone()),
            display_name: r.display_name.clone(),
            state: state_of(r),
            user: name_of(&names, r.user_id),
            group: r.group_name.clone(),
            tags: tags_of(r),
            created_at_ms: r.created_at,
            runtime_seconds: r.runtime_seconds,
        })
        .collect())
}

/// The Overview tab's figures.
pub async fn project_overview(
    db: &impl ConnectionTrait,
    viewer: Option<&user::Model>,
    at: &ProjectRef,
) -> Result<ProjectOverview, ApiError> {
    let (project, owner) = readable_project(db, viewer, at).await?;
    let stats = projects::stats(db, project.id).await?;
    let created_by = crate::db::repo::users::find_by_id(db, project.created_by)
        .await?
        .map(|u| u.username)
        .unwrap_or_default();
    Ok(ProjectOverview {
        project: ProjectRef::new(owner.name, project.name.clone()),
        description: project.description.clone(),
        visibility: visibility_of(&project),
        created_by,
        created_at_ms: project.created_at,
        last_active_ms: project.last_active_at,
        contributors: stats.contributors,
        total_runs: stats.total_runs,
        total_compute_seconds: stats.total_compute_seconds,
        runs: run_rows(db, project.id).await?,
    })
}

/// Everything about a run except its metric data.
pub async fn run_detail(
    db: &impl ConnectionTrait,
    viewer: Option<&user::Model>,
    at: &ProjectRef,
    run_id: &RunId,
) -> Result<RunDetail, ApiError> {
    let (project, owner, r) = readable_run(db, viewer, at, run_id).await?;
    let auto: AutoSummary = serde_json::from_str(&r.summary_auto).unwrap_or_default();
    let explicit = serde_json::from_str(&r.summary_explicit).unwrap_or_default();
    let user = crate::db::repo::users::find_by_id(db, r.user_id).await?;
    Ok(RunDetail {
        project: ProjectRef::new(owner.name, project.name),
        id: RunId(r.run_id.clone()),
        display_name: r.display_name.clone(),
        state: state_of(&r),
        user: user.map(|u| u.username).unwrap_or_default(),
        host: r.host.clone(),
        git_commit: r.git_commit.clone(),
        group: r.group_name.clone(),
        job_type: r.job_type.clone(),
        tags: tags_of(&r),
        notes: r.notes.clone(),
        color: r.color.clone(),
        config: serde_json::from_str(&r.config).unwrap_or(Value::Object(Default::default())),
        summary: Value::Object(summary::effective(&auto, &explicit)),
        created_at_ms: r.created_at,
        heartbeat_at_ms: r.heartbeat_at,
        finished_at_ms: r.finished_at,
        runtime_seconds: r.runtime_seconds,
        exit_code: r.exit_code,
        metric_keys: auto.0.keys().cloned().collect(),
        console: console::tail(db, r.id, CONSOLE_TAIL).await?,
        console_total: console::count(db, r.id).await?,
    })
}

/// One metric of one run, bucketed.
pub async fn run_series(
    db: &impl ConnectionTrait,
    viewer: Option<&user::Model>,
    at: &ProjectRef,
    run_id: &RunId,
    key: &str,
    buckets: usize,
) -> Result<ChartSeries, ApiError> {
    let (_, _, r) = readable_run(db, viewer, at, run_id).await?;
    let points = metrics::read_series(db, r.id, key).await?;
    Ok(ChartSeries {
        key: key.to_owned(),
        total_points: points.len() as u64,
        buckets: bucket_series(&points, buckets),
    })
}
