//! Bayesian search as W&B's `sweeps` package does it: a Gaussian process (Matérn
//! ν = 3/2 kernel) over the parameters mapped onto [0, 1] by their distributions,
//! fitted to the runs' metric (standardised; failed runs imputed per
//! `metric.impute`), and the next run is the candidate, among many drawn from the
//! parameters' own distributions, with the largest expected improvement.
//!
//! The kernel's length scale is chosen by the marginal likelihood over a few
//! values; the latest `MAX_TRAINING` runs are used (W&B keeps 100).

use nalgebra::{Cholesky, DMatrix, DVector, Dyn};
use rand::Rng;
use serde_json::Value;
use statrs::distribution::{Continuous, ContinuousCDF, Normal};

use super::config::{Assignment, Dist, Goal, Impute, SweepConfig};
use super::sample::{assignment, to_unit};
use super::{Outcome, PastRun};

/// How many candidates the acquisition compares.
pub const CANDIDATES: usize = 1000;

/// Most runs the process learns from (the latest): fitting costs n³, and a heartbeat
/// waits for it. W&B keeps 100.
pub const MAX_TRAINING: usize = 500;

/// Length scales tried (on the unit cube), and the noise added to the diagonal.
const LENGTH_SCALES: [f64; 4] = [0.1, 0.2, 0.4, 0.8];
const NOISE: f64 = 1e-4;

fn matern32(r: f64, l: f64) -> f64 {
    let a = 3f64.sqrt() * r / l;
    (1.0 + a) * (-a).exp()
}

fn dist2(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y) * (x - y))
        .sum::<f64>()
        .sqrt()
}

/// A fitted process: training points, the Cholesky factor and `K⁻¹y`.
pub struct Gp {
    x: Vec<Vec<f64>>,
    l: f64,
    chol: Cholesky<f64, Dyn>,
    alpha: DVector<f64>,
}

impl Gp {
    /// Fits `y` (already standardised) at `x`, choosing the length scale with the
    /// highest marginal likelihood. None when no factorisation succeeds.
    pub fn fit(x: Vec<Vec<f64>>, y: &[f64]) -> Option<Gp> {
        let n = x.len();
        let yv = DVector::from_column_slice(y);
        let mut best: Option<(f64, Gp)> = None;
        for l in LENGTH_SCALES {
            let k = DMatrix::from_fn(n, n, |i, j| {
                matern32(dist2(&x[i], &x[j]), l) + if i == j { NOISE } else { 0.0 }
            });
            let Some(chol) = k.cholesky() else { continue };
            let alpha = chol.solve(&yv);
            let log_det: f64 = chol
                .l_dirty()
                .diagonal()
                .iter()
                .map(|d| d.ln())
                .sum::<f64>()
                * 2.0;
            let ll = -0.5 * yv.dot(&alpha) - 0.5 * log_det;
            if best.as_ref().is_none_or(|(b, _)| ll > *b) {
                best = Some((
                    ll,
                    Gp {
                        x: x.clone(),
                        l,
                        chol,
                        alpha,
                    },
                ));
            }
        }
        best.map(|(_, g)| g)
    }

    /// The posterior mean and standard deviation at `p`.
    pub fn predict(&self, p: &[f64]) -> (f64, f64) {
        let k = DVector::from_iterator(
            self.x.len(),
            self.x.iter().map(|xi| matern32(dist2(xi, p), self.l)),
        );
        let mean = k.dot(&self.alpha);
        let v = self.chol.solve(&k);
        let var = (1.0 + NOISE - k.dot(&v)).max(1e-12);
        (mean, var.sqrt())
    }
}

/// Expected improvement below `best` (minimising) of a normal `(mean, sd)`.
pub fn expected_improvement(mean: f64, sd: f64, best: f64) -> f64 {
    let Ok(n) = Normal::new(0.0, 1.0) else {
        return 0.0;
    };
    let gain = best - mean - 0.01;
    let z = gain / sd;
    gain * n.cdf(z) + sd * n.pdf(z)
}

/// The value each run teaches the process (None: left out), on the "lower is
/// better" scale.
fn training_values(cfg: &SweepConfig, past: &[PastRun]) -> Vec<(usize, f64)> {
    let Some(metric) = &cfg.metric else {
        return Vec::new();
    };
    let sign = if metric.goal == Goal::Maximize {
        -1.0
    } else {
        1.0
    };
    let finished: Vec<f64> = past
        .iter()
        .filter(|p| p.outcome == Outcome::Finished)
        .filter_map(|p| p.metric.filter(|m| m.is_finite()))
        .map(|m| m * sign)
        .collect();
    let worst = finished.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let best = finished.iter().copied().fold(f64::INFINITY, f64::min);
    let impute = |how: Impute, p: &PastRun| -> Option<f64> {
        match how {
            Impute::Worst => worst.is_finite().then_some(worst),
            Impute::Best => best.is_finite().then_some(best),
            Impute::Latest => p
                .history
                .last()
                .or(p.metric.as_ref())
                .map(|m| m * sign)
                .or(worst.is_finite().then_some(worst)),
        }
    };
    past.iter()
        .enumerate()
        .filter_map(|(i, p)| {
            let v = match p.outcome {
                Outcome::Finished => match p.metric.filter(|m| m.is_finite()) {
                    Some(m) => Some(m * sign),
                    None => impute(metric.impute, p),
                },
                Outcome::Failed => impute(metric.impute, p),
                Outcome::Running | Outcome::Pending => {
                    metric.impute_while_running.and_then(|how| impute(how, p))
                }
            };
            v.map(|v| (i, v))
        })
        .collect()
}

/// Where an assignment sits on the unit cube (only the non-constant parameters).
fn point(dists: &[(Vec<String>, &Dist)], params: &[(Vec<String>, Value)]) -> Option<Vec<f64>> {
    dists
        .iter()
        .filter(|(_, d)| !matches!(d, Dist::Constant(_)))
        .map(|(path, d)| {
            let v = params.iter().find(|(p, _)| p == path).map(|(_, v)| v)?;
            to_unit(d, v)
        })
        .collect()
}

/// The next parameters to try. With fewer than two runs to learn from, a random
/// draw.
pub fn suggest(cfg: &SweepConfig, past: &[PastRun], rng: &mut impl Rng) -> Assignment {
    let dists = cfg.leaves();
    let mut xs = Vec::new();
    let mut ys = Vec::new();
    let values = training_values(cfg, past);
    let skip = values.len().saturating_sub(MAX_TRAINING);
    for (i, y) in values.into_iter().skip(skip) {
        if let Some(x) = point(&dists, &past[i].params) {
            xs.push(x);
            ys.push(y);
        }
    }
    if xs.len() < 2 || xs.first().is_none_or(|x| x.is_empty()) {
        return assignment(cfg, rng);
    }
    let mean = ys.iter().sum::<f64>() / ys.len() as f64;
    let sd = (ys.iter().map(|y| (y - mean).powi(2)).sum::<f64>() / ys.len() as f64).sqrt();
    let sd = if sd > 1e-12 { sd } else { 1.0 };
    let norm: Vec<f64> = ys.iter().map(|y| (y - mean) / sd).collect();
    let best = norm.iter().copied().fold(f64::INFINITY, f64::min);
    let Some(gp) = Gp::fit(xs, &norm) else {
        return assignment(cfg, rng);
    };
    let mut chosen: Option<(f64, Assignment)> = None;
    for _ in 0..CANDIDATES {
        let cand = assignment(cfg, rng);
        let Some(x) = point(&dists, &cand) else {
            continue;
        };
        let (m, s) = gp.predict(&x);
        let ei = expected_improvement(m, s, best);
        if chosen.as_ref().is_none_or(|(b, _)| ei > *b) {
            chosen = Some((ei, cand));
        }
    }
    chosen.map_or_else(|| assignment(cfg, rng), |(_, a)| a)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logic::sweeps::config::{assignment_config, parse};
    use rand::{rngs::StdRng, SeedableRng};

    /// A bowl with its minimum at (0.3, 0.7), plus a ripple.
    fn f(x: f64, y: f64) -> f64 {
        (x - 0.3).powi(2) + (y - 0.7).powi(2) + 0.05 * (8.0 * x).sin()
    }

    fn run(method: &str, seed: u64, n: usize) -> f64 {
        let cfg = parse(&format!(
            "method: {method}\nmetric: {{name: loss, goal: minimize}}\nparameters:\n  x: {{min: 0.0, max: 1.0}}\n  y: {{min: 0.0, max: 1.0}}\n"
        ))
        .unwrap();
        let mut rng = StdRng::seed_from_u64(seed);
        let mut past: Vec<PastRun> = Vec::new();
        for _ in 0..n {
            let a = if method == "bayes" {
                suggest(&cfg, &past, &mut rng)
            } else {
                assignment(&cfg, &mut rng)
            };
            let c = assignment_config(&a);
            let loss = f(c["x"].as_f64().unwrap(), c["y"].as_f64().unwrap());
            past.push(PastRun {
                key: None,
                params: a,
                outcome: Outcome::Finished,
                metric: Some(loss),
                history: vec![loss],
            });
        }
        past.iter()
            .filter_map(|p| p.metric)
            .fold(f64::INFINITY, f64::min)
    }

    #[test]
    fn bayes_beats_random_on_a_known_function() {
        let seeds = 0..6u64;
        let bayes: f64 = seeds.clone().map(|s| run("bayes", s, 30)).sum::<f64>() / 6.0;
        let random: f64 = seeds.map(|s| run("random", s, 30)).sum::<f64>() / 6.0;
        // The function's minimum is about -0.05; bayes should get closer.
        assert!(bayes < random, "bayes {bayes} vs random {random}");
    }

    #[test]
    fn failed_runs_are_imputed_as_the_worst() {
        let cfg =
            parse("method: bayes\nmetric: {name: loss}\nparameters:\n  x: {min: 0.0, max: 1.0}\n")
                .unwrap();
        let mk = |x: f64, outcome, metric| PastRun {
            key: None,
            params: vec![(vec!["x".into()], serde_json::json!(x))],
            outcome,
            metric,
            history: vec![],
        };
        let past = vec![
            mk(0.1, Outcome::Finished, Some(1.0)),
            mk(0.5, Outcome::Finished, Some(3.0)),
            mk(0.9, Outcome::Failed, None),
            mk(0.7, Outcome::Running, None),
        ];
        let t = training_values(&cfg, &past);
        assert_eq!(t, vec![(0, 1.0), (1, 3.0), (2, 3.0)]);
    }
}
