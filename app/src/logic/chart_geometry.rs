//! What a line chart needs before it draws: the axis ranges that fit every visible
//! value, and the polylines to draw, broken where a value is NaN or ±Inf so that
//! non-finite values show as gaps instead of breaking the chart.

use crate::model::MetricBucket;

/// A closed range for an axis, never empty, never non-finite.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AxisRange {
    pub lo: f64,
    pub hi: f64,
}

/// The x range spanned by the buckets; `0..1` when there are none.
pub fn step_range<'a>(series: impl IntoIterator<Item = &'a [MetricBucket]>) -> AxisRange {
    let mut lo = f64::INFINITY;
    let mut hi = f64::NEG_INFINITY;
    for buckets in series {
        for b in buckets {
            lo = lo.min(b.x_first);
            hi = hi.max(b.x_last);
        }
    }
    if lo > hi || !lo.is_finite() || !hi.is_finite() {
        return AxisRange { lo: 0.0, hi: 1.0 };
    }
    widen(lo, hi, 0.0)
}

/// The value range covering every finite min and max, padded by 5% on each side.
pub fn value_range<'a>(series: impl IntoIterator<Item = &'a [MetricBucket]>) -> AxisRange {
    let mut lo = f64::INFINITY;
    let mut hi = f64::NEG_INFINITY;
    for buckets in series {
        for b in buckets {
            for v in [b.min.0, b.max.0] {
                if v.is_finite() {
                    lo = lo.min(v);
                    hi = hi.max(v);
                }
            }
        }
    }
    if lo > hi {
        return AxisRange { lo: 0.0, hi: 1.0 };
    }
    widen(lo, hi, 0.05)
}

fn widen(lo: f64, hi: f64, pad: f64) -> AxisRange {
    if hi - lo <= f64::EPSILON * lo.abs().max(1.0) {
        let d = if lo == 0.0 { 1.0 } else { lo.abs() * 0.1 };
        return AxisRange {
            lo: lo - d,
            hi: hi + d,
        };
    }
    let d = (hi - lo) * pad;
    AxisRange {
        lo: lo - d,
        hi: hi + d,
    }
}

/// Polylines of `(step, mean)` through the buckets, split at buckets whose mean is
/// not finite. A lone point between two gaps is a one-point polyline (drawn as a dot).
pub fn line_segments(buckets: &[MetricBucket]) -> Vec<Vec<(f64, f64)>> {
    let mut out = Vec::new();
    let mut current = Vec::new();
    for b in buckets {
        let y = b.mean.0;
        if y.is_finite() {
            current.push((x_of(b), y));
        } else if !current.is_empty() {
            out.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// The x a bucket is drawn at: the middle of its points' x span.
pub fn x_of(b: &MetricBucket) -> f64 {
    (b.x_first + b.x_last) / 2.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::MetricValue;

    fn b(step: i64, v: f64) -> MetricBucket {
        MetricBucket {
            x_first: step as f64,
            x_last: step as f64,
            min: MetricValue(v),
            max: MetricValue(v),
            mean: MetricValue(v),
            last: MetricValue(v),
            count: 1,
            nonfinite: u64::from(!v.is_finite()),
        }
    }

    #[test]
    fn ranges_of_nothing_are_unit() {
        assert_eq!(value_range([]), AxisRange { lo: 0.0, hi: 1.0 });
        assert_eq!(step_range([]), AxisRange { lo: 0.0, hi: 1.0 });
    }

    #[test]
    fn constant_series_gets_a_visible_range() {
        let s = [b(0, 5.0), b(1, 5.0)];
        let r = value_range([&s[..]]);
        assert!(r.lo < 5.0 && r.hi > 5.0);
        let single = [b(3, 0.0)];
        let r = step_range([&single[..]]);
        assert!(r.lo < 3.0 && r.hi > 3.0);
    }

    #[test]
    fn non_finite_values_are_ignored_by_ranges_and_split_lines() {
        let s = [
            b(0, 1.0),
            b(1, f64::NAN),
            b(2, 3.0),
            b(3, f64::INFINITY),
            b(4, 2.0),
            b(5, 4.0),
        ];
        let r = value_range([&s[..]]);
        assert!(r.lo < 1.0 && r.hi > 4.0 && r.hi < 5.0);
        let segs = line_segments(&s);
        assert_eq!(
            segs,
            vec![
                vec![(0.0, 1.0)],
                vec![(2.0, 3.0)],
                vec![(4.0, 2.0), (5.0, 4.0)]
            ]
        );
    }
}
