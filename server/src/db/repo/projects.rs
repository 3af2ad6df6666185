//! Entities (users' and teams'), team membership and projects.

use sea_orm::sea_query::{Expr, ExprTrait, Func, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set,
};

use crate::db::entities::{entity, project, run, team_member, user};

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

/// The user's role in a team, if a member.
pub async fn team_role(
    db: &impl ConnectionTrait,
    entity_id: i32,
    user_id: i32,
) -> Result<Option<String>, DbErr> {
    Ok(team_member::Entity::find_by_id((entity_id, user_id))
        .one(db)
        .await?
        .map(|m| m.role))
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
