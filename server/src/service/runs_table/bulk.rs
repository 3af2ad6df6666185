//! Bulk actions on selected or matching runs (tags, group, rename, delete), in one
//! write through the batching writer.

use super::*;

/// Apply a bulk action in one write transaction (through the writer, which
/// serialises writes on SQLite); returns how many runs it changed.
pub async fn bulk(
    writer: &crate::db::write::Writer,
    viewer: user::Model,
    at: ProjectRef,
    target: BulkTarget,
    action: BulkAction,
) -> Result<u64, ApiError> {
    match &action {
        BulkAction::AddTag(t) | BulkAction::RemoveTag(t) => app::logic::validate::label("tag", t)?,
        BulkAction::SetGroup(Some(g)) => app::logic::validate::label("group", g)?,
        BulkAction::Rename(name) => {
            app::logic::validate::label("name", name)?;
            if !matches!(&target, BulkTarget::Runs(ids) if ids.len() == 1) {
                return Err(bad("rename one run at a time"));
            }
        }
        _ => {}
    }
    writer
        .write(move |tx| Box::pin(async move { bulk_in(tx, &viewer, &at, &target, &action).await }))
        .await
}

pub(super) async fn bulk_in(
    tx: &sea_orm::DatabaseTransaction,
    viewer: &user::Model,
    at: &ProjectRef,
    target: &BulkTarget,
    action: &BulkAction,
) -> Result<u64, ApiError> {
    let (project, access) = open(tx, Some(viewer), at).await?;
    if access != Access::Write {
        return Err(ApiError::Forbidden(format!(
            "you may read {}/{} but not change its runs",
            at.entity, at.project
        )));
    }
    let ids: Vec<String> = match target {
        BulkTarget::Runs(ids) => {
            if ids.len() > 100_000 {
                return Err(bad("at most 100,000 runs per action"));
            }
            ids.iter().map(|r| r.0.clone()).collect()
        }
        BulkTarget::Matching(filter) => {
            let f = parse(filter)?;
            matching_ids(tx, project.id, f.as_ref()).await?
        }
    };
    let now = crate::db::now_ms();
    let mut changed = 0;
    for run in runs::find_many(tx, project.id, &ids).await? {
        let mut tags: Vec<String> = run.tag_list();
        let mut active: crate::db::entities::run::ActiveModel = run.clone().into();
        use sea_orm::ActiveValue::Set;
        match action {
            BulkAction::Delete => active.deleted_at = Set(Some(now)),
            BulkAction::AddTag(t) => {
                if tags.contains(t) {
                    continue;
                }
                tags.push(t.clone());
                active.tags = Set(serde_json::to_string(&tags).unwrap_or_default());
            }
            BulkAction::RemoveTag(t) => {
                if !tags.contains(t) {
                    continue;
                }
                tags.retain(|x| x != t);
                active.tags = Set(serde_json::to_string(&tags).unwrap_or_default());
            }
            BulkAction::SetGroup(g) => {
                if run.group_name == *g {
                    continue;
                }
                active.group_name = Set(g.clone());
            }
            BulkAction::Rename(name) => {
                if run.display_name == *name {
                    continue;
                }
                active.display_name = Set(name.clone());
            }
            BulkAction::Stop => {
                if run.state != RunState::Running.as_str() {
                    continue;
                }
                active.state = Set(RunState::Killed.as_str().to_owned());
            }
        }
        runs::update(tx, active).await?;
        changed += 1;
    }
    Ok(changed)
}
