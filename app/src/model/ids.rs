use serde::{Deserialize, Serialize};
use std::fmt;

/// A run's id: unique within its project, shown in URLs.
#[derive(
    Serialize,
    Deserialize,
    Clone,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    bitcode::Encode,
    bitcode::Decode,
)]
pub struct RunId(pub String);

impl fmt::Display for RunId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A project addressed the way URLs address it: `{entity}/{project}`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Hash)]
pub struct ProjectRef {
    pub entity: String,
    pub project: String,
}

impl ProjectRef {
    pub fn new(entity: impl Into<String>, project: impl Into<String>) -> Self {
        Self {
            entity: entity.into(),
            project: project.into(),
        }
    }

    /// The project's page, with both segments percent-encoded.
    pub fn href(&self) -> String {
        format!(
            "/{}/{}",
            crate::logic::url::encode_segment(&self.entity),
            crate::logic::url::encode_segment(&self.project)
        )
    }

    /// A run page inside this project.
    pub fn run_href(&self, run: &RunId) -> String {
        format!(
            "{}/runs/{}",
            self.href(),
            crate::logic::url::encode_segment(&run.0)
        )
    }
}
