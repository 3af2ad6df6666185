//! The Artifacts tab's use cases over what the wandb client stored: find a
//! collection or version the viewer may read, list and page them, lay out their
//! lineage, change them (aliases, tags, descriptions, TTL, deletion) and keep the
//! collection's action history. Pages, `/api/v1` and the wandb adapter all call
//! these, so every door checks access and writes history the same way.

mod cleanup;
mod edits;
mod lineage;
mod preview;
mod reads;
pub mod zip;

pub use cleanup::{clean_up, deleted_collections, restore_collection, Cleanup};
pub use edits::{edit, edit_by_key, point_alias, record_event, Door};
pub use lineage::{lineage, Focus};
pub use preview::preview;
pub use reads::{
    diff, events, file_bytes, files_page, index, version_detail, versions_page, zip_entries,
};

use std::collections::HashMap;

use sea_orm::ConnectionTrait;

use app::model::{ProjectRef, VersionRef};

use crate::auth::access::{project_access, Access, Rights};
use crate::db::entities::{artifact, artifact_collection, entity, project, user};
use crate::db::repo::artifacts as repo;
use crate::db::repo::projects;
use crate::error::ApiError;
use crate::service::reads::readable_project_rights;

/// A readable collection with its project and the viewer's rights there.
#[derive(Clone, Debug)]
pub struct Place {
    pub project: project::Model,
    pub owner: entity::Model,
    pub rights: Rights,
    pub coll: artifact_collection::Model,
}

impl Place {
    pub fn at(&self) -> ProjectRef {
        ProjectRef::new(self.owner.name.clone(), self.project.name.clone())
    }
}

fn no_collection(at: &ProjectRef, type_name: &str, name: &str) -> ApiError {
    ApiError::NotFound(format!(
        "artifact {type_name}/{name} not found in {}/{}",
        at.entity, at.project
    ))
}

/// The live collection `name` of a project the viewer may read. `type_name`, when
/// given, must match (URLs carry it; a wrong one is a wrong URL).
pub async fn readable_collection(
    db: &impl ConnectionTrait,
    viewer: Option<&user::Model>,
    at: &ProjectRef,
    type_name: Option<&str>,
    name: &str,
) -> Result<Place, ApiError> {
    let (project, owner, rights) = readable_project_rights(db, viewer, at).await?;
    let coll = repo::collection_named(db, project.id, name)
        .await?
        .filter(|c| type_name.is_none_or(|t| t == c.type_name))
        .ok_or_else(|| no_collection(at, type_name.unwrap_or("*"), name))?;
    Ok(Place {
        project,
        owner,
        rights,
        coll,
    })
}

/// The live committed version `name` (`vN`, or an alias, aliases first) of a place.
pub async fn version_named(
    db: &impl ConnectionTrait,
    place: &Place,
    name: &str,
) -> Result<artifact::Model, ApiError> {
    let found = match repo::aliased_version(db, place.coll.id, name).await? {
        Some(v) => Some(v),
        None => match name.strip_prefix('v').and_then(|n| n.parse::<i32>().ok()) {
            Some(index) => repo::committed_version(db, place.coll.id, index).await?,
            None => None,
        },
    };
    found
        .filter(|v| v.deleted_at.is_none() && v.state == repo::COMMITTED)
        .ok_or_else(|| {
            ApiError::NotFound(format!(
                "version {name:?} of artifact {} not found",
                place.coll.name
            ))
        })
}

/// The live version with key `pk`, with its place, if the viewer may read it.
pub async fn readable_version_by_key(
    db: &impl ConnectionTrait,
    viewer: Option<&user::Model>,
    pk: i32,
) -> Result<(Place, artifact::Model), ApiError> {
    let missing = || ApiError::NotFound(format!("artifact version {pk} not found"));
    let v = repo::version(db, pk)
        .await?
        .filter(|v| v.deleted_at.is_none())
        .ok_or_else(missing)?;
    let coll = repo::collection(db, v.collection_id)
        .await?
        .filter(|c| c.deleted_at.is_none())
        .ok_or_else(missing)?;
    let project = projects::project_by_id(db, coll.project_id)
        .await?
        .filter(|p| p.deleted_at.is_none())
        .ok_or_else(missing)?;
    let owner = projects::find_entity_by_id(db, project.entity_id)
        .await?
        .ok_or_else(missing)?;
    let rights = crate::auth::access::project_rights(db, viewer, &project, &owner).await?;
    if rights.access == Access::None {
        return Err(missing());
    }
    Ok((
        Place {
            project,
            owner,
            rights,
            coll,
        },
        v,
    ))
}

/// The version a [`VersionRef`] names, with its place.
pub async fn readable_version(
    db: &impl ConnectionTrait,
    viewer: Option<&user::Model>,
    r: &VersionRef,
) -> Result<(Place, artifact::Model), ApiError> {
    let place =
        readable_collection(db, viewer, &r.project, Some(&r.type_name), &r.collection).await?;
    let version = version_named(db, &place, &r.version).await?;
    Ok((place, version))
}

/// Which projects the viewer may read, looked up once each (lineage, consumers and
/// the wandb public API list runs of many projects).
pub struct Readable<'v> {
    viewer: Option<&'v user::Model>,
    known: HashMap<i32, Option<(project::Model, entity::Model)>>,
}

impl<'v> Readable<'v> {
    pub fn new(viewer: Option<&'v user::Model>) -> Self {
        Self {
            viewer,
            known: HashMap::new(),
        }
    }

    /// The live project `project_id` and its owner, if the viewer may read it.
    pub async fn models(
        &mut self,
        db: &impl ConnectionTrait,
        project_id: i32,
    ) -> Result<Option<(project::Model, entity::Model)>, ApiError> {
        if let Some(p) = self.known.get(&project_id) {
            return Ok(p.clone());
        }
        let found = match projects::project_by_id(db, project_id).await? {
            Some(p) if p.deleted_at.is_none() => {
                match projects::find_entity_by_id(db, p.entity_id).await? {
                    Some(e) if project_access(db, self.viewer, &p, &e).await? != Access::None => {
                        Some((p, e))
                    }
                    _ => None,
                }
            }
            _ => None,
        };
        self.known.insert(project_id, found.clone());
        Ok(found)
    }

    /// Where the live project `project_id` is, if the viewer may read it.
    pub async fn get(
        &mut self,
        db: &impl ConnectionTrait,
        project_id: i32,
    ) -> Result<Option<ProjectRef>, ApiError> {
        Ok(self
            .models(db, project_id)
            .await?
            .map(|(p, e)| ProjectRef::new(e.name, p.name)))
    }
}
