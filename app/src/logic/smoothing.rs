//! Smoothing of a line's points, as the Workspace's line plots offer it.
//!
//! Input is the line's points in x order; non-finite values are gaps: they are
//! skipped by the smoother and stay non-finite in the output, so a smoothed line
//! has its gaps where the original has them. `amount` runs from 0 (output equals
//! input) to just under 1 (heavy smoothing) for every kind:
//! - **EMA**: `s = amount·s + (1 − amount)·y`, debiased so the first points are not
//!   pulled towards zero (`s / (1 − amount^n)`).
//! - **Time-weighted EMA**: the same, but each step's decay is `amount^(Δx / median Δx)`,
//!   so unevenly spaced points (a long pause, sparse logging) are weighted by the
//!   distance between them rather than by their count.
//! - **Gaussian**: each point is the Gaussian-weighted mean of its neighbours in x,
//!   with σ = `amount` × (x extent) / 20.
//! - **Running average**: the mean of the last `1 + round(amount · 99)` finite points.

use crate::model::SmoothKind;

/// Smooth `ys` (with their `xs`) by `kind`; the output has the input's length.
pub fn smooth(kind: SmoothKind, amount: f64, xs: &[f64], ys: &[f64]) -> Vec<f64> {
    debug_assert_eq!(xs.len(), ys.len());
    let amount = if amount.is_finite() {
        amount.clamp(0.0, 0.999)
    } else {
        0.0
    };
    if amount == 0.0 {
        return ys.to_vec();
    }
    match kind {
        SmoothKind::None => ys.to_vec(),
        SmoothKind::Ema => ema(amount, ys),
        SmoothKind::TimeWeightedEma => time_weighted_ema(amount, xs, ys),
        SmoothKind::Gaussian => gaussian(amount, xs, ys),
        SmoothKind::RunningAverage => running_average(amount, ys),
    }
}

fn ema(weight: f64, ys: &[f64]) -> Vec<f64> {
    let mut state = 0.0;
    let mut debias = 1.0;
    ys.iter()
        .map(|&y| {
            if !y.is_finite() {
                return y;
            }
            state = weight * state + (1.0 - weight) * y;
            debias *= weight;
            state / (1.0 - debias)
        })
        .collect()
}

fn time_weighted_ema(weight: f64, xs: &[f64], ys: &[f64]) -> Vec<f64> {
    // The typical distance between points: the median gap, so one long pause
    // does not stretch the unit every other step is measured in.
    let finite: Vec<f64> = xs
        .iter()
        .zip(ys)
        .filter(|(x, y)| x.is_finite() && y.is_finite())
        .map(|(x, _)| *x)
        .collect();
    let mut gaps: Vec<f64> = finite
        .windows(2)
        .map(|w| w[1] - w[0])
        .filter(|g| *g > 0.0)
        .collect();
    if gaps.is_empty() {
        return ema(weight, ys);
    }
    gaps.sort_by(f64::total_cmp);
    let mean_gap = gaps[gaps.len() / 2];
    let mut state = 0.0;
    // The weight the running state carries; 1 − carried is the debias divisor.
    let mut carried = 1.0;
    let mut last_x: Option<f64> = None;
    xs.iter()
        .zip(ys)
        .map(|(&x, &y)| {
            if !y.is_finite() || !x.is_finite() {
                return y;
            }
            let decay = match last_x {
                Some(prev) => weight.powf(((x - prev) / mean_gap).max(0.0)),
                None => weight,
            };
            last_x = Some(x);
            state = decay * state + (1.0 - decay) * y;
            carried *= decay;
            if carried >= 1.0 {
                y
            } else {
                state / (1.0 - carried)
            }
        })
        .collect()
}

fn gaussian(amount: f64, xs: &[f64], ys: &[f64]) -> Vec<f64> {
    let pts: Vec<(f64, f64)> = xs
        .iter()
        .zip(ys)
        .filter(|(x, y)| x.is_finite() && y.is_finite())
        .map(|(x, y)| (*x, *y))
        .collect();
    let extent = match (pts.first(), pts.last()) {
        (Some(a), Some(b)) => b.0 - a.0,
        _ => 0.0,
    };
    if extent <= 0.0 {
        return ys.to_vec();
    }
    let sigma = amount * extent / 20.0;
    let reach = 3.0 * sigma;
    // Points are in x order, so each window is a slice found by moving two cursors.
    let mut lo = 0;
    let mut hi = 0;
    xs.iter()
        .zip(ys)
        .map(|(&x, &y)| {
            if !y.is_finite() || !x.is_finite() {
                return y;
            }
            while lo < pts.len() && pts[lo].0 < x - reach {
                lo += 1;
            }
            while hi < pts.len() && pts[hi].0 <= x + reach {
                hi += 1;
            }
            let (mut sum, mut weights) = (0.0, 0.0);
            for &(px, py) in &pts[lo..hi] {
                let d = (px - x) / sigma;
                let w = (-0.5 * d * d).exp();
                sum += w * py;
                weights += w;
            }
            if weights > 0.0 {
                sum / weights
            } else {
                y
            }
        })
        .collect()
}

fn running_average(amount: f64, ys: &[f64]) -> Vec<f64> {
    let window = 1 + (amount * 99.0).round() as usize;
    let mut recent = std::collections::VecDeque::with_capacity(window);
    let mut sum = 0.0;
    ys.iter()
        .map(|&y| {
            if !y.is_finite() {
                return y;
            }
            recent.push_back(y);
            sum += y;
            if recent.len() > window {
                sum -= recent.pop_front().unwrap_or(0.0);
            }
            sum / recent.len() as f64
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const KINDS: [SmoothKind; 4] = [
        SmoothKind::Ema,
        SmoothKind::TimeWeightedEma,
        SmoothKind::Gaussian,
        SmoothKind::RunningAverage,
    ];

    fn steps(n: usize) -> Vec<f64> {
        (0..n).map(|i| i as f64).collect()
    }

    #[test]
    fn zero_amount_and_none_change_nothing() {
        let ys = vec![1.0, 5.0, f64::NAN, 2.0];
        for kind in KINDS {
            assert_eq!(smooth(kind, 0.0, &steps(4), &ys)[..2], ys[..2]);
        }
        let out = smooth(SmoothKind::None, 0.9, &steps(4), &ys);
        assert_eq!(out[3], 2.0);
    }

    #[test]
    fn ema_is_debiased_and_follows_the_definition() {
        let out = smooth(SmoothKind::Ema, 0.5, &steps(3), &[4.0, 8.0, 8.0]);
        // The first point is itself; then (0.5·2 + 0.5·8) / (1 − 0.25) = 6.67.
        assert!((out[0] - 4.0).abs() < 1e-12);
        assert!((out[1] - 5.0 / 0.75).abs() < 1e-9);
        assert!(out[2] > out[1] && out[2] < 8.0);
    }

    #[test]
    fn time_weighted_ema_equals_ema_on_even_spacing_and_forgets_over_gaps() {
        let ys = [1.0, 3.0, 2.0, 7.0, 4.0];
        let even = smooth(SmoothKind::TimeWeightedEma, 0.7, &steps(5), &ys);
        let plain = smooth(SmoothKind::Ema, 0.7, &steps(5), &ys);
        for (a, b) in even.iter().zip(&plain) {
            assert!((a - b).abs() < 1e-9, "{even:?} vs {plain:?}");
        }
        // After a long pause the old level counts for little.
        let xs = [0.0, 1.0, 2.0, 3.0, 1000.0];
        let ys = [0.0, 0.0, 0.0, 0.0, 10.0];
        let out = smooth(SmoothKind::TimeWeightedEma, 0.9, &xs, &ys);
        assert!(out[4] > 9.0, "{out:?}");
    }

    #[test]
    fn gaussian_and_average_flatten_a_zigzag() {
        let ys: Vec<f64> = (0..200)
            .map(|i| if i % 2 == 0 { 1.0 } else { -1.0 })
            .collect();
        for kind in [SmoothKind::Gaussian, SmoothKind::RunningAverage] {
            let out = smooth(kind, 0.5, &steps(200), &ys);
            assert!(out[100..].iter().all(|v| v.abs() < 0.1), "{kind:?}");
        }
    }

    #[test]
    fn gaps_stay_gaps() {
        let ys = [1.0, f64::NAN, 3.0, f64::INFINITY, 5.0];
        for kind in KINDS {
            let out = smooth(kind, 0.8, &steps(5), &ys);
            assert!(out[1].is_nan() && out[3] == f64::INFINITY, "{kind:?}");
            assert!(out[0].is_finite() && out[2].is_finite() && out[4].is_finite());
        }
    }

    proptest! {
        /// Smoothing never leaves the range of the finite input, keeps the length
        /// and keeps every gap in place.
        #[test]
        fn stays_within_the_input_range(
            ys in prop::collection::vec(prop_oneof![
                8 => -1e6f64..1e6,
                1 => Just(f64::NAN),
            ], 0..200),
            gaps in prop::collection::vec(0.1f64..50.0, 200),
            amount in 0.0f64..0.999,
            k in 0usize..4,
        ) {
            let mut x = 0.0;
            let xs: Vec<f64> = gaps[..ys.len()].iter().map(|g| { x += g; x }).collect();
            let out = smooth(KINDS[k], amount, &xs, &ys);
            prop_assert_eq!(out.len(), ys.len());
            let finite: Vec<f64> = ys.iter().copied().filter(|v| v.is_finite()).collect();
            let lo = finite.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = finite.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            for (o, y) in out.iter().zip(&ys) {
                if y.is_finite() {
                    let slack = 1e-9 * (1.0 + lo.abs().max(hi.abs()));
                    prop_assert!(*o >= lo - slack && *o <= hi + slack, "{} not in {}..{}", o, lo, hi);
                } else {
                    prop_assert!(o.is_nan());
                }
            }
        }
    }
}
