//! The lineage around a version or a run: runs and versions within `depth` steps,
//! found breadth first over "a run logged a version" and "a run used a version".
//! Things in projects the viewer may not read are left out.

use std::collections::HashMap;

use sea_orm::ConnectionTrait;

use app::logic::artifacts::NodeKind;
use app::model::{LineageGraph, LineageNodeInfo, ProjectRef, RunId, VersionRef};

use super::{readable_version, Readable};
use crate::db::entities::user;
use crate::db::repo::artifacts as repo;
use crate::db::repo::runs;
use crate::error::ApiError;
use crate::service::reads::readable_run;

/// The deepest lineage anyone may ask for.
const MAX_DEPTH: usize = 8;
/// Nodes at most in one graph; beyond it the graph is cut and says so.
const MAX_NODES: usize = 5_000;

/// What a lineage graph is centred on.
#[derive(Clone, Debug)]
pub enum Focus {
    Version(VersionRef),
    Run(ProjectRef, RunId),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Key {
    Run(i32),
    Version(i32),
}

/// The graph within `depth` steps of `focus`.
pub async fn lineage(
    db: &impl ConnectionTrait,
    viewer: Option<&user::Model>,
    focus: &Focus,
    depth: usize,
) -> Result<LineageGraph, ApiError> {
    let depth = depth.clamp(1, MAX_DEPTH);
    let start = match focus {
        Focus::Version(r) => Key::Version(readable_version(db, viewer, r).await?.1.id),
        Focus::Run(at, run) => Key::Run(readable_run(db, viewer, at, run).await?.2.id),
    };
    let mut readable = Readable::new(viewer);
    let mut index: HashMap<Key, usize> = HashMap::from([(start, 0)]);
    let mut nodes: Vec<Option<LineageNodeInfo>> = vec![None];
    let mut edges: Vec<(usize, usize)> = Vec::new();
    let mut frontier = vec![start];
    let mut truncated = false;
    let mut seen_edges = std::collections::HashSet::new();
    for level in 0..=depth {
        // Describe this level's nodes (dropping unreadable ones), then expand them.
        let run_pks: Vec<i32> = frontier
            .iter()
            .filter_map(|k| match k {
                Key::Run(pk) => Some(*pk),
                _ => None,
            })
            .collect();
        let version_pks: Vec<i32> = frontier
            .iter()
            .filter_map(|k| match k {
                Key::Version(pk) => Some(*pk),
                _ => None,
            })
            .collect();
        let run_rows = runs::live_by_pks(db, &run_pks).await?;
        let version_rows = repo::live_versions(db, &version_pks).await?;
        let coll_ids: Vec<i32> = version_rows.iter().map(|v| v.collection_id).collect();
        let colls: HashMap<i32, _> = repo::collections_by_id(db, &coll_ids)
            .await?
            .into_iter()
            .filter(|c| c.deleted_at.is_none())
            .map(|c| (c.id, c))
            .collect();
        let mut alive = Vec::new();
        for r in &run_rows {
            if let Some(project) = readable.get(db, r.project_id).await? {
                let run_id = RunId(r.run_id.clone());
                nodes[index[&Key::Run(r.id)]] = Some(LineageNodeInfo {
                    kind: NodeKind::Run,
                    label: r.display_name.clone(),
                    group: None,
                    href: project.run_href(&run_id),
                });
                alive.push(Key::Run(r.id));
            }
        }
        for v in &version_rows {
            let Some(c) = colls.get(&v.collection_id) else {
                continue;
            };
            if let Some(project) = readable.get(db, c.project_id).await? {
                let r = VersionRef {
                    project,
                    type_name: c.type_name.clone(),
                    collection: c.name.clone(),
                    version: format!("v{}", v.version_index),
                };
                nodes[index[&Key::Version(v.id)]] = Some(LineageNodeInfo {
                    kind: NodeKind::Artifact,
                    label: format!("{}:v{}", c.name, v.version_index),
                    group: Some(format!("{}/{}", c.type_name, c.name)),
                    href: r.href(),
                });
                alive.push(Key::Version(v.id));
            }
        }
        if level == depth {
            // The next level would be beyond the depth: say whether there is one.
            let more = !repo::usages_by_runs(db, &run_pks).await?.is_empty()
                || !repo::usages_of_versions(db, &version_pks).await?.is_empty();
            truncated |= more;
            break;
        }
        // Neighbours: (from, to) pairs pointing downstream.
        let mut pairs: Vec<(Key, Key)> = Vec::new();
        let live_runs: Vec<i32> = alive
            .iter()
            .filter_map(|k| match k {
                Key::Run(pk) => Some(*pk),
                _ => None,
            })
            .collect();
        let live_versions: Vec<i32> = alive
            .iter()
            .filter_map(|k| match k {
                Key::Version(pk) => Some(*pk),
                _ => None,
            })
            .collect();
        for v in repo::produced_by_runs(db, &live_runs).await? {
            if let Some(r) = v.run_id {
                pairs.push((Key::Run(r), Key::Version(v.id)));
            }
        }
        for (v, r) in repo::usages_by_runs(db, &live_runs).await? {
            pairs.push((Key::Version(v), Key::Run(r)));
        }
        for v in &version_rows {
            if let Some(r) = v.run_id.filter(|_| live_versions.contains(&v.id)) {
                pairs.push((Key::Run(r), Key::Version(v.id)));
            }
        }
        for (v, r) in repo::usages_of_versions(db, &live_versions).await? {
            pairs.push((Key::Version(v), Key::Run(r)));
        }
        let mut next = Vec::new();
        for (a, b) in pairs {
            if !seen_edges.insert((a, b)) {
                continue;
            }
            let mut slot = |k: Key, next: &mut Vec<Key>| -> Option<usize> {
                if let Some(&i) = index.get(&k) {
                    return Some(i);
                }
                if nodes.len() >= MAX_NODES {
                    return None;
                }
                index.insert(k, nodes.len());
                nodes.push(None);
                next.push(k);
                Some(nodes.len() - 1)
            };
            match (slot(a, &mut next), slot(b, &mut next)) {
                (Some(x), Some(y)) => edges.push((x, y)),
                _ => truncated = true,
            }
        }
        if next.is_empty() {
            break;
        }
        frontier = next;
    }
    // Keep only the nodes that were described (readable and live), renumbered.
    let mut renumber = vec![None; nodes.len()];
    let mut kept = Vec::new();
    for (i, n) in nodes.into_iter().enumerate() {
        if let Some(n) = n {
            renumber[i] = Some(kept.len());
            kept.push(n);
        }
    }
    let focus = renumber[0].ok_or_else(|| ApiError::Internal("the focus went missing".into()))?;
    let mut edges: Vec<(usize, usize)> = edges
        .into_iter()
        .filter_map(|(a, b)| Some((renumber[a]?, renumber[b]?)))
        .collect();
    edges.sort_unstable();
    edges.dedup();
    Ok(LineageGraph {
        nodes: kept,
        edges,
        focus,
        truncated,
    })
}
