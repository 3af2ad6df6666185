//! Entities (users' and teams'), team membership and projects.

use sea_orm::sea_query::{Expr, ExprTrait, Func, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set,
};

use crate::db::entities::{
    entity, project, project_alias, project_member, run, star, team_member, user,
};

pub async fn find_entity(
    db: &impl ConnectionTrait,
    name: &str,
) -> Result<Option<entity::Model>, DbErr> {
    entity::Entity::find()
        .filter(entity::Column::Name.eq(name))
        .one(db)
        .await
}

pub async fn find_entity_by_id(
    db: &impl ConnectionTrait,
    id: i32,
) -> Result<Option<entity::Model>, DbErr> {
    entity::Entity::find_by_id(id).one(db).await
}

/// A project by its key.
pub async fn find_project_by_id(
    db: &impl ConnectionTrait,
    id: i32,
) -> Result<Option<project::Model>, DbErr> {
    project::Entity::find_by_id(id).one(db).await
}

/// The personal entity of a user.
pub async fn personal_entity(
    db: &impl ConnectionTrait,
    user_id: i32,
) -> Result<Option<entity::Model>, DbErr> {
    entity::Entity::find()
        .filter(entity::Column::UserId.eq(user_id))
        .filter(entity::Column::Kind.eq("user"))
        .one(db)
        .await
}

/// Create a team entity with `admin_user` as its first admin.
pub async fn create_team(
    db: &impl ConnectionTrait,
    name: &str,
    admin_user: i32,
    now: i64,
) -> Result<entity::Model, DbErr> {
    let team = entity::ActiveModel {
        name: Set(name.to_owned()),
        kind: Set("team".to_owned()),
        user_id: Set(None),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    team_member::ActiveModel {
        entity_id: Set(team.id),
        user_id: Set(admin_user),
        role: Set("admin".to_owned()),
    }
    .insert(db)
    .await?;
    Ok(team)
}

/// The user's role in a team, if a member. A stored role that is not one of
/// [`TeamRole`]'s counts as no role (and is logged), so it can never grant anything.
pub async fn team_role(
    db: &impl ConnectionTrait,
    entity_id: i32,
    user_id: i32,
) -> Result<Option<app::model::TeamRole>, DbErr> {
    Ok(team_member::Entity::find_by_id((entity_id, user_id))
        .one(db)
        .await?
        .and_then(|m| match m.role.parse() {
            Ok(role) => Some(role),
            Err(e) => {
                tracing::error!("team {entity_id}, user {user_id}: {e}");
                None
            }
        }))
}

/// A live (not deleted) project by entity and name.
pub async fn find_project(
    db: &impl ConnectionTrait,
    entity_id: i32,
    name: &str,
) -> Result<Option<project::Model>, DbErr> {
    project::Entity::find()
        .filter(project::Column::EntityId.eq(entity_id))
        .filter(project::Column::Name.eq(name))
        .filter(project::Column::DeletedAt.is_null())
        .one(db)
        .await
}

pub async fn create_project(
    db: &impl ConnectionTrait,
    entity_id: i32,
    name: &str,
    visibility: &str,
    description: &str,
    created_by: i32,
    now: i64,
) -> Result<project::Model, DbErr> {
    project::ActiveModel {
        entity_id: Set(entity_id),
        name: Set(name.to_owned()),
        description: Set(description.to_owned()),
        visibility: Set(visibility.to_owned()),
        created_by: Set(created_by),
        created_at: Set(now),
        last_active_at: Set(None),
        deleted_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await
}

/// Note that data was logged to the project at `at` (only ever moves forward).
pub async fn touch_last_active(
    db: &impl ConnectionTrait,
    project_id: i32,
    at: i64,
) -> Result<(), DbErr> {
    project::Entity::update_many()
        .col_expr(project::Column::LastActiveAt, Expr::value(at))
        .filter(project::Column::Id.eq(project_id))
        .filter(
            sea_orm::Condition::any()
                .add(project::Column::LastActiveAt.is_null())
                .add(project::Column::LastActiveAt.lt(at)),
        )
        .exec(db)
        .await?;
    Ok(())
}

/// Every live project with its entity, newest activity first.
pub async fn list_projects(
    db: &impl ConnectionTrait,
) -> Result<Vec<(project::Model, entity::Model)>, DbErr> {
    let mut projects = project::Entity::find()
        .filter(project::Column::DeletedAt.is_null())
        .all(db)
        .await?;
    // Sorted here rather than in SQL: the databases disagree on where NULLs go.
    // Projects with no data yet come last.
    projects.sort_by(|a, b| {
        b.last_active_at
            .cmp(&a.last_active_at)
            .then_with(|| a.name.cmp(&b.name))
    });
    let entities = entity::Entity::find().all(db).await?;
    Ok(projects
        .into_iter()
        .filter_map(|p| {
            let e = entities.iter().find(|e| e.id == p.entity_id)?.clone();
            Some((p, e))
        })
        .collect())
}

/// Figures over a project's live runs.
#[derive(Debug, Clone, PartialEq)]
pub struct ProjectStats {
    pub total_runs: u64,
    pub total_compute_seconds: f64,
    pub contributors: Vec<String>,
}

/// Count runs per project for the home page, in one query.
pub async fn run_counts(db: &impl ConnectionTrait) -> Result<Vec<(i32, u64)>, DbErr> {
    let stmt = Query::select()
        .column(run::Column::ProjectId)
        .expr_as(Func::count(Expr::col(run::Column::Id)), "n")
        .from(run::Entity)
        .and_where(run::Column::DeletedAt.is_null())
        .group_by_col(run::Column::ProjectId)
        .to_owned();
    let rows = db.query_all(&stmt).await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("", "project_id")?,
                r.try_get::<i64>("", "n")? as u64,
            ))
        })
        .collect()
}

/// Total runs, total compute and distinct contributors of one project.
pub async fn stats(db: &impl ConnectionTrait, project_id: i32) -> Result<ProjectStats, DbErr> {
    let totals = Query::select()
        .expr_as(Func::count(Expr::col(run::Column::Id)), "n")
        .expr_as(
            Func::coalesce([
                Expr::from(Func::sum(Expr::col(run::Column::RuntimeSeconds))),
                Expr::val(0.0),
            ]),
            "compute",
        )
        .from(run::Entity)
        .and_where(run::Column::ProjectId.eq(project_id))
        .and_where(run::Column::DeletedAt.is_null())
        .to_owned();
    let row = db.query_one(&totals).await?;
    let (total_runs, total_compute_seconds) = match row {
        Some(r) => (
            r.try_get::<i64>("", "n")? as u64,
            r.try_get::<f64>("", "compute")?,
        ),
        None => (0, 0.0),
    };
    let contributors_q = Query::select()
        .distinct()
        .column((user::Entity, user::Column::Username))
        .from(run::Entity)
        .inner_join(
            user::Entity,
            Expr::col((user::Entity, user::Column::Id)).equals((run::Entity, run::Column::UserId)),
        )
        .and_where(Expr::col((run::Entity, run::Column::ProjectId)).eq(project_id))
        .and_where(Expr::col((run::Entity, run::Column::DeletedAt)).is_null())
        .order_by(
            (user::Entity, user::Column::Username),
            sea_orm::sea_query::Order::Asc,
        )
        .to_owned();
    let contributors = db
        .query_all(&contributors_q)
        .await?
        .iter()
        .map(|r| r.try_get::<String>("", "username"))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ProjectStats {
        total_runs,
        total_compute_seconds,
        contributors,
    })
}

/// A user's entry on a project's explicit member list: `Some(can_write)`, or `None`
/// when they are not on it.
pub async fn project_membership(
    db: &impl ConnectionTrait,
    project_id: i32,
    user_id: i32,
) -> Result<Option<bool>, DbErr> {
    Ok(project_member::Entity::find_by_id((project_id, user_id))
        .one(db)
        .await?
        .map(|m| m.can_write))
}

/// The usernames on a project's member list, sorted.
pub async fn project_members(
    db: &impl ConnectionTrait,
    project_id: i32,
) -> Result<Vec<String>, DbErr> {
    let ids: Vec<i32> = project_member::Entity::find()
        .filter(project_member::Column::ProjectId.eq(project_id))
        .all(db)
        .await?
        .into_iter()
        .map(|m| m.user_id)
        .collect();
    let mut names: Vec<String> = user::Entity::find()
        .filter(user::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|u| u.username)
        .collect();
    names.sort();
    Ok(names)
}

/// Put a user on a project's member list with the right the entry gives; adding
/// someone already on it sets the entry's right anew.
pub async fn add_project_member(
    db: &impl ConnectionTrait,
    project_id: i32,
    user_id: i32,
    can_write: bool,
    now: i64,
) -> Result<(), DbErr> {
    match project_membership(db, project_id, user_id).await? {
        Some(same) if same == can_write => {}
        Some(_) => {
            project_member::Entity::update_many()
                .col_expr(
                    project_member::Column::CanWrite,
                    sea_orm::sea_query::Expr::value(can_write),
                )
                .filter(project_member::Column::ProjectId.eq(project_id))
                .filter(project_member::Column::UserId.eq(user_id))
                .exec(db)
                .await?;
        }
        None => {
            project_member::ActiveModel {
                project_id: Set(project_id),
                user_id: Set(user_id),
                added_at: Set(now),
                can_write: Set(can_write),
            }
            .insert(db)
            .await?;
        }
    }
    Ok(())
}

/// Take a user off a project's member list (idempotent).
pub async fn remove_project_member(
    db: &impl ConnectionTrait,
    project_id: i32,
    user_id: i32,
) -> Result<(), DbErr> {
    project_member::Entity::delete_many()
        .filter(project_member::Column::ProjectId.eq(project_id))
        .filter(project_member::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Ids of the projects a user starred.
pub async fn starred_ids(db: &impl ConnectionTrait, user_id: i32) -> Result<Vec<i32>, DbErr> {
    Ok(star::Entity::find()
        .filter(star::Column::UserId.eq(user_id))
        .all(db)
        .await?
        .into_iter()
        .map(|s| s.project_id)
        .collect())
}

/// Whether the user starred the project.
pub async fn is_starred(
    db: &impl ConnectionTrait,
    user_id: i32,
    project_id: i32,
) -> Result<bool, DbErr> {
    Ok(star::Entity::find_by_id((user_id, project_id))
        .one(db)
        .await?
        .is_some())
}

/// Star or unstar a project (idempotent both ways).
pub async fn set_star(
    db: &impl ConnectionTrait,
    user_id: i32,
    project_id: i32,
    on: bool,
    now: i64,
) -> Result<(), DbErr> {
    let existing = star::Entity::find_by_id((user_id, project_id))
        .one(db)
        .await?;
    match (on, existing) {
        (true, None) => {
            star::ActiveModel {
                user_id: Set(user_id),
                project_id: Set(project_id),
                created_at: Set(now),
            }
            .insert(db)
            .await?;
        }
        (false, Some(_)) => {
            star::Entity::delete_by_id((user_id, project_id))
                .exec(db)
                .await?;
        }
        _ => {}
    }
    Ok(())
}

/// The live project an old name of `entity_id` now points to, if it was renamed.
pub async fn find_alias(
    db: &impl ConnectionTrait,
    entity_id: i32,
    name: &str,
) -> Result<Option<project::Model>, DbErr> {
    let Some(alias) = project_alias::Entity::find_by_id((entity_id, name.to_owned()))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    project::Entity::find_by_id(alias.project_id)
        .filter(project::Column::DeletedAt.is_null())
        .one(db)
        .await
}

/// Rename a project, keeping its old name as an alias. A live project or another
/// project's alias with the new name is the caller's to refuse first.
pub async fn rename_project(
    db: &impl ConnectionTrait,
    p: &project::Model,
    new_name: &str,
) -> Result<(), DbErr> {
    // The new name stops being an alias of anything (it may be this project's own old
    // name), and the old name now points here even if it once pointed elsewhere.
    project_alias::Entity::delete_many()
        .filter(project_alias::Column::EntityId.eq(p.entity_id))
        .filter(project_alias::Column::Name.is_in([new_name.to_owned(), p.name.clone()]))
        .exec(db)
        .await?;
    project_alias::ActiveModel {
        entity_id: Set(p.entity_id),
        name: Set(p.name.clone()),
        project_id: Set(p.id),
    }
    .insert(db)
    .await?;
    project::Entity::update_many()
        .col_expr(project::Column::Name, Expr::value(new_name))
        .filter(project::Column::Id.eq(p.id))
        .exec(db)
        .await?;
    Ok(())
}

/// Change a project's description and visibility.
pub async fn update_project_settings(
    db: &impl ConnectionTrait,
    project_id: i32,
    description: &str,
    visibility: &str,
) -> Result<(), DbErr> {
    project::Entity::update_many()
        .col_expr(project::Column::Description, Expr::value(description))
        .col_expr(project::Column::Visibility, Expr::value(visibility))
        .filter(project::Column::Id.eq(project_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Mark a project deleted (or restore it with `None`).
pub async fn set_project_deleted(
    db: &impl ConnectionTrait,
    project_id: i32,
    at: Option<i64>,
) -> Result<(), DbErr> {
    project::Entity::update_many()
        .col_expr(project::Column::DeletedAt, Expr::value(at))
        .filter(project::Column::Id.eq(project_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Deleted projects with their entity, most recently deleted first.
pub async fn deleted_projects(
    db: &impl ConnectionTrait,
) -> Result<Vec<(project::Model, entity::Model)>, DbErr> {
    let mut projects = project::Entity::find()
        .filter(project::Column::DeletedAt.is_not_null())
        .all(db)
        .await?;
    projects.sort_by_key(|p| std::cmp::Reverse(p.deleted_at));
    let entities = entity::Entity::find().all(db).await?;
    Ok(projects
        .into_iter()
        .filter_map(|p| {
            let e = entities.iter().find(|e| e.id == p.entity_id)?.clone();
            Some((p, e))
        })
        .collect())
}

/// A project by id, deleted or not.
pub async fn project_by_id(
    db: &impl ConnectionTrait,
    id: i32,
) -> Result<Option<project::Model>, DbErr> {
    project::Entity::find_by_id(id).one(db).await
}

/// Lock a team's membership rows until the transaction ends (PostgreSQL's `FOR
/// UPDATE`; SQLite's writes are serialised already), so two concurrent role changes
/// cannot both pass the last-admin check.
pub async fn lock_team(db: &impl ConnectionTrait, entity_id: i32) -> Result<(), DbErr> {
    use sea_orm::QuerySelect;
    team_member::Entity::find()
        .filter(team_member::Column::EntityId.eq(entity_id))
        .lock_exclusive()
        .all(db)
        .await?;
    Ok(())
}

/// Members of a team with their roles, by username.
pub async fn team_members(
    db: &impl ConnectionTrait,
    entity_id: i32,
) -> Result<Vec<(user::Model, String)>, DbErr> {
    let members = team_member::Entity::find()
        .filter(team_member::Column::EntityId.eq(entity_id))
        .all(db)
        .await?;
    let ids: Vec<i32> = members.iter().map(|m| m.user_id).collect();
    let users = user::Entity::find()
        .filter(user::Column::Id.is_in(ids))
        .all(db)
        .await?;
    let mut out: Vec<(user::Model, String)> = members
        .into_iter()
        .filter_map(|m| {
            let u = users.iter().find(|u| u.id == m.user_id)?.clone();
            Some((u, m.role))
        })
        .collect();
    out.sort_by(|a, b| a.0.username.cmp(&b.0.username));
    Ok(out)
}

/// Set a user's role in a team (adding them when new); `None` removes them.
pub async fn set_team_role(
    db: &impl ConnectionTrait,
    entity_id: i32,
    user_id: i32,
    role: Option<&str>,
) -> Result<(), DbErr> {
    team_member::Entity::delete_many()
        .filter(team_member::Column::EntityId.eq(entity_id))
        .filter(team_member::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    if let Some(role) = role {
        team_member::ActiveModel {
            entity_id: Set(entity_id),
            user_id: Set(user_id),
            role: Set(role.to_owned()),
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

/// Teams a user belongs to, with their role.
pub async fn teams_of(
    db: &impl ConnectionTrait,
    user_id: i32,
) -> Result<Vec<(entity::Model, String)>, DbErr> {
    let memberships = team_member::Entity::find()
        .filter(team_member::Column::UserId.eq(user_id))
        .all(db)
        .await?;
    let ids: Vec<i32> = memberships.iter().map(|m| m.entity_id).collect();
    let entities = entity::Entity::find()
        .filter(entity::Column::Id.is_in(ids))
        .all(db)
        .await?;
    let mut out: Vec<(entity::Model, String)> = memberships
        .into_iter()
        .filter_map(|m| {
            let e = entities.iter().find(|e| e.id == m.entity_id)?.clone();
            Some((e, m.role))
        })
        .collect();
    out.sort_by(|a, b| a.0.name.cmp(&b.0.name));
    Ok(out)
}

/// Every blob address a project's run files, artifact files and manifests use.
pub async fn blob_shas_of_project(
    db: &impl ConnectionTrait,
    project_id: i32,
) -> Result<Vec<String>, DbErr> {
    use crate::db::entities::{artifact, artifact_collection, artifact_file, run_file};
    let run_ids: Vec<i32> = run::Entity::find()
        .filter(run::Column::ProjectId.eq(project_id))
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.id)
        .collect();
    let mut shas: Vec<String> = Vec::new();
    for part in run_ids.chunks(500) {
        shas.extend(
            run_file::Entity::find()
                .filter(run_file::Column::RunId.is_in(part.iter().copied()))
                .all(db)
                .await?
                .into_iter()
                .map(|f| f.sha256),
        );
    }
    let collections: Vec<i32> = artifact_collection::Entity::find()
        .filter(artifact_collection::Column::ProjectId.eq(project_id))
        .all(db)
        .await?
        .into_iter()
        .map(|c| c.id)
        .collect();
    let versions = artifact::Entity::find()
        .filter(artifact::Column::CollectionId.is_in(collections))
        .all(db)
        .await?;
    let version_ids: Vec<i32> = versions.iter().map(|a| a.id).collect();
    shas.extend(versions.into_iter().filter_map(|a| a.manifest_sha256));
    for part in version_ids.chunks(500) {
        shas.extend(
            artifact_file::Entity::find()
                .filter(artifact_file::Column::ArtifactId.is_in(part.iter().copied()))
                .all(db)
                .await?
                .into_iter()
                .filter_map(|f| f.sha256),
        );
    }
    shas.sort();
    shas.dedup();
    Ok(shas)
}

/// Whether any run file, artifact file or manifest still uses a blob.
pub async fn blob_in_use(db: &impl ConnectionTrait, sha256: &str) -> Result<bool, DbErr> {
    use crate::db::entities::{artifact, artifact_file, run_file};
    Ok(run_file::Entity::find()
        .filter(run_file::Column::Sha256.eq(sha256))
        .one(db)
        .await?
        .is_some()
        || artifact_file::Entity::find()
            .filter(artifact_file::Column::Sha256.eq(sha256))
            .one(db)
            .await?
            .is_some()
        || artifact::Entity::find()
            .filter(artifact::Column::ManifestSha256.eq(sha256))
            .one(db)
            .await?
            .is_some()
        || super::reports::image_in_use(db, sha256).await?)
}

/// Remove a project row; its runs, metrics, files' rows, artifacts, settings, stars
/// and aliases go with it (foreign keys cascade).
pub async fn delete_project_row(db: &impl ConnectionTrait, project_id: i32) -> Result<(), DbErr> {
    project::Entity::delete_by_id(project_id).exec(db).await?;
    Ok(())
}

/// The projects whose member list holds the user, with what each entry gives
/// (`can_write`).
pub async fn member_project_ids(
    db: &impl ConnectionTrait,
    user_id: i32,
) -> Result<std::collections::HashMap<i32, bool>, DbErr> {
    Ok(project_member::Entity::find()
        .filter(project_member::Column::UserId.eq(user_id))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.project_id, m.can_write))
        .collect())
}
