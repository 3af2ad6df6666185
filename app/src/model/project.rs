use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

use super::ProjectRef;

/// Who may see a project (SPEC.md §8).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    Private,
    Team,
    Restricted,
    Public,
    Open,
}

impl Visibility {
    pub const ALL: [Visibility; 5] = [
        Visibility::Private,
        Visibility::Team,
        Visibility::Restricted,
        Visibility::Public,
        Visibility::Open,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Private => "private",
            Visibility::Team => "team",
            Visibility::Restricted => "restricted",
            Visibility::Public => "public",
            Visibility::Open => "open",
        }
    }
}

impl fmt::Display for Visibility {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Visibility {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Visibility::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| format!("unknown visibility {s:?}; expected one of private, team, restricted, public, open"))
    }
}

/// One line of the home page's project list.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct ProjectCard {
    pub project: ProjectRef,
    pub description: String,
    pub visibility: Visibility,
    pub run_count: u64,
    /// Unix milliseconds of the last logged data; `None` for a project with no data yet.
    pub last_active_ms: Option<i64>,
    /// Whether the viewer starred it.
    #[serde(default)]
    pub starred: bool,
}

/// Everything the Overview tab shows.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct ProjectOverview {
    pub project: ProjectRef,
    pub description: String,
    pub visibility: Visibility,
    pub created_by: String,
    pub created_at_ms: i64,
    pub last_active_ms: Option<i64>,
    /// Distinct usernames that logged runs, sorted.
    pub contributors: Vec<String>,
    pub total_runs: u64,
    /// Sum of all runs' runtimes, in seconds.
    pub total_compute_seconds: f64,
    /// The project's runs, newest first (soft-deleted ones left out).
    pub runs: Vec<super::RunSummaryRow>,
    /// Soft-deleted runs ("Undelete all runs" brings them back).
    #[serde(default)]
    pub deleted_runs: u64,
    #[serde(default)]
    pub starred: bool,
    /// Whether the viewer is signed in (and so can star).
    #[serde(default)]
    pub signed_in: bool,
    /// Whether the viewer may log runs, edit the description and delete runs.
    #[serde(default)]
    pub can_write: bool,
    /// Whether the viewer may rename, change visibility and members, and delete it.
    #[serde(default)]
    pub can_manage: bool,
    /// `restricted` projects: the usernames on the member list (for those who manage it).
    #[serde(default)]
    pub members: Vec<String>,
}
