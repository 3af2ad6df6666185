//! The metrics engine's storage: one `metric_series` row per (run, key) with the
//! series' running aggregates, and `metric_chunks` holding its points in encoded
//! chunks with per-chunk aggregates and a sketch (see `metrics::codec`). Points
//! stored by the one-row-per-point table of m0001 are moved into chunks, then that
//! table is dropped.

use sea_orm::{ConnectionTrait, DbBackend, Statement};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::metrics::codec::{encode_points, ChunkSummary, Point, Sketch, CHUNK_POINTS};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0002_metrics_engine"
    }
}

#[derive(DeriveIden)]
enum Runs {
    Table,
    Id,
}

#[derive(DeriveIden)]
pub enum MetricSeries {
    Table,
    Id,
    RunId,
    Key,
    Version,
    Points,
    Finite,
    StepMin,
    StepMax,
    WallMinMs,
    WallMaxMs,
    Min,
    Max,
    Sum,
    LastStep,
    LastBits,
}

#[derive(DeriveIden)]
pub enum MetricChunks {
    Table,
    Id,
    SeriesId,
    StepMin,
    StepMax,
    WallMinMs,
    WallMaxMs,
    Points,
    Finite,
    Nan,
    PosInf,
    NegInf,
    Min,
    Max,
    Sum,
    FirstBits,
    LastBits,
    Sketch,
    Data,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// All or nothing on SQLite too, so a failed upgrade can simply be retried.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(MetricSeries::Table)
                .col(big_pk_auto(MetricSeries::Id))
                .col(integer(MetricSeries::RunId))
                .col(text(MetricSeries::Key))
                .col(big_integer(MetricSeries::Version))
                .col(big_integer(MetricSeries::Points))
                .col(big_integer(MetricSeries::Finite))
                .col(big_integer(MetricSeries::StepMin))
                .col(big_integer(MetricSeries::StepMax))
                .col(big_integer(MetricSeries::WallMinMs))
                .col(big_integer(MetricSeries::WallMaxMs))
                .col(double_null(MetricSeries::Min))
                .col(double_null(MetricSeries::Max))
                .col(double_null(MetricSeries::Sum))
                .col(big_integer(MetricSeries::LastStep))
                .col(big_integer(MetricSeries::LastBits))
                .foreign_key(
                    ForeignKey::create()
                        .from(MetricSeries::Table, MetricSeries::RunId)
                        .to(Runs::Table, Runs::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_metric_series_run_key")
                .table(MetricSeries::Table)
                .col(MetricSeries::RunId)
                .col(MetricSeries::Key)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(MetricChunks::Table)
                .col(big_pk_auto(MetricChunks::Id))
                .col(big_integer(MetricChunks::SeriesId))
                .col(big_integer(MetricChunks::StepMin))
                .col(big_integer(MetricChunks::StepMax))
                .col(big_integer(MetricChunks::WallMinMs))
                .col(big_integer(MetricChunks::WallMaxMs))
                .col(integer(MetricChunks::Points))
                .col(integer(MetricChunks::Finite))
                .col(integer(MetricChunks::Nan))
                .col(integer(MetricChunks::PosInf))
                .col(integer(MetricChunks::NegInf))
                .col(double_null(MetricChunks::Min))
                .col(double_null(MetricChunks::Max))
                .col(double(MetricChunks::Sum))
                .col(big_integer(MetricChunks::FirstBits))
                .col(big_integer(MetricChunks::LastBits))
                .col(blob(MetricChunks::Sketch))
                .col(blob(MetricChunks::Data))
                .foreign_key(
                    ForeignKey::create()
                        .from(MetricChunks::Table, MetricChunks::SeriesId)
                        .to(MetricSeries::Table, MetricSeries::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_metric_chunks_series_step")
                .table(MetricChunks::Table)
                .col(MetricChunks::SeriesId)
                .col(MetricChunks::StepMin)
                .to_owned(),
        )
        .await?;
        move_old_points(m.get_connection()).await?;
        m.drop_table(Table::drop().table(Alias::new("metric_points")).to_owned())
            .await
    }
}

/// Copy every series of the old per-point table into chunks, one run at a time.
/// The statements are spelled out here (not borrowed from `metrics::store`) so this
/// migration keeps working when later migrations change those tables.
async fn move_old_points(db: &SchemaManagerConnection<'_>) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    let runs = db
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT DISTINCT run_id FROM metric_points ORDER BY run_id",
        ))
        .await?;
    for run in runs {
        let run_id: i32 = run.try_get("", "run_id")?;
        let rows = db
            .query_all_raw(Statement::from_sql_and_values(
                backend,
                match backend {
                    DbBackend::Postgres => "SELECT key, step, value, wall_time FROM metric_points WHERE run_id = $1 ORDER BY key, step",
                    _ => "SELECT key, step, value, wall_time FROM metric_points WHERE run_id = ? ORDER BY key, step",
                },
                [run_id.into()],
            ))
            .await?;
        let mut key: Option<String> = None;
        let mut points: Vec<Point> = Vec::new();
        for row in rows {
            let k: String = row.try_get("", "key")?;
            if key.as_ref() != Some(&k) {
                if let Some(done) = key.take() {
                    insert_series(db, run_id, &done, &std::mem::take(&mut points)).await?;
                }
                key = Some(k);
            }
            points.push(Point {
                step: row.try_get("", "step")?,
                value: row.try_get::<Option<f64>>("", "value")?.unwrap_or(f64::NAN),
                wall_ms: (row.try_get::<f64>("", "wall_time")? * 1000.0).round() as i64,
            });
        }
        if let Some(done) = key {
            insert_series(db, run_id, &done, &points).await?;
        }
    }
    Ok(())
}

/// Store one series (points sorted by step, one per step) as this migration's tables
/// define it.
async fn insert_series(
    db: &SchemaManagerConnection<'_>,
    run_id: i32,
    key: &str,
    points: &[Point],
) -> Result<(), DbErr> {
    let chunks: Vec<&[Point]> = points.chunks(CHUNK_POINTS).collect();
    let summaries: Vec<ChunkSummary> = chunks.iter().map(|c| ChunkSummary::of(c)).collect();
    let finite: i64 = summaries.iter().map(|c| c.finite).sum();
    let sum: f64 = summaries.iter().map(|c| c.sum).sum();
    let min = summaries.iter().filter_map(|c| c.min).reduce(f64::min);
    let max = summaries.iter().filter_map(|c| c.max).reduce(f64::max);
    let (Some(first), Some(last)) = (summaries.first(), summaries.last()) else {
        return Ok(());
    };
    let series = Query::insert()
        .into_table(MetricSeries::Table)
        .columns([
            MetricSeries::RunId,
            MetricSeries::Key,
            MetricSeries::Version,
            MetricSeries::Points,
            MetricSeries::Finite,
            MetricSeries::StepMin,
            MetricSeries::StepMax,
            MetricSeries::WallMinMs,
            MetricSeries::WallMaxMs,
            MetricSeries::Min,
            MetricSeries::Max,
            MetricSeries::Sum,
            MetricSeries::LastStep,
            MetricSeries::LastBits,
        ])
        .values_panic([
            run_id.into(),
            key.into(),
            1i64.into(),
            (points.len() as i64).into(),
            finite.into(),
            first.step_min.into(),
            last.step_max.into(),
            summaries
                .iter()
                .map(|c| c.wall_min_ms)
                .min()
                .unwrap_or(0)
                .into(),
            summaries
                .iter()
                .map(|c| c.wall_max_ms)
                .max()
                .unwrap_or(0)
                .into(),
            min.into(),
            max.into(),
            (!sum.is_nan()).then_some(sum).into(),
            last.step_max.into(),
            (last.last.to_bits() as i64).into(),
        ])
        .to_owned();
    db.execute(&series).await?;
    let id_row = db
        .query_one(
            &Query::select()
                .column(MetricSeries::Id)
                .from(MetricSeries::Table)
                .and_where(Expr::col(MetricSeries::RunId).eq(run_id))
                .and_where(Expr::col(MetricSeries::Key).eq(key))
                .to_owned(),
        )
        .await?
        .ok_or_else(|| DbErr::Custom(format!("series {key:?} was not stored")))?;
    let series_id: i64 = id_row.try_get("", "id")?;
    for (piece, s) in chunks.iter().zip(&summaries) {
        let chunk = Query::insert()
            .into_table(MetricChunks::Table)
            .columns([
                MetricChunks::SeriesId,
                MetricChunks::StepMin,
                MetricChunks::StepMax,
                MetricChunks::WallMinMs,
                MetricChunks::WallMaxMs,
                MetricChunks::Points,
                MetricChunks::Finite,
                MetricChunks::Nan,
                MetricChunks::PosInf,
                MetricChunks::NegInf,
                MetricChunks::Min,
                MetricChunks::Max,
                MetricChunks::Sum,
                MetricChunks::FirstBits,
                MetricChunks::LastBits,
                MetricChunks::Sketch,
                MetricChunks::Data,
            ])
            .values_panic([
                series_id.into(),
                s.step_min.into(),
                s.step_max.into(),
                s.wall_min_ms.into(),
                s.wall_max_ms.into(),
                (s.points as i32).into(),
                (s.finite as i32).into(),
                (s.nan as i32).into(),
                (s.pos_inf as i32).into(),
                (s.neg_inf as i32).into(),
                s.min.into(),
                s.max.into(),
                s.sum.into(),
                (s.first.to_bits() as i64).into(),
                (s.last.to_bits() as i64).into(),
                Sketch::of(piece).encode().into(),
                encode_points(piece).into(),
            ])
            .to_owned();
        db.execute(&chunk).await?;
    }
    Ok(())
}
