//! Bucketing: how a metric series is reduced to at most N buckets for a chart, and
//! how a group of runs is summarised per bucket. The server's metrics engine answers
//! from stored aggregates; this module defines what the answer must be, so it holds
//! the grid, the aggregate and a brute-force reference over raw points that the
//! engine is tested against.
//!
//! Contract:
//! - Buckets are cells of a grid shared by every run of a query, so the same bucket
//!   means the same x range in each run (group statistics need that).
//! - On the step axis the grid cells are `2^shift` steps wide and aligned to
//!   multiples of their width; `shift` is the smallest that fits the range in N cells.
//!   Aligned power-of-two cells nest, which is what lets stored aggregates answer.
//! - On time axes the grid cells are `2^shift` milliseconds wide, aligned the same way
//!   (from the run's start for relative time, from the Unix epoch for wall time), so
//!   stored per-chunk time aggregates answer time charts as step sketches do steps.
//! - A bucket keeps count, finite count, min/max/sum over finite values, its x
//!   extent, and the value at its highest step (`last`), so spikes never vanish.
//! - When a run has no more points in the range than N, its buckets are the raw points.

use crate::model::{GroupBucket, MetricBucket, MetricPoint, MetricValue};

/// Default number of buckets a chart asks for.
pub const DEFAULT_BUCKETS: usize = 1_000;

/// Running aggregate of points; merging two aggregates equals aggregating their
/// points together (up to float rounding of the sum).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Agg {
    pub count: u64,
    pub finite: u64,
    /// Over finite values; +Inf / -Inf while there are none.
    pub min: f64,
    pub max: f64,
    pub sum: f64,
    pub x_first: f64,
    pub x_last: f64,
    /// Highest step seen and the value logged there.
    pub last_step: i64,
    pub last: f64,
}

impl Default for Agg {
    fn default() -> Self {
        Agg::EMPTY
    }
}

impl Agg {
    pub const EMPTY: Agg = Agg {
        count: 0,
        finite: 0,
        min: f64::INFINITY,
        max: f64::NEG_INFINITY,
        sum: 0.0,
        x_first: f64::INFINITY,
        x_last: f64::NEG_INFINITY,
        last_step: i64::MIN,
        last: f64::NAN,
    };

    /// The aggregate of one point.
    pub fn point(x: f64, step: i64, value: f64) -> Agg {
        let mut a = Agg::EMPTY;
        a.add(x, step, value);
        a
    }

    pub fn add(&mut self, x: f64, step: i64, value: f64) {
        self.count += 1;
        if value.is_finite() {
            self.finite += 1;
            self.min = self.min.min(value);
            self.max = self.max.max(value);
            self.sum += value;
        }
        self.x_first = self.x_first.min(x);
        self.x_last = self.x_last.max(x);
        if step >= self.last_step {
            self.last_step = step;
            self.last = value;
        }
    }

    pub fn merge(&mut self, other: &Agg) {
        if other.count == 0 {
            return;
        }
        self.count += other.count;
        self.finite += other.finite;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
        self.sum += other.sum;
        self.x_first = self.x_first.min(other.x_first);
        self.x_last = self.x_last.max(other.x_last);
        if other.last_step >= self.last_step {
            self.last_step = other.last_step;
            self.last = other.last;
        }
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The bucket as the wire model has it.
    pub fn bucket(&self) -> MetricBucket {
        let (min, max, mean) = if self.finite == 0 {
            (f64::NAN, f64::NAN, f64::NAN)
        } else {
            (self.min, self.max, self.sum / self.finite as f64)
        };
        MetricBucket {
            x_first: self.x_first,
            x_last: self.x_last,
            min: MetricValue(min),
            max: MetricValue(max),
            mean: MetricValue(mean),
            last: MetricValue(self.last),
            count: self.count,
            nonfinite: self.count - self.finite,
        }
    }
}

/// The bucket grid of one query.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Grid {
    /// Step axis: cell `i` holds steps `i << shift ..= ((i + 1) << shift) - 1`.
    Steps { shift: u32 },
    /// Time axes: cell `i` holds x in `[i << shift, (i + 1) << shift)` milliseconds,
    /// x counted from the run's start (relative time) or the Unix epoch (wall time).
    Millis { shift: u32 },
}

/// The smallest shift whose aligned cells cover `lo..=hi` in at most `n`.
fn fitting_shift(lo: i64, hi: i64, n: usize) -> u32 {
    let n = n.max(1) as i128;
    let (lo, hi) = (i128::from(lo.min(hi)), i128::from(lo.max(hi)));
    let mut shift = 0u32;
    while shift < 63 && (hi >> shift) - (lo >> shift) + 1 > n {
        shift += 1;
    }
    shift
}

/// A time-axis x (seconds) as whole milliseconds. Stored times are whole
/// milliseconds, and `ms / 1000.0 * 1000.0` rounds back to `ms` exactly.
pub fn millis(x: f64) -> i64 {
    // `as` saturates, and NaN becomes 0.
    (x * 1000.0).round() as i64
}

impl Grid {
    /// The grid for steps `lo..=hi` in at most `n` cells.
    pub fn for_steps(lo: i64, hi: i64, n: usize) -> Grid {
        Grid::Steps {
            shift: fitting_shift(lo, hi, n),
        }
    }

    /// The grid for x in `lo..=hi` (seconds) in at most `n` cells of a power of two
    /// milliseconds each.
    pub fn for_seconds(lo: f64, hi: f64, n: usize) -> Grid {
        Grid::Millis {
            shift: fitting_shift(millis(lo), millis(hi), n),
        }
    }

    /// The cell of a step (step axis) or an x (time axes).
    pub fn index(&self, x: f64, step: i64) -> i64 {
        match *self {
            Grid::Steps { shift } => step >> shift,
            Grid::Millis { shift } => millis(x) >> shift,
        }
    }

    /// The x range a cell stands for: `[start, end)`.
    pub fn cell_range(&self, index: i64) -> (f64, f64) {
        let (lo, hi) = match *self {
            Grid::Steps { shift } | Grid::Millis { shift } => (
                (i128::from(index) << shift) as f64,
                ((i128::from(index) + 1) << shift) as f64,
            ),
        };
        match self {
            Grid::Steps { .. } => (lo, hi),
            Grid::Millis { .. } => (lo / 1000.0, hi / 1000.0),
        }
    }

    /// Width of one cell in x units.
    pub fn width(&self) -> f64 {
        match *self {
            Grid::Steps { shift } => (1i128 << shift) as f64,
            Grid::Millis { shift } => (1i128 << shift) as f64 / 1000.0,
        }
    }
}

/// One raw point placed on an axis: its x, its step and its value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AxisPoint {
    pub x: f64,
    pub step: i64,
    pub value: f64,
}

/// The reference answer for one run: the points with `lo <= x <= hi` (any order),
/// raw when there are at most `n` of them (and `allow_raw`), otherwise bucketed on
/// `grid`. Returns `(raw, buckets with their cell index)`; raw buckets carry the
/// cell index of their point too, sorted by x then step.
pub fn reference_buckets(
    points: &[AxisPoint],
    lo: f64,
    hi: f64,
    grid: &Grid,
    n: usize,
    allow_raw: bool,
) -> (bool, Vec<(i64, Agg)>) {
    let mut inside: Vec<&AxisPoint> = points.iter().filter(|p| p.x >= lo && p.x <= hi).collect();
    inside.sort_by(|a, b| a.x.total_cmp(&b.x).then(a.step.cmp(&b.step)));
    if allow_raw && inside.len() <= n {
        let raw = inside
            .iter()
            .map(|p| (grid.index(p.x, p.step), Agg::point(p.x, p.step, p.value)))
            .collect();
        return (true, raw);
    }
    let mut cells: std::collections::BTreeMap<i64, Agg> = Default::default();
    for p in inside {
        cells
            .entry(grid.index(p.x, p.step))
            .or_default()
            .add(p.x, p.step, p.value);
    }
    (false, cells.into_iter().collect())
}

/// A single run's series bucketed on the step axis into at most `max_buckets`
/// buckets (raw points when they fit). Points must be sorted by step.
pub fn bucket_series(points: &[MetricPoint], max_buckets: usize) -> Vec<MetricBucket> {
    let (Some(first), Some(last)) = (points.first(), points.last()) else {
        return Vec::new();
    };
    let grid = Grid::for_steps(first.step, last.step, max_buckets);
    let axis: Vec<AxisPoint> = points
        .iter()
        .map(|p| AxisPoint {
            x: p.step as f64,
            step: p.step,
            value: p.value.0,
        })
        .collect();
    let (_, buckets) = reference_buckets(
        &axis,
        f64::NEG_INFINITY,
        f64::INFINITY,
        &grid,
        max_buckets,
        true,
    );
    buckets.iter().map(|(_, a)| a.bucket()).collect()
}

/// Statistics across runs for one grid cell. `runs` holds each run's aggregate in
/// the cell (runs without points there are left out by the caller).
pub fn group_bucket(grid: &Grid, index: i64, runs: &[Agg]) -> GroupBucket {
    let (x_start, x_end) = grid.cell_range(index);
    let mut means: Vec<f64> = runs
        .iter()
        .filter(|a| a.finite > 0)
        .map(|a| a.sum / a.finite as f64)
        .collect();
    means.sort_by(f64::total_cmp);
    let lo = runs.iter().map(|a| a.min).fold(f64::INFINITY, f64::min);
    let hi = runs.iter().map(|a| a.max).fold(f64::NEG_INFINITY, f64::max);
    let k = means.len();
    let nan = MetricValue(f64::NAN);
    if k == 0 {
        return GroupBucket {
            x_start,
            x_end,
            runs: 0,
            mean: nan,
            median: nan,
            min: nan,
            max: nan,
            std_dev: nan,
            std_err: nan,
            lo: nan,
            hi: nan,
        };
    }
    let mean = means.iter().sum::<f64>() / k as f64;
    let median = if k % 2 == 1 {
        means[k / 2]
    } else {
        (means[k / 2 - 1] + means[k / 2]) / 2.0
    };
    let std_dev = if k > 1 {
        (means.iter().map(|m| (m - mean).powi(2)).sum::<f64>() / (k - 1) as f64).sqrt()
    } else {
        0.0
    };
    GroupBucket {
        x_start,
        x_end,
        runs: k as u32,
        mean: MetricValue(mean),
        median: MetricValue(median),
        min: MetricValue(means[0]),
        max: MetricValue(means[k - 1]),
        std_dev: MetricValue(std_dev),
        std_err: MetricValue(std_dev / (k as f64).sqrt()),
        lo: MetricValue(lo),
        hi: MetricValue(hi),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn pts(values: &[(i64, f64)]) -> Vec<MetricPoint> {
        values
            .iter()
            .map(|&(step, v)| MetricPoint {
                step,
                value: MetricValue(v),
                wall_time: step as f64,
            })
            .collect()
    }

    #[test]
    fn empty_and_single() {
        assert!(bucket_series(&[], 10).is_empty());
        let b = bucket_series(&pts(&[(5, 2.0)]), 10);
        assert_eq!(b.len(), 1);
        assert_eq!((b[0].min.0, b[0].max.0, b[0].count), (2.0, 2.0, 1));
    }

    #[test]
    fn keeps_spikes() {
        let mut v: Vec<(i64, f64)> = (0..10_000).map(|s| (s, 1.0)).collect();
        v[7_777].1 = 500.0;
        let b = bucket_series(&pts(&v), 100);
        // 10,000 steps in at most 100 aligned cells: 128 steps each, 79 cells.
        assert_eq!(b.len(), 79);
        let max = b.iter().map(|b| b.max.0).fold(f64::MIN, f64::max);
        assert_eq!(max, 500.0);
        assert_eq!(b.iter().map(|b| b.count).sum::<u64>(), 10_000);
    }

    #[test]
    fn step_grid_is_aligned_powers_of_two() {
        assert_eq!(Grid::for_steps(0, 99_999, 1_000), Grid::Steps { shift: 7 });
        assert_eq!(Grid::for_steps(0, 9, 10), Grid::Steps { shift: 0 });
        // 5..=12 takes 8 cells of 1 step, 5 of 2, 3 of 4.
        assert_eq!(Grid::for_steps(5, 12, 4), Grid::Steps { shift: 2 });
        let g = Grid::for_steps(0, i64::MAX, 3);
        assert!(matches!(g, Grid::Steps { shift } if shift >= 62));
    }

    #[test]
    fn non_finite_values_are_counted_not_averaged() {
        let b = bucket_series(
            &pts(&[(0, 1.0), (1, f64::NAN), (2, 3.0), (3, f64::INFINITY)]),
            2,
        );
        assert_eq!(b.len(), 2);
        assert_eq!(b[0].mean.0, 1.0);
        assert_eq!(b[0].nonfinite, 1);
        assert_eq!(b[1].mean.0, 3.0);
        assert!(b[1].last.0.is_infinite());
        let all_nan = bucket_series(&pts(&[(0, f64::NAN)]), 1);
        assert!(all_nan[0].mean.0.is_nan());
    }

    #[test]
    fn huge_step_range_does_not_overflow() {
        let b = bucket_series(&pts(&[(0, 1.0), (1 << 40, 2.0), (i64::MAX, 3.0)]), 2);
        assert_eq!(b.iter().map(|b| b.count).sum::<u64>(), 3);
        assert!(b.len() <= 2);
    }

    #[test]
    fn time_grid_is_aligned_powers_of_two_milliseconds() {
        // 0..=10 s in at most 5 cells: 2,048 ms each (4,096 ms would be 3 cells).
        let g = Grid::for_seconds(0.0, 10.0, 5);
        assert_eq!(g, Grid::Millis { shift: 11 });
        assert_eq!(g.index(0.0, 0), 0);
        assert_eq!(g.index(2.047, 0), 0);
        assert_eq!(g.index(2.048, 0), 1);
        assert_eq!(g.index(10.0, 0), 4);
        assert_eq!(g.cell_range(1), (2.048, 4.096));
        assert_eq!(g.width(), 2.048);
        // Wall times (seconds since 1970) index exactly, negative ones floor.
        let wall = Grid::for_seconds(1_790_000_000.0, 1_790_000_100.0, 1_000);
        let ms = 1_790_000_012_345i64;
        let Grid::Millis { shift } = wall else {
            panic!("{wall:?}")
        };
        assert_eq!(wall.index(ms as f64 / 1000.0, 0), ms >> shift);
        assert_eq!(Grid::Millis { shift: 3 }.index(-0.001, 0), -1);
    }

    #[test]
    fn group_statistics() {
        let grid = Grid::Steps { shift: 0 };
        let runs: Vec<Agg> = [1.0, 2.0, 3.0, 10.0]
            .iter()
            .map(|&v| Agg::point(0.0, 0, v))
            .collect();
        let g = group_bucket(&grid, 0, &runs);
        assert_eq!(g.runs, 4);
        assert_eq!(g.mean.0, 4.0);
        assert_eq!(g.median.0, 2.5);
        assert_eq!((g.min.0, g.max.0), (1.0, 10.0));
        let sd = ((9.0 + 4.0 + 1.0 + 36.0) / 3.0f64).sqrt();
        assert!((g.std_dev.0 - sd).abs() < 1e-12);
        assert!((g.std_err.0 - sd / 2.0).abs() < 1e-12);
        let one = group_bucket(&grid, 0, &runs[..1]);
        assert_eq!((one.std_dev.0, one.median.0), (0.0, 1.0));
        let none = group_bucket(&grid, 0, &[Agg::point(0.0, 0, f64::NAN)]);
        assert_eq!(none.runs, 0);
        assert!(none.mean.0.is_nan());
    }

    #[test]
    fn merging_equals_adding() {
        let values = [1.0, f64::NAN, -4.0, f64::INFINITY, 7.5];
        let mut whole = Agg::EMPTY;
        let mut left = Agg::EMPTY;
        let mut right = Agg::EMPTY;
        for (i, v) in values.iter().enumerate() {
            whole.add(i as f64, i as i64, *v);
            if i < 2 { &mut left } else { &mut right }.add(i as f64, i as i64, *v);
        }
        let mut merged = right;
        merged.merge(&left);
        assert_eq!(merged.bucket(), whole.bucket());
        assert_eq!(merged.last, 7.5);
    }

    proptest! {
        #[test]
        fn bounds_hold(
            mut raw in proptest::collection::vec((0i64..100_000, prop_oneof![
                4 => -1e6f64..1e6,
                1 => Just(f64::NAN),
                1 => Just(f64::INFINITY),
            ]), 0..3_000),
            n in 1usize..500,
        ) {
            raw.sort_by_key(|p| p.0);
            raw.dedup_by_key(|p| p.0);
            let points = pts(&raw);
            let b = bucket_series(&points, n);
            prop_assert!(b.len() <= n.max(1));
            prop_assert_eq!(b.iter().map(|b| b.count).sum::<u64>(), points.len() as u64);
            for w in b.windows(2) {
                prop_assert!(w[0].x_last < w[1].x_first);
            }
            for bucket in &b {
                prop_assert!(bucket.x_first <= bucket.x_last);
                if bucket.nonfinite < bucket.count {
                    prop_assert!(bucket.min.0 <= bucket.mean.0 + 1e-9 && bucket.mean.0 <= bucket.max.0 + 1e-9);
                }
            }
            let spike = raw.iter().map(|p| p.1).filter(|v| v.is_finite()).fold(f64::NEG_INFINITY, f64::max);
            let top = b.iter().map(|b| b.max.0).filter(|v| v.is_finite()).fold(f64::NEG_INFINITY, f64::max);
            prop_assert_eq!(spike, top);
        }
    }
}
