//! Who may read or write a project: the single check every page, server function
//! and API route calls. The accounts issue extends it (restricted member lists);
//! callers stay the same.

use sea_orm::{ConnectionTrait, DbErr};

use app::model::{TeamRole, Visibility};

use crate::db::entities::{entity, project, user};
use crate::db::repo::projects;

/// What a viewer may do with a project.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Access {
    None,
    Read,
    Write,
}

impl Access {
    /// What a member-list entry gives, from its stored `can_write`.
    pub fn listed(can_write: bool) -> Access {
        if can_write {
            Access::Write
        } else {
            Access::Read
        }
    }
}

/// What `decide` needs to know, all of it looked up beforehand.
#[derive(Debug, Clone, Copy)]
pub struct Facts<'a> {
    pub viewer: Option<&'a user::Model>,
    pub project: &'a project::Model,
    pub owner: &'a entity::Model,
    /// The viewer's role in the owning team, if any.
    pub team_role: Option<TeamRole>,
    /// What the viewer's entry on the project's explicit member list gives
    /// (`restricted` projects), or `None` when they are not on it.
    pub member_list: Option<Access>,
}

/// Whether the viewer administers the entity that owns a project: a site admin, the
/// owner of a personal entity, or an admin of the team. Administrators change a
/// project's visibility, name and member list, and delete it.
pub fn manages(
    viewer: Option<&user::Model>,
    owner: &entity::Model,
    team_role: Option<TeamRole>,
) -> bool {
    match viewer {
        Some(v) => v.is_admin || owner.user_id == Some(v.id) || team_role == Some(TeamRole::Admin),
        None => false,
    }
}

/// Whether the viewer may create projects in an entity: whoever administers it (see
/// [`manages`]) and the team's members; team viewers and everyone else may not. The one
/// rule for the app's "New project", `/api/v1` and the wandb client's first log.
pub fn may_create_project(
    viewer: &user::Model,
    owner: &entity::Model,
    team_role: Option<TeamRole>,
) -> bool {
    manages(Some(viewer), owner, team_role) || team_role == Some(TeamRole::Member)
}

/// [`may_create_project`], with the viewer's team role looked up.
pub async fn can_create_project(
    db: &impl ConnectionTrait,
    viewer: &user::Model,
    owner: &entity::Model,
) -> Result<bool, DbErr> {
    let role = team_role_of(db, Some(viewer), owner).await?;
    Ok(may_create_project(viewer, owner, role))
}

/// Decide access from the facts, without IO. This is the whole policy (SPEC.md §8):
///
/// - a deleted project is nobody's (an admin restores it through its own path);
/// - site admins, the owner of a personal entity and team admins write everything;
/// - the project's creator writes it while they are a member (or admin) of the team;
/// - `private`: nobody else;
/// - `team`: team members write, team viewers read;
/// - `restricted`: only people on the member list, each with the right their entry
///   states (read, or read and write: fixed when the entry was made, so leaving or
///   joining the team never raises it); a team viewer on the list reads at most;
/// - `public`: anyone reads, even signed out; team members write;
/// - `open`: anyone signed in reads and writes; signed-out visitors see nothing.
pub fn decide(f: &Facts) -> Access {
    if f.project.deleted_at.is_some() {
        return Access::None;
    }
    let visibility: Visibility = f.project.visibility.parse().unwrap_or(Visibility::Private);
    let Some(v) = f.viewer else {
        return if visibility == Visibility::Public {
            Access::Read
        } else {
            Access::None
        };
    };
    if manages(f.viewer, f.owner, f.team_role) {
        return Access::Write;
    }
    // A creator demoted to team viewer (or removed) no longer writes their projects.
    let writes_in_team = matches!(f.team_role, Some(TeamRole::Admin | TeamRole::Member));
    if f.project.created_by == v.id && writes_in_team {
        return Access::Write;
    }
    // What the viewer's team role gives, where the visibility lets it count.
    let role_access = match f.team_role {
        Some(TeamRole::Viewer) => Access::Read,
        Some(_) => Access::Write,
        None => Access::None,
    };
    match visibility {
        Visibility::Private => Access::None,
        Visibility::Team => role_access,
        Visibility::Restricted => match (f.member_list, f.team_role) {
            (Some(entry), Some(TeamRole::Viewer)) => entry.min(Access::Read),
            (Some(entry), _) => entry,
            (None, _) => Access::None,
        },
        Visibility::Public => role_access.max(Access::Read),
        Visibility::Open => Access::Write,
    }
}

/// What a viewer may do with one project: its access, and whether they administer
/// its owner (see [`manages`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rights {
    pub access: Access,
    pub manages: bool,
}

/// The viewer's role in the entity, if it is a team they belong to.
async fn team_role_of(
    db: &impl ConnectionTrait,
    viewer: Option<&user::Model>,
    owner: &entity::Model,
) -> Result<Option<TeamRole>, DbErr> {
    match (viewer, owner.kind.as_str()) {
        (Some(v), "team") => projects::team_role(db, owner.id, v.id).await,
        _ => Ok(None),
    }
}

/// Look up the facts once and decide both access and administration.
pub async fn project_rights(
    db: &impl ConnectionTrait,
    viewer: Option<&user::Model>,
    project: &project::Model,
    owner: &entity::Model,
) -> Result<Rights, DbErr> {
    let role = team_role_of(db, viewer, owner).await?;
    let member_list = match viewer {
        Some(v) if project.visibility == Visibility::Restricted.as_str() => {
            projects::project_membership(db, project.id, v.id)
                .await?
                .map(Access::listed)
        }
        _ => None,
    };
    Ok(Rights {
        access: decide(&Facts {
            viewer,
            project,
            owner,
            team_role: role,
            member_list,
        }),
        manages: manages(viewer, owner, role),
    })
}

/// Look up the facts and decide.
pub async fn project_access(
    db: &impl ConnectionTrait,
    viewer: Option<&user::Model>,
    project: &project::Model,
    owner: &entity::Model,
) -> Result<Access, DbErr> {
    Ok(project_rights(db, viewer, project, owner).await?.access)
}

/// Whether the viewer administers an entity (see [`manages`]); for entity pages,
/// where there is no project.
pub async fn entity_manager(
    db: &impl ConnectionTrait,
    viewer: Option<&user::Model>,
    owner: &entity::Model,
) -> Result<bool, DbErr> {
    let role = team_role_of(db, viewer, owner).await?;
    Ok(manages(viewer, owner, role))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: i32, admin: bool) -> user::Model {
        user::Model {
            id,
            username: format!("u{id}"),
            display_name: String::new(),
            password_hash: String::new(),
            is_admin: admin,
            created_at: 0,
        }
    }

    fn project(visibility: &str, created_by: i32) -> project::Model {
        project::Model {
            id: 1,
            entity_id: 1,
            name: "p".into(),
            description: String::new(),
            visibility: visibility.into(),
            created_by,
            created_at: 0,
            last_active_at: None,
            deleted_at: None,
            metric_automations: 0,
        }
    }

    fn personal(owner: i32) -> entity::Model {
        entity::Model {
            id: 1,
            name: "e".into(),
            kind: "user".into(),
            user_id: Some(owner),
            created_at: 0,
        }
    }

    fn team() -> entity::Model {
        entity::Model {
            id: 1,
            name: "t".into(),
            kind: "team".into(),
            user_id: None,
            created_at: 0,
        }
    }

    /// Access of `viewer` (with a team role and list membership) to a team project
    /// created by user 1.
    fn team_case(
        vis: &str,
        viewer: Option<&user::Model>,
        role: Option<TeamRole>,
        member: bool,
    ) -> Access {
        listed_case(vis, viewer, role, member.then_some(Access::Write))
    }

    fn listed_case(
        vis: &str,
        viewer: Option<&user::Model>,
        role: Option<TeamRole>,
        member_list: Option<Access>,
    ) -> Access {
        decide(&Facts {
            viewer,
            project: &project(vis, 1),
            owner: &team(),
            team_role: role,
            member_list,
        })
    }

    /// The full table for a team project: one row per visibility, one column per role.
    #[test]
    fn team_project_matrix() {
        use Access::{None as N, Read as R, Write as W};
        let (outsider, creator, admin, site) = (
            user(5, false),
            user(1, false),
            user(6, false),
            user(9, true),
        );
        // anonymous, outsider, viewer, member, listed member, team admin, creator, site admin
        let table = [
            ("private", [N, N, N, N, N, W, W, W]),
            ("team", [N, N, R, W, W, W, W, W]),
            ("restricted", [N, N, N, N, W, W, W, W]),
            ("public", [R, R, R, W, W, W, W, W]),
            ("open", [N, W, W, W, W, W, W, W]),
        ];
        for (vis, want) in table {
            let got = [
                team_case(vis, None, None, false),
                team_case(vis, Some(&outsider), None, false),
                team_case(vis, Some(&outsider), Some(TeamRole::Viewer), false),
                team_case(vis, Some(&outsider), Some(TeamRole::Member), false),
                team_case(vis, Some(&outsider), Some(TeamRole::Member), true),
                team_case(vis, Some(&admin), Some(TeamRole::Admin), false),
                team_case(vis, Some(&creator), Some(TeamRole::Member), false),
                team_case(vis, Some(&site), None, false),
            ];
            assert_eq!(got, want, "{vis}");
        }
        // A listed team viewer still only reads; a listed outsider writes.
        assert_eq!(
            team_case("restricted", Some(&outsider), Some(TeamRole::Viewer), true),
            R
        );
        assert_eq!(team_case("restricted", Some(&outsider), None, true), W);
        // An entry made for a team viewer gives read; once they leave the team it
        // still gives read, never more.
        for role in [Some(TeamRole::Viewer), None, Some(TeamRole::Member)] {
            assert_eq!(
                listed_case("restricted", Some(&outsider), role, Some(R)),
                R,
                "{role:?}"
            );
        }
        // A creator who left the team loses their private project.
        assert_eq!(team_case("private", Some(&creator), None, false), N);
        // A creator demoted to viewer reads what viewers read, nothing more.
        assert_eq!(
            team_case("private", Some(&creator), Some(TeamRole::Viewer), false),
            N
        );
        assert_eq!(
            team_case("team", Some(&creator), Some(TeamRole::Viewer), false),
            R
        );
    }

    #[test]
    fn personal_projects_belong_to_their_owner() {
        for vis in ["private", "team", "restricted", "public", "open"] {
            let (p, e) = (project(vis, 1), personal(1));
            let facts = |viewer| Facts {
                viewer,
                project: &p,
                owner: &e,
                team_role: None,
                member_list: None,
            };
            let owner = user(1, false);
            assert_eq!(decide(&facts(Some(&owner))), Access::Write, "{vis}");
            let other = user(2, false);
            let want = match vis {
                "public" => Access::Read,
                "open" => Access::Write,
                _ => Access::None,
            };
            assert_eq!(decide(&facts(Some(&other))), want, "{vis}");
        }
    }

    #[test]
    fn who_may_create_projects() {
        let (someone, site) = (user(5, false), user(9, true));
        assert!(may_create_project(&someone, &team(), Some(TeamRole::Admin)));
        assert!(may_create_project(
            &someone,
            &team(),
            Some(TeamRole::Member)
        ));
        assert!(!may_create_project(
            &someone,
            &team(),
            Some(TeamRole::Viewer)
        ));
        assert!(!may_create_project(&someone, &team(), None));
        assert!(may_create_project(&site, &team(), None));
        assert!(may_create_project(&someone, &personal(5), None));
        assert!(!may_create_project(&someone, &personal(6), None));
    }

    #[test]
    fn deleted_projects_are_nobodys() {
        let mut p = project("public", 1);
        p.deleted_at = Some(1);
        let admin = user(9, true);
        let f = Facts {
            viewer: Some(&admin),
            project: &p,
            owner: &personal(1),
            team_role: None,
            member_list: None,
        };
        assert_eq!(decide(&f), Access::None);
        assert!(manages(Some(&admin), &personal(1), None));
        assert!(!manages(None, &personal(1), None));
        assert!(!manages(
            Some(&user(2, false)),
            &team(),
            Some(TeamRole::Member)
        ));
    }
}
