//! The metrics engine: chunked, pre-aggregated series storage (`codec`, `store`),
//! the bucket query over many runs with group statistics (`query` and
//! [`bucket_query`]) and history rows ([`history`]). Writes go through
//! `crate::db::write` (the batching writer turns many concurrent ingest requests into
//! one SQLite transaction).

pub mod cache;
pub mod codec;
pub mod query;
pub mod store;

use std::collections::{BTreeMap, HashMap};

use std::sync::Arc;

use sea_orm::{
    AccessMode, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr, IsolationLevel,
    TransactionTrait,
};

use app::logic::bucket::{group_bucket, Agg, Grid};
use app::model::{
    BucketColumns, GroupSeries, HistoryPage, HistoryRow, MetricBucket, MetricValue, RunId,
    RunSeries, SeriesAnswer, XAxis,
};

use cache::MetaCache;
use codec::Part;
use query::{Axis, Window};
use store::{ChunkMeta, SeriesRow, Span};

/// A run taking part in a bucket query.
#[derive(Clone, Debug)]
pub struct QueryRun {
    pub pk: i32,
    pub id: RunId,
    /// When the run started (for relative time), Unix ms.
    pub start_ms: i64,
    /// The run's group label when grouping.
    pub group: Option<String>,
}

/// What to compute, already validated.
#[derive(Clone, Debug)]
pub struct BucketRequest<'a> {
    pub key: &'a str,
    pub x: XAxis,
    pub x_min: Option<f64>,
    pub x_max: Option<f64>,
    pub buckets: usize,
    pub grouped: bool,
}

fn axis_for(run: &QueryRun, x: XAxis) -> Axis {
    Axis {
        kind: x,
        offset_ms: if x == XAxis::RelativeTime {
            run.start_ms
        } else {
            0
        },
    }
}

fn extent(axis: &Axis, s: &SeriesRow) -> (f64, f64) {
    match axis.kind {
        XAxis::Step => (s.step_min as f64, s.step_max as f64),
        _ => (axis.x(0, s.wall_min_ms), axis.x(0, s.wall_max_ms)),
    }
}

/// A read-only transaction that sees one snapshot: series versions, chunk rows and
/// points all come from the same moment, even while writers commit.
async fn snapshot(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    if crate::db::is_sqlite(db) {
        // WAL readers see the database as of their first read until they end.
        db.begin().await
    } else {
        db.begin_with_config(
            Some(IsolationLevel::RepeatableRead),
            Some(AccessMode::ReadOnly),
        )
        .await
    }
}

/// Bucket one metric over several runs (see `app::logic::bucket` for the contract).
pub async fn bucket_query(
    db: &DatabaseConnection,
    cache: &MetaCache,
    runs: &[QueryRun],
    req: &BucketRequest<'_>,
) -> Result<SeriesAnswer, DbErr> {
    let tx = snapshot(db).await?;
    let answer = bucket_query_in(&tx, cache, runs, req).await;
    tx.commit().await?;
    answer
}

async fn bucket_query_in(
    db: &DatabaseTransaction,
    cache: &MetaCache,
    runs: &[QueryRun],
    req: &BucketRequest<'_>,
) -> Result<SeriesAnswer, DbErr> {
    let started = std::time::Instant::now();
    let pks: Vec<i32> = runs.iter().map(|r| r.pk).collect();
    let series: HashMap<i32, SeriesRow> = store::series_for_runs(db, &pks, req.key)
        .await?
        .into_iter()
        .filter(|s| s.points > 0)
        .map(|s| (s.run_pk, s))
        .collect();
    let present: Vec<(&QueryRun, &SeriesRow, Axis)> = runs
        .iter()
        .filter_map(|r| series.get(&r.pk).map(|s| (r, s, axis_for(r, req.x))))
        .collect();
    let mut answer = SeriesAnswer {
        key: req.key.to_owned(),
        x: req.x,
        x_min: None,
        x_max: None,
        bucket_width: 0.0,
        runs: Vec::new(),
        groups: Vec::new(),
    };
    if present.is_empty() {
        return Ok(answer);
    }
    let (mut lo, mut hi) = present
        .iter()
        .map(|(_, s, a)| extent(a, s))
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), (a, b)| {
            (l.min(a), h.max(b))
        });
    lo = req.x_min.unwrap_or(lo);
    hi = req.x_max.unwrap_or(hi);
    if req.x == XAxis::Step {
        lo = lo.max(0.0).ceil();
        hi = hi.floor().min(i64::MAX as f64);
    }
    let window = Window { lo, hi };
    let grid = match req.x {
        XAxis::Step => Grid::for_steps(lo as i64, hi.max(lo) as i64, req.buckets),
        _ => Grid::for_seconds(lo, hi.max(lo), req.buckets),
    };
    answer.x_min = Some(lo);
    answer.x_max = Some(hi);
    answer.bucket_width = grid.width();

    // Chunk rows overlapping the window (a superset on time axes; filtered exactly later).
    let span = match req.x {
        XAxis::Step => Span::Steps(lo as i64, hi as i64),
        _ => {
            let offsets = present.iter().map(|(_, _, a)| a.offset_ms);
            let (omin, omax) = offsets.fold((i64::MAX, i64::MIN), |(a, b), o| (a.min(o), b.max(o)));
            // Float-to-int casts saturate; the additions must not overflow either.
            Span::WallMs(
                ((lo * 1000.0).floor() as i64)
                    .saturating_add(omin)
                    .saturating_sub(1),
                ((hi * 1000.0).ceil() as i64)
                    .saturating_add(omax)
                    .saturating_add(1),
            )
        }
    };
    let by_series = if lo <= hi {
        chunk_rows(db, cache, &present, span, Part::for_axis(req.x)).await?
    } else {
        HashMap::new()
    };
    let loaded_metas = started.elapsed();
    let no_chunks: Vec<ChunkMeta> = Vec::new();
    let chunks_of =
        |s: &SeriesRow| -> &[ChunkMeta] { by_series.get(&s.id).map_or(&no_chunks[..], |m| &m[..]) };

    // Runs are answered a few at a time, so decoded points of only those runs are
    // held in memory at once (a time-axis chart over many runs may decode them all).
    let mut per_run: Vec<Vec<(i64, Agg)>> = Vec::with_capacity(present.len());
    let mut decoded = 0usize;
    for group in present.chunks(RUNS_PER_ROUND) {
        // Exact counts need the points of chunks cut by the window's edges.
        let mut plans = Vec::with_capacity(group.len());
        let mut edge_ids = Vec::new();
        for (_, s, axis) in group {
            let (inside, edges) = query::count_plan(axis, chunks_of(s), &window);
            edge_ids.extend_from_slice(&edges);
            plans.push((inside, edges));
        }
        let mut points = store::chunk_points(db, &edge_ids).await?;
        let mut more = Vec::new();
        let mut raw_mode = Vec::with_capacity(group.len());
        for ((_, s, axis), (inside, edges)) in group.iter().zip(&plans) {
            let count = inside + query::count_decoded(axis, edges, &points, &window);
            let as_raw = !req.grouped && count <= req.buckets as u64;
            raw_mode.push(as_raw);
            let need = query::decode_plan(axis, chunks_of(s), &grid, &window, as_raw);
            more.extend(need.into_iter().filter(|id| !points.contains_key(id)));
        }
        points.extend(store::chunk_points(db, &more).await?);
        decoded += points.len();
        for ((run, s, axis), as_raw) in group.iter().zip(raw_mode) {
            let chunks = chunks_of(s);
            let cells = if as_raw {
                query::raw_buckets(axis, chunks, &points, &grid, &window)
            } else {
                query::grid_buckets(axis, chunks, &points, &grid, &window)
            }
            .map_err(DbErr::Custom)?;
            let buckets = if as_raw {
                BucketColumns::from_points(cells.iter().map(|(_, a)| (a.x_first, a.last)))
            } else {
                let rows: Vec<MetricBucket> = cells.iter().map(|(_, a)| a.bucket()).collect();
                BucketColumns::from_buckets(&rows)
            };
            answer.runs.push(RunSeries {
                run: run.id.clone(),
                total_points: s.points as u64,
                raw: as_raw,
                buckets,
            });
            per_run.push(cells);
        }
    }
    let loaded_points = started.elapsed();

    if req.grouped {
        answer.groups = group_stats(&present, &per_run, &grid);
    }
    tracing::debug!(
        runs = present.len(),
        chunks = by_series.values().map(|m| m.len()).sum::<usize>(),
        decoded,
        metas_ms = loaded_metas.as_secs_f64() * 1e3,
        buckets_ms = (loaded_points - loaded_metas).as_secs_f64() * 1e3,
        groups_ms = (started.elapsed() - loaded_points).as_secs_f64() * 1e3,
        "bucket query"
    );
    Ok(answer)
}

/// The chunk rows of the present series: from the cache when it holds the series'
/// current version, otherwise read (all of the series, then cached), or, with the
/// cache off, just the rows overlapping `span`.
async fn chunk_rows(
    db: &DatabaseTransaction,
    cache: &MetaCache,
    present: &[(&QueryRun, &SeriesRow, Axis)],
    span: Span,
    part: Part,
) -> Result<HashMap<i64, Arc<Vec<ChunkMeta>>>, DbErr> {
    let mut out = HashMap::with_capacity(present.len());
    let mut missing: Vec<&SeriesRow> = Vec::new();
    for (_, s, _) in present {
        match cache.get(s.id, part, s.version) {
            Some(metas) => {
                out.insert(s.id, metas);
            }
            None => missing.push(s),
        }
    }
    if missing.is_empty() {
        return Ok(out);
    }
    let ids: Vec<i64> = missing.iter().map(|s| s.id).collect();
    let wanted = if cache.enabled() {
        Span::Steps(i64::MIN, i64::MAX)
    } else {
        span
    };
    let mut loaded: HashMap<i64, Vec<ChunkMeta>> = HashMap::new();
    for m in store::chunk_metas(db, &ids, wanted, part).await? {
        loaded.entry(m.series_id).or_default().push(m);
    }
    for s in missing {
        let metas = loaded.remove(&s.id).unwrap_or_default();
        out.insert(s.id, cache.put(s.id, part, s.version, metas));
    }
    Ok(out)
}

/// Per group (in order of first appearance) and per bucket, statistics across runs.
fn group_stats(
    present: &[(&QueryRun, &SeriesRow, Axis)],
    per_run: &[Vec<(i64, Agg)>],
    grid: &Grid,
) -> Vec<GroupSeries> {
    let mut order: Vec<String> = Vec::new();
    let mut members: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, (run, _, _)) in present.iter().enumerate() {
        let label = run.group.clone().unwrap_or_else(|| "(none)".to_owned());
        if !members.contains_key(&label) {
            order.push(label.clone());
        }
        members.entry(label).or_default().push(i);
    }
    order
        .into_iter()
        .map(|label| {
            let idx = &members[&label];
            let mut cells: BTreeMap<i64, Vec<Agg>> = BTreeMap::new();
            for &i in idx {
                for (cell, agg) in &per_run[i] {
                    cells.entry(*cell).or_default().push(*agg);
                }
            }
            GroupSeries {
                group: label,
                runs: idx.iter().map(|&i| present[i].0.id.clone()).collect(),
                buckets: cells
                    .iter()
                    .map(|(cell, aggs)| group_bucket(grid, *cell, aggs))
                    .collect(),
            }
        })
        .collect()
}

/// Runs whose points are decoded and bucketed together.
const RUNS_PER_ROUND: usize = 8;

/// Chunks read per history round: enough to cover a step range for every key.
const HISTORY_CHUNKS_PER_ROUND: usize = 256;

/// History rows of a run from `from_step` on: all metrics at each step, at most
/// `limit` rows.
pub async fn history(
    db: &impl ConnectionTrait,
    run_pk: i32,
    from_step: i64,
    limit: usize,
) -> Result<HistoryPage, DbErr> {
    let series = store::series_of_run(db, run_pk).await?;
    let keys: HashMap<i64, String> = series.iter().map(|s| (s.id, s.key.clone())).collect();
    let ids: Vec<i64> = series.iter().map(|s| s.id).collect();
    let mut rows: BTreeMap<i64, HistoryRow> = BTreeMap::new();
    let mut start = from_step.max(0);
    let per_round = HISTORY_CHUNKS_PER_ROUND.max(2 * ids.len());
    let unread = loop {
        // Every point below `complete_below` is in the chunks just read.
        let (chunks, complete_below) = store::chunks_from(db, &ids, start, per_round).await?;
        for (series_id, points) in chunks {
            let key = &keys[&series_id];
            for p in points {
                if p.step < start || complete_below.is_some_and(|c| p.step >= c) {
                    continue;
                }
                let row = rows.entry(p.step).or_insert_with(|| HistoryRow {
                    step: p.step,
                    wall_time: f64::NEG_INFINITY,
                    values: BTreeMap::new(),
                });
                row.wall_time = row.wall_time.max(p.wall_ms as f64 / 1000.0);
                row.values.insert(key.clone(), MetricValue(p.value));
            }
        }
        match complete_below {
            Some(next) if rows.len() < limit => start = next,
            _ => break complete_below.is_some(),
        }
    };
    // The next page starts at the first row left over; with none left over but
    // chunks still unread, right after the last row.
    let mut out: Vec<HistoryRow> = rows.into_values().collect();
    let next_step = match out.get(limit) {
        Some(r) => Some(r.step),
        None if unread => out.last().map(|r| r.step + 1),
        None => None,
    };
    out.truncate(limit);
    Ok(HistoryPage {
        rows: out,
        next_step,
    })
}
