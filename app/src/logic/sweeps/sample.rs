//! Drawing parameter values from their distributions, and mapping a value onto
//! [0, 1] through its distribution's CDF (how bayes compares points).

use rand::Rng;
use rand_distr::{Beta, Distribution, LogNormal, Normal, WeightedIndex};
use serde_json::Value;
use statrs::distribution::{ContinuousCDF, Normal as NormalCdf};

use super::config::{number, quantize, Assignment, Dist, SweepConfig};

fn q(x: f64, q: Option<f64>) -> Value {
    match q {
        Some(q) => number(quantize(x, q)),
        None => number(x),
    }
}

/// One draw from a distribution.
pub fn draw(d: &Dist, rng: &mut impl Rng) -> Value {
    match d {
        Dist::Constant(v) => v.clone(),
        Dist::Categorical {
            values,
            probabilities,
        } => {
            let i = match probabilities
                .as_ref()
                .and_then(|p| WeightedIndex::new(p).ok())
            {
                Some(w) => w.sample(rng),
                None => rng.gen_range(0..values.len()),
            };
            values[i].clone()
        }
        Dist::IntUniform { min, max } => Value::from(rng.gen_range(*min..=*max)),
        Dist::Uniform { min, max } => number(rng.gen_range(*min..*max)),
        Dist::QUniform { min, max, q: step } => q(rng.gen_range(*min..*max), Some(*step)),
        Dist::LogUniform { min, max, q: step } => q(rng.gen_range(*min..*max).exp(), *step),
        Dist::LogUniformValues { min, max, q: step } => {
            q(rng.gen_range(min.ln()..max.ln()).exp(), *step)
        }
        Dist::InvLogUniform { min, max } => number((-rng.gen_range(*min..*max)).exp()),
        Dist::InvLogUniformValues { min, max } => {
            // 1/X is log-uniform between 1/max and 1/min.
            let inv = rng.gen_range((1.0 / max).ln()..(1.0 / min).ln()).exp();
            number(1.0 / inv)
        }
        Dist::Normal { mu, sigma, q: step } => {
            let n = Normal::new(*mu, *sigma).map_or(*mu, |n| n.sample(rng));
            q(n, *step)
        }
        Dist::LogNormal { mu, sigma, q: step } => {
            let n = LogNormal::new(*mu, *sigma).map_or(mu.exp(), |n| n.sample(rng));
            q(n, *step)
        }
        Dist::Beta { a, b, q: step } => {
            let n = Beta::new(*a, *b).map_or(0.5, |n| n.sample(rng));
            q(n, *step)
        }
    }
}

/// One draw of every parameter.
pub fn assignment(cfg: &SweepConfig, rng: &mut impl Rng) -> Assignment {
    cfg.leaves()
        .into_iter()
        .map(|(p, d)| {
            let v = draw(d, rng);
            (p, v)
        })
        .collect()
}

fn std_normal_cdf(z: f64) -> f64 {
    NormalCdf::new(0.0, 1.0).map_or(0.5, |n| n.cdf(z))
}

fn lin(x: f64, min: f64, max: f64) -> f64 {
    if max > min {
        ((x - min) / (max - min)).clamp(0.0, 1.0)
    } else {
        0.5
    }
}

/// Where a value sits in its distribution, on [0, 1]: the CDF for continuous ones
/// (uniform on the log scale for log distributions), the index for categorical
/// ones. None for a value the distribution cannot hold.
pub fn to_unit(d: &Dist, v: &Value) -> Option<f64> {
    let x = v.as_f64();
    Some(match d {
        Dist::Constant(_) => 0.5,
        Dist::Categorical { values, .. } => {
            let i = values.iter().position(|c| c == v)?;
            if values.len() > 1 {
                i as f64 / (values.len() - 1) as f64
            } else {
                0.5
            }
        }
        Dist::IntUniform { min, max } => lin(x?, *min as f64, *max as f64),
        Dist::Uniform { min, max } | Dist::QUniform { min, max, .. } => lin(x?, *min, *max),
        Dist::LogUniform { min, max, .. } | Dist::InvLogUniform { min, max } => {
            let x = x?;
            if x <= 0.0 {
                return None;
            }
            let e = if matches!(d, Dist::InvLogUniform { .. }) {
                -x.ln()
            } else {
                x.ln()
            };
            lin(e, *min, *max)
        }
        Dist::LogUniformValues { min, max, .. } | Dist::InvLogUniformValues { min, max } => {
            let x = x?;
            if x <= 0.0 {
                return None;
            }
            lin(x.ln(), min.ln(), max.ln())
        }
        Dist::Normal { mu, sigma, .. } => std_normal_cdf((x? - mu) / sigma),
        Dist::LogNormal { mu, sigma, .. } => {
            let x = x?;
            if x <= 0.0 {
                return None;
            }
            std_normal_cdf((x.ln() - mu) / sigma)
        }
        Dist::Beta { a, b, .. } => {
            let x = x?.clamp(0.0, 1.0);
            statrs::distribution::Beta::new(*a, *b).map_or(x, |d| d.cdf(x))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logic::sweeps::config::parse;
    use proptest::prelude::*;
    use rand::{rngs::StdRng, SeedableRng};

    fn one(yaml: &str) -> Dist {
        let cfg = parse(&format!("method: random\nparameters:\n  x: {yaml}\n")).unwrap();
        cfg.leaves()[0].1.clone()
    }

    fn draws(d: &Dist, n: usize) -> Vec<f64> {
        let mut rng = StdRng::seed_from_u64(7);
        (0..n)
            .map(|_| draw(d, &mut rng).as_f64().unwrap())
            .collect()
    }

    fn mean(v: &[f64]) -> f64 {
        v.iter().sum::<f64>() / v.len() as f64
    }

    #[test]
    fn bounds_quantisation_and_scales() {
        let v = draws(&one("{distribution: int_uniform, min: -2, max: 3}"), 5000);
        assert!(v
            .iter()
            .all(|x| x.fract() == 0.0 && (-2.0..=3.0).contains(x)));
        for k in -2..=3 {
            assert!(v.contains(&(k as f64)), "{k} never drawn");
        }
        let v = draws(
            &one("{distribution: q_uniform, min: 0, max: 1, q: 0.1}"),
            2000,
        );
        assert!(v
            .iter()
            .all(|x| (x * 10.0 - (x * 10.0).round()).abs() < 1e-9 && (0.0..=1.0).contains(x)));
        let v = draws(
            &one("{distribution: log_uniform_values, min: 0.0001, max: 0.1}"),
            20000,
        );
        assert!(v.iter().all(|x| (0.0001..=0.1).contains(x)));
        // log-uniform: a quarter of the draws per decade... a third per decade of three
        let below_1e3 = v.iter().filter(|x| **x < 0.001).count() as f64 / v.len() as f64;
        assert!((below_1e3 - 1.0 / 3.0).abs() < 0.02, "{below_1e3}");
        let v = draws(
            &one("{distribution: log_uniform, min: -9.2, max: -2.3}"),
            2000,
        );
        assert!(v
            .iter()
            .all(|x| ((-9.2f64).exp()..=(-2.3f64).exp()).contains(x)));
        let v = draws(
            &one("{distribution: inv_log_uniform_values, min: 0.01, max: 1}"),
            2000,
        );
        assert!(v.iter().all(|x| (0.01..=1.0 + 1e-12).contains(x)));
        let v = draws(
            &one("{distribution: inv_log_uniform, min: 0, max: 4}"),
            2000,
        );
        assert!(v.iter().all(|x| ((-4f64).exp()..=1.0).contains(x)));
        let v = draws(&one("{distribution: normal, mu: 5, sigma: 2}"), 20000);
        assert!((mean(&v) - 5.0).abs() < 0.1);
        let v = draws(
            &one("{distribution: q_normal, mu: 0, sigma: 10, q: 5}"),
            500,
        );
        assert!(v.iter().all(|x| x % 5.0 == 0.0));
        let v = draws(&one("{distribution: log_normal, mu: 0, sigma: 0.5}"), 20000);
        assert!(v.iter().all(|x| *x > 0.0));
        let med = {
            let mut s = v.clone();
            s.sort_by(f64::total_cmp);
            s[s.len() / 2]
        };
        assert!((med - 1.0).abs() < 0.05, "{med}");
        let v = draws(&one("{distribution: beta, a: 2, b: 6}"), 20000);
        assert!(v.iter().all(|x| (0.0..=1.0).contains(x)));
        assert!((mean(&v) - 0.25).abs() < 0.01);
        let v = draws(&one("{distribution: q_beta, a: 2, b: 2, q: 0.5}"), 500);
        assert!(v.iter().all(|x| [0.0, 0.5, 1.0].contains(x)));
        let v = draws(
            &one("{distribution: q_log_uniform_values, min: 1, max: 1000, q: 1}"),
            500,
        );
        assert!(v.iter().all(|x| x.fract() == 0.0));
    }

    #[test]
    fn categorical_probabilities_hold_over_many_draws() {
        let d = one("{values: [a, b, c], probabilities: [0.7, 0.2, 0.1]}");
        let mut rng = StdRng::seed_from_u64(1);
        let n = 20000;
        let mut counts = [0usize; 3];
        for _ in 0..n {
            match draw(&d, &mut rng).as_str().unwrap() {
                "a" => counts[0] += 1,
                "b" => counts[1] += 1,
                _ => counts[2] += 1,
            }
        }
        for (c, p) in counts.iter().zip([0.7, 0.2, 0.1]) {
            assert!((*c as f64 / n as f64 - p).abs() < 0.015, "{counts:?}");
        }
    }

    proptest! {
        #[test]
        fn unit_values_stay_in_range(lo in -100.0f64..100.0, span in 0.001f64..100.0, seed in 0u64..1000) {
            let d = Dist::Uniform { min: lo, max: lo + span };
            let mut rng = StdRng::seed_from_u64(seed);
            let v = draw(&d, &mut rng);
            let u = to_unit(&d, &v).unwrap();
            prop_assert!((0.0..=1.0).contains(&u));
            let x = v.as_f64().unwrap();
            prop_assert!(x >= lo && x <= lo + span);
        }
    }
}
