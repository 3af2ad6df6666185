//! The metrics engine's storage: one `metric_series` row per (run, key) with the
//! series' running aggregates, and `metric_chunks` holding its points in encoded
//! chunks with per-chunk aggregates and a sketch (see `metrics::codec`). Points
//! stored by the one-row-per-point table of m0001 are moved into chunks, then that
//! table is dropped.

use sea_orm::{ConnectionTrait, Statement};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::metrics::codec::Point;

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

/// Copy every series of the old per-point table into chunks.
async fn move_old_points(db: &SchemaManagerConnection<'_>) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    let rows = db
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT run_id, key, step, value, wall_time FROM metric_points ORDER BY run_id, key, step",
        ))
        .await?;
    let mut current: Option<(i32, String)> = None;
    let mut points: Vec<Point> = Vec::new();
    for row in rows {
        let run: i32 = row.try_get("", "run_id")?;
        let key: String = row.try_get("", "key")?;
        let point = Point {
            step: row.try_get("", "step")?,
            value: row.try_get::<Option<f64>>("", "value")?.unwrap_or(f64::NAN),
            wall_ms: (row.try_get::<f64>("", "wall_time")? * 1000.0).round() as i64,
        };
        if current.as_ref() != Some(&(run, key.clone())) {
            if let Some((r, k)) = current.take() {
                crate::metrics::store::write_series(db, r, &k, &std::mem::take(&mut points))
                    .await?;
            }
            current = Some((run, key));
        }
        points.push(point);
    }
    if let Some((r, k)) = current {
        crate::metrics::store::write_series(db, r, &k, &points).await?;
    }
    Ok(())
}
