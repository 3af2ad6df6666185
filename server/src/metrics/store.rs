//! Reading and writing series and chunks. Plain async functions over any
//! connection, so callers choose the transaction; no HTTP types here.
//!
//! Writing a batch of points to a series:
//! - appended after the series' last step: new chunks are inserted; small chunks
//!   at the tail ("open": fewer than [`SEALED_POINTS`]) are merged once there are
//!   [`MAX_OPEN_CHUNKS`] of them, so one-point-at-a-time logging does not leave
//!   thousands of tiny chunks, and never rewrites a full chunk;
//! - touching steps already covered: the overlapping chunks are decoded, merged
//!   with the new points (a new point replaces a stored one at the same step) and
//!   written back. Re-sending a batch therefore stores every point once.

use std::collections::HashMap;

use sea_orm::sea_query::{Expr, ExprTrait, Order, Query, SimpleExpr};
use sea_orm::{ConnectionTrait, DbErr, QueryResult};

use super::codec::{self, ChunkSummary, Part, Point, Sketch, CHUNK_POINTS};

/// The `metric_series` table as the live store names it (its own names, not the
/// migration's, so either can change without the other).
#[derive(sea_orm::DeriveIden)]
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

use MetricSeries as S;

/// The `metric_chunks` table as the live store names it.
#[derive(sea_orm::DeriveIden)]
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

use MetricChunks as C;

/// A chunk with at least this many points is not merged with later appends.
pub const SEALED_POINTS: i64 = (CHUNK_POINTS / 2) as i64;
/// Open chunks at a series' tail before they are merged into one.
pub const MAX_OPEN_CHUNKS: usize = 8;
/// Ids per `IN (…)` list, well under SQLite's parameter limit.
const IN_LIST: usize = 500;

/// A series row: its identity and running aggregates.
#[derive(Clone, Debug, PartialEq)]
pub struct SeriesRow {
    pub id: i64,
    pub run_pk: i32,
    pub key: String,
    /// Bumped by every write, so readers can tell a cached copy is current.
    pub version: i64,
    pub points: i64,
    pub finite: i64,
    pub step_min: i64,
    pub step_max: i64,
    pub wall_min_ms: i64,
    pub wall_max_ms: i64,
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// NaN when finite values of opposite infinite sums met.
    pub sum: f64,
    pub last_step: i64,
    pub last: f64,
}

impl SeriesRow {
    /// A series without points (its extents start inverted, so any point widens them).
    fn empty(id: i64, run_pk: i32, key: String) -> SeriesRow {
        SeriesRow {
            id,
            run_pk,
            key,
            version: 0,
            points: 0,
            finite: 0,
            step_min: i64::MAX,
            step_max: i64::MIN,
            wall_min_ms: i64::MAX,
            wall_max_ms: i64::MIN,
            min: None,
            max: None,
            sum: 0.0,
            last_step: i64::MIN,
            last: f64::NAN,
        }
    }

    /// The stored columns after the series' identity (id, run, key).
    fn stats(&self) -> [(S, SimpleExpr); 12] {
        let sum = (!self.sum.is_nan()).then_some(self.sum);
        [
            (S::Version, self.version.into()),
            (S::Points, self.points.into()),
            (S::Finite, self.finite.into()),
            (S::StepMin, self.step_min.into()),
            (S::StepMax, self.step_max.into()),
            (S::WallMinMs, self.wall_min_ms.into()),
            (S::WallMaxMs, self.wall_max_ms.into()),
            (S::Min, self.min.into()),
            (S::Max, self.max.into()),
            (S::Sum, sum.into()),
            (S::LastStep, self.last_step.into()),
            (S::LastBits, (self.last.to_bits() as i64).into()),
        ]
    }

    /// Mean of the finite values, if any.
    pub fn mean(&self) -> Option<f64> {
        (self.finite > 0).then(|| self.sum / self.finite as f64)
    }
}

/// A chunk's row without its points.
#[derive(Clone, Debug)]
pub struct ChunkMeta {
    pub id: i64,
    pub series_id: i64,
    pub summary: ChunkSummary,
    pub sketch: Sketch,
}

fn corrupt(e: codec::Corrupt) -> DbErr {
    DbErr::Custom(e.to_string())
}

const SERIES_COLS: [S; 15] = [
    S::Id,
    S::RunId,
    S::Key,
    S::Version,
    S::Points,
    S::Finite,
    S::StepMin,
    S::StepMax,
    S::WallMinMs,
    S::WallMaxMs,
    S::Min,
    S::Max,
    S::Sum,
    S::LastStep,
    S::LastBits,
];

fn series_from(row: &QueryResult) -> Result<SeriesRow, DbErr> {
    Ok(SeriesRow {
        id: row.try_get("", "id")?,
        run_pk: row.try_get("", "run_id")?,
        key: row.try_get("", "key")?,
        version: row.try_get("", "version")?,
        points: row.try_get("", "points")?,
        finite: row.try_get("", "finite")?,
        step_min: row.try_get("", "step_min")?,
        step_max: row.try_get("", "step_max")?,
        wall_min_ms: row.try_get("", "wall_min_ms")?,
        wall_max_ms: row.try_get("", "wall_max_ms")?,
        min: row.try_get("", "min")?,
        max: row.try_get("", "max")?,
        sum: row.try_get::<Option<f64>>("", "sum")?.unwrap_or(f64::NAN),
        last_step: row.try_get("", "last_step")?,
        last: f64::from_bits(row.try_get::<i64>("", "last_bits")? as u64),
    })
}

/// The series of some runs for one key (runs without it are left out).
pub async fn series_for_runs(
    db: &impl ConnectionTrait,
    run_pks: &[i32],
    key: &str,
) -> Result<Vec<SeriesRow>, DbErr> {
    let mut out = Vec::new();
    for part in run_pks.chunks(IN_LIST) {
        let q = Query::select()
            .columns(SERIES_COLS)
            .from(S::Table)
            .and_where(Expr::col(S::RunId).is_in(part.iter().copied()))
            .and_where(Expr::col(S::Key).eq(key))
            .to_owned();
        for row in db.query_all(&q).await? {
            out.push(series_from(&row)?);
        }
    }
    Ok(out)
}

/// Every series of one run, by key.
pub async fn series_of_run(
    db: &impl ConnectionTrait,
    run_pk: i32,
) -> Result<Vec<SeriesRow>, DbErr> {
    let q = Query::select()
        .columns(SERIES_COLS)
        .from(S::Table)
        .and_where(Expr::col(S::RunId).eq(run_pk))
        .order_by(S::Key, Order::Asc)
        .to_owned();
    db.query_all(&q).await?.iter().map(series_from).collect()
}

/// The keys of every series of one run (only the keys: a run page lists them).
pub async fn series_keys(db: &impl ConnectionTrait, run_pk: i32) -> Result<Vec<String>, DbErr> {
    let q = Query::select()
        .column(S::Key)
        .from(S::Table)
        .and_where(Expr::col(S::RunId).eq(run_pk))
        .to_owned();
    db.query_all(&q)
        .await?
        .iter()
        .map(|row| row.try_get("", "key"))
        .collect()
}

/// The series of one run for the given keys.
async fn series_by_keys(
    db: &impl ConnectionTrait,
    run_pk: i32,
    keys: &[&str],
) -> Result<HashMap<String, SeriesRow>, DbErr> {
    let mut out = HashMap::new();
    for part in keys.chunks(IN_LIST) {
        let q = Query::select()
            .columns(SERIES_COLS)
            .from(S::Table)
            .and_where(Expr::col(S::RunId).eq(run_pk))
            .and_where(Expr::col(S::Key).is_in(part.iter().map(|k| k.to_string())))
            .to_owned();
        for row in db.query_all(&q).await? {
            let s = series_from(&row)?;
            out.insert(s.key.clone(), s);
        }
    }
    Ok(out)
}

/// A chunk row's columns apart from its id and its points.
const SUMMARY_COLS: [C; 16] = [
    C::SeriesId,
    C::StepMin,
    C::StepMax,
    C::WallMinMs,
    C::WallMaxMs,
    C::Points,
    C::Finite,
    C::Nan,
    C::PosInf,
    C::NegInf,
    C::Min,
    C::Max,
    C::Sum,
    C::FirstBits,
    C::LastBits,
    C::Sketch,
];

fn meta_from(row: &QueryResult, part: Part) -> Result<ChunkMeta, DbErr> {
    let get_i = |c: &str| row.try_get::<i64>("", c);
    let get_n = |c: &str| row.try_get::<i32>("", c).map(i64::from);
    let sketch: Vec<u8> = row.try_get("", "sketch")?;
    Ok(ChunkMeta {
        id: get_i("id")?,
        series_id: get_i("series_id")?,
        summary: ChunkSummary {
            step_min: get_i("step_min")?,
            step_max: get_i("step_max")?,
            wall_min_ms: get_i("wall_min_ms")?,
            wall_max_ms: get_i("wall_max_ms")?,
            points: get_n("points")?,
            finite: get_n("finite")?,
            nan: get_n("nan")?,
            pos_inf: get_n("pos_inf")?,
            neg_inf: get_n("neg_inf")?,
            min: row.try_get("", "min")?,
            max: row.try_get("", "max")?,
            sum: row.try_get("", "sum")?,
            first: f64::from_bits(get_i("first_bits")? as u64),
            last: f64::from_bits(get_i("last_bits")? as u64),
        },
        sketch: Sketch::decode(&sketch, part).map_err(corrupt)?,
    })
}

/// Which chunks of a series a read wants.
#[derive(Clone, Copy, Debug)]
pub enum Span {
    /// Chunks with a step in `lo..=hi`.
    Steps(i64, i64),
    /// Chunks with a wall time in `lo..=hi` (milliseconds).
    WallMs(i64, i64),
}

/// Chunk rows (without points) of the given series overlapping `span`, ordered
/// by series then step, with the `part` of their sketches a reader wants.
pub async fn chunk_metas(
    db: &impl ConnectionTrait,
    series_ids: &[i64],
    span: Span,
    part: Part,
) -> Result<Vec<ChunkMeta>, DbErr> {
    let mut out = Vec::new();
    for ids in series_ids.chunks(IN_LIST) {
        let mut q = Query::select();
        q.columns(std::iter::once(C::Id).chain(SUMMARY_COLS))
            .from(C::Table)
            .and_where(Expr::col(C::SeriesId).is_in(ids.iter().copied()));
        match span {
            Span::Steps(lo, hi) => {
                q.and_where(Expr::col(C::StepMax).gte(lo))
                    .and_where(Expr::col(C::StepMin).lte(hi));
            }
            Span::WallMs(lo, hi) => {
                q.and_where(Expr::col(C::WallMaxMs).gte(lo))
                    .and_where(Expr::col(C::WallMinMs).lte(hi));
            }
        }
        q.order_by(C::SeriesId, Order::Asc)
            .order_by(C::StepMin, Order::Asc);
        for row in db.query_all(&q).await? {
            out.push(meta_from(&row, part)?);
        }
    }
    Ok(out)
}

/// The points of the given chunks, by chunk id.
pub async fn chunk_points(
    db: &impl ConnectionTrait,
    ids: &[i64],
) -> Result<HashMap<i64, Vec<Point>>, DbErr> {
    let mut out = HashMap::with_capacity(ids.len());
    for part in ids.chunks(IN_LIST) {
        let q = Query::select()
            .columns([C::Id, C::Data])
            .from(C::Table)
            .and_where(Expr::col(C::Id).is_in(part.iter().copied()))
            .to_owned();
        for row in db.query_all(&q).await? {
            let id: i64 = row.try_get("", "id")?;
            let data: Vec<u8> = row.try_get("", "data")?;
            out.insert(id, codec::decode_points(&data).map_err(corrupt)?);
        }
    }
    Ok(out)
}

/// Every point of a series, by step.
pub async fn read_all(db: &impl ConnectionTrait, series_id: i64) -> Result<Vec<Point>, DbErr> {
    let q = Query::select()
        .column(C::Data)
        .from(C::Table)
        .and_where(Expr::col(C::SeriesId).eq(series_id))
        .order_by(C::StepMin, Order::Asc)
        .to_owned();
    let mut out = Vec::new();
    for row in db.query_all(&q).await? {
        let data: Vec<u8> = row.try_get("", "data")?;
        out.extend(codec::decode_points(&data).map_err(corrupt)?);
    }
    Ok(out)
}

/// The first chunks (by lowest step) of the given series that reach `start` or
/// beyond, at most `k`, with their points. The second value is the step below
/// which every point of those series at or after `start` is among the returned
/// chunks; `None` when they hold everything from `start` on.
pub async fn chunks_from(
    db: &impl ConnectionTrait,
    series_ids: &[i64],
    start: i64,
    k: usize,
) -> Result<(Vec<(i64, Vec<Point>)>, Option<i64>), DbErr> {
    let mut rows: Vec<(i64, i64, Vec<u8>)> = Vec::new();
    for part in series_ids.chunks(IN_LIST) {
        let q = Query::select()
            .columns([C::SeriesId, C::StepMin, C::Data])
            .from(C::Table)
            .and_where(Expr::col(C::SeriesId).is_in(part.iter().copied()))
            .and_where(Expr::col(C::StepMax).gte(start))
            .order_by(C::StepMin, Order::Asc)
            .limit(k as u64 + 1)
            .to_owned();
        for row in db.query_all(&q).await? {
            rows.push((
                row.try_get("", "series_id")?,
                row.try_get("", "step_min")?,
                row.try_get("", "data")?,
            ));
        }
    }
    rows.sort_by_key(|r| r.1);
    let complete_below = rows.get(k).map(|r| r.1);
    rows.truncate(k);
    let mut out = Vec::with_capacity(rows.len());
    for (series_id, _, data) in rows {
        out.push((series_id, codec::decode_points(&data).map_err(corrupt)?));
    }
    Ok((out, complete_below))
}

/// Points stored for a run: all keys, or one.
pub async fn count_points(
    db: &impl ConnectionTrait,
    run_pk: i32,
    key: Option<&str>,
) -> Result<u64, DbErr> {
    let mut q = Query::select();
    q.expr_as(Expr::col(S::Points).sum(), "n")
        .from(S::Table)
        .and_where(Expr::col(S::RunId).eq(run_pk));
    if let Some(key) = key {
        q.and_where(Expr::col(S::Key).eq(key));
    }
    let row = db.query_one(&q).await?;
    let n = match row {
        Some(r) => r
            .try_get::<Option<i64>>("", "n")
            .or_else(|_| {
                r.try_get::<Option<sea_orm::prelude::Decimal>>("", "n")
                    .map(|d| d.and_then(|d| i64::try_from(d).ok()))
            })?
            .unwrap_or(0),
        None => 0,
    };
    Ok(std::cmp::max(n, 0) as u64)
}

/// Split sorted points into chunks of at most `CHUNK_POINTS`, evenly sized.
fn split(points: &[Point]) -> Vec<&[Point]> {
    if points.is_empty() {
        return Vec::new();
    }
    let k = points.len().div_ceil(CHUNK_POINTS);
    let size = points.len().div_ceil(k);
    points.chunks(size).collect()
}

fn chunk_values(series_id: i64, points: &[Point], start_ms: i64) -> [SimpleExpr; 17] {
    let s = ChunkSummary::of(points);
    let sketch = Sketch::of(points, start_ms).encode();
    let data = codec::encode_points(points);
    [
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
        sketch.into(),
        data.into(),
    ]
}

/// Rows per chunk INSERT: each chunk is ~11 KB, so a statement stays a few MB.
const CHUNKS_PER_INSERT: usize = 64;

async fn insert_chunks(
    db: &impl ConnectionTrait,
    series_id: i64,
    points: &[Point],
    start_ms: i64,
) -> Result<Vec<ChunkSummary>, DbErr> {
    let pieces = split(points);
    let mut summaries = Vec::with_capacity(pieces.len());
    for group in pieces.chunks(CHUNKS_PER_INSERT) {
        let mut insert = Query::insert();
        insert
            .into_table(C::Table)
            .columns(SUMMARY_COLS.into_iter().chain([C::Data]));
        for piece in group {
            let values = chunk_values(series_id, piece, start_ms);
            insert
                .values(values)
                .map_err(|e| DbErr::Custom(e.to_string()))?;
            summaries.push(ChunkSummary::of(piece));
        }
        db.execute(&insert).await?;
    }
    Ok(summaries)
}

async fn delete_chunks(db: &impl ConnectionTrait, ids: &[i64]) -> Result<(), DbErr> {
    for part in ids.chunks(IN_LIST) {
        let q = Query::delete()
            .from_table(C::Table)
            .and_where(Expr::col(C::Id).is_in(part.iter().copied()))
            .to_owned();
        db.execute(&q).await?;
    }
    Ok(())
}

/// The running aggregates of `base` with `chunks` added.
fn fold_summaries(base: SeriesRow, chunks: &[ChunkSummary]) -> SeriesRow {
    let mut s = base;
    for c in chunks {
        s.points += c.points;
        s.finite += c.finite;
        s.step_min = std::cmp::min(s.step_min, c.step_min);
        s.step_max = std::cmp::max(s.step_max, c.step_max);
        s.wall_min_ms = std::cmp::min(s.wall_min_ms, c.wall_min_ms);
        s.wall_max_ms = std::cmp::max(s.wall_max_ms, c.wall_max_ms);
        if let Some(m) = c.min {
            s.min = Some(s.min.map_or(m, |x| x.min(m)));
        }
        if let Some(m) = c.max {
            s.max = Some(s.max.map_or(m, |x| x.max(m)));
        }
        s.sum += c.sum;
        if c.step_max >= s.last_step {
            s.last_step = c.step_max;
            s.last = c.last;
        }
    }
    s
}

async fn all_summaries(
    db: &impl ConnectionTrait,
    series_id: i64,
) -> Result<Vec<ChunkSummary>, DbErr> {
    Ok(chunk_metas(
        db,
        &[series_id],
        Span::Steps(i64::MIN, i64::MAX),
        Part::Nothing,
    )
    .await?
    .into_iter()
    .map(|m| m.summary)
    .collect())
}

async fn save_series(db: &impl ConnectionTrait, s: &SeriesRow) -> Result<(), DbErr> {
    let q = Query::update()
        .table(S::Table)
        .values(s.stats())
        .and_where(Expr::col(S::Id).eq(s.id))
        .to_owned();
    db.execute(&q).await?;
    Ok(())
}

/// Create the missing series of a run (empty), returning every asked-for series.
async fn ensure_series(
    db: &impl ConnectionTrait,
    run_pk: i32,
    keys: &[&str],
) -> Result<HashMap<String, SeriesRow>, DbErr> {
    let mut found = series_by_keys(db, run_pk, keys).await?;
    let missing: Vec<&str> = keys
        .iter()
        .copied()
        .filter(|k| !found.contains_key(*k))
        .collect();
    if missing.is_empty() {
        return Ok(found);
    }
    for part in missing.chunks(IN_LIST / 4) {
        let mut insert = Query::insert();
        let stat_cols = SeriesRow::empty(0, run_pk, String::new())
            .stats()
            .map(|(c, _)| c);
        insert
            .into_table(S::Table)
            .columns([S::RunId, S::Key].into_iter().chain(stat_cols));
        for key in part {
            let row = SeriesRow::empty(0, run_pk, (*key).to_owned());
            let identity: [SimpleExpr; 2] = [run_pk.into(), (*key).into()];
            insert
                .values(identity.into_iter().chain(row.stats().map(|(_, v)| v)))
                .map_err(|e| DbErr::Custom(e.to_string()))?;
        }
        db.execute(&insert).await?;
    }
    found.extend(series_by_keys(db, run_pk, &missing).await?);
    Ok(found)
}

/// Store points (sorted by step, one per step) for one key of a run that started at
/// `start_ms` and return the series' aggregates afterwards.
pub async fn write_series(
    db: &impl ConnectionTrait,
    run_pk: i32,
    start_ms: i64,
    key: &str,
    points: &[Point],
) -> Result<Option<SeriesRow>, DbErr> {
    Ok(write_run_points(db, run_pk, start_ms, &[(key, points)])
        .await?
        .pop())
}

/// Store points for several keys of one run; each key's points sorted by step with
/// one point per step. Returns the touched series' aggregates (in no particular
/// order; each carries its key). `start_ms`, the run's start, is where the chunks'
/// relative-time cells count from.
pub async fn write_run_points(
    db: &impl ConnectionTrait,
    run_pk: i32,
    start_ms: i64,
    by_key: &[(&str, &[Point])],
) -> Result<Vec<SeriesRow>, DbErr> {
    let writes: Vec<(&str, &[Point])> = by_key
        .iter()
        .copied()
        .filter(|(_, p)| !p.is_empty())
        .collect();
    if writes.is_empty() {
        return Ok(Vec::new());
    }
    let keys: Vec<&str> = writes.iter().map(|(k, _)| *k).collect();
    let mut series = ensure_series(db, run_pk, &keys).await?;
    // Points after a series' last step (what a training script sends, step after
    // step) are appended for all keys together in a few statements; new series and
    // overwrites of stored steps go one key at a time.
    let mut appends = Vec::new();
    let mut out = Vec::with_capacity(writes.len());
    for (key, points) in writes {
        let Some(row) = series.remove(key) else {
            return Err(DbErr::Custom(format!("series {key:?} vanished")));
        };
        if row.points > 0 && points[0].step > row.step_max {
            appends.push((row, points));
        } else {
            out.push(write_one(db, row, points, start_ms).await?);
        }
    }
    out.extend(append_many(db, appends, start_ms).await?);
    let points: usize = by_key.iter().map(|(_, p)| p.len()).sum();
    crate::telemetry::points_written(points as u64);
    Ok(out)
}

/// The tail chunks (`id`, `points`) of each series, newest first, at most
/// `MAX_OPEN_CHUNKS` per series: one statement for many series, each part reading
/// only its series' last chunks through the (series, step) index.
async fn tails(
    db: &impl ConnectionTrait,
    series_ids: &[i64],
) -> Result<HashMap<i64, Vec<(i64, i64)>>, DbErr> {
    use sea_orm::sea_query::{Alias, UnionType};
    let mut rows: Vec<(i64, i64, i64, i64)> = Vec::new();
    for part in series_ids.chunks(IN_LIST / 4) {
        // SQLite allows ORDER BY and LIMIT only on a whole compound SELECT, so each
        // series' part is a subquery.
        let last_of = |series: i64, n: usize| {
            let inner = Query::select()
                .columns([C::Id, C::SeriesId, C::Points, C::StepMin])
                .from(C::Table)
                .and_where(Expr::col(C::SeriesId).eq(series))
                .order_by(C::StepMin, Order::Desc)
                .limit(MAX_OPEN_CHUNKS as u64)
                .to_owned();
            Query::select()
                .columns([C::Id, C::SeriesId, C::Points, C::StepMin])
                .from_subquery(inner, Alias::new(format!("t{n}")))
                .to_owned()
        };
        let mut q = last_of(part[0], 0);
        for (n, series) in part.iter().enumerate().skip(1) {
            q.union(UnionType::All, last_of(*series, n));
        }
        for r in db.query_all(&q).await? {
            let points: i32 = r.try_get("", "points")?;
            rows.push((
                r.try_get("", "series_id")?,
                r.try_get("", "step_min")?,
                r.try_get("", "id")?,
                i64::from(points),
            ));
        }
    }
    // Newest first within each series.
    rows.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
    let mut out: HashMap<i64, Vec<(i64, i64)>> = HashMap::new();
    for (series, _, id, points) in rows {
        out.entry(series).or_default().push((id, points));
    }
    Ok(out)
}

/// Points after each series' last step, for many series at once. A small batch
/// becomes one more open chunk at the tail while there is room; otherwise the open
/// tail chunks are merged with it (so none is left stranded behind a full one). One
/// query finds the open chunks of every series, one read, delete and insert handle
/// the merged ones, one insert adds the new chunks, one statement saves the series.
async fn append_many(
    db: &impl ConnectionTrait,
    writes: Vec<(SeriesRow, &[Point])>,
    start_ms: i64,
) -> Result<Vec<SeriesRow>, DbErr> {
    if writes.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = writes.iter().map(|(r, _)| r.id).collect();
    let tails = tails(db, &ids).await?;
    // Per series: the open chunks to merge with the new points (oldest first), or
    // none when the new points simply become one more open chunk.
    let mut merging: Vec<Vec<i64>> = Vec::with_capacity(writes.len());
    for (row, points) in &writes {
        let open: Vec<i64> = tails
            .get(&row.id)
            .map(|t| {
                t.iter()
                    .take_while(|(_, n)| *n < SEALED_POINTS)
                    .map(|(id, _)| *id)
                    .collect()
            })
            .unwrap_or_default();
        let fresh_is_small = (points.len() as i64) < SEALED_POINTS;
        if open.is_empty() || (fresh_is_small && open.len() < MAX_OPEN_CHUNKS) {
            merging.push(Vec::new());
        } else {
            merging.push(open.into_iter().rev().collect());
        }
    }
    let merge_ids: Vec<i64> = merging.iter().flatten().copied().collect();
    let mut old = if merge_ids.is_empty() {
        HashMap::new()
    } else {
        chunk_points(db, &merge_ids).await?
    };
    let mut new_chunks: Vec<(i64, Vec<Point>)> = Vec::new();
    let mut out = Vec::with_capacity(writes.len());
    for ((row, points), merge_with) in writes.into_iter().zip(&merging) {
        let mut merged: Vec<Point> = Vec::new();
        for id in merge_with {
            merged.extend(old.remove(id).unwrap_or_default());
        }
        merged.extend_from_slice(points);
        for piece in split(&merged) {
            new_chunks.push((row.id, piece.to_vec()));
        }
        // Aggregates only grow on append, so the old ones plus the new points are exact.
        let version = row.version;
        let updated = fold_summaries(row, &[ChunkSummary::of(points)]);
        out.push(SeriesRow {
            version: version + 1,
            ..updated
        });
    }
    if !merge_ids.is_empty() {
        delete_chunks(db, &merge_ids).await?;
    }
    for group in new_chunks.chunks(CHUNKS_PER_INSERT) {
        let mut insert = Query::insert();
        insert
            .into_table(C::Table)
            .columns(SUMMARY_COLS.into_iter().chain([C::Data]));
        for (series_id, points) in group {
            insert
                .values(chunk_values(*series_id, points, start_ms))
                .map_err(|e| DbErr::Custom(e.to_string()))?;
        }
        db.execute(&insert).await?;
    }
    save_many_series(db, &out).await?;
    Ok(out)
}

/// Save the aggregates of several series in one statement per `IN_LIST / 16` rows
/// (an insert that always conflicts on the id, so it updates).
async fn save_many_series(db: &impl ConnectionTrait, rows: &[SeriesRow]) -> Result<(), DbErr> {
    use sea_orm::sea_query::OnConflict;
    for part in rows.chunks(IN_LIST / 16) {
        let stat_cols = || part[0].stats().map(|(c, _)| c);
        let mut insert = Query::insert();
        insert
            .into_table(S::Table)
            .columns([S::Id, S::RunId, S::Key].into_iter().chain(stat_cols()))
            .on_conflict(
                OnConflict::column(S::Id)
                    .update_columns(stat_cols())
                    .to_owned(),
            );
        for s in part {
            let identity: [SimpleExpr; 3] = [s.id.into(), s.run_pk.into(), s.key.clone().into()];
            insert
                .values(identity.into_iter().chain(s.stats().map(|(_, v)| v)))
                .map_err(|e| DbErr::Custom(e.to_string()))?;
        }
        db.execute(&insert).await?;
    }
    Ok(())
}

/// Write a new series, or points among a series' stored steps (merged, last wins).
async fn write_one(
    db: &impl ConnectionTrait,
    row: SeriesRow,
    points: &[Point],
    start_ms: i64,
) -> Result<SeriesRow, DbErr> {
    let (Some(first), Some(last)) = (points.first(), points.last()) else {
        return Ok(row);
    };
    let version = row.version;
    let updated = if row.points == 0 {
        let added = insert_chunks(db, row.id, points, start_ms).await?;
        fold_summaries(SeriesRow::empty(row.id, row.run_pk, row.key), &added)
    } else {
        let stored = chunk_metas(
            db,
            &[row.id],
            Span::Steps(first.step, last.step),
            Part::Nothing,
        )
        .await?;
        let ids: Vec<i64> = stored.iter().map(|m| m.id).collect();
        let mut old = chunk_points(db, &ids).await?;
        let mut merged: Vec<Point> = Vec::new();
        for id in &ids {
            merged.extend(old.remove(id).unwrap_or_default());
        }
        let merged = merge(&merged, points);
        delete_chunks(db, &ids).await?;
        insert_chunks(db, row.id, &merged, start_ms).await?;
        let all = all_summaries(db, row.id).await?;
        fold_summaries(SeriesRow::empty(row.id, row.run_pk, row.key), &all)
    };
    let updated = SeriesRow {
        version: version + 1,
        ..updated
    };
    save_series(db, &updated).await?;
    Ok(updated)
}

/// `old` and `new` merged by step (both sorted, unique steps); `new` wins ties.
pub fn merge(old: &[Point], new: &[Point]) -> Vec<Point> {
    let mut out = Vec::with_capacity(old.len() + new.len());
    let (mut i, mut j) = (0, 0);
    while i < old.len() && j < new.len() {
        match old[i].step.cmp(&new[j].step) {
            std::cmp::Ordering::Less => {
                out.push(old[i]);
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                out.push(new[j]);
                j += 1;
            }
            std::cmp::Ordering::Equal => {
                out.push(new[j]);
                i += 1;
                j += 1;
            }
        }
    }
    out.extend_from_slice(&old[i..]);
    out.extend_from_slice(&new[j..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(step: i64, value: f64) -> Point {
        Point {
            step,
            value,
            wall_ms: step,
        }
    }

    #[test]
    fn merge_prefers_new_points() {
        let old = [p(1, 1.0), p(3, 3.0), p(5, 5.0)];
        let new = [p(3, 30.0), p(4, 40.0), p(9, 90.0)];
        let m: Vec<(i64, f64)> = merge(&old, &new)
            .iter()
            .map(|p| (p.step, p.value))
            .collect();
        assert_eq!(m, vec![(1, 1.0), (3, 30.0), (4, 40.0), (5, 5.0), (9, 90.0)]);
    }

    #[test]
    fn split_is_even_and_bounded() {
        let points: Vec<Point> = (0..2_100).map(|i| p(i, 0.0)).collect();
        let sizes: Vec<usize> = split(&points).iter().map(|c| c.len()).collect();
        assert_eq!(sizes, vec![700, 700, 700]);
        assert!(split(&[]).is_empty());
    }
}
