//! Answering a bucket query for one run from its chunks, without IO. The caller
//! fetches chunk rows (aggregates and sketch), asks which chunks must be decoded,
//! fetches those points, and then computes buckets. Each chunk is served by the
//! cheapest exact means:
//! - wholly inside one bucket: its stored aggregates;
//! - wholly inside the range, with sketch cells that each fall in one bucket: its
//!   cells (on the step axis that holds whenever buckets are at least as wide as
//!   cells, because both grids are aligned powers of two; on time axes the same
//!   holds for the chunk's time cells of the chart's origin);
//! - otherwise (the range's edges, narrow buckets, cells straddling time buckets):
//!   its points.
//!
//! The answer equals `app::logic::bucket::reference_buckets` over the raw points.

use std::collections::HashMap;

use app::logic::bucket::{Agg, Grid};
use app::model::XAxis;

use super::codec::{Cell, ChunkSummary, Point, TimeCells};
use super::store::ChunkMeta;

/// How x is computed from a run's points.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Axis {
    pub kind: XAxis,
    /// Subtracted from wall times (the run's start for relative time, else 0).
    pub offset_ms: i64,
}

impl Axis {
    pub fn x(&self, step: i64, wall_ms: i64) -> f64 {
        match self.kind {
            XAxis::Step => step as f64,
            XAxis::WallTime | XAxis::RelativeTime => {
                (wall_ms.saturating_sub(self.offset_ms)) as f64 / 1000.0
            }
        }
    }

    fn chunk_extent(&self, s: &ChunkSummary) -> (f64, f64) {
        match self.kind {
            XAxis::Step => (s.step_min as f64, s.step_max as f64),
            _ => (self.x(0, s.wall_min_ms), self.x(0, s.wall_max_ms)),
        }
    }

    fn cell_extent(&self, c: &Cell) -> (f64, f64) {
        match self.kind {
            XAxis::Step => (c.first_step as f64, c.last_step as f64),
            _ => (self.x(0, c.wall_min_ms), self.x(0, c.wall_max_ms)),
        }
    }

    /// The chunk's time cells when they are on this axis' grid: read for a time axis
    /// and counted from this run's origin (a run whose start time was changed after
    /// the chunk was written has relative cells from the old start).
    fn time_cells<'a>(&self, chunk: &'a ChunkMeta) -> Option<&'a TimeCells> {
        chunk
            .sketch
            .time
            .as_ref()
            .filter(|t| self.kind != XAxis::Step && t.origin_ms == self.offset_ms)
    }
}

/// The inclusive x range asked for.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Window {
    pub lo: f64,
    pub hi: f64,
}

impl Window {
    fn holds(&self, x: f64) -> bool {
        x >= self.lo && x <= self.hi
    }
}

/// How one chunk is served.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Use {
    Skip,
    Whole,
    Cells,
    TimeCells,
    Raw,
}

fn usage(axis: &Axis, chunk: &ChunkMeta, grid: &Grid, w: &Window) -> Use {
    let s = &chunk.summary;
    let (xl, xh) = axis.chunk_extent(s);
    if xh < w.lo || xl > w.hi {
        return Use::Skip;
    }
    if xl < w.lo || xh > w.hi {
        return Use::Raw;
    }
    if grid.index(xl, s.step_min) == grid.index(xh, s.step_max) {
        return Use::Whole;
    }
    match (axis.kind, grid) {
        (XAxis::Step, Grid::Steps { shift }) if chunk.sketch.shift <= *shift => Use::Cells,
        (XAxis::Step, _) => Use::Raw,
        (_, Grid::Millis { shift }) => match axis.time_cells(chunk) {
            // Aligned powers of two from the same origin: each cell is in one bucket.
            Some(t) if t.shift <= *shift => Use::TimeCells,
            _ => Use::Raw,
        },
        (_, Grid::Steps { .. }) => Use::Raw,
    }
}

/// Points in the window counted from aggregates, and the chunks (at the window's
/// edges) whose points must be decoded to finish the count.
pub fn count_plan<'a>(
    axis: &Axis,
    chunks: impl IntoIterator<Item = &'a ChunkMeta>,
    w: &Window,
) -> (u64, Vec<i64>) {
    let mut inside = 0u64;
    let mut edges = Vec::new();
    for c in chunks {
        let (xl, xh) = axis.chunk_extent(&c.summary);
        if xh < w.lo || xl > w.hi {
            continue;
        }
        if xl >= w.lo && xh <= w.hi {
            inside += c.summary.points as u64;
        } else {
            edges.push(c.id);
        }
    }
    (inside, edges)
}

/// Points of decoded chunks that fall in the window.
pub fn count_decoded(axis: &Axis, ids: &[i64], raw: &HashMap<i64, Vec<Point>>, w: &Window) -> u64 {
    ids.iter()
        .filter_map(|id| raw.get(id))
        .flatten()
        .filter(|p| w.holds(axis.x(p.step, p.wall_ms)))
        .count() as u64
}

/// Chunks whose points must be decoded to bucket on `grid` (every chunk in the
/// window when `all`, for a raw answer).
pub fn decode_plan<'a>(
    axis: &Axis,
    chunks: impl IntoIterator<Item = &'a ChunkMeta>,
    grid: &Grid,
    w: &Window,
    all: bool,
) -> Vec<i64> {
    chunks
        .into_iter()
        .filter(|c| match usage(axis, c, grid, w) {
            Use::Skip => false,
            Use::Raw => true,
            Use::Whole | Use::Cells | Use::TimeCells => all,
        })
        .map(|c| c.id)
        .collect()
}

fn missing(id: i64) -> String {
    format!("chunk {id} was not loaded")
}

/// Every point in the window as its own bucket, ordered by x then step.
pub fn raw_buckets<'a>(
    axis: &Axis,
    chunks: impl IntoIterator<Item = &'a ChunkMeta>,
    raw: &HashMap<i64, Vec<Point>>,
    grid: &Grid,
    w: &Window,
) -> Result<Vec<(i64, Agg)>, String> {
    let mut out = Vec::new();
    for c in chunks {
        if usage(axis, c, grid, w) == Use::Skip {
            continue;
        }
        let points = raw.get(&c.id).ok_or_else(|| missing(c.id))?;
        for p in points {
            let x = axis.x(p.step, p.wall_ms);
            if w.holds(x) {
                out.push((grid.index(x, p.step), Agg::point(x, p.step, p.value)));
            }
        }
    }
    out.sort_by(|a, b| {
        a.1.x_first
            .total_cmp(&b.1.x_first)
            .then(a.1.last_step.cmp(&b.1.last_step))
    });
    Ok(out)
}

/// The window's points bucketed on `grid`, by cell index.
pub fn grid_buckets<'a>(
    axis: &Axis,
    chunks: impl IntoIterator<Item = &'a ChunkMeta>,
    raw: &HashMap<i64, Vec<Point>>,
    grid: &Grid,
    w: &Window,
) -> Result<Vec<(i64, Agg)>, String> {
    let mut cells = Cells::new(grid, w);
    for c in chunks {
        match usage(axis, c, grid, w) {
            Use::Skip => {}
            Use::Whole => {
                let s = &c.summary;
                let (xl, xh) = axis.chunk_extent(s);
                cells.at(grid.index(xl, s.step_min)).merge(&s.agg(xl, xh));
            }
            Use::Cells => {
                for cell in &c.sketch.cells {
                    let (xl, xh) = axis.cell_extent(cell);
                    cells
                        .at(grid.index(xl, cell.first_step))
                        .merge(&cell.agg(xl, xh));
                }
            }
            Use::TimeCells => {
                for cell in axis.time_cells(c).map_or(&[][..], |t| &t.cells[..]) {
                    let (xl, xh) = (axis.x(0, cell.wall_min_ms), axis.x(0, cell.wall_max_ms));
                    cells.at(grid.index(xl, 0)).merge(&cell.agg(xl, xh));
                }
            }
            Use::Raw => {
                let points = raw.get(&c.id).ok_or_else(|| missing(c.id))?;
                let (xl, xh) = axis.chunk_extent(&c.summary);
                if xl >= w.lo && xh <= w.hi && !c.sketch.cells.is_empty() {
                    mixed(axis, c, points, grid, &mut cells);
                } else {
                    for p in points {
                        let x = axis.x(p.step, p.wall_ms);
                        if w.holds(x) {
                            cells.at(grid.index(x, p.step)).add(x, p.step, p.value);
                        }
                    }
                }
            }
        }
    }
    Ok(cells.into_non_empty())
}

/// A chunk wholly inside the window whose sketch cells do not all fit in one bucket
/// each: the cells that do are added whole, and only the points of the others
/// (those a bucket edge cuts through) one by one.
fn mixed(axis: &Axis, c: &ChunkMeta, points: &[Point], grid: &Grid, cells: &mut Cells) {
    let mut i = 0;
    for cell in &c.sketch.cells {
        while i < points.len() && points[i].step < cell.first_step {
            i += 1;
        }
        let (xl, xh) = axis.cell_extent(cell);
        let first = grid.index(xl, cell.first_step);
        if first == grid.index(xh, cell.last_step) {
            cells.at(first).merge(&cell.agg(xl, xh));
            while i < points.len() && points[i].step <= cell.last_step {
                i += 1;
            }
        } else {
            while i < points.len() && points[i].step <= cell.last_step {
                let p = &points[i];
                let x = axis.x(p.step, p.wall_ms);
                cells.at(grid.index(x, p.step)).add(x, p.step, p.value);
                i += 1;
            }
        }
    }
}

/// The grid cells a window spans, as a dense vector (at most the bucket count).
struct Cells {
    first: i64,
    aggs: Vec<Agg>,
}

impl Cells {
    fn new(grid: &Grid, w: &Window) -> Cells {
        let first = grid.index(w.lo, w.lo as i64);
        let last = grid.index(w.hi, w.hi as i64).max(first);
        Cells {
            first,
            aggs: vec![Agg::EMPTY; (last - first + 1) as usize],
        }
    }

    fn at(&mut self, index: i64) -> &mut Agg {
        let i = (index - self.first).max(0) as usize;
        if i >= self.aggs.len() {
            self.aggs.resize(i + 1, Agg::EMPTY);
        }
        &mut self.aggs[i]
    }

    fn into_non_empty(self) -> Vec<(i64, Agg)> {
        let first = self.first;
        self.aggs
            .into_iter()
            .enumerate()
            .filter(|(_, a)| !a.is_empty())
            .map(|(i, a)| (first + i as i64, a))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::codec::{Part, Sketch, CHUNK_POINTS};
    use app::logic::bucket::{reference_buckets, AxisPoint};
    use proptest::prelude::*;

    /// Chunks as the store would hold them: consecutive pieces of the sorted series.
    /// Chunks as the store would hold them, read for charts on `x` of a run whose
    /// chunks were written while it started at `start_ms`.
    fn chunked(points: &[Point], sizes: &[usize], x: XAxis, start_ms: i64) -> Vec<ChunkMeta> {
        let mut out = Vec::new();
        let mut at = 0;
        let mut i = 0;
        while at < points.len() {
            let size = sizes[i % sizes.len()].clamp(1, CHUNK_POINTS);
            let piece = &points[at..(at + size).min(points.len())];
            out.push(ChunkMeta {
                id: out.len() as i64,
                series_id: 1,
                summary: ChunkSummary::of(piece),
                sketch: Sketch::of(piece, start_ms).part(Part::for_axis(x)),
            });
            at += piece.len();
            i += 1;
        }
        out
    }

    fn decoded(points: &[Point], chunks: &[ChunkMeta], ids: &[i64]) -> HashMap<i64, Vec<Point>> {
        ids.iter()
            .map(|&id| {
                let c = &chunks[id as usize];
                let piece: Vec<Point> = points
                    .iter()
                    .filter(|p| p.step >= c.summary.step_min && p.step <= c.summary.step_max)
                    .copied()
                    .collect();
                (id, piece)
            })
            .collect()
    }

    fn same(a: &Agg, b: &Agg) -> bool {
        let close = |x: f64, y: f64| {
            x == y
                || (x - y).abs() <= 1e-9 * x.abs().max(y.abs()).max(1.0)
                || (x.is_nan() && y.is_nan())
        };
        a.count == b.count
            && a.finite == b.finite
            && (a.finite == 0 || (a.min == b.min && a.max == b.max && close(a.sum, b.sum)))
            && a.x_first == b.x_first
            && a.x_last == b.x_last
            && a.last_step == b.last_step
            && a.last.to_bits() == b.last.to_bits()
    }

    /// What the engine answers, the way the service drives it.
    fn engine(
        points: &[Point],
        chunks: &[ChunkMeta],
        axis: &Axis,
        grid: &Grid,
        w: &Window,
        n: usize,
        allow_raw: bool,
    ) -> (bool, Vec<(i64, Agg)>, usize) {
        let (inside, edges) = count_plan(axis, chunks, w);
        let raw = decoded(points, chunks, &edges);
        let count = inside + count_decoded(axis, &edges, &raw, w);
        let as_raw = allow_raw && count <= n as u64;
        let need = decode_plan(axis, chunks, grid, w, as_raw);
        let raw = decoded(points, chunks, &need);
        if as_raw {
            (
                true,
                raw_buckets(axis, chunks, &raw, grid, w).unwrap(),
                need.len(),
            )
        } else {
            (
                false,
                grid_buckets(axis, chunks, &raw, grid, w).unwrap(),
                need.len(),
            )
        }
    }

    fn series() -> impl Strategy<Value = Vec<Point>> {
        proptest::collection::vec(
            (
                0i64..20_000,
                prop_oneof![
                    8 => -1e3f64..1e3,
                    1 => Just(f64::NAN),
                    1 => Just(f64::INFINITY),
                    1 => Just(f64::NEG_INFINITY),
                    1 => Just(1e300),
                ],
                0i64..50,
            ),
            0..3_000,
        )
        .prop_map(|raw| {
            let mut steps: Vec<(i64, f64, i64)> = raw;
            steps.sort_by_key(|p| p.0);
            steps.dedup_by_key(|p| p.0);
            // Wall time mostly grows with the step, with jitter (clocks are not monotonic).
            steps
                .into_iter()
                .map(|(step, value, jitter)| Point {
                    step,
                    value,
                    wall_ms: 1_700_000_000_000 + step * 37 + jitter * 3,
                })
                .collect()
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        #[test]
        fn equals_brute_force(
            points in series(),
            sizes in proptest::collection::vec(1usize..1_100, 1..6),
            kind in prop_oneof![Just(XAxis::Step), Just(XAxis::WallTime), Just(XAxis::RelativeTime)],
            n in 1usize..1_200,
            range in proptest::option::of((0.0f64..1.0, 0.0f64..1.0)),
            allow_raw in any::<bool>(),
            start_changed in proptest::bool::weighted(0.2),
        ) {
            let axis = Axis { kind, offset_ms: if kind == XAxis::RelativeTime { 1_700_000_000_000 } else { 0 } };
            // Sometimes the run's start moved after its chunks were written.
            let written_start = if start_changed { 1_700_000_000_123 } else { 1_700_000_000_000 };
            let chunks = chunked(&points, &sizes, kind, written_start);
            let xs: Vec<f64> = points.iter().map(|p| axis.x(p.step, p.wall_ms)).collect();
            let (min_x, max_x) = xs.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| (a.min(x), b.max(x)));
            let (lo, hi) = match range {
                _ if xs.is_empty() => (0.0, 1.0),
                Some((a, b)) => {
                    let span = max_x - min_x;
                    let (a, b) = (a.min(b), a.max(b));
                    let (lo, hi) = (min_x + span * a, min_x + span * b);
                    if kind == XAxis::Step { (lo.ceil(), hi.floor().max(lo.ceil())) } else { (lo, hi) }
                }
                None => (min_x, max_x),
            };
            let w = Window { lo, hi };
            let grid = match kind {
                XAxis::Step => Grid::for_steps(lo as i64, hi as i64, n),
                _ => Grid::for_seconds(lo, hi, n),
            };
            let reference_points: Vec<AxisPoint> = points
                .iter()
                .map(|p| AxisPoint { x: axis.x(p.step, p.wall_ms), step: p.step, value: p.value })
                .collect();
            let (want_raw, want) = reference_buckets(&reference_points, lo, hi, &grid, n, allow_raw);
            let (got_raw, got, _) = engine(&points, &chunks, &axis, &grid, &w, n, allow_raw);
            prop_assert_eq!(got_raw, want_raw);
            prop_assert_eq!(got.len(), want.len());
            for ((gi, g), (wi, wa)) in got.iter().zip(&want) {
                prop_assert_eq!(gi, wi);
                prop_assert!(same(g, wa), "bucket {}: got {:?}, want {:?}", gi, g, wa);
            }
            if !got_raw {
                prop_assert!(got.len() <= n);
            }
        }
    }

    #[test]
    fn time_charts_over_the_full_range_read_no_points() {
        let start = 1_790_000_000_123;
        // Steps every 37 ms with a little jitter, starting just after the run.
        let points: Vec<Point> = (0..100_000)
            .map(|s| Point {
                step: s,
                value: (s as f64).sin(),
                wall_ms: start + 5 + s * 37 + (s % 7) * 3,
            })
            .collect();
        for kind in [XAxis::WallTime, XAxis::RelativeTime] {
            let offset_ms = if kind == XAxis::RelativeTime {
                start
            } else {
                0
            };
            let axis = Axis { kind, offset_ms };
            let chunks = chunked(&points, &[CHUNK_POINTS], kind, start);
            let (lo, hi) = points
                .iter()
                .map(|p| axis.x(p.step, p.wall_ms))
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
                    (a.min(x), b.max(x))
                });
            let w = Window { lo, hi };
            let grid = Grid::for_seconds(lo, hi, 1_000);
            let (raw, buckets, decoded_chunks) =
                engine(&points, &chunks, &axis, &grid, &w, 1_000, true);
            assert!(!raw);
            assert_eq!(
                decoded_chunks, 0,
                "{kind:?}: every chunk from its time cells"
            );
            assert!(
                buckets.len() <= 1_000 && buckets.len() > 500,
                "{}",
                buckets.len()
            );
            assert_eq!(buckets.iter().map(|b| b.1.count).sum::<u64>(), 100_000);
            // The same chunks read for the other time axis have cells from the other
            // origin, which this axis must not use: it decodes instead, same answer.
            let other = if kind == XAxis::WallTime {
                XAxis::RelativeTime
            } else {
                XAxis::WallTime
            };
            let foreign = chunked(&points, &[CHUNK_POINTS], other, start);
            let (_, again, decoded_chunks) =
                engine(&points, &foreign, &axis, &grid, &w, 1_000, true);
            assert!(decoded_chunks > 90, "{decoded_chunks}");
            assert_eq!(again.len(), buckets.len());
            for (a, b) in again.iter().zip(&buckets) {
                assert_eq!(a.0, b.0);
                assert!(same(&a.1, &b.1), "{a:?} != {b:?}");
            }
        }
    }

    #[test]
    fn dense_full_range_reads_no_points() {
        let points: Vec<Point> = (0..100_000)
            .map(|s| Point {
                step: s,
                value: (s as f64).cos(),
                wall_ms: s * 10,
            })
            .collect();
        let chunks = chunked(&points, &[CHUNK_POINTS], XAxis::Step, 0);
        let axis = Axis {
            kind: XAxis::Step,
            offset_ms: 0,
        };
        let w = Window {
            lo: 0.0,
            hi: 99_999.0,
        };
        let grid = Grid::for_steps(0, 99_999, 1_000);
        let (raw, buckets, decoded_chunks) =
            engine(&points, &chunks, &axis, &grid, &w, 1_000, true);
        assert!(!raw);
        assert_eq!(
            decoded_chunks, 0,
            "every chunk should be answered from its sketch"
        );
        assert_eq!(buckets.iter().map(|b| b.1.count).sum::<u64>(), 100_000);
        // A 1% zoom decodes only the chunks it touches.
        let w = Window {
            lo: 50_000.0,
            hi: 50_999.0,
        };
        let (raw, buckets, decoded_chunks) =
            engine(&points, &chunks, &axis, &grid, &w, 1_000, true);
        assert!(raw);
        assert_eq!(buckets.len(), 1_000);
        assert!(decoded_chunks <= 2, "{decoded_chunks}");
    }
}
