//! Accounts, teams and project administration as the UI sees them.

use serde::{Deserialize, Serialize};
use std::str::FromStr;

use super::{ProjectCard, ProjectRef, Viewer, Visibility};

/// A member's role in a team.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum TeamRole {
    Admin,
    Member,
    Viewer,
}

impl TeamRole {
    pub const ALL: [TeamRole; 3] = [TeamRole::Admin, TeamRole::Member, TeamRole::Viewer];

    pub fn as_str(self) -> &'static str {
        match self {
            TeamRole::Admin => "admin",
            TeamRole::Member => "member",
            TeamRole::Viewer => "viewer",
        }
    }
}

impl FromStr for TeamRole {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TeamRole::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| format!("unknown role {s:?}; expected admin, member or viewer"))
    }
}

/// One API key as its owner sees it: never the key itself, which is shown only once.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct ApiKeyInfo {
    pub id: i32,
    pub name: String,
    /// The key's first characters, to tell keys apart.
    pub prefix: String,
    pub created_ms: i64,
    pub last_used_ms: Option<i64>,
    pub revoked_ms: Option<i64>,
}

/// A key just made: the only time its secret leaves the server.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct NewApiKey {
    pub info: ApiKeyInfo,
    pub key: String,
}

/// A soft-deleted project a site admin may still restore.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct DeletedProject {
    pub id: i32,
    pub project: ProjectRef,
    pub deleted_ms: i64,
    /// When the purge removes it and its files for good.
    pub purge_ms: i64,
}

/// What site admins see on the settings page.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct SiteAdmin {
    pub signup_enabled: bool,
    /// Automations may send webhooks to private and loopback addresses.
    #[serde(default)]
    pub private_webhooks: bool,
    pub deleted_projects: Vec<DeletedProject>,
}

/// The settings page of the signed-in user.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct AccountSettings {
    pub viewer: Viewer,
    pub api_keys: Vec<ApiKeyInfo>,
    /// Teams the user belongs to, with their role.
    pub teams: Vec<(String, TeamRole)>,
    /// Present for site admins only.
    pub admin: Option<SiteAdmin>,
}

/// A team member on the profile page's Members tab.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct TeamMember {
    pub username: String,
    pub display_name: String,
    pub role: TeamRole,
}

/// The `/{entity}` profile page.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct EntityProfile {
    pub name: String,
    pub is_team: bool,
    /// A user's display name; empty for teams.
    pub display_name: String,
    /// The projects the viewer may see, starred first.
    pub projects: Vec<ProjectCard>,
    /// Teams only: every member, for members of the team (empty for others).
    pub members: Vec<TeamMember>,
    /// The viewer's role in the team, if a member.
    pub viewer_role: Option<TeamRole>,
    /// Whether the viewer may invite members and change roles (team admins, site admins).
    pub can_manage: bool,
    /// Whether the viewer may create projects here.
    pub can_create_project: bool,
    /// Whether the viewer is signed in (and so can star projects).
    #[serde(default)]
    pub signed_in: bool,
}

/// A new project from the app.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct NewProject {
    pub entity: String,
    pub name: String,
    pub visibility: Visibility,
    pub description: String,
}

/// Changes to a project's settings from the Overview tab; `None` keeps a value.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
pub struct ProjectEdit {
    pub name: Option<String>,
    pub description: Option<String>,
    pub visibility: Option<Visibility>,
}
