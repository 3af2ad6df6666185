//! Parameter importance, as W&B's panel shows it: each parameter's linear
//! correlation with the metric, and its importance from a random forest fitted to
//! predict the metric from every parameter (here, permutation importance: how much
//! the forest's error grows when that parameter's column is shuffled, as a share of
//! the total).

use rand::{rngs::StdRng, seq::SliceRandom, SeedableRng};
use smartcore::ensemble::random_forest_regressor::{
    RandomForestRegressor, RandomForestRegressorParameters,
};
use smartcore::linalg::basic::matrix::DenseMatrix;

/// Trees in the forest, and the most runs it learns from (the latest ones): enough
/// for stable rankings, and a sweep page of thousands of runs stays quick.
const TREES: usize = 40;
pub const MAX_ROWS: usize = 1000;

/// One parameter's scores.
#[derive(Clone, Debug, PartialEq)]
pub struct Score {
    pub name: String,
    /// Pearson correlation with the metric, None when either side is constant.
    pub correlation: Option<f64>,
    /// Share of the forest's permutation importance, 0..1 (None: too few runs).
    pub importance: Option<f64>,
}

pub fn pearson(x: &[f64], y: &[f64]) -> Option<f64> {
    let n = x.len().min(y.len());
    if n < 2 {
        return None;
    }
    let mx = x[..n].iter().sum::<f64>() / n as f64;
    let my = y[..n].iter().sum::<f64>() / n as f64;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for i in 0..n {
        let (dx, dy) = (x[i] - mx, y[i] - my);
        sxy += dx * dy;
        sxx += dx * dx;
        syy += dy * dy;
    }
    (sxx > 1e-300 && syy > 1e-300).then(|| sxy / (sxx * syy).sqrt())
}

fn mse(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y).powi(2)).sum::<f64>() / a.len().max(1) as f64
}

/// Scores for each named column of `x` (numbers per run) against `y`.
pub fn scores(columns: &[(String, Vec<f64>)], y: &[f64]) -> Vec<Score> {
    let n = y.len();
    let mut out: Vec<Score> = columns
        .iter()
        .map(|(name, col)| Score {
            name: name.clone(),
            correlation: pearson(col, y),
            importance: None,
        })
        .collect();
    if n < 5 || columns.is_empty() {
        return out;
    }
    // The latest runs when there are more than the forest needs.
    let skip = n.saturating_sub(MAX_ROWS);
    let y = &y[skip..];
    let n = y.len();
    let rows: Vec<Vec<f64>> = (0..n)
        .map(|i| columns.iter().map(|(_, c)| c[skip + i]).collect())
        .collect();
    let Ok(x) = DenseMatrix::from_2d_vec(&rows) else {
        return out;
    };
    let params = RandomForestRegressorParameters::default()
        .with_n_trees(TREES)
        .with_min_samples_leaf(2)
        .with_max_depth(10)
        .with_seed(17);
    let target = y.to_vec();
    let Ok(forest) = RandomForestRegressor::fit(&x, &target, params) else {
        return out;
    };
    let Ok(base) = forest.predict(&x) else {
        return out;
    };
    let base_err = mse(&base, y);
    let mut rng = StdRng::seed_from_u64(23);
    let mut raw = Vec::with_capacity(columns.len());
    for j in 0..columns.len() {
        let mut perm: Vec<usize> = (0..n).collect();
        perm.shuffle(&mut rng);
        let shuffled: Vec<Vec<f64>> = rows
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let mut r = r.clone();
                r[j] = rows[perm[i]][j];
                r
            })
            .collect();
        let grown = DenseMatrix::from_2d_vec(&shuffled)
            .ok()
            .and_then(|m| forest.predict(&m).ok())
            .map_or(0.0, |p| (mse(&p, y) - base_err).max(0.0));
        raw.push(grown);
    }
    let total: f64 = raw.iter().sum();
    for (s, r) in out.iter_mut().zip(raw) {
        s.importance = Some(if total > 0.0 { r / total } else { 0.0 });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    #[test]
    fn the_parameter_that_drives_the_metric_ranks_first() {
        let mut rng = StdRng::seed_from_u64(5);
        let n = 200;
        let lr: Vec<f64> = (0..n).map(|_| rng.gen_range(0.0..1.0)).collect();
        let noise: Vec<f64> = (0..n).map(|_| rng.gen_range(0.0..1.0)).collect();
        let y: Vec<f64> = lr
            .iter()
            .zip(&noise)
            .map(|(a, b)| 3.0 * a + 0.1 * b)
            .collect();
        let s = scores(&[("lr".into(), lr), ("noise".into(), noise)], &y);
        assert!(s[0].correlation.unwrap() > 0.95);
        assert!(s[1].correlation.unwrap().abs() < 0.3);
        assert!(s[0].importance.unwrap() > 0.8, "{s:?}");
        let sum: f64 = s.iter().filter_map(|x| x.importance).sum();
        assert!((sum - 1.0).abs() < 1e-9);
    }

    #[test]
    fn constants_and_tiny_inputs_give_no_score() {
        assert_eq!(pearson(&[1.0, 1.0, 1.0], &[1.0, 2.0, 3.0]), None);
        let s = scores(&[("a".into(), vec![1.0, 2.0])], &[1.0, 2.0]);
        assert_eq!(s[0].importance, None);
        assert!((s[0].correlation.unwrap() - 1.0).abs() < 1e-12);
    }
}
