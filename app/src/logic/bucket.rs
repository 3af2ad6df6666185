//! Downsampling a metric series into at most N buckets of equal step width, keeping
//! min, max, mean, last and counts per bucket, so a spike is never averaged away and
//! a chart's cost does not grow with the points stored.
//!
//! Contract: input points sorted by step (ties allowed); output buckets sorted by
//! step, non-empty, at most `max_buckets` of them; counts add up to the input length;
//! when the input has no more than `max_buckets` points, each point is its own bucket.

use crate::model::{MetricBucket, MetricPoint, MetricValue};

/// Default number of buckets a chart asks for.
pub const DEFAULT_BUCKETS: usize = 1_000;

/// Reduce `points` (sorted by step) to at most `max_buckets` buckets.
pub fn bucket_series(points: &[MetricPoint], max_buckets: usize) -> Vec<MetricBucket> {
    let max_buckets = max_buckets.max(1);
    if points.len() <= max_buckets {
        return points.iter().map(single).collect();
    }
    let first = points[0].step;
    let last = points[points.len() - 1].step;
    // Width in steps, rounded up so `max_buckets` buckets cover [first, last].
    let span = (i128::from(last) - i128::from(first)) as u128 + 1;
    let width = span.div_ceil(max_buckets as u128).max(1);
    let mut out: Vec<MetricBucket> = Vec::with_capacity(max_buckets);
    let mut acc = Acc::default();
    let mut current: Option<u128> = None;
    for p in points {
        let index = (i128::from(p.step) - i128::from(first)) as u128 / width;
        if current != Some(index) {
            if let Some(bucket) = acc.finish() {
                out.push(bucket);
            }
            acc = Acc::default();
            current = Some(index);
        }
        acc.add(p);
    }
    if let Some(bucket) = acc.finish() {
        out.push(bucket);
    }
    out
}

fn single(p: &MetricPoint) -> MetricBucket {
    let finite = p.value.0.is_finite();
    let v = if finite {
        p.value
    } else {
        MetricValue(f64::NAN)
    };
    MetricBucket {
        step_start: p.step,
        step_end: p.step,
        min: v,
        max: v,
        mean: v,
        last: p.value,
        count: 1,
        nonfinite: u64::from(!finite),
    }
}

#[derive(Default)]
struct Acc {
    step_start: i64,
    step_end: i64,
    min: f64,
    max: f64,
    sum: f64,
    finite: u64,
    count: u64,
    last: f64,
}

impl Acc {
    fn add(&mut self, p: &MetricPoint) {
        let v = p.value.0;
        if self.count == 0 {
            self.step_start = p.step;
            self.min = f64::INFINITY;
            self.max = f64::NEG_INFINITY;
        }
        self.count += 1;
        self.step_end = p.step;
        self.last = v;
        if v.is_finite() {
            self.finite += 1;
            self.sum += v;
            self.min = self.min.min(v);
            self.max = self.max.max(v);
        }
    }

    fn finish(&self) -> Option<MetricBucket> {
        if self.count == 0 {
            return None;
        }
        let (min, max, mean) = if self.finite == 0 {
            (f64::NAN, f64::NAN, f64::NAN)
        } else {
            (self.min, self.max, self.sum / self.finite as f64)
        };
        Some(MetricBucket {
            step_start: self.step_start,
            step_end: self.step_end,
            min: MetricValue(min),
            max: MetricValue(max),
            mean: MetricValue(mean),
            last: MetricValue(self.last),
            count: self.count,
            nonfinite: self.count - self.finite,
        })
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
        assert_eq!(b.len(), 100);
        let max = b.iter().map(|b| b.max.0).fold(f64::MIN, f64::max);
        assert_eq!(max, 500.0);
        assert!(b.iter().all(|b| b.count == 100));
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
        let b = bucket_series(&pts(&[(i64::MIN, 1.0), (0, 2.0), (i64::MAX, 3.0)]), 2);
        assert_eq!(b.iter().map(|b| b.count).sum::<u64>(), 3);
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
            let points = pts(&raw);
            let b = bucket_series(&points, n);
            prop_assert!(b.len() <= n.max(1));
            prop_assert_eq!(b.iter().map(|b| b.count).sum::<u64>(), points.len() as u64);
            for w in b.windows(2) {
                prop_assert!(w[0].step_end < w[1].step_start || w[0].step_end <= w[1].step_start);
            }
            for bucket in &b {
                prop_assert!(bucket.step_start <= bucket.step_end);
                if bucket.nonfinite < bucket.count {
                    prop_assert!(bucket.min.0 <= bucket.mean.0 + 1e-9 && bucket.mean.0 <= bucket.max.0 + 1e-9);
                }
            }
        }
    }
}
