//! The pure part of the Artifacts tab: a version's files as a folder tree, the
//! difference between two versions, alias and TTL rules, and the lineage graph's
//! layout (runs and versions in columns, left to right, crowded columns folded into
//! clusters). The server and the browser both use these.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use crate::logic::validate::Invalid;

/// One file of a version, as its manifest lists it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct FileEntry {
    /// The path inside the version, `/`-separated.
    pub path: String,
    pub size: i64,
    /// The content's digest (base64 MD5 for wandb artifacts).
    pub digest: String,
}

/// A folder directly under the folder being listed, with what it holds in all.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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

/// The folder a file sits in: `"a/b/"` for `"a/b/c.txt"`, `""` for `"c.txt"`.
pub fn parent_dir(path: &str) -> &str {
    path.rfind('/').map_or("", |i| &path[..=i])
}

/// One folder of a version, as the server stores it at commit so a folder page is a
/// lookup however many files the version holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FolderRow {
    /// `""` for the top, else ending in `/`.
    pub path: String,
    /// The folder holding it (`None` for the top).
    pub parent: Option<String>,
    pub name: String,
    /// Files under it, at any depth, and their bytes.
    pub files: u64,
    pub size: i64,
    /// Files directly in it.
    pub direct_files: u64,
}

/// Every folder of a version (the top included), by path, with its totals.
pub fn folder_rows(files: &[FileEntry]) -> Vec<FolderRow> {
    let mut rows: BTreeMap<String, FolderRow> = BTreeMap::new();
    let ensure = |path: &str, rows: &mut BTreeMap<String, FolderRow>| {
        if !rows.contains_key(path) {
            let (parent, name) = match path.strip_suffix('/') {
                None => (None, String::new()),
                Some(stem) => {
                    let parent = parent_dir(stem);
                    (Some(parent.to_owned()), stem[parent.len()..].to_owned())
                }
            };
            rows.insert(
                path.to_owned(),
                FolderRow {
                    path: path.to_owned(),
                    parent,
                    name,
                    files: 0,
                    size: 0,
                    direct_files: 0,
                },
            );
        }
    };
    ensure("", &mut rows);
    for f in files {
        let dir = parent_dir(&f.path);
        // The file counts in its folder and in every folder above it.
        let mut at = 0;
        loop {
            let folder = &dir[..at];
            ensure(folder, &mut rows);
            if let Some(row) = rows.get_mut(folder) {
                row.files += 1;
                row.size += f.size;
                if folder == dir {
                    row.direct_files += 1;
                }
            }
            match dir[at..].find('/') {
                Some(i) => at += i + 1,
                None => break,
            }
        }
    }
    rows.into_values().collect()
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

/// Whether `alias` is a version name (`v3`).
fn is_version_name(alias: &str) -> bool {
    alias
        .strip_prefix('v')
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// Aliases the server keeps itself: `latest` and the version names.
pub fn kept_by_server(alias: &str) -> bool {
    alias == "latest" || is_version_name(alias)
}

/// An alias a user may set: not empty, at most 128 characters, not a version name
/// (`v3`: the server keeps those) and without `/` or `:` (they separate the parts of
/// an artifact's name).
pub fn check_alias(alias: &str) -> Result<(), Invalid> {
    let version_like = is_version_name(alias);
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
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
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

/// A node as drawn: kind, label and where clicking it goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DrawnNode {
    pub kind: NodeKind,
    pub label: String,
    pub href: String,
}

/// The graph the drawing shows: nodes, downstream edges and the focus.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DrawnGraph {
    pub nodes: Vec<DrawnNode>,
    pub edges: Vec<(usize, usize)>,
    pub focus: usize,
}

impl DrawnGraph {
    /// The nodes as the layout wants them.
    pub fn layout_nodes(&self) -> Vec<LineageNode> {
        self.nodes
            .iter()
            .map(|n| LineageNode {
                kind: n.kind,
                label: n.label.clone(),
            })
            .collect()
    }
}

/// Every version its own node ("Explode").
pub fn exploded(graph: &crate::model::LineageGraph) -> DrawnGraph {
    DrawnGraph {
        nodes: graph
            .nodes
            .iter()
            .map(|n| DrawnNode {
                kind: n.kind,
                label: n.label.clone(),
                href: n.href.clone(),
            })
            .collect(),
        edges: graph.edges.clone(),
        focus: graph.focus,
    }
}

/// The graph with versions folded into their collections (W&B's default view):
/// nodes of one `group` become one node, labelled with the collection's name and
/// linking to its first member; edges between them merge, and the focus maps along.
pub fn fold_groups(graph: &crate::model::LineageGraph) -> DrawnGraph {
    let mut nodes: Vec<DrawnNode> = Vec::new();
    let mut by_group: BTreeMap<&str, usize> = BTreeMap::new();
    let mut map = Vec::with_capacity(graph.nodes.len());
    for n in &graph.nodes {
        let drawn = |label: String| DrawnNode {
            kind: n.kind,
            label,
            href: n.href.clone(),
        };
        let slot = match &n.group {
            Some(g) => *by_group.entry(g.as_str()).or_insert_with(|| {
                nodes.push(drawn(g.rsplit('/').next().unwrap_or(g).to_owned()));
                nodes.len() - 1
            }),
            None => {
                nodes.push(drawn(n.label.clone()));
                nodes.len() - 1
            }
        };
        map.push(slot);
    }
    let mut edges: Vec<(usize, usize)> = graph
        .edges
        .iter()
        .filter_map(|&(a, b)| Some((*map.get(a)?, *map.get(b)?)))
        .filter(|(a, b)| a != b)
        .collect();
    edges.sort_unstable();
    edges.dedup();
    DrawnGraph {
        nodes,
        edges,
        focus: map.get(graph.focus).copied().unwrap_or(0),
    }
}

/// Where the lineage drawing puts things: the width of a column and the height of
/// a row, in SVG units.
pub const LINEAGE_COL: f64 = 230.0;
pub const LINEAGE_ROW: f64 = 64.0;
const LINEAGE_PAD: f64 = 40.0;

/// The centre of place `(column, row)` of a layout.
pub fn place_centre(column: usize, row: usize) -> (f64, f64) {
    (
        LINEAGE_PAD + LINEAGE_COL * column as f64 + LINEAGE_COL / 2.0 - 40.0,
        LINEAGE_PAD + LINEAGE_ROW * row as f64,
    )
}

/// The drawing's size for a layout.
pub fn drawing_size(layout: &Layout) -> (f64, f64) {
    let rows = layout
        .columns
        .iter()
        .map(Vec::len)
        .max()
        .unwrap_or(1)
        .max(1);
    (
        2.0 * LINEAGE_PAD + LINEAGE_COL * layout.columns.len().max(1) as f64 - 80.0,
        2.0 * LINEAGE_PAD + LINEAGE_ROW * (rows - 1) as f64,
    )
}

/// The laid-out lineage as SVG markup: runs as boxes, versions as rounded shapes
/// with a dot, clusters as "N more", each node a link; the focus is marked. Every
/// label and link is escaped, so names cannot add markup. (A string rather than a
/// view: SVG links must be made in the SVG namespace, which a string parsed by the
/// browser gets right on the server's page and after a client-side update alike.)
pub fn lineage_svg(nodes: &[DrawnNode], laid: &Layout) -> String {
    use crate::logic::html::escape_text as esc;
    use std::fmt::Write as _;
    let (w, h) = drawing_size(laid);
    let mut out = format!(
        "<svg class=\"lineage\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{w:.0}\" height=\"{h:.0}\" \
         viewBox=\"0 0 {w:.0} {h:.0}\" role=\"img\" aria-label=\"Lineage graph\">\
         <defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" \
         markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M 0 0 L 10 5 L 0 10 z\" \
         class=\"lineage-arrowhead\"/></marker></defs>"
    );
    for &((c1, r1), (c2, r2)) in &laid.arrows {
        let (x1, y1) = place_centre(c1, r1);
        let (x2, y2) = place_centre(c2, r2);
        let (x1, x2) = (x1 + 70.0, x2 - 70.0);
        let mid = (x1 + x2) / 2.0;
        let _ = write!(
            out,
            "<path class=\"lineage-edge\" marker-end=\"url(#arrow)\" \
             d=\"M{x1:.0},{y1:.0} C{mid:.0},{y1:.0} {mid:.0},{y2:.0} {x2:.0},{y2:.0}\"/>"
        );
    }
    for (c, column) in laid.columns.iter().enumerate() {
        for (r, shown) in column.iter().enumerate() {
            let (x, y) = place_centre(c, r);
            match shown {
                Shown::Node(n) => {
                    let Some(DrawnNode { kind, label, href }) = nodes.get(*n) else {
                        continue;
                    };
                    let short: String = if label.chars().count() > 22 {
                        label.chars().take(21).chain(['…']).collect()
                    } else {
                        label.clone()
                    };
                    let focus = if laid.focus == (c, r) { " focus" } else { "" };
                    let (kind_name, rx, text_x) = match kind {
                        NodeKind::Run => ("run", 4, x),
                        NodeKind::Artifact => ("artifact", 18, x + 6.0),
                    };
                    let _ = write!(
                        out,
                        "<a href=\"{}\" class=\"lineage-node{focus}\" data-kind=\"{kind_name}\">\
                         <title>{}</title><rect class=\"lineage-{kind_name}\" x=\"{:.0}\" y=\"{:.0}\" \
                         width=\"140\" height=\"36\" rx=\"{rx}\"/>",
                        esc(href),
                        esc(label),
                        x - 70.0,
                        y - 18.0
                    );
                    if *kind == NodeKind::Artifact {
                        let _ = write!(
                            out,
                            "<circle class=\"lineage-artifact-dot\" cx=\"{:.0}\" cy=\"{y:.0}\" r=\"6\"/>",
                            x - 52.0
                        );
                    }
                    let _ = write!(
                        out,
                        "<text x=\"{text_x:.0}\" y=\"{:.0}\" text-anchor=\"middle\">{}</text></a>",
                        y + 4.0,
                        esc(&short)
                    );
                }
                Shown::Cluster(members) => {
                    let _ = write!(
                        out,
                        "<g class=\"lineage-cluster\" data-kind=\"cluster\"><rect class=\"lineage-cluster-box\" \
                         x=\"{:.0}\" y=\"{:.0}\" width=\"140\" height=\"36\" rx=\"8\"/>\
                         <text x=\"{x:.0}\" y=\"{:.0}\" text-anchor=\"middle\">{} more</text></g>",
                        x - 70.0,
                        y - 18.0,
                        y + 4.0,
                        members.len()
                    );
                }
            }
        }
    }
    out.push_str("</svg>");
    out
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

    fn info(kind: NodeKind, label: &str, group: Option<&str>) -> crate::model::LineageNodeInfo {
        crate::model::LineageNodeInfo {
            kind,
            label: label.into(),
            group: group.map(str::to_owned),
            href: format!("/{label}"),
        }
    }

    #[test]
    fn folding_merges_a_collections_versions() {
        use NodeKind::{Artifact, Run};
        // r1 → ds:v0 → r2 → model:v0; r3 → ds:v1 → r2
        let graph = crate::model::LineageGraph {
            nodes: vec![
                info(Run, "r1", None),
                info(Artifact, "ds:v0", Some("dataset/ds")),
                info(Run, "r2", None),
                info(Artifact, "model:v0", Some("model/model")),
                info(Run, "r3", None),
                info(Artifact, "ds:v1", Some("dataset/ds")),
            ],
            edges: vec![(0, 1), (1, 2), (2, 3), (4, 5), (5, 2)],
            focus: 5,
            truncated: false,
        };
        let folded = fold_groups(&graph);
        let labels: Vec<&str> = folded.nodes.iter().map(|x| x.label.as_str()).collect();
        assert_eq!(labels, ["r1", "ds", "r2", "model", "r3"]);
        assert_eq!(folded.edges, vec![(0, 1), (1, 2), (2, 3), (4, 1)]);
        assert_eq!(folded.focus, 1);
        assert_eq!(exploded(&graph).nodes.len(), 6);
    }

    #[test]
    fn lineage_svg_escapes_names_and_links() {
        let node = |kind, label: &str, href: &str| DrawnNode {
            kind,
            label: label.to_owned(),
            href: href.to_owned(),
        };
        let nodes = vec![
            node(
                NodeKind::Run,
                "<script>alert(1)</script>",
                "/a/b/runs/x\"onclick=\"y",
            ),
            node(NodeKind::Artifact, "ds:v0", "/a/b/artifacts/dataset/ds/v0"),
        ];
        let plain: Vec<LineageNode> = nodes
            .iter()
            .map(|n| LineageNode {
                kind: n.kind,
                label: n.label.clone(),
            })
            .collect();
        let laid = layout(&plain, &[(0, 1)], 1, 2, &BTreeSet::new());
        let svg = lineage_svg(&nodes, &laid);
        assert!(!svg.contains("<script>"), "{svg}");
        assert!(svg.contains("&lt;script&gt;"));
        assert!(!svg.contains("x\"onclick"), "{svg}");
        assert_eq!(svg.matches("<a href=").count(), 2);
        assert!(svg.contains("lineage-node focus\" data-kind=\"artifact\""));
        assert_eq!(svg.matches("class=\"lineage-edge\"").count(), 1);
    }

    proptest! {
        /// The stored folder rows say what listing the files would: each folder's
        /// subfolders with their totals, and how many files sit directly in it.
        #[test]
        fn folder_rows_agree_with_listing(paths in proptest::collection::btree_set("[ab]{1,2}(/[ab]{1,2}){0,3}", 0..40)) {
            let files: Vec<FileEntry> = paths
                .iter()
                .enumerate()
                .map(|(i, p)| FileEntry { path: p.clone(), size: i as i64 + 1, digest: String::new() })
                .collect();
            let rows = folder_rows(&files);
            prop_assert_eq!(rows.iter().filter(|r| r.parent.is_none()).count(), 1);
            for row in &rows {
                let (folders, direct) = folder_listing(&files, &row.path);
                prop_assert_eq!(row.direct_files, direct.len() as u64);
                let children: Vec<FolderEntry> = rows
                    .iter()
                    .filter(|r| r.parent.as_deref() == Some(row.path.as_str()))
                    .map(|r| FolderEntry { name: r.name.clone(), files: r.files, size: r.size })
                    .collect();
                prop_assert_eq!(children, folders);
            }
        }
    }
}
