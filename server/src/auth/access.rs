//! Who may read or write a project: the single check every page, server function
//! and API route calls. The accounts issue extends it (restricted member lists);
//! callers stay the same.

use sea_orm::{ConnectionTrait, DbErr};

use app::model::Visibility;

use crate::db::entities::{entity, project, user};
use crate::db::repo::projects;

/// What a viewer may do with a project.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Access {
    None,
    Read,
    Write,
}

/// Decide access from the facts, without IO.
///
/// - site admins and the owner of a personal entity may write;
/// - team admins and members may write team projects (and read/write public ones); team viewers read;
/// - a private team project is for its creator and the team's admins;
/// - `public`: anyone reads; `open`: any signed-in user reads and writes.
pub fn decide(
    viewer: Option<&user::Model>,
    project: &project::Model,
    owner: &entity::Model,
    team_role: Option<&str>,
) -> Access {
    let visibility: Visibility = project.visibility.parse().unwrap_or(Visibility::Private);
    let Some(v) = viewer else {
        return if visibility == Visibility::Public {
            Access::Read
        } else {
            Access::None
        };
    };
    if v.is_admin || owner.user_id == Some(v.id) {
        return Access::Write;
    }
    let by_role = match (team_role, visibility) {
        (Some("admin"), _) => Access::Write,
        (Some(_), Visibility::Private) if project.created_by == v.id => Access::Write,
        (Some(_), Visibility::Private) => Access::None,
        (Some("viewer"), _) => Access::Read,
        (Some(_), _) => Access::Write,
        (None, _) => Access::None,
    };
    let by_visibility = match visibility {
        Visibility::Open => Access::Write,
        Visibility::Public => Access::Read,
        _ => Access::None,
    };
    by_role.max(by_visibility)
}

/// Look up the facts and decide.
pub async fn project_access(
    db: &impl ConnectionTrait,
    viewer: Option<&user::Model>,
    project: &project::Model,
    owner: &entity::Model,
) -> Result<Access, DbErr> {
    let role = match (viewer, owner.kind.as_str()) {
        (Some(v), "team") => projects::team_role(db, owner.id, v.id).await?,
        _ => None,
    };
    Ok(decide(viewer, project, owner, role.as_deref()))
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

    #[test]
    fn anonymous_reads_only_public() {
        for (vis, want) in [
            ("private", Access::None),
            ("team", Access::None),
            ("public", Access::Read),
            ("open", Access::None),
        ] {
            assert_eq!(
                decide(None, &project(vis, 1), &personal(1), None),
                want,
                "{vis}"
            );
        }
    }

    #[test]
    fn owners_and_admins_write() {
        assert_eq!(
            decide(
                Some(&user(1, false)),
                &project("private", 1),
                &personal(1),
                None
            ),
            Access::Write
        );
        assert_eq!(
            decide(
                Some(&user(9, true)),
                &project("private", 1),
                &personal(1),
                None
            ),
            Access::Write
        );
        assert_eq!(
            decide(
                Some(&user(2, false)),
                &project("private", 1),
                &personal(1),
                None
            ),
            Access::None
        );
        assert_eq!(
            decide(
                Some(&user(2, false)),
                &project("public", 1),
                &personal(1),
                None
            ),
            Access::Read
        );
        assert_eq!(
            decide(
                Some(&user(2, false)),
                &project("open", 1),
                &personal(1),
                None
            ),
            Access::Write
        );
    }

    #[test]
    fn team_roles() {
        let u = user(2, false);
        assert_eq!(
            decide(Some(&u), &project("team", 1), &team(), Some("member")),
            Access::Write
        );
        assert_eq!(
            decide(Some(&u), &project("team", 1), &team(), Some("viewer")),
            Access::Read
        );
        assert_eq!(
            decide(Some(&u), &project("private", 1), &team(), Some("member")),
            Access::None
        );
        assert_eq!(
            decide(Some(&u), &project("private", 2), &team(), Some("member")),
            Access::Write
        );
        assert_eq!(
            decide(Some(&u), &project("private", 1), &team(), Some("admin")),
            Access::Write
        );
        assert_eq!(
            decide(Some(&u), &project("team", 1), &team(), None),
            Access::None
        );
    }
}
