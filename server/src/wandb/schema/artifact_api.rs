//! The wandb public API's artifact calls (`wandb.Api()`): artifact types and
//! collections of a project, who logged and used a version, and the edits
//! `artifact.save()` and `artifact.delete()` send. Edits go through
//! `service::artifacts`, so they check access and write history like the UI.

use std::collections::HashSet;
use std::sync::Arc;

use serde_json::{json, Value};

use app::logic::artifacts::kept_by_server;
use app::logic::format::iso_utc_seconds;
use app::model::ArtifactEdit;

use super::{connection, offset_of, Ctx, Obj, Out};
use crate::db::entities::{entity, project};
use crate::db::repo::artifacts as repo;
use crate::db::repo::runs as run_repo;
use crate::error::ApiError;
use crate::service::artifacts::{edit_by_key, Door, Readable};
use crate::wandb::artifacts::{alias_values, ArtifactRow, CollectionRow};
use crate::wandb::gql::{Args, Failure, Val};
use crate::wandb::ids;
use crate::wandb::upsert::RunRow;

type TypeKey = Arc<(project::Model, entity::Model, String)>;

/// `[{tagName: ...}]`: the tag names.
fn tag_list(input: &Args, key: &str) -> Vec<String> {
    input
        .get(key)
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|t| t.get("tagName").and_then(Value::as_str).map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// What an `UpdateArtifact` input asks for, in the order it is applied.
fn update_changes(input: &Args) -> Result<Vec<ArtifactEdit>, ApiError> {
    let mut out = Vec::new();
    match input.get("description") {
        Some(Value::String(d)) => out.push(ArtifactEdit::Description(Some(d.clone()))),
        Some(Value::Null) => out.push(ArtifactEdit::Description(None)),
        _ => {}
    }
    if let Some(m) = input.str("metadata") {
        out.push(ArtifactEdit::Metadata(m.to_owned()));
    }
    match input.i64("ttlDurationSeconds") {
        // -1: inherit the collection's (Cairn has none), -2: turned off.
        Some(-1 | -2) => out.push(ArtifactEdit::Ttl(None)),
        Some(s) if s > 0 => out.push(ArtifactEdit::Ttl(Some(s))),
        Some(s) => {
            return Err(ApiError::Unprocessable(format!(
                "ttlDurationSeconds {s} is neither positive, -1 nor -2"
            )))
        }
        None => {}
    }
    out.extend(
        tag_list(input, "tagsToAdd")
            .into_iter()
            .map(ArtifactEdit::AddTag),
    );
    out.extend(
        tag_list(input, "tagsToDelete")
            .into_iter()
            .map(ArtifactEdit::RemoveTag),
    );
    // Older clients send the whole alias list here.
    out.extend(
        alias_values(input, "aliases")
            .into_iter()
            .filter(|a| !kept_by_server(a))
            .map(ArtifactEdit::AddAlias),
    );
    Ok(out)
}

impl Ctx {
    /// `updateArtifact`, `addAliases`, `deleteAliases`, `deleteArtifact`.
    pub(super) async fn artifact_mutation(&self, name: &str, input: &Args) -> Out {
        let id = input
            .str("artifactID")
            .ok_or_else(|| ApiError::Unprocessable("artifactID is required".into()))?;
        let pk = ids::parse_keyed("Artifact", id)
            .ok_or_else(|| ApiError::NotFound(format!("artifact {id:?} not found")))?;
        let changes = match name {
            "updateArtifact" => update_changes(input)?,
            "addAliases" => alias_values(input, "aliases")
                .into_iter()
                .filter(|a| !kept_by_server(a))
                .map(ArtifactEdit::AddAlias)
                .collect(),
            "deleteAliases" => alias_values(input, "aliases")
                .into_iter()
                .filter(|a| !kept_by_server(a))
                .map(ArtifactEdit::RemoveAlias)
                .collect(),
            _ => vec![ArtifactEdit::Delete {
                remove_aliases: input.bool("deleteAliases").unwrap_or(false),
            }],
        };
        edit_by_key(self.db(), &self.user, pk, changes, Door::Wandb).await?;
        Ok(match name {
            "updateArtifact" => {
                let row = self
                    .readable_artifact(id)
                    .await?
                    .ok_or_else(|| ApiError::NotFound(format!("artifact {id:?} not found")))?;
                Val::Map(
                    "UpdateArtifactPayload",
                    vec![("artifact", Val::Obj(Obj::Artifact(row)))],
                )
            }
            "deleteArtifact" => Val::json(json!({
                "__typename": "DeleteArtifactPayload",
                "artifact": {"__typename": "Artifact", "id": id},
            })),
            _ => Val::json(json!({"success": true})),
        })
    }

    /// An artifact's `tags`, `usedBy` (a connection of runs) and `createdBy` (a run).
    pub(super) async fn artifact_links(&self, a: &Arc<ArtifactRow>, name: &str) -> Out {
        let db = self.db();
        Ok(match name {
            "tags" => {
                let tags: Vec<String> = serde_json::from_str(&a.art.tags).unwrap_or_default();
                Val::json(
                    tags.into_iter()
                        .map(|t| {
                            json!({
                                "__typename": "Tag",
                                "id": ids::encode(&format!("Tag:{t}")),
                                "name": t,
                            })
                        })
                        .collect::<Vec<_>>(),
                )
            }
            "usedBy" => {
                let pks: Vec<i32> = repo::usages_of_versions(db, &[a.art.id])
                    .await?
                    .into_iter()
                    .map(|(_, r)| r)
                    .collect();
                let runs = self.readable_runs(&pks).await?;
                let total = runs.len();
                connection(runs, 0, total)
            }
            _ => match a.art.run_id {
                Some(pk) => self
                    .readable_runs(&[pk])
                    .await?
                    .pop()
                    .unwrap_or(Val::null()),
                None => Val::null(),
            },
        })
    }

    /// Runs by key, as objects, leaving out the ones in projects the caller may not read.
    async fn readable_runs(&self, pks: &[i32]) -> Result<Vec<Val<Obj>>, Failure> {
        let db = self.db();
        let mut readable = Readable::new(Some(&self.user));
        let mut out = Vec::new();
        for run in run_repo::live_by_pks(db, pks).await? {
            if let Some((project, entity)) = readable.models(db, run.project_id).await? {
                out.push(Val::Obj(Obj::Run(Arc::new(RunRow {
                    run,
                    project,
                    entity,
                }))));
            }
        }
        Ok(out)
    }

    /// A project's `artifactTypes` (a connection), `artifactType(name)` and
    /// `artifactCollections` (a connection, optionally of one type).
    pub(super) async fn project_artifacts(
        &self,
        p: &Arc<(project::Model, entity::Model)>,
        name: &str,
        args: &Args,
    ) -> Out {
        let collections = repo::collections_of(self.db(), p.0.id).await?;
        let key = |t: &str| -> TypeKey { Arc::new((p.0.clone(), p.1.clone(), t.to_owned())) };
        Ok(match name {
            "artifactTypes" => {
                let mut seen = HashSet::new();
                let types: Vec<Val<Obj>> = collections
                    .iter()
                    .filter(|(c, _, _)| seen.insert(c.type_name.clone()))
                    .map(|(c, _, _)| Val::Obj(Obj::ArtifactType(key(&c.type_name))))
                    .collect();
                page_of(types, args)
            }
            "artifactType" => {
                let wanted = args.str("name").unwrap_or_default();
                let exists = collections.iter().any(|(c, _, _)| c.type_name == wanted);
                Val::opt(exists.then(|| Obj::ArtifactType(key(wanted))))
            }
            _ => self.collections_page(p, None, args).await?,
        })
    }

    /// An artifact type's fields.
    pub(super) async fn artifact_type(&self, t: &TypeKey, name: &str, args: Args) -> Out {
        let (project, _, type_name) = (&t.0, &t.1, &t.2);
        Ok(match name {
            "id" => Val::json(ids::encode(&format!(
                "ArtifactType:{}:{type_name}",
                project.id
            ))),
            "name" => Val::json(type_name.clone()),
            "description" => Val::null(),
            "createdAt" => Val::json(iso_utc_seconds(project.created_at)),
            "artifactCollections" | "artifactSequences" => {
                let p = Arc::new((t.0.clone(), t.1.clone()));
                self.collections_page(&p, Some(type_name), &args).await?
            }
            _ => Val::null(),
        })
    }

    /// A page of a project's live collections (of one type, when given), by name.
    async fn collections_page(
        &self,
        p: &Arc<(project::Model, entity::Model)>,
        type_name: Option<&str>,
        args: &Args,
    ) -> Out {
        let nodes: Vec<Val<Obj>> = repo::collections_of(self.db(), p.0.id)
            .await?
            .into_iter()
            .filter(|(c, _, _)| type_name.is_none_or(|t| t == c.type_name))
            .map(|(coll, _, _)| {
                Val::Obj(Obj::Collection(Arc::new(CollectionRow {
                    coll,
                    project: p.0.clone(),
                    entity: p.1.clone(),
                })))
            })
            .collect();
        Ok(page_of(nodes, args))
    }
}

/// The page `after`/`first` ask for of `all`, as a connection.
fn page_of(all: Vec<Val<Obj>>, args: &Args) -> Val<Obj> {
    let total = all.len();
    let offset = offset_of(args).min(total);
    let first = args.i64("first").unwrap_or(100).clamp(1, 1000) as usize;
    let page = all.into_iter().skip(offset).take(first).collect();
    connection(page, offset, total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn update_inputs_become_edits() {
        let input = Args(
            json!({"artifactID": "x", "description": "new", "metadata": "{\"a\": 1}",
                   "ttlDurationSeconds": -2, "tagsToAdd": [{"tagName": "gold"}],
                   "tagsToDelete": [{"tagName": "old"}], "aliases": [{"alias": "latest"}, {"alias": "best"}]})
            .as_object()
            .cloned()
            .unwrap_or_default(),
        );
        assert_eq!(
            update_changes(&input).ok(),
            Some(vec![
                ArtifactEdit::Description(Some("new".into())),
                ArtifactEdit::Metadata("{\"a\": 1}".into()),
                ArtifactEdit::Ttl(None),
                ArtifactEdit::AddTag("gold".into()),
                ArtifactEdit::RemoveTag("old".into()),
                ArtifactEdit::AddAlias("best".into()),
            ])
        );
        let bad = Args(
            json!({"ttlDurationSeconds": -5})
                .as_object()
                .cloned()
                .unwrap_or_default(),
        );
        assert!(update_changes(&bad).is_err());
    }
}
