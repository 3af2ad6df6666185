//! Automations, their secrets, the event outbox, executions with their attempts, and
//! the runs' metric windows.

use sea_orm::sea_query::{Expr, LockBehavior, LockType, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};

use crate::db::entities::{
    automation, automation_attempt, automation_event, automation_execution,
    automation_metric_state, automation_secret, project,
};
use crate::db::is_sqlite;

/// The event kinds whose automations are evaluated in metric ingest.
pub const METRIC_EVENTS: [&str; 2] = ["run_metric", "run_metric_change"];

// ---- automations ----

/// A project's automations, by name.
pub async fn list(
    db: &impl ConnectionTrait,
    project_id: i32,
) -> Result<Vec<automation::Model>, DbErr> {
    automation::Entity::find()
        .filter(automation::Column::ProjectId.eq(project_id))
        .order_by_asc(automation::Column::Name)
        .all(db)
        .await
}

/// One automation of a project.
pub async fn find(
    db: &impl ConnectionTrait,
    project_id: i32,
    id: i32,
) -> Result<Option<automation::Model>, DbErr> {
    automation::Entity::find_by_id(id)
        .filter(automation::Column::ProjectId.eq(project_id))
        .one(db)
        .await
}

/// One automation by id, whatever its project.
pub async fn by_id(db: &impl ConnectionTrait, id: i32) -> Result<Option<automation::Model>, DbErr> {
    automation::Entity::find_by_id(id).one(db).await
}

/// The enabled automations of a project for one event kind.
pub async fn enabled_for(
    db: &impl ConnectionTrait,
    project_id: i32,
    events: &[&str],
) -> Result<Vec<automation::Model>, DbErr> {
    automation::Entity::find()
        .filter(automation::Column::ProjectId.eq(project_id))
        .filter(automation::Column::Event.is_in(events.iter().copied()))
        .filter(automation::Column::Enabled.eq(true))
        .order_by_asc(automation::Column::Id)
        .all(db)
        .await
}

/// Whether a project has an enabled automation for the event kind.
pub async fn any_enabled(
    db: &impl ConnectionTrait,
    project_id: i32,
    event: &str,
) -> Result<bool, DbErr> {
    Ok(automation::Entity::find()
        .select_only()
        .column(automation::Column::Id)
        .filter(automation::Column::ProjectId.eq(project_id))
        .filter(automation::Column::Event.eq(event))
        .filter(automation::Column::Enabled.eq(true))
        .into_tuple::<i32>()
        .one(db)
        .await?
        .is_some())
}

pub async fn insert(
    db: &impl ConnectionTrait,
    row: automation::ActiveModel,
) -> Result<automation::Model, DbErr> {
    row.insert(db).await
}

pub async fn update(
    db: &impl ConnectionTrait,
    row: automation::ActiveModel,
) -> Result<automation::Model, DbErr> {
    row.update(db).await
}

pub async fn delete(db: &impl ConnectionTrait, id: i32) -> Result<(), DbErr> {
    automation::Entity::delete_by_id(id).exec(db).await?;
    Ok(())
}

/// Count the project's enabled metric automations into its row.
pub async fn recount_metric(db: &impl ConnectionTrait, project_id: i32) -> Result<(), DbErr> {
    let n = automation::Entity::find()
        .filter(automation::Column::ProjectId.eq(project_id))
        .filter(automation::Column::Event.is_in(METRIC_EVENTS))
        .filter(automation::Column::Enabled.eq(true))
        .count(db)
        .await?;
    project::Entity::update_many()
        .col_expr(project::Column::MetricAutomations, Expr::value(n as i32))
        .filter(project::Column::Id.eq(project_id))
        .exec(db)
        .await?;
    Ok(())
}

// ---- secrets ----

/// An entity's secrets, by name.
pub async fn secrets(
    db: &impl ConnectionTrait,
    entity_id: i32,
) -> Result<Vec<automation_secret::Model>, DbErr> {
    automation_secret::Entity::find()
        .filter(automation_secret::Column::EntityId.eq(entity_id))
        .order_by_asc(automation_secret::Column::Name)
        .all(db)
        .await
}

/// Store a sealed secret (replacing one of that name).
pub async fn put_secret(
    db: &impl ConnectionTrait,
    entity_id: i32,
    name: &str,
    sealed: &str,
    user_id: i32,
    now: i64,
) -> Result<(), DbErr> {
    automation_secret::Entity::insert(automation_secret::ActiveModel {
        entity_id: Set(entity_id),
        name: Set(name.to_owned()),
        sealed: Set(sealed.to_owned()),
        updated_by: Set(Some(user_id)),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::columns([
            automation_secret::Column::EntityId,
            automation_secret::Column::Name,
        ])
        .update_columns([
            automation_secret::Column::Sealed,
            automation_secret::Column::UpdatedBy,
            automation_secret::Column::UpdatedAt,
        ])
        .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Delete a secret; whether there was one.
pub async fn delete_secret(
    db: &impl ConnectionTrait,
    entity_id: i32,
    name: &str,
) -> Result<bool, DbErr> {
    let r = automation_secret::Entity::delete_many()
        .filter(automation_secret::Column::EntityId.eq(entity_id))
        .filter(automation_secret::Column::Name.eq(name))
        .exec(db)
        .await?;
    Ok(r.rows_affected > 0)
}

// ---- the outbox ----

/// Record an event (inside the transaction of the change).
pub async fn insert_event(
    db: &impl ConnectionTrait,
    project_id: i32,
    kind: &str,
    data: String,
    user_id: Option<i32>,
    now: i64,
) -> Result<(), DbErr> {
    automation_event::Entity::insert(automation_event::ActiveModel {
        project_id: Set(project_id),
        kind: Set(kind.to_owned()),
        data: Set(data),
        user_id: Set(user_id),
        created_at: Set(now),
        processed_at: Set(None),
        ..Default::default()
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// The oldest unprocessed events, locked for this transaction; on PostgreSQL other
/// servers skip them (`FOR UPDATE SKIP LOCKED`), on SQLite writers take turns.
pub async fn claim_events(
    db: &impl ConnectionTrait,
    limit: u64,
) -> Result<Vec<automation_event::Model>, DbErr> {
    let mut q = automation_event::Entity::find()
        .filter(automation_event::Column::ProcessedAt.is_null())
        .order_by_asc(automation_event::Column::Id)
        .limit(limit);
    if !is_sqlite(db) {
        q = q.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
    }
    q.all(db).await
}

pub async fn mark_processed(db: &impl ConnectionTrait, ids: &[i32], now: i64) -> Result<(), DbErr> {
    if ids.is_empty() {
        return Ok(());
    }
    automation_event::Entity::update_many()
        .col_expr(automation_event::Column::ProcessedAt, Expr::value(now))
        .filter(automation_event::Column::Id.is_in(ids.iter().copied()))
        .exec(db)
        .await?;
    Ok(())
}

/// Delete events processed before `before`; how many.
pub async fn purge_events(db: &impl ConnectionTrait, before: i64) -> Result<u64, DbErr> {
    Ok(automation_event::Entity::delete_many()
        .filter(automation_event::Column::ProcessedAt.lt(before))
        .exec(db)
        .await?
        .rows_affected)
}

/// Unprocessed events (for tests and the health of the worker).
pub async fn pending_events(db: &impl ConnectionTrait) -> Result<u64, DbErr> {
    automation_event::Entity::find()
        .filter(automation_event::Column::ProcessedAt.is_null())
        .count(db)
        .await
}

// ---- executions ----

/// Insert an execution unless one with its dedupe key exists; its id if inserted.
pub async fn insert_execution(
    db: &impl ConnectionTrait,
    row: automation_execution::ActiveModel,
) -> Result<Option<i32>, DbErr> {
    let r = automation_execution::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([
                automation_execution::Column::AutomationId,
                automation_execution::Column::Dedupe,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec(db)
        .await;
    match r {
        Ok(r) => Ok(Some(r.last_insert_id)),
        Err(DbErr::RecordNotInserted) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Executions due at `now` (pending or retrying, not held by a live claim), locked
/// and claimed until `until` so no other server sends them meanwhile.
pub async fn claim_due(
    db: &impl ConnectionTrait,
    now: i64,
    until: i64,
    limit: u64,
) -> Result<Vec<automation_execution::Model>, DbErr> {
    let mut q = automation_execution::Entity::find()
        .filter(automation_execution::Column::Status.is_in(["pending", "retrying"]))
        .filter(automation_execution::Column::NextAttemptAt.lte(now))
        .filter(
            Condition::any()
                .add(automation_execution::Column::ClaimedUntil.is_null())
                .add(automation_execution::Column::ClaimedUntil.lt(now)),
        )
        .order_by_asc(automation_execution::Column::NextAttemptAt)
        .order_by_asc(automation_execution::Column::Id)
        .limit(limit);
    if !is_sqlite(db) {
        q = q.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
    }
    let rows = q.all(db).await?;
    if !rows.is_empty() {
        automation_execution::Entity::update_many()
            .col_expr(
                automation_execution::Column::ClaimedUntil,
                Expr::value(until),
            )
            .filter(automation_execution::Column::Id.is_in(rows.iter().map(|r| r.id)))
            .exec(db)
            .await?;
    }
    Ok(rows)
}

pub async fn execution(
    db: &impl ConnectionTrait,
    id: i32,
) -> Result<Option<automation_execution::Model>, DbErr> {
    automation_execution::Entity::find_by_id(id).one(db).await
}

pub async fn update_execution(
    db: &impl ConnectionTrait,
    row: automation_execution::ActiveModel,
) -> Result<automation_execution::Model, DbErr> {
    row.update(db).await
}

pub async fn insert_attempt(
    db: &impl ConnectionTrait,
    row: automation_attempt::ActiveModel,
) -> Result<(), DbErr> {
    automation_attempt::Entity::insert(row)
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// An execution's attempts, oldest first.
pub async fn attempts(
    db: &impl ConnectionTrait,
    execution_id: i32,
) -> Result<Vec<automation_attempt::Model>, DbErr> {
    automation_attempt::Entity::find()
        .filter(automation_attempt::Column::ExecutionId.eq(execution_id))
        .order_by_asc(automation_attempt::Column::Id)
        .all(db)
        .await
}

/// How a history page is ordered.
#[derive(Clone, Copy, Debug)]
pub enum Order {
    Newest,
    Oldest,
    Status,
}

/// A page of an automation's executions matching `search` (every word somewhere in
/// the summary, author, status, URL, answer or error), with the number matching.
pub async fn executions_page(
    db: &impl ConnectionTrait,
    automation_id: i32,
    search: &str,
    order: Order,
    offset: u64,
    limit: u64,
) -> Result<(Vec<automation_execution::Model>, u64), DbErr> {
    use automation_execution::Column as C;
    let mut q = automation_execution::Entity::find().filter(C::AutomationId.eq(automation_id));
    for word in search.split_whitespace().take(8) {
        let like = format!("%{}%", word.replace(['%', '_'], ""));
        q = q.filter(
            Condition::any()
                .add(C::Summary.like(like.clone()))
                .add(C::Author.like(like.clone()))
                .add(C::Status.like(like.clone()))
                .add(C::EventKind.like(like.clone()))
                .add(C::ResponseBody.like(like.clone()))
                .add(C::Error.like(like)),
        );
    }
    let total = q.clone().count(db).await?;
    let q = match order {
        Order::Newest => q.order_by_desc(C::Id),
        Order::Oldest => q.order_by_asc(C::Id),
        Order::Status => q.order_by_asc(C::Status).order_by_desc(C::Id),
    };
    Ok((q.offset(offset).limit(limit).all(db).await?, total))
}

/// The newest execution of each automation and the number of executions.
pub async fn last_executions(
    db: &impl ConnectionTrait,
    automation_ids: &[i32],
) -> Result<Vec<(automation_execution::Model, u64)>, DbErr> {
    let mut out = Vec::new();
    for &id in automation_ids {
        let last = automation_execution::Entity::find()
            .filter(automation_execution::Column::AutomationId.eq(id))
            .filter(automation_execution::Column::IsTest.eq(false))
            .order_by_desc(automation_execution::Column::Id)
            .one(db)
            .await?;
        if let Some(last) = last {
            let n = automation_execution::Entity::find()
                .filter(automation_execution::Column::AutomationId.eq(id))
                .filter(automation_execution::Column::IsTest.eq(false))
                .count(db)
                .await?;
            out.push((last, n));
        }
    }
    Ok(out)
}

// ---- metric windows ----

/// The windows of `run_pk` for the given automations.
pub async fn metric_states(
    db: &impl ConnectionTrait,
    run_pk: i32,
    automation_ids: &[i32],
) -> Result<Vec<automation_metric_state::Model>, DbErr> {
    automation_metric_state::Entity::find()
        .filter(automation_metric_state::Column::RunPk.eq(run_pk))
        .filter(automation_metric_state::Column::AutomationId.is_in(automation_ids.iter().copied()))
        .all(db)
        .await
}

pub async fn save_metric_state(
    db: &impl ConnectionTrait,
    automation_id: i32,
    run_pk: i32,
    state: String,
) -> Result<(), DbErr> {
    automation_metric_state::Entity::insert(automation_metric_state::ActiveModel {
        automation_id: Set(automation_id),
        run_pk: Set(run_pk),
        state: Set(state),
    })
    .on_conflict(
        OnConflict::columns([
            automation_metric_state::Column::AutomationId,
            automation_metric_state::Column::RunPk,
        ])
        .update_column(automation_metric_state::Column::State)
        .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}
