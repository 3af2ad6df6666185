//! The Artifacts tab's use cases over what the wandb client stored: find a
//! collection or version the viewer may read, list and page them, lay out their
//! lineage, change them (aliases, tags, descriptions, TTL, deletion) and keep the
//! collection's action history. Pages, `/api/v1` and the wandb adapter all call
//! these, so every door checks access and writes history the same way.

mod edits;
mod lineage;
mod preview;
mod reads;
pub mod zip;

pub use edits::{edit, record_event, Door};
pub use lineage::{lineage, Focus, MAX_DEPTH};
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

/// Which projects the viewer may read, looked up once each.
pub(super) struct Readable<'v> {
    viewer: Option<&'v user::Model>,
    known: HashMap<i32, Option<ProjectRef>>,
}

impl<'v> Readable<'v> {
    pub(super) fn new(viewer: Option<&'v user::Model>) -> Self {
        Self {
            viewer,
            known: HashMap::new(),
        }
    }

    pub(super) async fn get(
        &mut self,
        db: &impl ConnectionTrait,
        project_id: i32,
    ) -> Result<Option<ProjectRef>, ApiError> {
        if let Some(p) = self.known.get(&project_id) {
            return Ok(p.clone());
        }
        let found = match projects::project_by_id(db, project_id).await? {
            Some(p) if p.deleted_at.is_none() => {
                match projects::find_entity_by_id(db, p.entity_id).await? {
                    Some(e) if project_access(db, self.viewer, &p, &e).await? != Access::None => {
                        Some(ProjectRef::new(e.name, p.name))
                    }
                    _ => None,
                }
            }
            _ => None,
        };
        self.known.insert(project_id, found.clone());
        Ok(found)
    }
}
