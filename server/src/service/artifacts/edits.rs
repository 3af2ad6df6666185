//! Changes to versions and collections, each written with its action-history event
//! in one transaction.

use sea_orm::{ConnectionTrait, DatabaseConnection, Set};

use app::logic::artifacts as logic;
use app::model::{ArtifactEdit, VersionRef};

use super::{readable_version, Place};
use crate::auth::access::Access;
use crate::db::entities::{artifact, artifact_collection, artifact_event, user};
use crate::db::now_ms;
use crate::db::repo::artifacts as repo;
use crate::error::ApiError;

/// The door a change came through, kept in the action history.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Door {
    Ui,
    Api,
    Wandb,
    /// The server's own jobs (TTL expiry).
    Server,
}

impl Door {
    fn name(self) -> &'static str {
        match self {
            Door::Ui => "ui",
            Door::Api => "api",
            Door::Wandb => "wandb",
            Door::Server => "server",
        }
    }
}

/// Append an event to a collection's history (inside the caller's transaction).
pub async fn record_event(
    db: &impl ConnectionTrait,
    collection_id: i32,
    version: Option<&artifact::Model>,
    action: &str,
    detail: String,
    user: Option<&user::Model>,
    door: Door,
) -> Result<(), ApiError> {
    repo::insert_event(
        db,
        artifact_event::ActiveModel {
            collection_id: Set(collection_id),
            artifact_id: Set(version.map(|v| v.id)),
            version_index: Set(version.map(|v| v.version_index)),
            action: Set(action.to_owned()),
            detail: Set(detail),
            user_id: Set(user.map(|u| u.id)),
            via: Set(door.name().to_owned()),
            at: Set(now_ms()),
            ..Default::default()
        },
    )
    .await?;
    Ok(())
}

/// Point `alias` of the collection at version `v` and record it in the history
/// (`alias_added`, or `alias_moved` from the version it left); nothing is recorded
/// when it already pointed there or for the aliases the server keeps. Every door
/// that sets an alias ends here.
pub async fn point_alias(
    tx: &impl ConnectionTrait,
    collection_id: i32,
    alias: &str,
    v: &artifact::Model,
    user: Option<&user::Model>,
    door: Door,
) -> Result<(), ApiError> {
    let before = repo::aliased_version(tx, collection_id, alias).await?;
    repo::set_alias(tx, collection_id, alias, v.id).await?;
    if logic::kept_by_server(alias) {
        return Ok(());
    }
    let name = format!("v{}", v.version_index);
    let (action, detail) = match before {
        Some(b) if b.id == v.id => return Ok(()),
        Some(b) => (
            "alias_moved",
            format!("{alias}: v{} → {name}", b.version_index),
        ),
        None => ("alias_added", format!("{alias} → {name}")),
    };
    record_event(tx, collection_id, Some(v), action, detail, user, door).await?;
    // Moved here or new here: either way the alias was added to this version.
    crate::service::automations::events::artifact(tx, "alias_added", v, Some(alias), user).await
}

/// A tag: 1 to 128 characters, no commas (lists of tags are written with them).
fn check_tag(tag: &str) -> Result<(), ApiError> {
    if tag.trim().is_empty() || tag.chars().count() > 128 || tag.contains(',') {
        return Err(ApiError::Unprocessable(format!(
            "tag {tag:?} is not allowed: 1 to 128 characters, no commas"
        )));
    }
    Ok(())
}

fn check_text(what: &str, text: &Option<String>) -> Result<(), ApiError> {
    match text {
        Some(t) if t.chars().count() > 20_000 => Err(ApiError::Unprocessable(format!(
            "the {what} is longer than 20,000 characters"
        ))),
        _ => Ok(()),
    }
}

/// Apply one change to version `r` (or its collection) for `user`.
pub async fn edit(
    db: &DatabaseConnection,
    user: &user::Model,
    r: &VersionRef,
    change: ArtifactEdit,
    door: Door,
) -> Result<(), ApiError> {
    let (tx, _turn) = crate::db::write::begin(db).await?;
    let (place, v) = readable_version(&tx, Some(user), r).await?;
    apply_all(&tx, user, &place, v, vec![change], door).await?;
    tx.commit().await?;
    Ok(())
}

/// Apply changes to the version with key `pk` (the wandb client names versions by
/// id), all or none.
pub async fn edit_by_key(
    db: &DatabaseConnection,
    user: &user::Model,
    pk: i32,
    changes: Vec<ArtifactEdit>,
    door: Door,
) -> Result<(), ApiError> {
    let (tx, _turn) = crate::db::write::begin(db).await?;
    let (place, v) = super::readable_version_by_key(&tx, Some(user), pk).await?;
    apply_all(&tx, user, &place, v, changes, door).await?;
    tx.commit().await?;
    Ok(())
}

/// Check the user may write, then apply each change to the version as it is after
/// the previous one.
async fn apply_all(
    tx: &impl ConnectionTrait,
    user: &user::Model,
    place: &Place,
    mut v: artifact::Model,
    changes: Vec<ArtifactEdit>,
    door: Door,
) -> Result<(), ApiError> {
    if place.rights.access != Access::Write {
        return Err(ApiError::Forbidden(format!(
            "you may read {}/{} but not change its artifacts",
            place.owner.name, place.project.name
        )));
    }
    for change in changes {
        apply(tx, user, place, v.clone(), change, door).await?;
        v = repo::version(tx, v.id)
            .await?
            .ok_or_else(|| ApiError::Internal("an edited version went missing".into()))?;
    }
    Ok(())
}

async fn apply(
    tx: &impl ConnectionTrait,
    user: &user::Model,
    place: &Place,
    v: artifact::Model,
    change: ArtifactEdit,
    door: Door,
) -> Result<(), ApiError> {
    let coll = place.coll.id;
    let name = format!("v{}", v.version_index);
    let event = |action: &'static str, detail: String| (action, detail);
    if let ArtifactEdit::AddTag(t) | ArtifactEdit::RemoveTag(t) = &change {
        check_tag(t.trim())?;
    }
    let (action, detail) = match change {
        ArtifactEdit::AddAlias(alias) => {
            let alias = alias.trim().to_owned();
            logic::check_alias(&alias)?;
            if alias == "latest" {
                return Err(ApiError::Unprocessable(
                    "`latest` always points at the newest version; the server moves it".into(),
                ));
            }
            return point_alias(tx, coll, &alias, &v, Some(user), door).await;
        }
        ArtifactEdit::RemoveAlias(alias) => {
            if logic::kept_by_server(&alias) {
                return Err(ApiError::Unprocessable(format!(
                    "{alias:?} is kept by the server and cannot be removed"
                )));
            }
            match repo::aliased_version(tx, coll, &alias).await? {
                Some(b) if b.id == v.id => {
                    repo::remove_alias(tx, coll, &alias).await?;
                    event("alias_removed", format!("{alias} (was on {name})"))
                }
                _ => return Err(ApiError::NotFound(format!("{name} has no alias {alias:?}"))),
            }
        }
        ArtifactEdit::AddTag(tag) => {
            let tag = tag.trim().to_owned();
            let mut tags = super::reads::tags_of(&v);
            if tags.contains(&tag) {
                return Ok(());
            }
            tags.push(tag.clone());
            tags.sort();
            save_tags(tx, &v, &tags).await?;
            crate::service::automations::events::artifact(
                tx,
                "tag_added",
                &v,
                Some(&tag),
                Some(user),
            )
            .await?;
            event("tag_added", format!("{tag} on {name}"))
        }
        ArtifactEdit::RemoveTag(tag) => {
            let tag = tag.trim().to_owned();
            let mut tags = super::reads::tags_of(&v);
            let before = tags.len();
            tags.retain(|t| *t != tag);
            if tags.len() == before {
                return Ok(());
            }
            save_tags(tx, &v, &tags).await?;
            event("tag_removed", format!("{tag} from {name}"))
        }
        ArtifactEdit::Description(text) => {
            let text = text.filter(|t| !t.trim().is_empty());
            check_text("description", &text)?;
            if text == v.description {
                return Ok(());
            }
            let mut a: artifact::ActiveModel = v.clone().into();
            a.description = Set(text);
            a.updated_at = Set(now_ms());
            repo::update_version(tx, a).await?;
            event("description", format!("description of {name} changed"))
        }
        ArtifactEdit::Metadata(text) => {
            let parsed: serde_json::Value = serde_json::from_str(&text)
                .map_err(|e| ApiError::Unprocessable(format!("metadata is not JSON: {e}")))?;
            if !parsed.is_object() {
                return Err(ApiError::Unprocessable(
                    "metadata must be a JSON object".into(),
                ));
            }
            let text = parsed.to_string();
            let before = v.metadata.as_deref().unwrap_or("{}");
            let unchanged = serde_json::from_str::<serde_json::Value>(before).ok() == Some(parsed);
            if unchanged {
                return Ok(());
            }
            let mut a: artifact::ActiveModel = v.clone().into();
            a.metadata = Set(Some(text));
            a.updated_at = Set(now_ms());
            repo::update_version(tx, a).await?;
            event("metadata", format!("metadata of {name} changed"))
        }
        ArtifactEdit::CollectionDescription(text) => {
            let text = text.filter(|t| !t.trim().is_empty());
            check_text("description", &text)?;
            if text == place.coll.description {
                return Ok(());
            }
            let mut c: artifact_collection::ActiveModel = place.coll.clone().into();
            c.description = Set(text);
            repo::update_collection(tx, c).await?;
            (
                "collection_description",
                "collection description changed".to_owned(),
            )
        }
        ArtifactEdit::Ttl(ttl) => {
            if ttl.is_some() && !logic::ttl_allowed(&place.coll.type_name) {
                return Err(ApiError::Unprocessable(format!(
                    "artifacts of type {:?} cannot have a time to live",
                    place.coll.type_name
                )));
            }
            if ttl.is_some_and(|s| s <= 0) {
                return Err(ApiError::Unprocessable(
                    "a time to live is a positive number of seconds".into(),
                ));
            }
            if ttl == v.ttl_seconds {
                return Ok(());
            }
            let mut a: artifact::ActiveModel = v.clone().into();
            a.ttl_seconds = Set(ttl);
            a.updated_at = Set(now_ms());
            repo::update_version(tx, a).await?;
            match ttl {
                Some(s) => event(
                    "ttl_set",
                    format!("{name} expires {} days after creation", s / 86_400),
                ),
                None => event("ttl_cleared", format!("{name} no longer expires")),
            }
        }
        ArtifactEdit::Delete { remove_aliases } => {
            delete_version(tx, coll, &v, remove_aliases).await?;
            event("deleted", format!("{name} deleted"))
        }
        ArtifactEdit::DeleteCollection => {
            let mut c: artifact_collection::ActiveModel = place.coll.clone().into();
            c.deleted_at = Set(Some(now_ms()));
            repo::update_collection(tx, c).await?;
            (
                "collection_deleted",
                format!("{} deleted with all its versions", place.coll.name),
            )
        }
    };
    record_event(tx, coll, Some(&v), action, detail, Some(user), door).await
}

async fn save_tags(
    tx: &impl ConnectionTrait,
    v: &artifact::Model,
    tags: &[String],
) -> Result<(), ApiError> {
    let mut a: artifact::ActiveModel = v.clone().into();
    a.tags = Set(serde_json::to_string(tags).unwrap_or_else(|_| "[]".into()));
    a.updated_at = Set(now_ms());
    repo::update_version(tx, a).await?;
    Ok(())
}

/// Delete a version: refused while aliases of the user's own point at it unless
/// `remove_aliases`; its aliases go, and `latest` moves to the newest version left.
pub(super) async fn delete_version(
    tx: &impl ConnectionTrait,
    coll: i32,
    v: &artifact::Model,
    remove_aliases: bool,
) -> Result<(), ApiError> {
    let aliases = repo::aliases_of(tx, v.id).await?;
    let own: Vec<&String> = aliases
        .iter()
        .filter(|a| !logic::kept_by_server(a))
        .collect();
    if !own.is_empty() && !remove_aliases {
        return Err(ApiError::Conflict(format!(
            "v{} has the aliases {}; remove them first, or delete it together with them",
            v.version_index,
            own.iter()
                .map(|a| a.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    for a in &aliases {
        repo::remove_alias(tx, coll, a).await?;
    }
    let mut a: artifact::ActiveModel = v.clone().into();
    a.deleted_at = Set(Some(now_ms()));
    repo::update_version(tx, a).await?;
    if aliases.iter().any(|a| a == "latest") {
        if let Some(newest) = repo::newest_live(tx, coll).await? {
            repo::set_alias(tx, coll, "latest", newest.id).await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_aliases_and_tags() {
        assert!(logic::kept_by_server("latest") && logic::kept_by_server("v12"));
        assert!(
            !logic::kept_by_server("best")
                && !logic::kept_by_server("v")
                && !logic::kept_by_server("v1a")
        );
        assert!(check_tag("baseline").is_ok());
        assert!(check_tag(" ").is_err() && check_tag("a,b").is_err());
        assert!(check_tag(&"x".repeat(129)).is_err());
    }
}
