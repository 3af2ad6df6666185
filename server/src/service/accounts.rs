//! Accounts, teams and the project lifecycle: what the settings page, the profile
//! page and the Overview tab change. Every check goes through `auth::access`.

use sea_orm::{ConnectionTrait, DatabaseConnection};

use app::logic::validate;
use app::model::{
    AccountSettings, ApiKeyInfo, DeletedProject, EntityProfile, NewApiKey, NewProject, ProjectEdit,
    ProjectRef, SiteAdmin, TeamMember, TeamRole, Visibility,
};

use crate::auth::access::{entity_manager, Access};
use crate::auth::credentials::{hash_password_limited, new_api_key, token_hash};
use crate::db::entities::{entity, project, user};
use crate::db::now_ms;
use crate::db::repo::{projects, runs, users};
use crate::db::write::begin;
use crate::error::ApiError;

/// How long a deleted project can be restored before the purge removes it.
pub const RESTORE_WINDOW_MS: i64 = 30 * 24 * 3600 * 1000;
/// The site setting that allows sign-up.
pub const SIGNUP_SETTING: &str = "signup_enabled";
/// Password length bounds (argon2 copes with long ones; 256 keeps requests small).
pub const MIN_PASSWORD: usize = 8;
pub const MAX_PASSWORD: usize = 256;
/// API keys per user (a bound, not a quota anyone should meet).
const MAX_KEYS: usize = 100;

fn bad(msg: impl Into<String>) -> ApiError {
    ApiError::Unprocessable(msg.into())
}

/// A username or team name, by the one rule of `app::logic::validate::account_name`.
pub fn check_account_name(what: &str, name: &str) -> Result<(), ApiError> {
    validate::account_name(what, name).map_err(|e| bad(e.to_string()))
}

pub fn check_password(password: &str) -> Result<(), ApiError> {
    let n = password.chars().count();
    if n < MIN_PASSWORD {
        return Err(bad(format!(
            "a password needs at least {MIN_PASSWORD} characters"
        )));
    }
    if n > MAX_PASSWORD {
        return Err(bad(format!(
            "a password may have at most {MAX_PASSWORD} characters"
        )));
    }
    Ok(())
}

/// Give a user a new password (by the password rule) and end their sessions, all
/// but `keep_session` (the token of the session that asked, when a signed-in user
/// changes their own). The settings page and `cairn user password` both end here;
/// API keys stay.
pub async fn set_password(
    db: &DatabaseConnection,
    user: &user::Model,
    password: &str,
    keep_session: Option<&str>,
) -> Result<(), ApiError> {
    check_password(password)?;
    let hash = hash_blocking(password).await?;
    let keep = keep_session.map(token_hash);
    let (tx, _turn) = begin(db).await?;
    users::set_password(&tx, user.id, &hash, keep.as_deref()).await?;
    tx.commit().await?;
    Ok(())
}

/// argon2 takes tens of milliseconds of CPU: off the async workers, within the
/// process-wide limit.
pub async fn hash_blocking(password: &str) -> Result<String, ApiError> {
    hash_password_limited(password)
        .await
        .map_err(ApiError::Internal)
}

pub async fn signup_enabled(db: &impl ConnectionTrait) -> Result<bool, ApiError> {
    Ok(users::site_setting(db, SIGNUP_SETTING)
        .await?
        .is_none_or(|v| v == "true"))
}

/// The one way an account is made (sign-up, `cairn user create`, the first start):
/// the account-name rule, the password rule, a name no user or team has in any case,
/// then argon2 (within the process-wide limit) and the user with their entity. Runs in
/// the caller's transaction; the name is checked again there by the unique index.
pub async fn new_account(
    db: &impl ConnectionTrait,
    username: &str,
    display_name: &str,
    password: &str,
    is_admin: bool,
) -> Result<user::Model, ApiError> {
    check_account_name("user", username)?;
    check_password(password)?;
    let display_name = display_name.trim();
    validate::label("display name", display_name).map_err(|e| bad(e.to_string()))?;
    // A taken name is refused before the expensive hash.
    if name_taken(db, username).await? {
        return Err(taken(username));
    }
    let hash = hash_blocking(password).await?;
    Ok(users::create_user(db, username, display_name, &hash, is_admin, now_ms()).await?)
}

/// The one way an API key is made (Settings, `cairn apikey create`, the first start):
/// a key name, at most [`MAX_KEYS`] live keys, the given key (checked) or a new one,
/// stored as its SHA-256 with its first 8 characters to recognise it by.
pub async fn add_api_key(
    db: &impl ConnectionTrait,
    user: &user::Model,
    name: &str,
    key: Option<String>,
) -> Result<NewApiKey, ApiError> {
    let name = name.trim();
    validate::label("key name", name).map_err(|e| bad(e.to_string()))?;
    if name.is_empty() {
        return Err(bad("give the key a name, e.g. the machine it is for"));
    }
    let live = users::api_keys_of(db, user.id)
        .await?
        .iter()
        .filter(|k| k.revoked_at.is_none())
        .count();
    if live >= MAX_KEYS {
        return Err(bad(format!(
            "you have {MAX_KEYS} live keys; revoke one first"
        )));
    }
    let key = key.unwrap_or_else(new_api_key);
    if !crate::auth::credentials::is_valid_api_key(&key) {
        return Err(bad(
            "an API key must be at least 40 characters of letters, digits, '-' and '_'",
        ));
    }
    let row =
        users::insert_api_key(db, user.id, name, &token_hash(&key), &key[..8], now_ms()).await?;
    Ok(NewApiKey {
        info: key_info(&row),
        key,
    })
}

/// Create an account (when sign-up is on). Names are compared without case, so
/// `Alice` cannot be made next to `alice`.
pub async fn sign_up(
    db: &DatabaseConnection,
    username: &str,
    display_name: &str,
    password: &str,
) -> Result<user::Model, ApiError> {
    if !signup_enabled(db).await? {
        return Err(ApiError::Forbidden(
            "sign-up is turned off on this server; ask an admin for an account".into(),
        ));
    }
    check_account_name("user", username)?;
    check_password(password)?;
    // A taken name is refused before waiting for the writer and hashing.
    if name_taken(db, username).await? {
        return Err(taken(username));
    }
    let (tx, _turn) = begin(db).await?;
    let user = new_account(&tx, username, display_name, password, false).await?;
    tx.commit().await?;
    Ok(user)
}

fn taken(name: &str) -> ApiError {
    ApiError::Conflict(format!("the name {name:?} is taken; choose another"))
}

/// Whether a user or team already has this name, ignoring case.
pub async fn name_taken(db: &impl ConnectionTrait, name: &str) -> Result<bool, ApiError> {
    use crate::db::entities::entity;
    use sea_orm::sea_query::{Expr, ExprTrait, Func};
    use sea_orm::{EntityTrait, QueryFilter};
    Ok(entity::Entity::find()
        .filter(ExprTrait::eq(
            Expr::expr(Func::lower(Expr::col(entity::Column::Name))),
            name.to_lowercase(),
        ))
        .one(db)
        .await?
        .is_some())
}

fn key_info(k: &crate::db::entities::api_key::Model) -> ApiKeyInfo {
    ApiKeyInfo {
        id: k.id,
        name: k.name.clone(),
        prefix: k.prefix.clone(),
        created_ms: k.created_at,
        last_used_ms: k.last_used_at,
        revoked_ms: k.revoked_at,
    }
}

pub async fn settings(
    db: &DatabaseConnection,
    user: &user::Model,
) -> Result<AccountSettings, ApiError> {
    let api_keys = users::api_keys_of(db, user.id)
        .await?
        .iter()
        .map(key_info)
        .collect();
    let teams = projects::teams_of(db, user.id)
        .await?
        .into_iter()
        .map(|(e, role)| (e.name, role.parse().unwrap_or(TeamRole::Viewer)))
        .collect();
    let admin = if user.is_admin {
        let deleted_projects = projects::deleted_projects(db)
            .await?
            .into_iter()
            .map(|(p, e)| {
                let deleted_ms = p.deleted_at.unwrap_or_default();
                DeletedProject {
                    id: p.id,
                    project: ProjectRef::new(e.name, p.name),
                    deleted_ms,
                    purge_ms: deleted_ms + RESTORE_WINDOW_MS,
                }
            })
            .collect();
        Some(SiteAdmin {
            signup_enabled: signup_enabled(db).await?,
            private_webhooks: crate::service::automations::deliver::allow_internal(db).await?,
            deleted_projects,
        })
    } else {
        None
    };
    Ok(AccountSettings {
        viewer: app::model::Viewer {
            username: user.username.clone(),
            display_name: user.display_name.clone(),
            is_admin: user.is_admin,
        },
        api_keys,
        teams,
        admin,
    })
}

pub async fn create_api_key(
    db: &DatabaseConnection,
    user: &user::Model,
    name: &str,
) -> Result<NewApiKey, ApiError> {
    let (tx, _turn) = begin(db).await?;
    let made = add_api_key(&tx, user, name, None).await?;
    tx.commit().await?;
    Ok(made)
}

pub async fn revoke_api_key(
    db: &DatabaseConnection,
    user: &user::Model,
    id: i32,
) -> Result<(), ApiError> {
    let (tx, _turn) = begin(db).await?;
    if !users::revoke_api_key(&tx, user.id, id, now_ms()).await? {
        return Err(ApiError::NotFound("no such key".into()));
    }
    tx.commit().await?;
    Ok(())
}

fn admin_only(user: &user::Model) -> Result<(), ApiError> {
    if user.is_admin {
        Ok(())
    } else {
        Err(ApiError::Forbidden("only a site admin may do this".into()))
    }
}

pub async fn set_signup_enabled(
    db: &DatabaseConnection,
    user: &user::Model,
    on: bool,
) -> Result<(), ApiError> {
    admin_only(user)?;
    let (tx, _turn) = begin(db).await?;
    users::set_site_setting(&tx, SIGNUP_SETTING, if on { "true" } else { "false" }).await?;
    tx.commit().await?;
    Ok(())
}

/// Bring back a deleted project (site admins, within the restore window). Refused
/// when a live project took its name meanwhile.
pub async fn restore_project(
    db: &DatabaseConnection,
    user: &user::Model,
    id: i32,
) -> Result<ProjectRef, ApiError> {
    admin_only(user)?;
    let (tx, _turn) = begin(db).await?;
    let p = projects::project_by_id(&tx, id)
        .await?
        .filter(|p| {
            p.deleted_at
                .is_some_and(|t| now_ms() - t <= RESTORE_WINDOW_MS)
        })
        .ok_or_else(|| {
            ApiError::NotFound("no such deleted project (or past its 30 days)".into())
        })?;
    let owner = entity_of(&tx, &p).await?;
    if projects::find_project(&tx, p.entity_id, &p.name)
        .await?
        .is_some()
    {
        return Err(ApiError::Conflict(format!(
            "{}/{} exists again; rename that project first",
            owner.name, p.name
        )));
    }
    projects::set_project_deleted(&tx, p.id, None).await?;
    tx.commit().await?;
    Ok(ProjectRef::new(owner.name, p.name))
}

async fn entity_of(
    db: &impl ConnectionTrait,
    p: &project::Model,
) -> Result<entity::Model, ApiError> {
    projects::find_entity_by_id(db, p.entity_id)
        .await?
        .ok_or_else(|| ApiError::Internal("a project's entity is missing".into()))
}

fn no_entity(name: &str) -> ApiError {
    ApiError::NotFound(format!("no user or team is called {name:?}"))
}

/// The `/{entity}` page: projects the viewer may see (starred first) and, for team
/// members, the member list.
pub async fn profile(
    db: &DatabaseConnection,
    viewer: Option<&user::Model>,
    name: &str,
) -> Result<EntityProfile, ApiError> {
    let e = projects::find_entity(db, name)
        .await?
        .ok_or_else(|| no_entity(name))?;
    let is_team = e.kind == "team";
    let role = match viewer {
        Some(v) if is_team => projects::team_role(db, e.id, v.id).await?,
        _ => None,
    };
    let viewer_role: Option<TeamRole> = role;
    let can_manage = entity_manager(db, viewer, &e).await?;
    let projects: Vec<_> = super::reads::list_projects(db, viewer)
        .await?
        .into_iter()
        .filter(|c| c.project.entity == e.name)
        .collect();
    let members = if is_team && (viewer_role.is_some() || viewer.is_some_and(|v| v.is_admin)) {
        projects::team_members(db, e.id)
            .await?
            .into_iter()
            .map(|(u, r)| TeamMember {
                username: u.username,
                display_name: u.display_name,
                role: r.parse().unwrap_or(TeamRole::Viewer),
            })
            .collect()
    } else {
        Vec::new()
    };
    let display_name = match e.user_id {
        Some(id) => users::find_by_id(db, id)
            .await?
            .map(|u| u.display_name)
            .unwrap_or_default(),
        None => String::new(),
    };
    let can_create_project = can_manage || matches!(viewer_role, Some(TeamRole::Member));
    Ok(EntityProfile {
        name: e.name,
        is_team,
        display_name,
        projects,
        members,
        viewer_role,
        can_manage,
        can_create_project,
        signed_in: viewer.is_some(),
    })
}

pub async fn create_team(
    db: &DatabaseConnection,
    user: &user::Model,
    name: &str,
) -> Result<(), ApiError> {
    check_account_name("team", name)?;
    let (tx, _turn) = begin(db).await?;
    if name_taken(&tx, name).await? {
        return Err(ApiError::Conflict(format!(
            "the name {name:?} is taken; choose another"
        )));
    }
    projects::create_team(&tx, name, user.id, now_ms()).await?;
    tx.commit().await?;
    Ok(())
}

/// Add an existing user to a team, change their role, or (with `None`) remove them.
/// Team admins and site admins only; a team keeps at least one admin.
pub async fn set_team_member(
    db: &DatabaseConnection,
    user: &user::Model,
    team: &str,
    username: &str,
    role: Option<TeamRole>,
) -> Result<(), ApiError> {
    let (tx, _turn) = begin(db).await?;
    let e = projects::find_entity(&tx, team)
        .await?
        .filter(|e| e.kind == "team")
        .ok_or_else(|| ApiError::NotFound(format!("no team is called {team:?}")))?;
    if !entity_manager(&tx, Some(user), &e).await? {
        return Err(ApiError::Forbidden(format!(
            "only an admin of {team:?} may change its members"
        )));
    }
    let member = users::find_by_username(&tx, username.trim())
        .await?
        .ok_or_else(|| bad(format!("no user is called {:?}", username.trim())))?;
    projects::lock_team(&tx, e.id).await?;
    let members = projects::team_members(&tx, e.id).await?;
    let admins = members.iter().filter(|(_, r)| r == "admin").count();
    let is_admin_now = members
        .iter()
        .any(|(u, r)| u.id == member.id && r == "admin");
    if is_admin_now && admins == 1 && role != Some(TeamRole::Admin) {
        return Err(bad(format!(
            "{username} is the last admin of {team}; make someone else admin first"
        )));
    }
    projects::set_team_role(&tx, e.id, member.id, role.map(TeamRole::as_str)).await?;
    tx.commit().await?;
    Ok(())
}

/// Create a project from the app. Names follow the same rules as on first log.
pub async fn create_project(
    db: &DatabaseConnection,
    user: &user::Model,
    new: NewProject,
) -> Result<ProjectRef, ApiError> {
    let name = new.name.trim();
    validate::project_name(name).map_err(|e| bad(e.to_string()))?;
    check_description(&new.description)?;
    let (tx, _turn) = begin(db).await?;
    let owner = projects::find_entity(&tx, &new.entity)
        .await?
        .ok_or_else(|| no_entity(&new.entity))?;
    if !crate::auth::access::can_create_project(&tx, user, &owner).await? {
        return Err(ApiError::Forbidden(format!(
            "you may not create projects in {:?}",
            owner.name
        )));
    }
    if projects::find_project(&tx, owner.id, name).await?.is_some() {
        return Err(ApiError::Conflict(format!(
            "{}/{name} exists already",
            owner.name
        )));
    }
    let p = projects::create_project(
        &tx,
        owner.id,
        name,
        new.visibility.as_str(),
        &new.description,
        user.id,
        now_ms(),
    )
    .await?;
    // Whoever makes a restricted project is on its list.
    if new.visibility == Visibility::Restricted {
        projects::add_project_member(&tx, p.id, user.id, true, now_ms()).await?;
    }
    tx.commit().await?;
    Ok(ProjectRef::new(owner.name, p.name))
}

/// Markdown descriptions are rendered safely; the bound keeps pages light.
fn check_description(text: &str) -> Result<(), ApiError> {
    if text.len() > 64 * 1024 {
        return Err(bad("a description may have at most 64 KB"));
    }
    Ok(())
}

/// The live project at `at` with the viewer's access; `NotFound` when unreadable.
async fn project_for(
    db: &impl ConnectionTrait,
    user: &user::Model,
    at: &ProjectRef,
) -> Result<(project::Model, entity::Model, Access, bool), ApiError> {
    let (p, e, rights) = super::reads::readable_project_rights(db, Some(user), at).await?;
    Ok((p, e, rights.access, rights.manages))
}

fn must_manage(manages: bool, at: &ProjectRef) -> Result<(), ApiError> {
    if manages {
        Ok(())
    } else {
        Err(ApiError::Forbidden(format!(
            "only an admin of {} may change this in {}/{}",
            at.entity, at.entity, at.project
        )))
    }
}

fn must_write(access: Access, at: &ProjectRef) -> Result<(), ApiError> {
    if access == Access::Write {
        Ok(())
    } else {
        Err(ApiError::Forbidden(format!(
            "you may read {}/{} but not change it",
            at.entity, at.project
        )))
    }
}

/// Rename (admins; the old name keeps redirecting), describe (writers) or change the
/// visibility (admins) of a project. Returns where the project now lives.
pub async fn edit_project(
    db: &DatabaseConnection,
    user: &user::Model,
    at: &ProjectRef,
    edit: ProjectEdit,
) -> Result<ProjectRef, ApiError> {
    let (tx, _turn) = begin(db).await?;
    let (p, e, access, manages) = project_for(&tx, user, at).await?;
    must_write(access, at)?;
    if edit.visibility.is_some_and(|v| v.as_str() != p.visibility) {
        must_manage(manages, at)?;
    }
    let description = edit.description.unwrap_or_else(|| p.description.clone());
    check_description(&description)?;
    let visibility = edit
        .visibility
        .map(|v| v.as_str().to_owned())
        .unwrap_or_else(|| p.visibility.clone());
    projects::update_project_settings(&tx, p.id, &description, &visibility).await?;
    let mut name = p.name.clone();
    if let Some(new_name) = edit.name.map(|n| n.trim().to_owned()) {
        if new_name != p.name {
            must_manage(manages, at)?;
            validate::project_name(&new_name).map_err(|e| bad(e.to_string()))?;
            if projects::find_project(&tx, e.id, &new_name)
                .await?
                .is_some()
            {
                return Err(ApiError::Conflict(format!(
                    "{}/{new_name} exists already",
                    e.name
                )));
            }
            projects::rename_project(&tx, &p, &new_name).await?;
            name = new_name;
        }
    }
    tx.commit().await?;
    Ok(ProjectRef::new(e.name, name))
}

pub async fn set_star(
    db: &DatabaseConnection,
    user: &user::Model,
    at: &ProjectRef,
    on: bool,
) -> Result<(), ApiError> {
    let (tx, _turn) = begin(db).await?;
    let (p, _) = super::reads::readable_project(&tx, Some(user), at).await?;
    projects::set_star(&tx, user.id, p.id, on, now_ms()).await?;
    tx.commit().await?;
    Ok(())
}

/// Put a user on (or take them off) a project's member list (admins).
pub async fn set_project_member(
    db: &DatabaseConnection,
    user: &user::Model,
    at: &ProjectRef,
    username: &str,
    on: bool,
) -> Result<(), ApiError> {
    let (tx, _turn) = begin(db).await?;
    let (p, _, _, manages) = project_for(&tx, user, at).await?;
    must_manage(manages, at)?;
    let member = users::find_by_username(&tx, username.trim())
        .await?
        .ok_or_else(|| bad(format!("no user is called {:?}", username.trim())))?;
    if on {
        // The entry's right is fixed now: a viewer of the owning team reads, anyone
        // else reads and writes. Adding them again later sets it anew.
        let role = projects::team_role(&tx, p.entity_id, member.id).await?;
        let can_write = role != Some(TeamRole::Viewer);
        projects::add_project_member(&tx, p.id, member.id, can_write, now_ms()).await?;
    } else {
        projects::remove_project_member(&tx, p.id, member.id).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Soft-delete a project (admins), after its name was typed to confirm.
pub async fn delete_project(
    db: &DatabaseConnection,
    user: &user::Model,
    at: &ProjectRef,
    confirm: &str,
) -> Result<(), ApiError> {
    let (tx, _turn) = begin(db).await?;
    let (p, _, _, manages) = project_for(&tx, user, at).await?;
    must_manage(manages, at)?;
    if confirm.trim() != p.name {
        return Err(bad(format!(
            "type the project's name, {:?}, to confirm",
            p.name
        )));
    }
    projects::set_project_deleted(&tx, p.id, Some(now_ms())).await?;
    tx.commit().await?;
    Ok(())
}

/// Bring back every soft-deleted run of a project (writers).
pub async fn undelete_runs(
    db: &DatabaseConnection,
    user: &user::Model,
    at: &ProjectRef,
) -> Result<u64, ApiError> {
    let (tx, _turn) = begin(db).await?;
    let (p, _, access, _) = project_for(&tx, user, at).await?;
    must_write(access, at)?;
    let n = runs::undelete_all(&tx, p.id).await?;
    tx.commit().await?;
    Ok(n)
}

/// Remove projects deleted longer ago than the restore window, with their runs,
/// metrics and files. A blob goes only when no row uses it any more and it has not
/// been stored again within `blob_grace` (an upload of the same bytes may be about to
/// point at it: uploads refresh a blob's time before recording their row).
pub async fn purge_deleted(
    db: &DatabaseConnection,
    blobs: &crate::blobs::BlobStore,
    now: i64,
    blob_grace: std::time::Duration,
) -> Result<usize, ApiError> {
    let cutoff = now - RESTORE_WINDOW_MS;
    let due: Vec<i32> = projects::deleted_projects(db)
        .await?
        .into_iter()
        .filter(|(p, _)| p.deleted_at.is_some_and(|t| t < cutoff))
        .map(|(p, _)| p.id)
        .collect();
    let mut purged = 0;
    for id in due {
        let (tx, _turn) = begin(db).await?;
        // Checked again inside the transaction: it may have been restored meanwhile.
        let Some(p) = projects::project_by_id(&tx, id)
            .await?
            .filter(|p| p.deleted_at.is_some_and(|t| t < cutoff))
        else {
            continue;
        };
        let shas = projects::blob_shas_of_project(&tx, p.id).await?;
        projects::delete_project_row(&tx, p.id).await?;
        tx.commit().await?;
        purged += 1;
        for sha in shas {
            if !projects::blob_in_use(db, &sha).await? {
                blobs.remove_if_idle(&sha, blob_grace).await.ok();
            }
        }
        tracing::info!(project = p.id, name = %p.name, "purged a deleted project");
    }
    Ok(purged)
}
