//! Runs: lookup, creation with per-project ordinals, and listing.

use sea_orm::sea_query::{Expr, Func, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Select,
};

use app::model::RunState;

use crate::db::entities::run;

/// The run with this id in the project, deleted or not.
fn by_id(project_id: i32, run_id: &str) -> Select<run::Entity> {
    run::Entity::find()
        .filter(run::Column::ProjectId.eq(project_id))
        .filter(run::Column::RunId.eq(run_id))
}

/// A live (not deleted) run by its project and id.
pub async fn find_run(
    db: &impl ConnectionTrait,
    project_id: i32,
    run_id: &str,
) -> Result<Option<run::Model>, DbErr> {
    by_id(project_id, run_id)
        .filter(run::Column::DeletedAt.is_null())
        .one(db)
        .await
}

/// Like [`find_run`], locking the row until the transaction ends (PostgreSQL's
/// `FOR UPDATE`), so concurrent writes to one run apply one after the other instead of
/// overwriting each other's summary and console positions. SQLite ignores the clause;
/// its writes are serialised by the caller.
pub async fn find_run_for_update(
    db: &impl ConnectionTrait,
    project_id: i32,
    run_id: &str,
) -> Result<Option<run::Model>, DbErr> {
    by_id(project_id, run_id)
        .filter(run::Column::DeletedAt.is_null())
        .lock_exclusive()
        .one(db)
        .await
}

/// The live runs among `run_ids` in the project (in no particular order).
pub async fn find_many(
    db: &impl ConnectionTrait,
    project_id: i32,
    run_ids: &[String],
) -> Result<Vec<run::Model>, DbErr> {
    let mut out = Vec::with_capacity(run_ids.len());
    for part in run_ids.chunks(500) {
        out.extend(
            run::Entity::find()
                .filter(run::Column::ProjectId.eq(project_id))
                .filter(run::Column::RunId.is_in(part.iter().cloned()))
                .filter(run::Column::DeletedAt.is_null())
                .all(db)
                .await?,
        );
    }
    Ok(out)
}

/// The run with this id whether deleted or not (ids are never reused).
pub async fn find_run_any(
    db: &impl ConnectionTrait,
    project_id: i32,
    run_id: &str,
) -> Result<Option<run::Model>, DbErr> {
    by_id(project_id, run_id).one(db).await
}

/// The ordinal the next run of the project gets (1 for the first).
pub async fn next_ordinal(db: &impl ConnectionTrait, project_id: i32) -> Result<i64, DbErr> {
    let q = Query::select()
        .expr_as(
            Func::coalesce([
                Expr::from(Func::max(Expr::col(run::Column::Ordinal))),
                Expr::val(0i64),
            ]),
            "m",
        )
        .from(run::Entity)
        .and_where(run::Column::ProjectId.eq(project_id))
        .to_owned();
    let row = db.query_one(&q).await?;
    Ok(row
        .map(|r| r.try_get::<i64>("", "m"))
        .transpose()?
        .unwrap_or(0)
        + 1)
}

/// Insert a run and its filterable fields.
pub async fn insert(
    db: &impl ConnectionTrait,
    model: run::ActiveModel,
) -> Result<run::Model, DbErr> {
    let run = model.insert(db).await?;
    super::run_fields::sync(db, &run).await?;
    Ok(run)
}

/// Update a run; when its config, summary or tags were set, its filterable fields too.
pub async fn update(
    db: &impl ConnectionTrait,
    model: run::ActiveModel,
) -> Result<run::Model, DbErr> {
    let fields_touched = model.config.is_set()
        || model.summary_auto.is_set()
        || model.summary_explicit.is_set()
        || model.tags.is_set();
    let run = model.update(db).await?;
    if fields_touched {
        super::run_fields::sync(db, &run).await?;
    }
    Ok(run)
}

/// A project's live runs, newest first.
pub async fn list(db: &impl ConnectionTrait, project_id: i32) -> Result<Vec<run::Model>, DbErr> {
    run::Entity::find()
        .filter(run::Column::ProjectId.eq(project_id))
        .filter(run::Column::DeletedAt.is_null())
        .order_by_desc(run::Column::CreatedAt)
        .order_by_desc(run::Column::Ordinal)
        .all(db)
        .await
}

/// How many of a project's runs are soft-deleted.
pub async fn deleted_count(db: &impl ConnectionTrait, project_id: i32) -> Result<u64, DbErr> {
    use sea_orm::PaginatorTrait;
    run::Entity::find()
        .filter(run::Column::ProjectId.eq(project_id))
        .filter(run::Column::DeletedAt.is_not_null())
        .count(db)
        .await
}

/// Bring back every soft-deleted run of a project; returns how many came back.
pub async fn undelete_all(db: &impl ConnectionTrait, project_id: i32) -> Result<u64, DbErr> {
    let res = run::Entity::update_many()
        .col_expr(run::Column::DeletedAt, Expr::value(Option::<i64>::None))
        .filter(run::Column::ProjectId.eq(project_id))
        .filter(run::Column::DeletedAt.is_not_null())
        .exec(db)
        .await?;
    Ok(res.rows_affected)
}

/// Mark running runs not heard from since `cutoff_ms` (Unix ms) as crashed; the runs
/// marked. A crashed run that writes again is running again (`service::ops`).
pub async fn mark_crashed(
    db: &impl ConnectionTrait,
    cutoff_ms: i64,
) -> Result<Vec<run::Model>, DbErr> {
    run::Entity::update_many()
        .col_expr(
            run::Column::State,
            sea_orm::sea_query::Expr::value(RunState::Crashed.as_str()),
        )
        .filter(run::Column::State.eq(RunState::Running.as_str()))
        .filter(run::Column::HeartbeatAt.lt(cutoff_ms))
        .filter(run::Column::DeletedAt.is_null())
        .exec_with_returning(db)
        .await
}

/// The number of runs in a project (live ones).
pub async fn count_live(db: &impl ConnectionTrait, project_id: i32) -> Result<u64, DbErr> {
    run::Entity::find()
        .filter(run::Column::ProjectId.eq(project_id))
        .filter(run::Column::DeletedAt.is_null())
        .count(db)
        .await
}

/// A page of a project's live runs, oldest first for `+created_at` (the public
/// API's default), newest first otherwise.
pub async fn page(
    db: &impl ConnectionTrait,
    project_id: i32,
    order: Option<&str>,
    offset: u64,
    limit: u64,
) -> Result<Vec<run::Model>, DbErr> {
    let q = run::Entity::find()
        .filter(run::Column::ProjectId.eq(project_id))
        .filter(run::Column::DeletedAt.is_null());
    let q = match order {
        Some(o) if o.starts_with('-') => q
            .order_by_desc(run::Column::CreatedAt)
            .order_by_desc(run::Column::Ordinal),
        _ => q
            .order_by_asc(run::Column::CreatedAt)
            .order_by_asc(run::Column::Ordinal),
    };
    q.offset(offset).limit(limit).all(db).await
}

/// A live run by its primary key (the wandb client's storage id names runs by it).
pub async fn find_live_by_pk(
    db: &impl ConnectionTrait,
    run_pk: i32,
) -> Result<Option<run::Model>, DbErr> {
    run::Entity::find_by_id(run_pk)
        .filter(run::Column::DeletedAt.is_null())
        .one(db)
        .await
}

/// The live runs among primary keys `pks` (in no particular order).
pub async fn live_by_pks(db: &impl ConnectionTrait, pks: &[i32]) -> Result<Vec<run::Model>, DbErr> {
    let mut out = Vec::with_capacity(pks.len());
    for part in pks.chunks(500) {
        out.extend(
            run::Entity::find()
                .filter(run::Column::Id.is_in(part.iter().copied()))
                .filter(run::Column::DeletedAt.is_null())
                .all(db)
                .await?,
        );
    }
    Ok(out)
}

/// The live runs with these primary keys, oldest first.
pub async fn find_by_pks(db: &impl ConnectionTrait, pks: &[i32]) -> Result<Vec<run::Model>, DbErr> {
    let mut out = Vec::with_capacity(pks.len());
    for part in pks.chunks(500) {
        out.extend(
            run::Entity::find()
                .filter(run::Column::Id.is_in(part.iter().copied()))
                .filter(run::Column::DeletedAt.is_null())
                .all(db)
                .await?,
        );
    }
    out.sort_by_key(|r| (r.created_at, r.id));
    Ok(out)
}
