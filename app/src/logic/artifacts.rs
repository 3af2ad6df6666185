//! The pure part of the Artifacts tab: a version's files as a folder tree, the
//! difference between two versions, alias and TTL rules, and the lineage graph's
//! layout (runs and versions in columns, left to right, crowded columns folded into
//! clusters). The server and the browser both use these.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use crate::logic::validate::Invalid;

/// One file of a version, as its manifest lists it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct FileEntry {
    /// The path inside the version, `/`-separated.
    pub path: String,
    pub size: i64,
    /// The content's digest (base64 MD5 for wandb artifacts).
    pub digest: String,
}

/// A folder directly under the folder being listed, with what it holds in all.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FolderEntry {
    pub name: String,
    pub files: u64,
    pub size: i64,
}

/// The direct children of folder `prefix` (`""` for the top, else ending in `/`) of
/// `files` (sorted by path): its folders with their totals, then its files.
pub fn folder_listing(files: &[FileEntry], prefix: &str) -> (Vec<FolderEntry>, Vec<FileEntry>) {
    let start = files.partition_point(|f| f.path.as_str() < prefix);
    let mut folders: Vec<FolderEntry> = Vec::new();
    let mut direct = Vec::new();
    for f in files[start..]
        .iter()
        .take_while(|f| f.path.starts_with(prefix))
    {
        let rest = &f.path[prefix.len()..];
        match rest.split_once('/') {
            Some((dir, _)) => match folders.last_mut() {
                Some(last) if last.name == dir => {
                    last.files += 1;
                    last.size += f.size;
                }
                _ => folders.push(FolderEntry {
                    name: dir.to_owned(),
                    files: 1,
                    size: f.size,
                }),
            },
            None => direct.push(f.clone()),
        }
    }
    (folders, direct)
}

/// How two versions' files differ, by path and digest.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Diff {
    /// Only in the newer version.
    pub added: Vec<FileEntry>,
    /// Only in the older version.
    pub removed: Vec<FileEntry>,
    /// In both with other contents: (older, newer).
    pub changed: Vec<(FileEntry, FileEntry)>,
    /// In both with the same contents.
    pub unchanged: u64,
}

/// The difference from `old` to `new` (both sorted by path, paths unique).
pub fn diff(old: &[FileEntry], new: &[FileEntry]) -> Diff {
    let mut out = Diff::default();
    let (mut i, mut j) = (0, 0);
    while i < old.len() || j < new.len() {
        match (old.get(i), new.get(j)) {
            (Some(a), Some(b)) if a.path == b.path => {
                if a.digest == b.digest {
                    out.unchanged += 1;
                } else {
                    out.changed.push((a.clone(), b.clone()));
                }
                i += 1;
                j += 1;
            }
            (Some(a), Some(b)) if a.path < b.path => {
                out.removed.push(a.clone());
                i += 1;
            }
            (Some(_), Some(b)) | (None, Some(b)) => {
                out.added.push(b.clone());
                j += 1;
            }
            (Some(a), None) => {
                out.removed.push(a.clone());
                i += 1;
            }
            (None, None) => break,
        }
    }
    out
}

/// An alias a user may set: not empty, at most 128 characters, not a version name
/// (`v3`: the server keeps those) and without `/` or `:` (they separate the parts of
/// an artifact's name).
pub fn check_alias(alias: &str) -> Result<(), Invalid> {
    let version_like = alias
        .strip_prefix('v')
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
    if alias.trim().is_empty() || alias.chars().count() > 128 {
        return Err(Invalid("an alias has 1 to 128 characters".into()));
    }
    if version_like || alias.contains(['/', ':']) {
        return Err(Invalid(format!(
            "alias {alias:?} is not allowed (version names and '/' or ':' are reserved)"
        )));
    }
    Ok(())
}

/// Whether versions of an artifact type may have a time to live (as on W&B: not run
/// tables, code, jobs, or the client's own `wandb-*` types).
pub fn ttl_allowed(type_name: &str) -> bool {
    !matches!(type_name, "run_table" | "code" | "job") && !type_name.starts_with("wandb-")
}

/// When a version created at `created_ms` with a TTL of `ttl_seconds` expires.
pub fn expires_at(created_ms: i64, ttl_seconds: Option<i64>) -> Option<i64> {
    ttl_seconds.map(|s| created_ms.saturating_add(s.saturating_mul(1000)))
}

/// What a lineage node stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum NodeKind {
    /// A run (drawn as a box).
    Run,
    /// An artifact version, or a collection when versions are folded (a circle).
    Artifact,
}

/// A node of the lineage graph.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineageNode {
    pub kind: NodeKind,
    pub label: String,
}

/// What one place of the laid-out graph shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Shown {
    /// One node (its index in the graph's nodes).
    Node(usize),
    /// A crowded column folded: its nodes, sorted by label.
    Cluster(Vec<usize>),
}

/// A laid-out graph: columns left to right (upstream first), each a list of places,
/// and arrows between places (`(column, row)` to `(column, row)`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Layout {
    pub columns: Vec<Vec<Shown>>,
    pub arrows: Vec<((usize, usize), (usize, usize))>,
    /// The column and row of the focus node.
    pub focus: (usize, usize),
}

/// A column with at least this many nodes folds into a cluster.
pub const CLUSTER_AT: usize = 5;

/// Lay out the part of the graph within `depth` steps of `focus`. `edges` point
/// downstream (a run to what it produced, a version to the runs that used it).
/// Upstream nodes go to the left of the focus, downstream ones to the right, one
/// column per step; a column of [`CLUSTER_AT`] or more nodes becomes one cluster,
/// except the nodes in `pulled` (pulled out of it), which keep their own places.
pub fn layout(
    nodes: &[LineageNode],
    edges: &[(usize, usize)],
    focus: usize,
    depth: usize,
    pulled: &BTreeSet<usize>,
) -> Layout {
    if focus >= nodes.len() {
        return Layout::default();
    }
    // Signed distance from the focus: negative upstream, positive downstream.
    let mut level: BTreeMap<usize, i64> = BTreeMap::from([(focus, 0)]);
    for downstream in [false, true] {
        let mut queue = VecDeque::from([(focus, 0i64)]);
        while let Some((n, d)) = queue.pop_front() {
            if d.unsigned_abs() as usize >= depth {
                continue;
            }
            for &(a, b) in edges {
                let next = match (downstream, a == n, b == n) {
                    (true, true, _) => b,
                    (false, _, true) => a,
                    _ => continue,
                };
                if next >= nodes.len() || level.contains_key(&next) {
                    continue;
                }
                let d = if downstream { d + 1 } else { d - 1 };
                level.insert(next, d);
                queue.push_back((next, d));
            }
        }
    }
    let lowest = level.values().copied().min().unwrap_or(0);
    let width = (level.values().copied().max().unwrap_or(0) - lowest + 1) as usize;
    let mut by_column: Vec<Vec<usize>> = vec![Vec::new(); width];
    for (&n, &l) in &level {
        by_column[(l - lowest) as usize].push(n);
    }
    let mut place: BTreeMap<usize, (usize, usize)> = BTreeMap::new();
    let mut columns = Vec::with_capacity(width);
    for (c, mut members) in by_column.into_iter().enumerate() {
        members.sort_by(|a, b| {
            (nodes[*a].kind, &nodes[*a].label, a).cmp(&(nodes[*b].kind, &nodes[*b].label, b))
        });
        let fold = members.len() >= CLUSTER_AT;
        let (own, folded): (Vec<usize>, Vec<usize>) = members
            .into_iter()
            .partition(|n| !fold || *n == focus || pulled.contains(n));
        let mut shown: Vec<Shown> = own.iter().map(|&n| Shown::Node(n)).collect();
        for (r, &n) in own.iter().enumerate() {
            place.insert(n, (c, r));
        }
        if !folded.is_empty() {
            let r = shown.len();
            for &n in &folded {
                place.insert(n, (c, r));
            }
            shown.push(Shown::Cluster(folded));
        }
        columns.push(shown);
    }
    let mut arrows: Vec<((usize, usize), (usize, usize))> = edges
        .iter()
        .filter_map(|(a, b)| Some((*place.get(a)?, *place.get(b)?)))
        .filter(|(a, b)| a != b)
        .collect();
    arrows.sort_unstable();
    arrows.dedup();
    Layout {
        focus: place[&focus],
        columns,
        arrows,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn f(path: &str, size: i64, digest: &str) -> FileEntry {
        FileEntry {
            path: path.into(),
            size,
            digest: digest.into(),
        }
    }

    #[test]
    fn folders_list_their_direct_children_with_totals() {
        let files = vec![
            f("a.txt", 1, "x"),
            f("data/train/0.csv", 10, "x"),
            f("data/train/1.csv", 20, "x"),
            f("data/val.csv", 5, "x"),
            f("model.pt", 100, "x"),
        ];
        let (folders, direct) = folder_listing(&files, "");
        assert_eq!(
            folders,
            [FolderEntry {
                name: "data".into(),
                files: 3,
                size: 35
            }]
        );
        assert_eq!(direct.len(), 2);
        let (folders, direct) = folder_listing(&files, "data/");
        assert_eq!(folders[0].name, "train");
        assert_eq!(folders[0].files, 2);
        assert_eq!(direct, [f("data/val.csv", 5, "x")]);
        assert_eq!(folder_listing(&files, "nope/"), (vec![], vec![]));
    }

    #[test]
    fn diffs_name_added_removed_and_changed_files() {
        let old = vec![f("a", 1, "1"), f("b", 1, "1"), f("c", 1, "1")];
        let new = vec![f("a", 1, "1"), f("b", 2, "2"), f("d", 1, "1")];
        let d = diff(&old, &new);
        assert_eq!(d.added, [f("d", 1, "1")]);
        assert_eq!(d.removed, [f("c", 1, "1")]);
        assert_eq!(d.changed, [(f("b", 1, "1"), f("b", 2, "2"))]);
        assert_eq!(d.unchanged, 1);
    }

    #[test]
    fn alias_and_ttl_rules() {
        for ok in ["latest-good", "best", "prod", "v", "v1a", "version2"] {
            assert!(check_alias(ok).is_ok(), "{ok}");
        }
        for bad in ["", " ", "v0", "v12", "a/b", "a:b", &"x".repeat(129)] {
            assert!(check_alias(bad).is_err(), "{bad:?}");
        }
        assert!(ttl_allowed("dataset") && ttl_allowed("model"));
        assert!(!ttl_allowed("code") && !ttl_allowed("wandb-history") && !ttl_allowed("job"));
        assert_eq!(expires_at(1_000, Some(60)), Some(61_000));
        assert_eq!(expires_at(1_000, None), None);
    }

    fn chain_graph() -> (Vec<LineageNode>, Vec<(usize, usize)>) {
        // data (0) → run 1 → model (2) → runs 3..9 (7 consumers)
        let mut nodes = vec![
            LineageNode {
                kind: NodeKind::Artifact,
                label: "data:v0".into(),
            },
            LineageNode {
                kind: NodeKind::Run,
                label: "train".into(),
            },
            LineageNode {
                kind: NodeKind::Artifact,
                label: "model:v0".into(),
            },
        ];
        let mut edges = vec![(0, 1), (1, 2)];
        for i in 0..7 {
            nodes.push(LineageNode {
                kind: NodeKind::Run,
                label: format!("eval-{i}"),
            });
            edges.push((2, 3 + i));
        }
        (nodes, edges)
    }

    #[test]
    fn lineage_runs_left_to_right_and_folds_crowded_columns() {
        let (nodes, edges) = chain_graph();
        let l = layout(&nodes, &edges, 2, 2, &BTreeSet::new());
        assert_eq!(l.columns.len(), 4);
        assert_eq!(l.columns[0], [Shown::Node(0)]);
        assert_eq!(l.focus, (2, 0));
        assert!(matches!(&l.columns[3][..], [Shown::Cluster(c)] if c.len() == 7));
        // Pulling one out gives it its own place beside the cluster.
        let l = layout(&nodes, &edges, 2, 2, &BTreeSet::from([5]));
        assert_eq!(l.columns[3].len(), 2);
        assert!(l.columns[3].contains(&Shown::Node(5)));
        // Depth 1 stops next to the focus.
        let l = layout(&nodes, &edges, 2, 1, &BTreeSet::new());
        assert_eq!(l.columns.len(), 3);
        assert!(!l.columns.iter().flatten().any(|s| s == &Shown::Node(0)));
    }

    proptest! {
        /// Every node within reach is placed exactly once, places never collide, and
        /// arrows join places that exist.
        #[test]
        fn layouts_place_each_node_once(
            n in 1usize..30,
            raw_edges in prop::collection::vec((0usize..30, 0usize..30), 0..60),
            focus in 0usize..30,
            depth in 0usize..5,
            pulled in prop::collection::btree_set(0usize..30, 0..5),
        ) {
            let nodes: Vec<LineageNode> = (0..n)
                .map(|i| LineageNode { kind: if i % 2 == 0 { NodeKind::Run } else { NodeKind::Artifact }, label: format!("n{}", i % 7) })
                .collect();
            let edges: Vec<(usize, usize)> = raw_edges.into_iter().filter(|(a, b)| a < &n && b < &n && a != b).collect();
            let focus = focus % n;
            let l = layout(&nodes, &edges, focus, depth, &pulled);
            let mut seen = BTreeSet::new();
            for column in &l.columns {
                prop_assert!(!column.is_empty());
                for shown in column {
                    match shown {
                        Shown::Node(i) => prop_assert!(seen.insert(*i)),
                        Shown::Cluster(c) => {
                            prop_assert!(!c.is_empty());
                            for i in c {
                                prop_assert!(seen.insert(*i));
                                prop_assert!(*i != focus && !pulled.contains(i));
                            }
                        }
                    }
                }
            }
            prop_assert!(seen.contains(&focus));
            let (fc, fr) = l.focus;
            prop_assert_eq!(&l.columns[fc][fr], &Shown::Node(focus));
            for ((ac, ar), (bc, br)) in &l.arrows {
                prop_assert!(*ar < l.columns[*ac].len() && *br < l.columns[*bc].len());
            }
            if depth == 0 {
                prop_assert_eq!(seen.len(), 1);
            }
        }
    }
}
