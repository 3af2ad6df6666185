//! Walking a discrete space: the cartesian product of every parameter's values,
//! the last parameter changing fastest (as `itertools.product` orders it), skipping
//! combinations the sweep already has.

use std::collections::HashSet;

use super::config::{assignment_key, Assignment, SweepConfig};
use serde_json::Value;

/// The discrete axes of the space, or None when a parameter is continuous.
fn axes(cfg: &SweepConfig) -> Option<Vec<(Vec<String>, Vec<Value>)>> {
    cfg.leaves()
        .into_iter()
        .map(|(p, d)| d.grid_values().map(|v| (p, v)))
        .collect()
}

/// The `index`th combination (mixed radix, last axis fastest).
fn decode(axes: &[(Vec<String>, Vec<Value>)], mut index: u64) -> Assignment {
    let mut out: Assignment = Vec::with_capacity(axes.len());
    for (path, values) in axes.iter().rev() {
        let n = values.len() as u64;
        out.push((path.clone(), values[(index % n) as usize].clone()));
        index /= n;
    }
    out.reverse();
    out
}

/// The first combination, in product order, that `used` lacks.
pub fn first_unused(cfg: &SweepConfig, used: &HashSet<&str>) -> Option<Assignment> {
    unused_from(cfg, used, 0)
}

/// The first unused combination at or after `start` (modulo the size), wrapping
/// around: a random start gives a random draw without replacement.
pub fn unused_from(cfg: &SweepConfig, used: &HashSet<&str>, start: u64) -> Option<Assignment> {
    let axes = axes(cfg)?;
    let size = cfg.grid_size()?;
    if size == 0 {
        return None;
    }
    let start = start % size;
    for i in 0..size {
        let a = decode(&axes, (start + i) % size);
        if !used.contains(assignment_key(&a).as_str()) {
            return Some(a);
        }
    }
    None
}

/// Every combination in order (for tests and small spaces).
pub fn all(cfg: &SweepConfig) -> Vec<Assignment> {
    let (Some(axes), Some(size)) = (axes(cfg), cfg.grid_size()) else {
        return Vec::new();
    };
    (0..size).map(|i| decode(&axes, i)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logic::sweeps::config::parse;

    #[test]
    fn product_order_and_skipping() {
        let cfg =
            parse("method: grid\nparameters:\n  a: {values: [1, 2]}\n  b: {values: [x, y, z]}\n")
                .unwrap();
        assert_eq!(cfg.grid_size(), Some(6));
        let every = all(&cfg);
        assert_eq!(every.len(), 6);
        assert_eq!(assignment_key(&every[0]), r#"{"a":1,"b":"x"}"#);
        assert_eq!(assignment_key(&every[1]), r#"{"a":1,"b":"y"}"#);
        assert_eq!(assignment_key(&every[5]), r#"{"a":2,"b":"z"}"#);
        let keys: Vec<String> = every.iter().map(assignment_key).collect();
        let mut used: HashSet<&str> = HashSet::new();
        for k in &keys {
            let next = first_unused(&cfg, &used).unwrap();
            assert_eq!(&assignment_key(&next), k);
            used.insert(k);
        }
        assert!(first_unused(&cfg, &used).is_none());
    }

    #[test]
    fn int_and_q_uniform_are_discrete() {
        let cfg = parse("method: grid\nparameters:\n  n: {min: 1, max: 3}\n  q: {distribution: q_uniform, min: 0, max: 1, q: 0.25}\n  nested:\n    parameters:\n      c: {value: 7}\n").unwrap();
        assert_eq!(cfg.grid_size(), Some(15));
        let keys: HashSet<String> = all(&cfg).iter().map(assignment_key).collect();
        assert_eq!(keys.len(), 15);
        assert!(
            keys.contains(r#"{"n":2,"nested":{"c":7},"q":0.75}"#),
            "{keys:?}"
        );
    }

    #[test]
    fn wrapping_start_finds_the_last_free_one() {
        let cfg = parse("method: grid\nparameters:\n  a: {values: [1, 2, 3, 4]}\n").unwrap();
        let keys: Vec<String> = all(&cfg).iter().map(assignment_key).collect();
        let used: HashSet<&str> = [&keys[0], &keys[1], &keys[3]]
            .iter()
            .map(|s| s.as_str())
            .collect();
        for start in 0..10 {
            let a = unused_from(&cfg, &used, start).unwrap();
            assert_eq!(assignment_key(&a), keys[2]);
        }
    }
}
