//! Turning bucket answers into what a Workspace line plot draws, without drawing:
//! lines (one per run and metric, or per group), their min–max envelopes or group
//! bands, smoothing, axis extents (optionally ignoring outliers), log scales and
//! tick positions, and the nearest point under the cursor.
//!
//! Conventions:
//! - A line is parallel vectors `xs`, `ys`, `lo`, `hi`; a non-finite `ys` value is a
//!   gap, a non-finite `lo`/`hi` means "no envelope here".
//! - On a log axis, values ≤ 0 cannot be placed and become gaps; the axis works in
//!   log10 space ([`Scale::to_axis`]) and ticks sit on powers of ten.
//! - "Ignore outliers" sets the y extent from the 2nd to the 98th percentile of the
//!   finite values drawn, so a few spikes do not flatten everything else.

use crate::logic::smoothing::smooth;
use crate::model::{GroupBand, GroupBucket, GroupLine, MetricBucket, SmoothKind};

/// One line of a plot.
#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    pub label: String,
    pub color: (u8, u8, u8),
    pub xs: Vec<f64>,
    pub ys: Vec<f64>,
    /// The x of the first and of the last point each drawn point stands for (a
    /// bucket): logged steps (or seconds), where `xs` is the bucket's middle.
    pub x_spans: Vec<(f64, f64)>,
    /// The unsmoothed values when the line is smoothed (drawn faintly).
    pub original: Option<Vec<f64>>,
    pub lo: Vec<f64>,
    pub hi: Vec<f64>,
    /// A group's shaded band (`true`) or a run's per-bucket min–max whiskers.
    pub band: bool,
}

impl Line {
    /// An empty line with room for `n` points.
    fn with_capacity(label: String, color: (u8, u8, u8), n: usize, band: bool) -> Line {
        Line {
            label,
            color,
            xs: Vec::with_capacity(n),
            ys: Vec::with_capacity(n),
            x_spans: Vec::with_capacity(n),
            original: None,
            lo: Vec::with_capacity(n),
            hi: Vec::with_capacity(n),
            band,
        }
    }
}

/// A run's line from its buckets: the mean per bucket, the min–max envelope where a
/// bucket holds several points.
pub fn run_line(label: String, color: (u8, u8, u8), buckets: &[MetricBucket]) -> Line {
    let mut line = Line::with_capacity(label, color, buckets.len(), false);
    for b in buckets {
        line.xs.push((b.x_first + b.x_last) / 2.0);
        line.x_spans.push((b.x_first, b.x_last));
        let finite = b.count > b.nonfinite;
        line.ys.push(if finite { b.mean.0 } else { f64::NAN });
        let spread = finite && b.count > 1 && b.min.0 < b.max.0;
        line.lo.push(if spread { b.min.0 } else { f64::NAN });
        line.hi.push(if spread { b.max.0 } else { f64::NAN });
    }
    line
}

/// A group's line (mean, median, min or max of its runs) and its band.
pub fn group_line(
    label: String,
    color: (u8, u8, u8),
    buckets: &[GroupBucket],
    how: GroupLine,
    band: GroupBand,
) -> Line {
    let mut line = Line::with_capacity(label, color, buckets.len(), true);
    for b in buckets {
        line.xs.push((b.x_start + b.x_end) / 2.0);
        line.x_spans.push((b.x_start, b.x_end));
        let y = match how {
            GroupLine::Mean => b.mean.0,
            GroupLine::Median => b.median.0,
            GroupLine::Min => b.min.0,
            GroupLine::Max => b.max.0,
        };
        let y = if b.runs > 0 { y } else { f64::NAN };
        let (lo, hi) = match band {
            GroupBand::MinMax => (b.min.0, b.max.0),
            GroupBand::StdDev => (b.mean.0 - b.std_dev.0, b.mean.0 + b.std_dev.0),
            GroupBand::StdErr => (b.mean.0 - b.std_err.0, b.mean.0 + b.std_err.0),
            GroupBand::None => (f64::NAN, f64::NAN),
        };
        line.ys.push(y);
        line.lo.push(if b.runs > 0 { lo } else { f64::NAN });
        line.hi.push(if b.runs > 0 { hi } else { f64::NAN });
    }
    line
}

/// Pair two metrics of one run logged at the same steps (x = another metric): each
/// bucket of `ys` takes the mean of the `xs` bucket covering its steps. Buckets
/// without a partner, or whose partner is not finite, are left out.
pub fn pair_by_step(xs: &[MetricBucket], ys: &[MetricBucket]) -> Vec<MetricBucket> {
    // How far a bucket's step span lies from a step (0 inside it).
    let distance = |x: &MetricBucket, step: f64| {
        if step < x.x_first {
            x.x_first - step
        } else if step > x.x_last {
            step - x.x_last
        } else {
            0.0
        }
    };
    let mut out = Vec::with_capacity(ys.len());
    for b in ys {
        let mid = (b.x_first + b.x_last) / 2.0;
        // The x buckets just before and at the first one ending at or after `mid`.
        let i = xs.partition_point(|x| x.x_last < mid);
        let best = [i.checked_sub(1), Some(i)]
            .into_iter()
            .flatten()
            .filter_map(|j| xs.get(j))
            .filter(|x| x.count > x.nonfinite && x.mean.0.is_finite())
            .min_by(|a, c| distance(a, mid).total_cmp(&distance(c, mid)));
        let Some(x) = best else { continue };
        let width = (b.x_last - b.x_first).max(x.x_last - x.x_first).max(1.0);
        if distance(x, mid) > width {
            continue;
        }
        out.push(MetricBucket {
            x_first: x.mean.0,
            x_last: x.mean.0,
            ..*b
        });
    }
    out.sort_by(|a, b| a.x_first.total_cmp(&b.x_first));
    out
}

/// Smooth a line in place, keeping the original to draw faintly.
pub fn smooth_line(line: &mut Line, kind: SmoothKind, amount: f64) {
    if kind == SmoothKind::None || amount <= 0.0 {
        return;
    }
    let smoothed = smooth(kind, amount, &line.xs, &line.ys);
    line.original = Some(std::mem::replace(&mut line.ys, smoothed));
}

/// An axis: linear or log10.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Scale {
    pub log: bool,
}

impl Scale {
    /// The coordinate a value is drawn at; NaN when it cannot be placed.
    pub fn to_axis(self, v: f64) -> f64 {
        if !v.is_finite() {
            f64::NAN
        } else if self.log {
            if v > 0.0 {
                v.log10()
            } else {
                f64::NAN
            }
        } else {
            v
        }
    }

    /// The value at an axis coordinate.
    pub fn from_axis(self, a: f64) -> f64 {
        if self.log {
            10f64.powf(a)
        } else {
            a
        }
    }
}

/// The `[lo, hi]` an axis shows, in axis coordinates, for the given values (already
/// in axis coordinates), padded by 5% (or ±1 around a single value), or `0..1`
/// when there is nothing finite.
pub fn extent(values: impl IntoIterator<Item = f64>, ignore_outliers: bool) -> (f64, f64) {
    let mut v: Vec<f64> = values.into_iter().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return (0.0, 1.0);
    }
    let (lo, hi) = if ignore_outliers && v.len() >= 20 {
        v.sort_by(f64::total_cmp);
        let at = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
        (at(0.02), at(0.98))
    } else {
        v.iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &x| {
                (lo.min(x), hi.max(x))
            })
    };
    if hi > lo {
        let pad = (hi - lo) * 0.05;
        (lo - pad, hi + pad)
    } else {
        let pad = if lo == 0.0 { 1.0 } else { lo.abs() * 0.1 };
        (lo - pad, hi + pad)
    }
}

/// Tick positions, in axis coordinates, for an axis showing `[lo, hi]`: at most
/// about `target` ticks on 1, 2 or 5 times a power of ten (linear), or on whole
/// powers of ten (log; every power, or every k-th when there are many).
pub fn ticks(lo: f64, hi: f64, log: bool, target: usize) -> Vec<f64> {
    if !(lo.is_finite() && hi.is_finite()) || hi <= lo || target == 0 {
        return Vec::new();
    }
    if log {
        let first = lo.ceil() as i64;
        let last = hi.floor() as i64;
        if last >= first {
            let every = ((last - first + 1) as usize).div_ceil(target).max(1) as i64;
            return (first..=last)
                .step_by(every as usize)
                .map(|e| e as f64)
                .collect();
        }
        // Less than a decade: fall back to linear ticks of the log values.
    }
    let raw = (hi - lo) / target as f64;
    let exp = raw.log10().floor() as i32;
    let mag = 10f64.powi(exp);
    let mult = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .find(|m| m * mag >= raw)
        .unwrap_or(10.0);
    let step = mult * mag;
    // The k-th tick is k·mult·10^exp; dividing by an exact power of ten (rather than
    // multiplying by 0.1) keeps values such as 0.3 exact.
    let at = |k: f64| {
        if exp < 0 {
            k * mult / 10f64.powi(-exp)
        } else {
            k * mult * mag
        }
    };
    let first = (lo / step).ceil();
    let mut out = Vec::new();
    let mut k = first;
    while at(k) <= hi && out.len() <= target * 2 + 2 {
        out.push(at(k));
        k += 1.0;
    }
    out
}

/// Index of the x nearest `x` among sorted `xs` (NaN entries are skipped).
pub fn nearest(xs: &[f64], x: f64) -> Option<usize> {
    if xs.is_empty() || !x.is_finite() {
        return None;
    }
    let i = xs.partition_point(|v| *v < x);
    let mut best: Option<(usize, f64)> = None;
    for j in [i.wrapping_sub(1), i] {
        if let Some(v) = xs.get(j).filter(|v| v.is_finite()) {
            let d = (v - x).abs();
            if best.is_none_or(|(_, bd)| d < bd) {
                best = Some((j, d));
            }
        }
    }
    best.map(|(j, _)| j)
}

/// Halve a bucket list by merging neighbours pairwise (min of mins, max of maxes,
/// count-weighted mean, the later `last`), so a live chart that keeps receiving new
/// points stays near its bucket budget without fetching its history again.
pub fn halve_buckets(buckets: &[MetricBucket]) -> Vec<MetricBucket> {
    buckets
        .chunks(2)
        .map(|pair| match pair {
            [a, b] => {
                let (fa, fb) = (
                    (a.count - a.nonfinite) as f64,
                    (b.count - b.nonfinite) as f64,
                );
                let finite = |v: f64| v.is_finite();
                let pick = |x: f64, y: f64, f: fn(f64, f64) -> f64| match (finite(x), finite(y)) {
                    (true, true) => f(x, y),
                    (true, false) => x,
                    (false, true) => y,
                    _ => f64::NAN,
                };
                let mean = if fa + fb > 0.0 {
                    let sa = if fa > 0.0 { a.mean.0 * fa } else { 0.0 };
                    let sb = if fb > 0.0 { b.mean.0 * fb } else { 0.0 };
                    (sa + sb) / (fa + fb)
                } else {
                    f64::NAN
                };
                MetricBucket {
                    x_first: a.x_first,
                    x_last: b.x_last,
                    min: crate::model::MetricValue(pick(a.min.0, b.min.0, f64::min)),
                    max: crate::model::MetricValue(pick(a.max.0, b.max.0, f64::max)),
                    mean: crate::model::MetricValue(mean),
                    last: b.last,
                    count: a.count + b.count,
                    nonfinite: a.nonfinite + b.nonfinite,
                }
            }
            [a] => *a,
            _ => unreachable!("chunks(2) yields one or two"),
        })
        .collect()
}

/// The drawn values as CSV: one row per drawn point with the series' label, the
/// first and last logged x it stands for (equal when it is one point) and the value
/// drawn, plus the lowest and highest value the bucket held (empty for one point).
pub fn lines_csv(lines: &[Line]) -> String {
    use crate::logic::runs_table::csv_field;
    let num = |v: f64| {
        if v.is_nan() {
            String::new()
        } else {
            format!("{v}")
        }
    };
    let mut out = String::from("series,x_first,x_last,value,min,max\n");
    for l in lines {
        let label = csv_field(&l.label);
        for i in 0..l.ys.len() {
            let (first, last) = l.x_spans.get(i).copied().unwrap_or((l.xs[i], l.xs[i]));
            out.push_str(&format!(
                "{label},{},{},{},{},{}\n",
                num(first),
                num(last),
                num(l.ys[i]),
                num(l.lo.get(i).copied().unwrap_or(f64::NAN)),
                num(l.hi.get(i).copied().unwrap_or(f64::NAN)),
            ));
        }
    }
    out
}

/// The x a hovered point stands for, as logged: `step 12`, or `steps 8–15` for a
/// bucket of several steps (`fmt` writes one x).
pub fn span_label(span: (f64, f64), fmt: impl Fn(f64) -> String) -> String {
    if span.0 == span.1 {
        fmt(span.0)
    } else {
        format!("{}–{}", fmt(span.0), fmt(span.1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_gives_logged_steps_not_bucket_middles() {
        use crate::model::MetricValue;
        let b = |x0: f64, x1: f64, v: f64, n: u64| MetricBucket {
            x_first: x0,
            x_last: x1,
            min: MetricValue(v - 1.0),
            max: MetricValue(v + 1.0),
            mean: MetricValue(v),
            last: MetricValue(v),
            count: n,
            nonfinite: 0,
        };
        let line = run_line(
            "run, a".into(),
            (0, 0, 0),
            &[b(3.0, 4.0, 2.0, 2), b(11.0, 11.0, 5.0, 1)],
        );
        assert_eq!(line.xs, [3.5, 11.0]);
        let csv = lines_csv(&[line]);
        assert_eq!(
            csv,
            "series,x_first,x_last,value,min,max\n\"run, a\",3,4,2,1,3\n\"run, a\",11,11,5,,\n"
        );
        assert_eq!(span_label((3.0, 4.0), |x| format!("{x}")), "3–4");
        assert_eq!(span_label((11.0, 11.0), |x| format!("{x}")), "11");
    }
    use crate::model::MetricValue;
    use proptest::prelude::*;

    fn bucket(x0: f64, x1: f64, min: f64, max: f64, mean: f64, count: u64) -> MetricBucket {
        MetricBucket {
            x_first: x0,
            x_last: x1,
            min: MetricValue(min),
            max: MetricValue(max),
            mean: MetricValue(mean),
            last: MetricValue(mean),
            count,
            nonfinite: 0,
        }
    }

    fn gb(mean: f64, min: f64, max: f64, sd: f64, runs: u32) -> GroupBucket {
        GroupBucket {
            x_start: 0.0,
            x_end: 2.0,
            runs,
            mean: MetricValue(mean),
            median: MetricValue(mean + 0.5),
            min: MetricValue(min),
            max: MetricValue(max),
            std_dev: MetricValue(sd),
            std_err: MetricValue(sd / 2.0),
            lo: MetricValue(min),
            hi: MetricValue(max),
        }
    }

    #[test]
    fn run_lines_keep_spikes_in_the_envelope_and_gaps_as_nan() {
        let mut gap = bucket(4.0, 4.0, f64::NAN, f64::NAN, f64::NAN, 1);
        gap.nonfinite = 1;
        let line = run_line(
            "r".into(),
            (1, 2, 3),
            &[bucket(0.0, 2.0, 1.0, 90.0, 5.0, 3), gap],
        );
        assert_eq!(line.xs, vec![1.0, 4.0]);
        assert_eq!((line.ys[0], line.lo[0], line.hi[0]), (5.0, 1.0, 90.0));
        assert!(line.ys[1].is_nan() && line.lo[1].is_nan());
    }

    #[test]
    fn group_lines_pick_their_statistic_and_band() {
        let b = [gb(2.0, 1.0, 4.0, 0.5, 3), gb(0.0, 0.0, 0.0, 0.0, 0)];
        let l = group_line(
            "g".into(),
            (0, 0, 0),
            &b,
            GroupLine::Median,
            GroupBand::StdDev,
        );
        assert_eq!((l.ys[0], l.lo[0], l.hi[0]), (2.5, 1.5, 2.5));
        assert!(l.ys[1].is_nan(), "a bucket no run reached is a gap");
        let l = group_line("g".into(), (0, 0, 0), &b, GroupLine::Max, GroupBand::MinMax);
        assert_eq!((l.ys[0], l.lo[0], l.hi[0]), (4.0, 1.0, 4.0));
        let l = group_line(
            "g".into(),
            (0, 0, 0),
            &b,
            GroupLine::Mean,
            GroupBand::StdErr,
        );
        assert_eq!((l.lo[0], l.hi[0]), (1.75, 2.25));
        let l = group_line("g".into(), (0, 0, 0), &b, GroupLine::Min, GroupBand::None);
        assert!(l.lo[0].is_nan() && l.ys[0] == 1.0);
    }

    #[test]
    fn pairing_two_metrics_by_step() {
        // epoch = step / 10, loss = 100 - step, both logged at steps 0..100.
        let epoch: Vec<MetricBucket> = (0..10)
            .map(|i| {
                let s = i as f64 * 10.0;
                bucket(s, s + 9.0, s / 10.0, (s + 9.0) / 10.0, (s + 4.5) / 10.0, 10)
            })
            .collect();
        let loss: Vec<MetricBucket> = (0..10)
            .map(|i| {
                let s = i as f64 * 10.0;
                bucket(s, s + 9.0, 91.0 - s, 100.0 - s, 95.5 - s, 10)
            })
            .collect();
        let paired = pair_by_step(&epoch, &loss);
        assert_eq!(paired.len(), 10);
        assert!((paired[3].x_first - 3.45).abs() < 1e-9);
        assert_eq!(paired[3].mean.0, 65.5);
        assert!(pair_by_step(&[], &loss).is_empty());
    }

    #[test]
    fn smoothing_keeps_the_original() {
        let mut l = run_line(
            "r".into(),
            (0, 0, 0),
            &[
                bucket(0.0, 0.0, 1.0, 1.0, 1.0, 1),
                bucket(1.0, 1.0, 3.0, 3.0, 3.0, 1),
            ],
        );
        smooth_line(&mut l, SmoothKind::Ema, 0.5);
        assert_eq!(l.original, Some(vec![1.0, 3.0]));
        assert!(l.ys[1] < 3.0);
        let before = (l.ys.clone(), l.original.clone());
        smooth_line(&mut l, SmoothKind::None, 0.5);
        assert_eq!((l.ys, l.original), before);
    }

    #[test]
    fn log_scale_drops_what_it_cannot_place() {
        let s = Scale { log: true };
        assert_eq!(s.to_axis(100.0), 2.0);
        assert!(s.to_axis(0.0).is_nan() && s.to_axis(-1.0).is_nan());
        assert_eq!(s.from_axis(3.0), 1000.0);
        assert_eq!(Scale { log: false }.to_axis(-1.0), -1.0);
    }

    #[test]
    fn extents_and_outliers() {
        assert_eq!(extent([], false), (0.0, 1.0));
        assert_eq!(extent([f64::NAN], false), (0.0, 1.0));
        assert_eq!(extent([0.0, 10.0], false), (-0.5, 10.5));
        assert_eq!(extent([5.0], false), (4.5, 5.5));
        let mut values: Vec<f64> = (0..100).map(|i| i as f64 / 100.0).collect();
        values.push(1e9);
        let (_, hi) = extent(values.iter().copied(), true);
        assert!(hi < 2.0, "the spike is ignored: {hi}");
        let (_, hi) = extent(values.iter().copied(), false);
        assert!(hi > 1e9);
    }

    #[test]
    fn linear_and_log_ticks() {
        assert_eq!(
            ticks(0.0, 10.0, false, 5),
            vec![0.0, 2.0, 4.0, 6.0, 8.0, 10.0]
        );
        assert_eq!(ticks(0.05, 0.35, false, 3), vec![0.1, 0.2, 0.3]);
        assert_eq!(ticks(-0.5, 3.2, true, 10), vec![0.0, 1.0, 2.0, 3.0]);
        assert_eq!(ticks(0.0, 20.0, true, 5), vec![0.0, 5.0, 10.0, 15.0, 20.0]);
        assert!(ticks(1.0, 1.0, false, 5).is_empty());
        assert!(ticks(f64::NAN, 1.0, false, 5).is_empty());
    }

    #[test]
    fn halving_keeps_extremes_counts_and_the_mean() {
        let b = [
            bucket(0.0, 1.0, 1.0, 3.0, 2.0, 2),
            bucket(2.0, 3.0, 0.0, 9.0, 5.0, 4),
            bucket(4.0, 4.0, 7.0, 7.0, 7.0, 1),
        ];
        let h = halve_buckets(&b);
        assert_eq!(h.len(), 2);
        assert_eq!((h[0].x_first, h[0].x_last, h[0].count), (0.0, 3.0, 6));
        assert_eq!((h[0].min.0, h[0].max.0), (0.0, 9.0));
        assert!((h[0].mean.0 - 4.0).abs() < 1e-12);
        assert_eq!(h[1], b[2]);
    }

    #[test]
    fn nearest_point() {
        let xs = [0.0, 10.0, 20.0];
        assert_eq!(nearest(&xs, 14.0), Some(1));
        assert_eq!(nearest(&xs, 16.0), Some(2));
        assert_eq!(nearest(&xs, -5.0), Some(0));
        assert_eq!(nearest(&xs, 99.0), Some(2));
        assert_eq!(nearest(&[], 1.0), None);
    }

    proptest! {
        /// Ticks are increasing, inside the range, and not too many.
        #[test]
        fn ticks_are_sane(lo in -1e9f64..1e9, span in 1e-6f64..1e9, target in 1usize..12, log: bool) {
            let hi = lo + span;
            let t = ticks(lo, hi, log, target);
            prop_assert!(t.len() <= target * 2 + 3);
            for w in t.windows(2) {
                prop_assert!(w[0] < w[1]);
            }
            for v in &t {
                prop_assert!(*v >= lo - span * 1e-6 && *v <= hi + span * 1e-6);
            }
        }
    }
}
