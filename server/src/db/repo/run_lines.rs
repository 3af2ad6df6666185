//! The wandb client's line-numbered run logs: history rows (`run_history`, one JSON
//! object per logged step) and system-metrics events (`run_event`). Lines are written
//! at the numbers the client gives, so a retried post writes the same lines again.

use sea_orm::sea_query::{Expr, Func, OnConflict, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use crate::db::entities::{run_event, run_history};

/// Store lines of a line-numbered run log (history or events) at `first_line`,
/// overwriting what was there: retried posts write the same lines again.
pub async fn write_history_lines(
    db: &impl ConnectionTrait,
    run_pk: i32,
    first_line: u64,
    lines: &[(Option<i64>, String)],
) -> Result<(), DbErr> {
    for (chunk_no, chunk) in lines.chunks(1000).enumerate() {
        let mut insert = Query::insert();
        insert
            .into_table(run_history::Entity)
            .columns([
                run_history::Column::RunId,
                run_history::Column::LineNo,
                run_history::Column::Step,
                run_history::Column::Body,
            ])
            .on_conflict(
                OnConflict::columns([run_history::Column::RunId, run_history::Column::LineNo])
                    .update_columns([run_history::Column::Step, run_history::Column::Body])
                    .to_owned(),
            );
        for (i, (step, body)) in chunk.iter().enumerate() {
            let line = first_line + (chunk_no * 1000 + i) as u64;
            insert.values_panic([
                run_pk.into(),
                (line as i64).into(),
                (*step).into(),
                body.as_str().into(),
            ]);
        }
        db.execute(&insert).await?;
    }
    Ok(())
}

/// Store event (system-metrics) lines at `first_line`, overwriting what was there.
pub async fn write_event_lines(
    db: &impl ConnectionTrait,
    run_pk: i32,
    first_line: u64,
    lines: &[String],
) -> Result<(), DbErr> {
    for (chunk_no, chunk) in lines.chunks(1000).enumerate() {
        let mut insert = Query::insert();
        insert
            .into_table(run_event::Entity)
            .columns([
                run_event::Column::RunId,
                run_event::Column::LineNo,
                run_event::Column::Body,
            ])
            .on_conflict(
                OnConflict::columns([run_event::Column::RunId, run_event::Column::LineNo])
                    .update_column(run_event::Column::Body)
                    .to_owned(),
            );
        for (i, body) in chunk.iter().enumerate() {
            let line = first_line + (chunk_no * 1000 + i) as u64;
            insert.values_panic([run_pk.into(), (line as i64).into(), body.as_str().into()]);
        }
        db.execute(&insert).await?;
    }
    Ok(())
}

/// Number of stored history lines.
pub async fn history_count(db: &impl ConnectionTrait, run_pk: i32) -> Result<u64, DbErr> {
    run_history::Entity::find()
        .filter(run_history::Column::RunId.eq(run_pk))
        .count(db)
        .await
}

/// Number of stored event lines.
pub async fn events_count(db: &impl ConnectionTrait, run_pk: i32) -> Result<u64, DbErr> {
    run_event::Entity::find()
        .filter(run_event::Column::RunId.eq(run_pk))
        .count(db)
        .await
}

/// The last `limit` history lines, oldest first.
pub async fn last_history_lines(
    db: &impl ConnectionTrait,
    run_pk: i32,
    limit: u64,
) -> Result<Vec<String>, DbErr> {
    let mut rows: Vec<String> = run_history::Entity::find()
        .filter(run_history::Column::RunId.eq(run_pk))
        .order_by_desc(run_history::Column::LineNo)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.body)
        .collect();
    rows.reverse();
    Ok(rows)
}

/// History lines with `min_step <= _step < max_step` (either bound optional), in
/// line order, at most `limit`.
pub async fn history_lines(
    db: &impl ConnectionTrait,
    run_pk: i32,
    min_step: Option<i64>,
    max_step_exclusive: Option<i64>,
    limit: Option<u64>,
) -> Result<Vec<String>, DbErr> {
    let mut q = run_history::Entity::find().filter(run_history::Column::RunId.eq(run_pk));
    if let Some(m) = min_step {
        q = q.filter(run_history::Column::Step.gte(m));
    }
    if let Some(m) = max_step_exclusive {
        q = q.filter(run_history::Column::Step.lt(m));
    }
    let q = q.order_by_asc(run_history::Column::LineNo);
    let q = match limit {
        Some(l) => q.limit(l),
        None => q,
    };
    Ok(q.all(db).await?.into_iter().map(|r| r.body).collect())
}

/// The last `limit` event lines, oldest first.
pub async fn last_event_lines(
    db: &impl ConnectionTrait,
    run_pk: i32,
    limit: u64,
) -> Result<Vec<String>, DbErr> {
    let mut rows: Vec<String> = run_event::Entity::find()
        .filter(run_event::Column::RunId.eq(run_pk))
        .order_by_desc(run_event::Column::LineNo)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.body)
        .collect();
    rows.reverse();
    Ok(rows)
}

/// The line numbers of a run's history, in order.
pub async fn history_line_numbers(
    db: &impl ConnectionTrait,
    run_pk: i32,
) -> Result<Vec<i64>, DbErr> {
    run_history::Entity::find()
        .select_only()
        .column(run_history::Column::LineNo)
        .filter(run_history::Column::RunId.eq(run_pk))
        .order_by_asc(run_history::Column::LineNo)
        .into_tuple()
        .all(db)
        .await
}

/// The history lines with these line numbers, in line order.
pub async fn history_lines_numbered(
    db: &impl ConnectionTrait,
    run_pk: i32,
    numbers: &[i64],
) -> Result<Vec<String>, DbErr> {
    Ok(run_history::Entity::find()
        .filter(run_history::Column::RunId.eq(run_pk))
        .filter(run_history::Column::LineNo.is_in(numbers.iter().copied()))
        .order_by_asc(run_history::Column::LineNo)
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.body)
        .collect())
}

/// The highest `_step` in the run's history, if any.
pub async fn max_history_step(
    db: &impl ConnectionTrait,
    run_pk: i32,
) -> Result<Option<i64>, DbErr> {
    let q = Query::select()
        .expr_as(Func::max(Expr::col(run_history::Column::Step)), "m")
        .from(run_history::Entity)
        .and_where(run_history::Column::RunId.eq(run_pk))
        .to_owned();
    let row = db.query_one(&q).await?;
    Ok(row.map(|r| r.try_get("", "m")).transpose()?.flatten())
}
