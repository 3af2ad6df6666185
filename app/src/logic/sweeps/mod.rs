//! Sweeps: the configuration schema (shared with the browser, which checks a sweep
//! as it is typed) and the controller that decides a sweep's next run and which of
//! its runs to stop (server only: sampling, the Gaussian process for bayes, the
//! random forest for parameter importance).
//!
//! The controller is pure: it reads the sweep's configuration and what its runs have
//! done so far, and answers; the service decides inside one transaction, so any
//! number of agents asking at once never exceed a run cap or repeat a grid point.

pub mod config;
pub mod grid;
pub mod hyperband;
pub mod parcoords;

#[cfg(feature = "ssr")]
pub mod bayes;
#[cfg(feature = "ssr")]
pub mod importance;
#[cfg(feature = "ssr")]
pub mod sample;

pub use config::{Assignment, ConfigError, Dist, Method, SweepConfig};

/// What the controller knows about one of the sweep's runs.
#[derive(Clone, Debug, Default)]
pub struct PastRun {
    /// The run's parameter values as the sweep's key (see `config::assignment_key`).
    pub key: Option<String>,
    /// Its parameter values by leaf path (missing ones absent).
    pub params: Vec<(Vec<String>, serde_json::Value)>,
    pub outcome: Outcome,
    /// The metric's final value (its summary), when logged.
    pub metric: Option<f64>,
    /// Every logged value of the metric, in order (hyperband counts these).
    pub history: Vec<f64>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Outcome {
    /// Created for an agent, not yet started.
    #[default]
    Pending,
    Running,
    Finished,
    /// Failed, crashed or killed.
    Failed,
}

/// The controller's answer for a sweep's next run.
#[derive(Clone, Debug, PartialEq)]
pub enum Next {
    Run(Assignment),
    /// Nothing is left to try (a grid walked, or a space without replacement used up).
    Exhausted,
}

/// The next run of a cloud-controlled sweep.
#[cfg(feature = "ssr")]
pub fn next_run(cfg: &SweepConfig, past: &[PastRun], rng: &mut impl rand::Rng) -> Next {
    let used: std::collections::HashSet<&str> =
        past.iter().filter_map(|p| p.key.as_deref()).collect();
    match cfg.method {
        Method::Grid => grid::first_unused(cfg, &used).map_or(Next::Exhausted, Next::Run),
        Method::Random if cfg.random_without_replacement => {
            let start = rng.gen::<u64>();
            grid::unused_from(cfg, &used, start).map_or(Next::Exhausted, Next::Run)
        }
        Method::Random => Next::Run(sample::assignment(cfg, rng)),
        Method::Bayes => Next::Run(bayes::suggest(cfg, past, rng)),
    }
}
