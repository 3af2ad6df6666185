//! Reads with their access checks. Both the UI's server functions and the
//! `/api/v1` GET routes call these, so the two never disagree.

use sea_orm::{ConnectionTrait, DatabaseConnection};
use serde_json::Value;

use app::logic::summary::{self, AutoSummary};
use app::logic::{config_flat, validate};
use app::model::{
    ChartSeries, GroupBy, HistoryPage, ProjectCard, ProjectOverview, ProjectRef, RunDetail, RunId,
    RunState, RunSummaryRow, SeriesAnswer, SeriesQuery, Visibility, XAxis,
};

use crate::auth::access::{decide, project_access, project_rights, Access, Facts, Rights};
use crate::db::entities::{entity, project, run, user};
use crate::db::repo::{console, projects, runs};
use crate::error::ApiError;
use crate::metrics::cache::MetaCache;
use crate::metrics::{self, BucketRequest, QueryRun};

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
    let (project, owner, _) = readable_project_rights(db, viewer, at).await?;
    Ok((project, owner))
}

/// Like [`readable_project`], with the viewer's rights from the same lookup.
pub async fn readable_project_rights(
    db: &impl ConnectionTrait,
    viewer: Option<&user::Model>,
    at: &ProjectRef,
) -> Result<(project::Model, entity::Model, Rights), ApiError> {
    let owner = projects::find_entity(db, &at.entity)
        .await?
        .ok_or_else(|| not_found(at))?;
    let Some(project) = projects::find_project(db, owner.id, &at.project).await? else {
        // A renamed project's old name says where it went, to those who may read it.
        if let Some(moved) = projects::find_alias(db, owner.id, &at.project).await? {
            if project_access(db, viewer, &moved, &owner).await? != Access::None {
                return Err(ApiError::NotFound(format!(
                    "project {}/{} was renamed to {}/{}",
                    at.entity, at.project, owner.name, moved.name
                )));
            }
        }
        return Err(not_found(at));
    };
    let rights = project_rights(db, viewer, &project, &owner).await?;
    if rights.access == Access::None {
        return Err(not_found(at));
    }
    Ok((project, owner, rights))
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

/// Projects the viewer can see, starred first, then most recently active first. The
/// viewer's team roles and restricted-list memberships are read once, so the list costs
/// the same few queries however many projects there are.
pub async fn list_projects(
    db: &impl ConnectionTrait,
    viewer: Option<&user::Model>,
) -> Result<Vec<ProjectCard>, ApiError> {
    use std::collections::{HashMap, HashSet};
    let all = projects::list_projects(db).await?;
    let counts: HashMap<i32, u64> = projects::run_counts(db).await?.into_iter().collect();
    let (starred, roles, listed): (HashSet<i32>, HashMap<i32, String>, HashMap<i32, bool>) =
        match viewer {
            Some(v) => (
                projects::starred_ids(db, v.id).await?.into_iter().collect(),
                projects::teams_of(db, v.id)
                    .await?
                    .into_iter()
                    .map(|(e, role)| (e.id, role))
                    .collect(),
                projects::member_project_ids(db, v.id).await?,
            ),
            None => Default::default(),
        };
    let mut out = Vec::new();
    for (p, e) in all {
        let access = decide(&Facts {
            viewer,
            project: &p,
            owner: &e,
            team_role: roles.get(&e.id).and_then(|r| r.parse().ok()),
            member_list: listed.get(&p.id).map(|&w| Access::listed(w)),
        });
        if access == Access::None {
            continue;
        }
        out.push(ProjectCard {
            project: ProjectRef::new(e.name.clone(), p.name.clone()),
            description: p.description.clone(),
            visibility: visibility_of(&p),
            run_count: counts.get(&p.id).copied().unwrap_or(0),
            last_active_ms: p.last_active_at,
            starred: starred.contains(&p.id),
        });
    }
    // Starred first, each part keeping its most-recent-first order.
    out.sort_by_key(|c| !c.starred);
    Ok(out)
}

fn state_of(r: &run::Model) -> RunState {
    r.state.parse().unwrap_or(RunState::Crashed)
}

fn tags_of(r: &run::Model) -> Vec<String> {
    r.tag_list()
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
    let (project, owner, rights) = readable_project_rights(db, viewer, at).await?;
    let (can_write, can_manage) = (rights.access == Access::Write, rights.manages);
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
        deleted_runs: runs::deleted_count(db, project.id).await?,
        starred: match viewer {
            Some(v) => projects::is_starred(db, v.id, project.id).await?,
            None => false,
        },
        signed_in: viewer.is_some(),
        can_write,
        can_manage,
        members: if can_manage {
            projects::project_members(db, project.id).await?
        } else {
            Vec::new()
        },
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
    let auto: AutoSummary = r.auto_summary();
    let explicit = r.explicit_summary();
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
        config: Value::Object(r.config_map()),
        summary: Value::Object(summary::effective(&auto, &explicit)),
        created_at_ms: r.created_at,
        heartbeat_at_ms: r.heartbeat_at,
        finished_at_ms: r.finished_at,
        runtime_seconds: r.runtime_seconds,
        exit_code: r.exit_code,
        // Every series the run has, system metrics included (the automatic summary
        // leaves those out).
        metric_keys: {
            let mut keys = crate::metrics::store::series_keys(db, r.id).await?;
            keys.retain(|k| !k.starts_with('_'));
            keys.sort();
            keys
        },
        console: console::tail(db, r.id, CONSOLE_TAIL).await?,
        console_total: console::count(db, r.id).await?,
        files: crate::db::repo::files::list(db, r.id, Some(app::model::MAX_RUN_FILES_LISTED))
            .await?
            .into_iter()
            .map(|f| app::model::RunFileInfo {
                name: f.name,
                size: u64::try_from(f.size).unwrap_or(0),
                md5: f.md5,
                uploaded_ms: f.created_at,
            })
            .collect(),
    })
}

/// The bytes of one file of a run the viewer may read; "not found" names the file
/// and run, never a hidden project. `/api/v1` and the run page's links both read
/// files through this.
pub async fn run_file(
    db: &impl ConnectionTrait,
    blobs: &crate::blobs::BlobStore,
    viewer: Option<&user::Model>,
    at: &ProjectRef,
    run_id: &RunId,
    name: &str,
) -> Result<crate::blobs::BlobRead, ApiError> {
    let (_, _, run) = readable_run(db, viewer, at, run_id).await?;
    let file = crate::db::repo::files::find(db, run.id, name)
        .await?
        .ok_or_else(|| {
            ApiError::NotFound(format!("file {name:?} not found in run {:?}", run_id.0))
        })?;
    blobs
        .open_read(&file.sha256)
        .await
        .map_err(|e| ApiError::Internal(format!("stored file {} is unreadable: {e}", file.sha256)))
}

/// One metric of one run, bucketed on the step axis.
pub async fn run_series(
    db: &DatabaseConnection,
    cache: &MetaCache,
    viewer: Option<&user::Model>,
    at: &ProjectRef,
    run_id: &RunId,
    key: &str,
    buckets: usize,
) -> Result<ChartSeries, ApiError> {
    let (_, _, r) = readable_run(db, viewer, at, run_id).await?;
    let query_run = QueryRun {
        pk: r.id,
        id: run_id.clone(),
        start_ms: r.created_at,
        group: None,
    };
    let request = BucketRequest {
        key,
        x: XAxis::Step,
        x_min: None,
        x_max: None,
        buckets,
        grouped: false,
    };
    let answer = metrics::bucket_query(db, cache, &[query_run], &request).await?;
    let run = answer.runs.into_iter().next();
    Ok(ChartSeries {
        key: key.to_owned(),
        total_points: run.as_ref().map_or(0, |r| r.total_points),
        buckets: run.map(|r| r.buckets.rows()).unwrap_or_default(),
    })
}

/// Most runs one bucket query may name.
pub const MAX_QUERY_RUNS: usize = 1_000;
/// Most rows one history page may hold.
pub const MAX_HISTORY_ROWS: usize = 10_000;

/// The label a run is grouped under.
fn group_label(r: &run::Model, by: &GroupBy) -> Option<String> {
    match by {
        GroupBy::RunGroup => r.group_name.clone(),
        GroupBy::JobType => r.job_type.clone(),
        GroupBy::Config(key) => {
            let config: Value = Value::Object(r.config_map());
            config_flat::flatten(&config)
                .into_iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| match v {
                    Value::String(s) => s,
                    other => other.to_string(),
                })
        }
    }
}

/// Check a bucket query before it touches storage.
pub fn check_series_query(q: &SeriesQuery) -> Result<(), ApiError> {
    if q.runs.is_empty() || q.runs.len() > MAX_QUERY_RUNS {
        return Err(ApiError::BadRequest(format!(
            "runs must name between 1 and {MAX_QUERY_RUNS} runs"
        )));
    }
    if q.buckets == 0 || q.buckets > app::api::runs::MAX_CHART_BUCKETS {
        return Err(ApiError::BadRequest(format!(
            "buckets must be between 1 and {}",
            app::api::runs::MAX_CHART_BUCKETS
        )));
    }
    validate::metric_key(&q.key).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    for (what, v) in [("x_min", q.x_min), ("x_max", q.x_max)] {
        if v.is_some_and(|v| !v.is_finite()) {
            return Err(ApiError::BadRequest(format!(
                "{what} must be a finite number"
            )));
        }
    }
    if let (Some(lo), Some(hi)) = (q.x_min, q.x_max) {
        if lo > hi {
            return Err(ApiError::BadRequest(format!(
                "x_min ({lo}) is greater than x_max ({hi})"
            )));
        }
    }
    Ok(())
}

/// One metric over several runs of a project, bucketed, optionally grouped.
pub async fn series_query(
    db: &DatabaseConnection,
    cache: &MetaCache,
    viewer: Option<&user::Model>,
    at: &ProjectRef,
    q: &SeriesQuery,
) -> Result<SeriesAnswer, ApiError> {
    check_series_query(q)?;
    let (project, _) = readable_project(db, viewer, at).await?;
    series_in_project(db, cache, project.id, at, q).await
}

/// [`series_query`] in a project the caller has already checked the reader may read.
pub(crate) async fn series_in_project(
    db: &DatabaseConnection,
    cache: &MetaCache,
    project_id: i32,
    at: &ProjectRef,
    q: &SeriesQuery,
) -> Result<SeriesAnswer, ApiError> {
    check_series_query(q)?;
    let ids: Vec<String> = q.runs.iter().map(|r| r.0.clone()).collect();
    let found = runs::find_many(db, project_id, &ids).await?;
    let mut query_runs = Vec::with_capacity(q.runs.len());
    for id in &q.runs {
        let r = found.iter().find(|r| r.run_id == id.0).ok_or_else(|| {
            ApiError::NotFound(format!(
                "run {:?} not found in {}/{}",
                id.0, at.entity, at.project
            ))
        })?;
        query_runs.push(QueryRun {
            pk: r.id,
            id: id.clone(),
            start_ms: r.created_at,
            group: q.group_by.as_ref().and_then(|by| group_label(r, by)),
        });
    }
    let request = BucketRequest {
        key: &q.key,
        x: q.x,
        x_min: q.x_min,
        x_max: q.x_max,
        buckets: q.buckets,
        grouped: q.group_by.is_some(),
    };
    Ok(metrics::bucket_query(db, cache, &query_runs, &request).await?)
}

/// A page of a run's history rows (all metrics per step) from `from_step` on.
pub async fn history(
    db: &impl ConnectionTrait,
    viewer: Option<&user::Model>,
    at: &ProjectRef,
    run_id: &RunId,
    from_step: i64,
    limit: usize,
) -> Result<HistoryPage, ApiError> {
    if limit == 0 || limit > MAX_HISTORY_ROWS {
        return Err(ApiError::BadRequest(format!(
            "limit must be between 1 and {MAX_HISTORY_ROWS}"
        )));
    }
    let (_, _, r) = readable_run(db, viewer, at, run_id).await?;
    Ok(metrics::history(db, r.id, from_step, limit).await?)
}
