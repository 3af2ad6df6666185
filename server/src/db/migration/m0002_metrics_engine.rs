//! The metrics engine's storage: one `metric_series` row per (run, key) with the
//! series' running aggregates, and `metric_chunks` holding its points in encoded
//! chunks with per-chunk aggregates and a sketch. Points stored by the
//! one-row-per-point table of m0001 are moved into chunks, then that table is dropped.
//!
//! The migration is self-contained: it writes chunks with its own copy of layout v1
//! ([`v1`]), so a later change to the live codec (`metrics::codec`, which keeps
//! reading v1) can never change what this shipped migration writes. Its table and
//! column names are its own too; the live store names them separately.

use sea_orm::{ConnectionTrait, DbBackend, Statement};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use v1::{encode_points, sketch, ChunkSummary, Point, CHUNK_POINTS};

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
enum MetricSeries {
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
enum MetricChunks {
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
                sketch(piece).into(),
                encode_points(piece).into(),
            ])
            .to_owned();
        db.execute(&chunk).await?;
    }
    Ok(())
}

/// Chunk layout v1 as this migration writes it (see `metrics::codec` for the format's
/// description): points as a version byte, a count, step deltas, zig-zag wall-time
/// deltas and raw little-endian values; the sketch as per-cell aggregates on an
/// aligned power-of-two step grid of at most 64 cells. Frozen: never edited.
/// `metrics::codec`'s tests check that the live codec reads what it writes.
pub(crate) mod v1 {
    pub const CHUNK_POINTS: usize = 1_024;
    const MAX_CELLS: i128 = 64;
    const DATA_V1: u8 = 1;
    const SKETCH_V1: u8 = 1;

    #[derive(Clone, Copy, Debug, PartialEq)]
    pub struct Point {
        pub step: i64,
        pub value: f64,
        pub wall_ms: i64,
    }

    fn varint(out: &mut Vec<u8>, mut v: u64) {
        while v >= 0x80 {
            out.push((v as u8) | 0x80);
            v >>= 7;
        }
        out.push(v as u8);
    }

    fn zigzag(v: i64) -> u64 {
        ((v << 1) ^ (v >> 63)) as u64
    }

    /// Points sorted by step, one per step.
    pub fn encode_points(points: &[Point]) -> Vec<u8> {
        let mut out = vec![DATA_V1];
        varint(&mut out, points.len() as u64);
        let mut step = 0i64;
        for p in points {
            varint(&mut out, (p.step - step) as u64);
            step = p.step;
        }
        let mut wall = 0i64;
        for p in points {
            varint(&mut out, zigzag(p.wall_ms.wrapping_sub(wall)));
            wall = p.wall_ms;
        }
        for p in points {
            out.extend_from_slice(&p.value.to_le_bytes());
        }
        out
    }

    /// The aggregates a chunk row holds as columns.
    pub struct ChunkSummary {
        pub step_min: i64,
        pub step_max: i64,
        pub wall_min_ms: i64,
        pub wall_max_ms: i64,
        pub points: i64,
        pub finite: i64,
        pub nan: i64,
        pub pos_inf: i64,
        pub neg_inf: i64,
        pub min: Option<f64>,
        pub max: Option<f64>,
        pub sum: f64,
        pub first: f64,
        pub last: f64,
    }

    impl ChunkSummary {
        /// Of points sorted by step (at least one).
        pub fn of(points: &[Point]) -> ChunkSummary {
            let finite: Vec<f64> = points
                .iter()
                .map(|p| p.value)
                .filter(|v| v.is_finite())
                .collect();
            let count = |f: fn(f64) -> bool| points.iter().filter(|p| f(p.value)).count() as i64;
            ChunkSummary {
                step_min: points.first().map_or(0, |p| p.step),
                step_max: points.last().map_or(0, |p| p.step),
                wall_min_ms: points.iter().map(|p| p.wall_ms).min().unwrap_or(i64::MAX),
                wall_max_ms: points.iter().map(|p| p.wall_ms).max().unwrap_or(i64::MIN),
                points: points.len() as i64,
                finite: finite.len() as i64,
                nan: count(f64::is_nan),
                pos_inf: count(|v| v == f64::INFINITY),
                neg_inf: count(|v| v == f64::NEG_INFINITY),
                min: finite.iter().copied().reduce(f64::min),
                max: finite.iter().copied().reduce(f64::max),
                sum: finite.iter().fold(0.0, |a, v| a + v),
                first: points.first().map_or(f64::NAN, |p| p.value),
                last: points.last().map_or(f64::NAN, |p| p.value),
            }
        }
    }

    /// The sketch blob of points sorted by step (at least one).
    pub fn sketch(points: &[Point]) -> Vec<u8> {
        let (lo, hi) = (
            i128::from(points.first().map_or(0, |p| p.step)),
            i128::from(points.last().map_or(0, |p| p.step)),
        );
        let mut shift = 0u32;
        while shift < 62 && (hi >> shift) - (lo >> shift) + 1 > MAX_CELLS {
            shift += 1;
        }
        // Cells in step order: points of one cell are adjacent.
        let mut cells: Vec<&[Point]> = Vec::new();
        let mut start = 0;
        for i in 1..=points.len() {
            if i == points.len() || points[i].step >> shift != points[start].step >> shift {
                cells.push(&points[start..i]);
                start = i;
            }
        }
        let base_wall = points.iter().map(|p| p.wall_ms).min().unwrap_or(0);
        let mut out = vec![SKETCH_V1, shift as u8];
        varint(&mut out, cells.len() as u64);
        varint(&mut out, zigzag(base_wall));
        let mut prev_index = 0i64;
        for cell in cells {
            let (first, last) = (cell[0], cell[cell.len() - 1]);
            let index = first.step >> shift;
            let wall_min = cell.iter().map(|p| p.wall_ms).min().unwrap_or(0);
            let wall_max = cell.iter().map(|p| p.wall_ms).max().unwrap_or(0);
            let finite: Vec<f64> = cell
                .iter()
                .map(|p| p.value)
                .filter(|v| v.is_finite())
                .collect();
            varint(&mut out, (index - prev_index) as u64);
            prev_index = index;
            varint(&mut out, (first.step - (index << shift)) as u64);
            varint(&mut out, (last.step - first.step) as u64);
            varint(&mut out, (wall_min - base_wall) as u64);
            varint(&mut out, (wall_max - wall_min) as u64);
            varint(&mut out, cell.len() as u64);
            varint(&mut out, finite.len() as u64);
            if !finite.is_empty() {
                let min = finite.iter().copied().fold(f64::INFINITY, f64::min);
                let max = finite.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let sum = finite.iter().fold(0.0, |a, v| a + v);
                out.extend_from_slice(&min.to_le_bytes());
                out.extend_from_slice(&max.to_le_bytes());
                out.extend_from_slice(&sum.to_le_bytes());
            }
            out.extend_from_slice(&last.value.to_le_bytes());
        }
        out
    }
}
