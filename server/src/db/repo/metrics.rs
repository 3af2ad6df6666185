//! Metric storage, behind the narrow interface the rest of the server uses:
//! `write_points`, `read_series`, `count_points`. This version keeps one row per
//! point; the metrics-engine issue replaces the insides with chunked,
//! pre-aggregated storage without changing these signatures.

use sea_orm::sea_query::{Expr, Func, OnConflict, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};

use app::model::{MetricPoint, MetricValue};

use crate::db::entities::metric_point::{self, Column};

/// One point to store.
#[derive(Debug, Clone, PartialEq)]
pub struct NewPoint<'a> {
    pub key: &'a str,
    pub step: i64,
    pub value: f64,
    pub wall_time: f64,
}

/// Rows per INSERT statement: 5 parameters each stays well under SQLite's limit.
const ROWS_PER_STATEMENT: usize = 2_000;

/// Store points for one run. A (key, step) already stored is overwritten (last
/// write wins), so a client retrying a batch creates no duplicates.
pub async fn write_points(
    db: &impl ConnectionTrait,
    run_pk: i32,
    points: &[NewPoint<'_>],
) -> Result<(), DbErr> {
    for chunk in points.chunks(ROWS_PER_STATEMENT) {
        let mut insert = Query::insert();
        insert
            .into_table(metric_point::Entity)
            .columns([
                Column::RunId,
                Column::Key,
                Column::Step,
                Column::Value,
                Column::WallTime,
            ])
            .on_conflict(
                OnConflict::columns([Column::RunId, Column::Key, Column::Step])
                    .update_columns([Column::Value, Column::WallTime])
                    .to_owned(),
            );
        for p in chunk {
            let value = if p.value.is_nan() {
                None
            } else {
                Some(p.value)
            };
            insert.values_panic([
                run_pk.into(),
                p.key.into(),
                p.step.into(),
                value.into(),
                p.wall_time.into(),
            ]);
        }
        db.execute(&insert).await?;
    }
    Ok(())
}

/// Every point of one series, by step.
pub async fn read_series(
    db: &impl ConnectionTrait,
    run_pk: i32,
    key: &str,
) -> Result<Vec<MetricPoint>, DbErr> {
    let rows = metric_point::Entity::find()
        .filter(Column::RunId.eq(run_pk))
        .filter(Column::Key.eq(key))
        .order_by_asc(Column::Step)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| MetricPoint {
            step: r.step,
            value: MetricValue(r.value.unwrap_or(f64::NAN)),
            wall_time: r.wall_time,
        })
        .collect())
}

/// How many points are stored for a run (all keys), or for one key.
pub async fn count_points(
    db: &impl ConnectionTrait,
    run_pk: i32,
    key: Option<&str>,
) -> Result<u64, DbErr> {
    let mut q = Query::select();
    q.expr_as(Func::count(Expr::col(Column::Step)), "n")
        .from(metric_point::Entity)
        .and_where(Column::RunId.eq(run_pk));
    if let Some(key) = key {
        q.and_where(Column::Key.eq(key));
    }
    let row = db.query_one(&q).await?;
    Ok(row
        .map(|r| r.try_get::<i64>("", "n"))
        .transpose()?
        .unwrap_or(0) as u64)
}
