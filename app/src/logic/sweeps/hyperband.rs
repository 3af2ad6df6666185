//! Hyperband early termination, counted in logged values of the metric (as W&B
//! counts it, not in `_step`): at each band, the runs that reached it are ranked by
//! the metric's value there, and a running run outside the best `1/eta` fraction is
//! stopped. Without `strict` only the last band a run has reached judges it.

use super::config::{Goal, SweepConfig};
use super::{Outcome, PastRun};

/// The `q`-quantile of `v` (linear interpolation, as numpy's default).
fn quantile(v: &mut [f64], q: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    let pos = q.clamp(0.0, 1.0) * (v.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    v[lo] + (v[hi] - v[lo]) * (pos - lo as f64)
}

/// The indices of running runs to stop.
pub fn to_stop(cfg: &SweepConfig, runs: &[PastRun]) -> Vec<usize> {
    let (Some(hb), Some(metric)) = (&cfg.early_terminate, &cfg.metric) else {
        return Vec::new();
    };
    let sign = if metric.goal == Goal::Maximize {
        -1.0
    } else {
        1.0
    };
    let longest = runs.iter().map(|r| r.history.len()).max().unwrap_or(0) as u64;
    let bands = hb.bands(longest);
    // For each band, the threshold a run must not be above (lower is better).
    let thresholds: Vec<(u64, f64)> = bands
        .iter()
        .filter_map(|&b| {
            let mut at: Vec<f64> = runs
                .iter()
                .filter_map(|r| r.history.get(b as usize - 1).map(|v| v * sign))
                .filter(|v| v.is_finite())
                .collect();
            (!at.is_empty()).then(|| (b, quantile(&mut at, 1.0 / hb.eta)))
        })
        .collect();
    runs.iter()
        .enumerate()
        .filter(|(_, r)| r.outcome == Outcome::Running)
        .filter(|(_, r)| {
            let reached: Vec<&(u64, f64)> = thresholds
                .iter()
                .filter(|(b, _)| r.history.len() as u64 >= *b)
                .collect();
            let judged: Vec<&&(u64, f64)> = if hb.strict {
                reached.iter().collect()
            } else {
                reached.last().into_iter().collect()
            };
            judged.iter().any(|(b, t)| {
                let v = r.history[*b as usize - 1] * sign;
                v.is_finite() && v > *t + 1e-12
            })
        })
        .map(|(i, _)| i)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logic::sweeps::config::parse;

    fn run(outcome: Outcome, history: &[f64]) -> PastRun {
        PastRun {
            outcome,
            history: history.to_vec(),
            ..PastRun::default()
        }
    }

    #[test]
    fn bands_from_min_iter_and_from_max_iter() {
        let cfg = parse("method: random\nmetric: {name: loss}\nearly_terminate: {type: hyperband, min_iter: 3}\nparameters: {x: {values: [1]}}\n").unwrap();
        assert_eq!(
            cfg.early_terminate.as_ref().unwrap().bands(30),
            vec![3, 9, 27]
        );
        let cfg = parse("method: random\nmetric: {name: loss}\nearly_terminate: {type: hyperband, max_iter: 27, s: 2, eta: 3}\nparameters: {x: {values: [1]}}\n").unwrap();
        assert_eq!(cfg.early_terminate.as_ref().unwrap().bands(0), vec![3, 9]);
    }

    #[test]
    fn the_worse_runs_at_a_band_stop_and_finished_ones_never() {
        let cfg = parse("method: random\nmetric: {name: loss, goal: minimize}\nearly_terminate: {type: hyperband, min_iter: 2, eta: 3}\nparameters: {x: {values: [1]}}\n").unwrap();
        let runs = vec![
            run(Outcome::Finished, &[5.0, 1.0, 0.5]),
            run(Outcome::Running, &[5.0, 2.0]),
            run(Outcome::Running, &[5.0, 9.0]),
            run(Outcome::Running, &[5.0]), // not at a band yet
            run(Outcome::Finished, &[5.0, 8.0]),
        ];
        // values at band 2: 1, 2, 9, 8 -> the 1/3 quantile is 2.0: 9 stops.
        assert_eq!(to_stop(&cfg, &runs), vec![2]);
        // maximise: the same numbers, the other way round
        let cfg = parse("method: random\nmetric: {name: acc, goal: maximize}\nearly_terminate: {type: hyperband, min_iter: 2, eta: 3}\nparameters: {x: {values: [1]}}\n").unwrap();
        assert_eq!(to_stop(&cfg, &runs), vec![1]);
    }

    #[test]
    fn strict_judges_every_band_reached() {
        let base = "method: random\nmetric: {name: loss}\nparameters: {x: {values: [1]}}\n";
        let lax = parse(&format!(
            "{base}early_terminate: {{type: hyperband, min_iter: 1, eta: 2}}\n"
        ))
        .unwrap();
        let strict = parse(&format!(
            "{base}early_terminate: {{type: hyperband, min_iter: 1, eta: 2, strict: true}}\n"
        ))
        .unwrap();
        // Run 0 was bad at band 1 and is fine at band 2.
        let runs = vec![
            run(Outcome::Running, &[9.0, 1.0]),
            run(Outcome::Finished, &[1.0, 2.0]),
            run(Outcome::Finished, &[2.0, 3.0]),
        ];
        assert!(to_stop(&lax, &runs).is_empty());
        assert_eq!(to_stop(&strict, &runs), vec![0]);
    }
}
