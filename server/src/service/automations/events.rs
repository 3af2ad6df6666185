//! Recording events in the outbox, inside the transaction of the change that caused
//! them: a crash between the change and the delivery only delays the delivery.
//! An event is recorded only when the project has an enabled automation for it
//! (one indexed lookup; state changes are rare). Metric windows are evaluated here,
//! in metric ingest, and only for projects that count enabled metric automations
//! (read off the project row ingest loads anyway, so other projects pay nothing).

use std::collections::BTreeMap;

use sea_orm::ConnectionTrait;
use serde_json::json;

use app::logic::automations::{MetricRule, MetricWindow};
use app::model::{AlertLevel, ProjectRef, RunFilter, Trigger, WATCHED_RUN_STATES};

use crate::db::entities::{artifact, project, run, user};
use crate::db::now_ms;
use crate::db::repo::{automations as repo, users};
use crate::db::write::begin;
use crate::error::ApiError;
use crate::metrics::codec::Point;

/// A run entered `run.state` from `before`: record it for run-state automations (and
/// for "new best run of a sweep" when it finished).
pub async fn run_state(
    db: &impl ConnectionTrait,
    run: &run::Model,
    before: &str,
) -> Result<(), ApiError> {
    if run.state == before || !WATCHED_RUN_STATES.contains(&run.state.as_str()) {
        return Ok(());
    }
    let wanted = repo::any_enabled(db, run.project_id, "run_state").await?
        || (run.state == "finished"
            && repo::any_enabled(db, run.project_id, "sweep_best_run").await?);
    if wanted {
        let data = json!({ "run_pk": run.id, "state": run.state, "from": before });
        repo::insert_event(
            db,
            run.project_id,
            "run_state",
            data.to_string(),
            Some(run.user_id),
            now_ms(),
        )
        .await?;
    }
    Ok(())
}

/// Runs that went from running to crashed together (the crash watch).
pub async fn runs_crashed(db: &impl ConnectionTrait, runs: &[run::Model]) -> Result<(), ApiError> {
    for r in runs {
        run_state(db, r, "running").await?;
    }
    Ok(())
}

/// Whether a run passes a run filter (`username` is the run's owner's).
pub fn run_matches(filter: &RunFilter, run_name: &str, username: Option<&str>) -> bool {
    if let Some(u) = filter.user.as_deref().filter(|u| !u.is_empty()) {
        if username != Some(u) {
            return false;
        }
    }
    match filter.name_regex.as_deref().filter(|r| !r.is_empty()) {
        Some(r) => super::regex(r).is_ok_and(|re| re.is_match(run_name)),
        None => true,
    }
}

/// New metric points of a run: feed the windows of the project's metric automations
/// and record an event at each crossing.
pub async fn metric_points(
    db: &impl ConnectionTrait,
    project: &project::Model,
    run: &run::Model,
    by_key: &BTreeMap<String, Vec<Point>>,
) -> Result<(), ApiError> {
    if project.metric_automations <= 0 {
        return Ok(());
    }
    let rows = repo::enabled_for(db, project.id, &repo::METRIC_EVENTS).await?;
    let mut username: Option<Option<String>> = None;
    let mut watched = Vec::new();
    for a in rows {
        let Ok(trigger) = serde_json::from_str::<Trigger>(&a.trigger_spec) else {
            continue;
        };
        let Some((metric, rule)) = MetricRule::of(&trigger) else {
            continue;
        };
        let Some(points) = by_key.get(metric) else {
            continue;
        };
        let filter = trigger.run_filter().cloned().unwrap_or_default();
        if filter.user.is_some() && username.is_none() {
            username = Some(
                users::find_by_id(db, run.user_id)
                    .await?
                    .map(|u| u.username),
            );
        }
        if !run_matches(
            &filter,
            &run.display_name,
            username.clone().flatten().as_deref(),
        ) {
            continue;
        }
        watched.push((a.id, metric.to_owned(), rule, points));
    }
    if watched.is_empty() {
        return Ok(());
    }
    let ids: Vec<i32> = watched.iter().map(|w| w.0).collect();
    let states: BTreeMap<i32, MetricWindow> = repo::metric_states(db, run.id, &ids)
        .await?
        .into_iter()
        .map(|s| {
            (
                s.automation_id,
                serde_json::from_str(&s.state).unwrap_or_default(),
            )
        })
        .collect();
    let now = now_ms();
    for (id, metric, rule, points) in watched {
        let mut window = states.get(&id).cloned().unwrap_or_default();
        let fired = window.feed(&rule, points.iter().map(|p| p.value));
        let text = serde_json::to_string(&window)
            .map_err(|e| ApiError::Internal(format!("metric window: {e}")))?;
        repo::save_metric_state(db, id, run.id, text).await?;
        for value in fired {
            let step = points.last().map(|p| p.step);
            let data = json!({
                "run_pk": run.id,
                "automation_id": id,
                "metric": metric,
                "value": value,
                "step": step,
            });
            let kind = match rule {
                MetricRule::Threshold { .. } => "run_metric",
                MetricRule::Change { .. } => "run_metric_change",
            };
            repo::insert_event(
                db,
                project.id,
                kind,
                data.to_string(),
                Some(run.user_id),
                now,
            )
            .await?;
        }
    }
    Ok(())
}

/// An artifact event: a version created, an alias put on it, a tag added.
pub async fn artifact(
    db: &impl ConnectionTrait,
    kind: &str,
    version: &artifact::Model,
    label: Option<&str>,
    by: Option<&user::Model>,
) -> Result<(), ApiError> {
    let Some(coll) = crate::db::repo::artifacts::collection(db, version.collection_id).await?
    else {
        return Ok(());
    };
    let project_id = coll.project_id;
    if !repo::any_enabled(db, project_id, kind).await? {
        return Ok(());
    }
    let data = json!({ "artifact_pk": version.id, "label": label });
    repo::insert_event(
        db,
        project_id,
        kind,
        data.to_string(),
        by.map(|u| u.id),
        now_ms(),
    )
    .await?;
    Ok(())
}

/// A sweep finished.
pub async fn sweep_finished(
    db: &impl ConnectionTrait,
    project_id: i32,
    sweep_id: i32,
    by: Option<i32>,
) -> Result<(), ApiError> {
    if !repo::any_enabled(db, project_id, "sweep_finished").await? {
        return Ok(());
    }
    let data = json!({ "sweep_id": sweep_id });
    repo::insert_event(
        db,
        project_id,
        "sweep_finished",
        data.to_string(),
        by,
        now_ms(),
    )
    .await?;
    Ok(())
}

/// What `run.alert()` sends.
#[derive(Debug, Clone)]
pub struct Alert {
    pub title: String,
    pub text: String,
    pub level: AlertLevel,
}

/// A script's `run.alert()`: recorded for the project's alert automations. Needs
/// write access to the run's project, like every other run write.
pub async fn alert(
    db: &sea_orm::DatabaseConnection,
    user: &user::Model,
    at: &ProjectRef,
    run_id: &str,
    alert: Alert,
) -> Result<(), ApiError> {
    let title: String = alert.title.chars().take(500).collect();
    let text: String = alert.text.chars().take(10_000).collect();
    let (tx, _turn) = begin(db).await?;
    let (project, _owner, run) = crate::service::ops::writable_run(&tx, user, at, run_id).await?;
    if repo::any_enabled(&tx, project.id, "run_alert").await? {
        let data = json!({
            "run_pk": run.id,
            "title": title,
            "text": text,
            "level": alert.level.as_str(),
        });
        repo::insert_event(
            &tx,
            project.id,
            "run_alert",
            data.to_string(),
            Some(user.id),
            now_ms(),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}
