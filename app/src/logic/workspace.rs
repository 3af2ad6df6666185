//! Pure operations on a [`WorkspaceDoc`]: sections made from metric names, new
//! metrics finding their panels, moving sections and panels, metric globs, the
//! panel search, which runs charts draw, and the checks the server makes before
//! it saves a document.
//!
//! Rules:
//! - A metric's section is its name up to the first `/` (`train/loss` → `train`);
//!   names without `/` go to the section "Charts". Sections made on a first visit
//!   come in name order with "Charts" first and "system" last; sections made later
//!   go before "system".
//! - A key gets a panel once: the first time it is seen it is added to
//!   `known_keys`, so a panel the user deleted does not come back.
//! - Globs: `*` matches any run of characters (also `/`); everything else is literal.
//! - Panel search: a valid regex (case-insensitive) matched against titles, else a
//!   case-insensitive substring.

use std::collections::BTreeSet;

use crate::logic::grid_layout;
use crate::model::{
    GridRect, GroupBy, LinePlot, Panel, PanelKind, RunId, RunRow, RunSelection, Section,
    SectionLayout, WorkspaceDoc, MAX_DRAWN_RUNS, WORKSPACE_VERSION,
};

/// Name of the section for metrics without a `/`.
pub const DEFAULT_SECTION: &str = "Charts";

/// Size of a new panel in a custom layout.
pub const NEW_PANEL: GridRect = GridRect {
    x: 0,
    y: 0,
    w: 4,
    h: 6,
};

/// The section a metric key belongs to.
pub fn section_name(key: &str) -> &str {
    match key.split_once('/') {
        Some((prefix, _)) if !prefix.is_empty() => prefix,
        _ => DEFAULT_SECTION,
    }
}

/// A fresh id for a section or panel.
pub fn fresh_id(doc: &mut WorkspaceDoc) -> u64 {
    let used = doc
        .sections
        .iter()
        .flat_map(|s| std::iter::once(s.id).chain(s.panels.iter().map(|p| p.id)))
        .max()
        .unwrap_or(0);
    doc.next_id = doc.next_id.max(used.saturating_add(1));
    let id = doc.next_id;
    doc.next_id = doc.next_id.saturating_add(1);
    id
}

/// Where a section made from metric names goes: "Charts" first, the system metrics
/// (CPU, memory, GPU…) last, the rest by name in between.
fn section_rank(name: &str) -> u8 {
    match name {
        DEFAULT_SECTION => 0,
        "system" => 2,
        _ => 1,
    }
}

/// Give every key not yet known a line plot in its section (made when missing);
/// `true` when the document changed.
pub fn add_new_keys(doc: &mut WorkspaceDoc, keys: &[String]) -> bool {
    let known: BTreeSet<&str> = doc.known_keys.iter().map(String::as_str).collect();
    let mut fresh: Vec<String> = keys
        .iter()
        .filter(|k| !known.contains(k.as_str()) && !k.starts_with('_'))
        .cloned()
        .collect();
    if fresh.is_empty() {
        return false;
    }
    fresh.sort_by(|a, b| {
        let (sa, sb) = (section_name(a), section_name(b));
        (section_rank(sa), sa, a).cmp(&(section_rank(sb), sb, b))
    });
    for key in fresh {
        let name = section_name(&key).to_owned();
        let index = match doc.sections.iter().position(|s| s.name == name) {
            Some(i) => i,
            None => {
                let id = fresh_id(doc);
                // New sections go before the system metrics, which stay last.
                let at = if section_rank(&name) < 2 {
                    doc.sections
                        .iter()
                        .position(|s| section_rank(&s.name) == 2)
                        .unwrap_or(doc.sections.len())
                } else {
                    doc.sections.len()
                };
                doc.sections.insert(
                    at,
                    Section {
                        id,
                        name,
                        collapsed: false,
                        layout: SectionLayout::default(),
                        panels: Vec::new(),
                    },
                );
                at
            }
        };
        let id = fresh_id(doc);
        add_panel(
            &mut doc.sections[index],
            id,
            String::new(),
            PanelKind::Line(LinePlot::of(key.clone())),
        );
        doc.known_keys.push(key);
    }
    true
}

/// Append a panel to a section, at the first free spot of its custom grid.
pub fn add_panel(section: &mut Section, id: u64, title: String, kind: PanelKind) {
    let rects: Vec<GridRect> = section.panels.iter().map(|p| p.rect).collect();
    let rect = grid_layout::free_spot(&rects, NEW_PANEL.w, NEW_PANEL.h);
    section.panels.push(Panel {
        id,
        title,
        kind,
        rect,
    });
}

/// Move a section from one index to another (indices clamped).
pub fn move_section(doc: &mut WorkspaceDoc, from: usize, to: usize) {
    if from >= doc.sections.len() {
        return;
    }
    let s = doc.sections.remove(from);
    let to = to.min(doc.sections.len());
    doc.sections.insert(to, s);
}

/// Remove a section, returning it with its index so an undo can put it back.
pub fn remove_section(doc: &mut WorkspaceDoc, id: u64) -> Option<(usize, Section)> {
    let i = doc.sections.iter().position(|s| s.id == id)?;
    Some((i, doc.sections.remove(i)))
}

/// Put a removed section back where it was.
pub fn restore_section(doc: &mut WorkspaceDoc, index: usize, section: Section) {
    let index = index.min(doc.sections.len());
    doc.sections.insert(index, section);
}

/// Remove a panel, returning its section's id and its index there so an undo can put
/// it back.
pub fn remove_panel(doc: &mut WorkspaceDoc, panel_id: u64) -> Option<(u64, usize, Panel)> {
    let (si, pi) = find_panel(doc, panel_id)?;
    let section = &mut doc.sections[si];
    Some((section.id, pi, section.panels.remove(pi)))
}

/// Put a removed panel back where it was; into the first section if its own is gone
/// (and into a new "Charts" section when there is none). In a custom layout it takes
/// its old rectangle again, and panels now there move down.
pub fn restore_panel(doc: &mut WorkspaceDoc, section_id: u64, index: usize, panel: Panel) {
    if doc.sections.is_empty() {
        let id = fresh_id(doc);
        doc.sections.push(Section {
            id,
            name: "Charts".to_owned(),
            collapsed: false,
            layout: SectionLayout::default(),
            panels: vec![],
        });
    }
    let si = doc
        .sections
        .iter()
        .position(|s| s.id == section_id)
        .unwrap_or(0);
    let section = &mut doc.sections[si];
    let index = index.min(section.panels.len());
    let (id, rect) = (panel.id, panel.rect);
    section.panels.insert(index, panel);
    if matches!(section.layout, SectionLayout::Custom) {
        let mut items: Vec<(u64, GridRect)> =
            section.panels.iter().map(|p| (p.id, p.rect)).collect();
        grid_layout::place(&mut items, id, rect);
        apply_rects(section, &items);
    }
}

/// Move a panel into section `to_section`, before the panel that was at `to_index`
/// of that section's list (the end when past it). In a custom layout the panel
/// keeps its size and takes the first free spot, or `at` when given (the drop
/// position). `false` when either id is unknown.
pub fn move_panel(
    doc: &mut WorkspaceDoc,
    panel_id: u64,
    to_section: u64,
    to_index: usize,
    at: Option<GridRect>,
) -> bool {
    if !doc.sections.iter().any(|s| s.id == to_section) {
        return false;
    }
    let Some((si, pi)) = find_panel(doc, panel_id) else {
        return false;
    };
    let mut panel = doc.sections[si].panels.remove(pi);
    // Within one section, the indices after the removed panel moved up by one.
    let to_index = if doc.sections[si].id == to_section && pi < to_index {
        to_index - 1
    } else {
        to_index
    };
    let Some(target) = doc.sections.iter_mut().find(|s| s.id == to_section) else {
        return false;
    };
    let index = to_index.min(target.panels.len());
    let keep = panel.rect;
    match at {
        Some(at) => {
            let to = GridRect {
                w: keep.w,
                h: keep.h,
                ..at
            };
            panel.rect = to;
            target.panels.insert(index, panel);
            let mut items: Vec<(u64, GridRect)> =
                target.panels.iter().map(|p| (p.id, p.rect)).collect();
            grid_layout::place(&mut items, panel_id, to);
            apply_rects(target, &items);
        }
        None => {
            let rects: Vec<GridRect> = target.panels.iter().map(|p| p.rect).collect();
            panel.rect = grid_layout::free_spot(&rects, keep.w.max(1), keep.h.max(1));
            target.panels.insert(index, panel);
        }
    }
    true
}

/// Set each panel's rect from `(id, rect)` pairs.
pub fn apply_rects(section: &mut Section, items: &[(u64, GridRect)]) {
    for p in section.panels.iter_mut() {
        if let Some((_, r)) = items.iter().find(|(id, _)| *id == p.id) {
            p.rect = *r;
        }
    }
}

/// Section and panel index of a panel.
pub fn find_panel(doc: &WorkspaceDoc, panel_id: u64) -> Option<(usize, usize)> {
    doc.sections.iter().enumerate().find_map(|(si, s)| {
        s.panels
            .iter()
            .position(|p| p.id == panel_id)
            .map(|pi| (si, pi))
    })
}

/// Whether `key` matches `pattern`, where `*` stands for any run of characters.
pub fn glob_matches(pattern: &str, key: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == key;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !key.starts_with(first) || key.len() < first.len() + last.len() || !key.ends_with(last) {
        return false;
    }
    let mut rest = &key[first.len()..key.len() - last.len()];
    for middle in &parts[1..parts.len() - 1] {
        match rest.find(middle) {
            Some(at) => rest = &rest[at + middle.len()..],
            None => return false,
        }
    }
    true
}

/// The metric keys a line plot's y list stands for, in the order the patterns name
/// them (each key once), at most `limit`.
pub fn expand_keys(patterns: &[String], keys: &[String], limit: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for p in patterns {
        if p.contains('*') {
            for k in keys.iter().filter(|k| glob_matches(p, k)) {
                if !out.contains(k) {
                    out.push(k.clone());
                }
            }
        } else if !out.contains(p) {
            out.push(p.clone());
        }
    }
    out.truncate(limit);
    out
}

/// A case-insensitive title matcher for the panel search.
pub enum TitleMatcher {
    All,
    Regex(regex::Regex),
    Substring(String),
}

impl TitleMatcher {
    pub fn new(search: &str) -> TitleMatcher {
        let search = search.trim();
        if search.is_empty() {
            return TitleMatcher::All;
        }
        match regex::RegexBuilder::new(search)
            .case_insensitive(true)
            .size_limit(1 << 20)
            .build()
        {
            Ok(re) => TitleMatcher::Regex(re),
            Err(_) => TitleMatcher::Substring(search.to_lowercase()),
        }
    }

    pub fn matches(&self, title: &str) -> bool {
        match self {
            TitleMatcher::All => true,
            TitleMatcher::Regex(re) => re.is_match(title),
            TitleMatcher::Substring(s) => title.to_lowercase().contains(s),
        }
    }
}

/// Whether a run name matches the sidebar search: a substring (case-insensitive),
/// or a regex when `regex` is set. An invalid regex is an error for the user.
pub fn name_matcher(search: &str, regex: bool) -> Result<Option<regex::Regex>, String> {
    let search = search.trim();
    if search.is_empty() {
        return Ok(None);
    }
    let pattern = if regex {
        search.to_owned()
    } else {
        regex::escape(search)
    };
    regex::RegexBuilder::new(&pattern)
        .case_insensitive(true)
        .size_limit(1 << 20)
        .build()
        .map(Some)
        .map_err(|e| format!("invalid regex: {e}"))
}

/// The runs charts draw: in sidebar order, skipping hidden ones, at most `max`.
pub fn drawn_runs<'a>(
    order: impl IntoIterator<Item = &'a RunId>,
    hidden: &[RunId],
    max: u32,
) -> Vec<RunId> {
    order
        .into_iter()
        .filter(|r| !hidden.contains(r))
        .take(max.min(MAX_DRAWN_RUNS) as usize)
        .cloned()
        .collect()
}

/// `#rrggbb` as red, green, blue; `None` for anything else.
pub fn parse_hex_color(s: &str) -> Option<(u8, u8, u8)> {
    let hex = s.strip_prefix('#')?;
    if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok();
    Some((byte(0)?, byte(2)?, byte(4)?))
}

/// Limits of a saved document.
pub const MAX_SECTIONS: usize = 200;
pub const MAX_PANELS: usize = 2_000;
pub const MAX_DOC_BYTES: usize = 2_000_000;
pub const MAX_NAME_LEN: usize = 200;
/// Largest section or panel id (ids are counters; this keeps `next_id` far from overflow).
pub const MAX_ID: u64 = 1 << 48;

/// Check a document before saving it, and bring it to the current version.
/// Errors are for the user: they name what is wrong.
pub fn check_doc(doc: &mut WorkspaceDoc) -> Result<(), String> {
    doc.version = WORKSPACE_VERSION;
    if doc.sections.len() > MAX_SECTIONS {
        return Err(format!("a workspace holds at most {MAX_SECTIONS} sections"));
    }
    let panels: usize = doc.sections.iter().map(|s| s.panels.len()).sum();
    if panels > MAX_PANELS {
        return Err(format!("a workspace holds at most {MAX_PANELS} panels"));
    }
    let mut ids = BTreeSet::new();
    for s in &mut doc.sections {
        if s.name.trim().is_empty() {
            return Err("a section needs a name".into());
        }
        if s.name.chars().count() > MAX_NAME_LEN {
            return Err(format!(
                "section names are at most {MAX_NAME_LEN} characters"
            ));
        }
        if !ids.insert(s.id) {
            return Err(format!("section id {} is used twice", s.id));
        }
        if s.id > MAX_ID {
            return Err(format!("section id {} is too large", s.id));
        }
        if let SectionLayout::Standard {
            width,
            height,
            rows,
        } = &mut s.layout
        {
            *width = (*width).clamp(1, crate::model::GRID_COLUMNS);
            *height = (*height).clamp(120, 1200);
            *rows = (*rows).clamp(1, 20);
        }
        for p in &mut s.panels {
            if !ids.insert(p.id) {
                return Err(format!("panel id {} is used twice", p.id));
            }
            if p.id > MAX_ID {
                return Err(format!("panel id {} is too large", p.id));
            }
            p.rect = grid_layout::clamp(p.rect);
            if let PanelKind::Line(l) = &p.kind {
                if l.y.is_empty() {
                    return Err(format!("panel {:?} needs a metric", p.display_title()));
                }
                if !l.smoothing_amount.is_finite() {
                    return Err("smoothing must be a number".into());
                }
            }
        }
    }
    if doc.runs.max_runs == 0 || doc.runs.max_runs > MAX_DRAWN_RUNS {
        return Err(format!("charts draw between 1 and {MAX_DRAWN_RUNS} runs"));
    }
    if let Some((run, bad)) = doc
        .runs
        .colors
        .iter()
        .find(|(_, c)| parse_hex_color(c).is_none())
    {
        return Err(format!("colour {bad:?} of run {run} is not #rrggbb"));
    }
    let used = ids.iter().max().copied().unwrap_or(0);
    // `used` is at most MAX_ID (checked above), so the range is never reversed.
    doc.next_id = doc.next_id.max(used + 1).min(MAX_ID + 1);
    Ok(())
}

/// Copy the shareable part of a run selection (what a link carries: filter, search,
/// grouping, sort) from `from` into `to`, leaving eyes, colours and counts alone.
pub fn keep_view(to: &mut RunSelection, from: &RunSelection) {
    to.filter = from.filter.clone();
    to.search = from.search.clone();
    to.search_regex = from.search_regex;
    to.group_by = from.group_by.clone();
    to.sort = from.sort.clone();
}

/// The value a run has for a grouping column.
pub fn group_value(row: &RunRow, by: &str) -> String {
    let v = match by {
        "group" => row.group.clone(),
        "job_type" => row.job_type.clone(),
        other => row.values.get(other).map(|v| v.display()),
    };
    v.unwrap_or_else(|| "(none)".to_owned())
}

/// The grouping a series query understands, from a sidebar grouping column.
pub fn series_group(by: &Option<String>) -> Option<GroupBy> {
    by.as_deref().and_then(|b| b.parse().ok())
}

/// A run's colour: chosen in this workspace, else logged with the run, else the one
/// its id gives it (`charts::run_id_color`), so it stays the same whatever the order.
pub fn run_color(doc: &WorkspaceDoc, row: &RunRow) -> (u8, u8, u8) {
    doc.runs
        .colors
        .get(&row.id.0)
        .and_then(|c| parse_hex_color(c))
        .or_else(|| row.color.as_deref().and_then(parse_hex_color))
        .unwrap_or_else(|| {
            let c = crate::charts::run_id_color(&row.id.0);
            (c.0, c.1, c.2)
        })
}

/// `#rrggbb` of a colour.
pub fn hex(c: (u8, u8, u8)) -> String {
    format!("#{:02x}{:02x}{:02x}", c.0, c.1, c.2)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::XSpec;

    fn keys(ks: &[&str]) -> Vec<String> {
        ks.iter().map(|s| s.to_string()).collect()
    }

    fn line_keys(s: &Section) -> Vec<String> {
        s.panels
            .iter()
            .map(|p| match &p.kind {
                PanelKind::Line(l) => l.y.join(","),
                _ => String::new(),
            })
            .collect()
    }

    #[test]
    fn first_visit_makes_sections_from_prefixes() {
        let mut doc = WorkspaceDoc::default();
        assert!(add_new_keys(
            &mut doc,
            &keys(&[
                "val/loss",
                "train/loss",
                "lr",
                "train/acc",
                "_runtime",
                "system/cpu",
                "epoch"
            ])
        ));
        let names: Vec<&str> = doc.sections.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["Charts", "train", "val", "system"]);
        // A later section still comes before the system metrics.
        add_new_keys(&mut doc, &keys(&["test/acc"]));
        let names: Vec<&str> = doc.sections.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["Charts", "train", "val", "test", "system"]);
        assert_eq!(line_keys(&doc.sections[0]), ["epoch", "lr"]);
        assert_eq!(line_keys(&doc.sections[1]), ["train/acc", "train/loss"]);
        // Panels of a section do not overlap on the custom grid.
        let r: Vec<GridRect> = doc.sections[1].panels.iter().map(|p| p.rect).collect();
        assert!(!grid_layout::overlaps(&r[0], &r[1]));
        // Ids are unique.
        let mut ids: Vec<u64> = doc
            .sections
            .iter()
            .flat_map(|s| std::iter::once(s.id).chain(s.panels.iter().map(|p| p.id)))
            .collect();
        let n = ids.len();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), n);
    }

    #[test]
    fn a_deleted_panel_does_not_come_back_but_a_new_key_arrives() {
        let mut doc = WorkspaceDoc::default();
        add_new_keys(&mut doc, &keys(&["train/loss", "train/acc"]));
        doc.sections[0].panels.remove(0);
        assert!(!add_new_keys(&mut doc, &keys(&["train/loss", "train/acc"])));
        assert!(add_new_keys(
            &mut doc,
            &keys(&["train/loss", "train/acc", "train/lr"])
        ));
        assert_eq!(line_keys(&doc.sections[0]), ["train/loss", "train/lr"]);
    }

    #[test]
    fn a_deleted_panel_comes_back_where_it_was() {
        let mut doc = WorkspaceDoc::default();
        add_new_keys(&mut doc, &keys(&["train/a", "train/b", "train/c"]));
        let before = doc.clone();
        let id = doc.sections[0].panels[1].id;
        let (sid, index, panel) = remove_panel(&mut doc, id).unwrap();
        assert_eq!(line_keys(&doc.sections[0]), ["train/a", "train/c"]);
        restore_panel(&mut doc, sid, index, panel.clone());
        assert_eq!(doc, before);
        // Its section is gone: it lands in the first one, or a new one.
        let mut other = WorkspaceDoc::default();
        restore_panel(&mut other, sid, index, panel);
        assert_eq!(other.sections.len(), 1);
        assert_eq!(line_keys(&other.sections[0]), ["train/b"]);
    }

    #[test]
    fn sections_and_panels_move_and_come_back() {
        let mut doc = WorkspaceDoc::default();
        add_new_keys(&mut doc, &keys(&["a/x", "a/y", "b/z"]));
        let (a, b) = (doc.sections[0].id, doc.sections[1].id);
        move_section(&mut doc, 0, 1);
        assert_eq!(doc.sections[1].id, a);
        let (index, removed) = remove_section(&mut doc, a).unwrap_or((9, doc.sections[0].clone()));
        assert_eq!(doc.sections.len(), 1);
        restore_section(&mut doc, index, removed);
        assert_eq!(doc.sections[1].id, a);
        assert_eq!(doc.sections[1].panels.len(), 2);
        let moving = doc.sections[1].panels[1].id;
        assert!(move_panel(&mut doc, moving, b, 0, None));
        assert_eq!(line_keys(&doc.sections[0]), ["a/y", "b/z"]);
        assert_eq!(line_keys(&doc.sections[1]), ["a/x"]);
        assert!(!move_panel(&mut doc, 999, b, 0, None));
        assert!(!move_panel(&mut doc, moving, 999, 0, None));
    }

    #[test]
    fn moving_within_a_section_lands_before_the_target_and_keeps_the_size() {
        let mut doc = WorkspaceDoc::default();
        add_new_keys(&mut doc, &keys(&["a/0", "a/1", "a/2", "a/3", "b/x"]));
        let (a, b) = (doc.sections[0].id, doc.sections[1].id);
        let first = doc.sections[0].panels[0].id;
        // Dropped on the panel at index 2: it goes before it.
        assert!(move_panel(&mut doc, first, a, 2, None));
        assert_eq!(line_keys(&doc.sections[0]), ["a/1", "a/0", "a/2", "a/3"]);
        // Dropped on the next panel: nothing changes.
        let second = doc.sections[0].panels[0].id;
        assert!(move_panel(&mut doc, second, a, 1, None));
        assert_eq!(line_keys(&doc.sections[0]), ["a/1", "a/0", "a/2", "a/3"]);
        // A wide panel dropped into another section's grid keeps its size.
        doc.sections[0].panels[0].rect = GridRect {
            x: 0,
            y: 0,
            w: 12,
            h: 10,
        };
        let wide = doc.sections[0].panels[0].id;
        let at = GridRect {
            x: 3,
            y: 1,
            w: 4,
            h: 6,
        };
        assert!(move_panel(&mut doc, wide, b, 0, Some(at)));
        let moved = doc.sections[1]
            .panels
            .iter()
            .find(|p| p.id == wide)
            .map(|p| p.rect);
        assert_eq!(moved.map(|r| (r.w, r.h)), Some((12, 10)));
        let other = doc.sections[1]
            .panels
            .iter()
            .find(|p| p.id != wide)
            .map(|p| p.rect);
        assert!(moved
            .zip(other)
            .is_some_and(|(m, o)| !grid_layout::overlaps(&m, &o)));
    }

    #[test]
    fn globs() {
        assert!(glob_matches("train/*", "train/loss"));
        assert!(glob_matches("*loss", "val/loss"));
        assert!(glob_matches("*/l*s", "val/loss"));
        assert!(glob_matches("*", "anything/at/all"));
        assert!(!glob_matches("train/*", "val/loss"));
        assert!(!glob_matches("a*a", "a"));
        assert!(glob_matches("loss", "loss") && !glob_matches("loss", "loss2"));
        let all = keys(&["train/loss", "val/loss", "lr"]);
        assert_eq!(
            expand_keys(&keys(&["*loss", "lr", "val/loss"]), &all, 10),
            ["train/loss", "val/loss", "lr"]
        );
        assert_eq!(expand_keys(&keys(&["*"]), &all, 2).len(), 2);
    }

    #[test]
    fn panel_search_takes_regexes_and_plain_text() {
        assert!(TitleMatcher::new("^train/").matches("train/loss"));
        assert!(!TitleMatcher::new("^train/").matches("val/train/x"));
        assert!(TitleMatcher::new("LOSS").matches("val/loss"));
        // Not a valid regex: searched as text.
        assert!(TitleMatcher::new("acc(").matches("val/acc(top1)"));
        assert!(TitleMatcher::new("  ").matches("x"));
    }

    #[test]
    fn name_search() {
        let m = name_matcher("Run-1", false).ok().flatten();
        assert!(m.as_ref().is_some_and(|r| r.is_match("big-run-12")));
        assert!(m.is_some_and(|r| !r.is_match("run.1")));
        let m = name_matcher("^a.*z$", true).ok().flatten();
        assert!(m.is_some_and(|r| r.is_match("abcz")));
        assert!(name_matcher("(", true).is_err());
        assert!(name_matcher("", true).is_ok_and(|m| m.is_none()));
    }

    #[test]
    fn drawn_runs_follow_order_skip_hidden_and_stop_at_the_limit() {
        let runs: Vec<RunId> = (0..5).map(|i| RunId(format!("r{i}"))).collect();
        let hidden = vec![RunId("r1".into())];
        let drawn = drawn_runs(&runs, &hidden, 3);
        assert_eq!(
            drawn,
            vec![runs[0].clone(), runs[2].clone(), runs[3].clone()]
        );
    }

    #[test]
    fn hex_colors() {
        assert_eq!(parse_hex_color("#ff8000"), Some((255, 128, 0)));
        assert_eq!(parse_hex_color("ff8000"), None);
        assert_eq!(parse_hex_color("#ff80zz"), None);
    }

    #[test]
    fn checking_a_document() {
        let mut doc = WorkspaceDoc::default();
        add_new_keys(&mut doc, &keys(&["a/x"]));
        assert!(check_doc(&mut doc).is_ok());
        let mut twice = doc.clone();
        let copy = twice.sections[0].panels[0].clone();
        twice.sections[0].panels.push(copy);
        assert!(check_doc(&mut twice).is_err_and(|e| e.contains("used twice")));
        let mut bad = doc.clone();
        bad.runs.colors.insert("r".into(), "red".into());
        assert!(check_doc(&mut bad).is_err_and(|e| e.contains("#rrggbb")));
        let mut bad = doc.clone();
        bad.runs.max_runs = 0;
        assert!(check_doc(&mut bad).is_err());
        let mut bad = doc;
        if let PanelKind::Line(l) = &mut bad.sections[0].panels[0].kind {
            l.y.clear();
            l.x = XSpec::Metric("epoch".into());
        }
        assert!(check_doc(&mut bad).is_err_and(|e| e.contains("needs a metric")));
    }
}

#[cfg(test)]
mod properties {
    //! Moving and removing panels and sections never loses, duplicates or invents
    //! anything, and `check_doc` accepts what the editor makes and is idempotent.

    use super::*;
    use crate::logic::grid_layout::overlaps;
    use proptest::prelude::*;

    /// A document of up to 5 sections of up to 6 panels, ids unique (sections and
    /// panels share one id space, as `fresh_id` hands them out).
    fn docs() -> impl Strategy<Value = WorkspaceDoc> {
        let section = (any::<bool>(), prop::collection::vec(0u32..12, 0..6));
        prop::collection::vec(section, 0..5).prop_map(|sections| {
            let mut doc = WorkspaceDoc::default();
            let mut next = 1u64;
            for (custom, xs) in sections {
                let id = next;
                next += 1;
                let mut panels: Vec<Panel> = Vec::new();
                for (i, x) in xs.into_iter().enumerate() {
                    let rects: Vec<GridRect> = panels.iter().map(|p| p.rect).collect();
                    let rect = if custom {
                        grid_layout::free_spot(&rects, 4, 6)
                    } else {
                        GridRect {
                            x,
                            y: 0,
                            w: 4,
                            h: 6,
                        }
                    };
                    panels.push(Panel {
                        id: next,
                        title: String::new(),
                        kind: PanelKind::Line(LinePlot::of(format!("m{i}"))),
                        rect,
                    });
                    next += 1;
                }
                doc.sections.push(Section {
                    id,
                    name: format!("s{id}"),
                    collapsed: false,
                    layout: if custom {
                        SectionLayout::Custom
                    } else {
                        SectionLayout::default()
                    },
                    panels,
                });
            }
            doc.next_id = next;
            doc
        })
    }

    fn panel_ids(doc: &WorkspaceDoc) -> Vec<u64> {
        let mut ids: Vec<u64> = doc
            .sections
            .iter()
            .flat_map(|s| s.panels.iter().map(|p| p.id))
            .collect();
        ids.sort_unstable();
        ids
    }

    fn no_overlap(s: &Section) -> bool {
        s.panels.iter().enumerate().all(|(i, a)| {
            s.panels[i + 1..]
                .iter()
                .all(|b| !overlaps(&a.rect, &b.rect))
        })
    }

    proptest! {
        #[test]
        fn moving_a_section_permutes_and_lands_where_asked(doc in docs(), from in 0usize..6, to in 0usize..8) {
            let mut moved = doc.clone();
            move_section(&mut moved, from, to);
            let mut before: Vec<u64> = doc.sections.iter().map(|s| s.id).collect();
            let mut after: Vec<u64> = moved.sections.iter().map(|s| s.id).collect();
            if from < doc.sections.len() {
                let landed = to.min(doc.sections.len() - 1);
                prop_assert_eq!(after[landed], before[from]);
            } else {
                prop_assert_eq!(&moved, &doc);
            }
            before.sort_unstable();
            after.sort_unstable();
            prop_assert_eq!(before, after);
        }

        #[test]
        fn moving_a_panel_keeps_every_panel_once(
            doc in docs(),
            pick in any::<prop::sample::Index>(),
            target in any::<prop::sample::Index>(),
            to_index in 0usize..8,
            drop_at in prop::option::of((0u32..12, 0u32..30)),
        ) {
            let ids = panel_ids(&doc);
            prop_assume!(!ids.is_empty());
            let panel = ids[pick.index(ids.len())];
            let section = doc.sections[target.index(doc.sections.len())].id;
            let custom = doc.sections.iter().find(|s| s.id == section).map(|s| s.layout == SectionLayout::Custom).unwrap_or(false);
            let at = drop_at.filter(|_| custom).map(|(x, y)| GridRect { x, y, w: 4, h: 6 });
            let mut moved = doc.clone();
            prop_assert!(move_panel(&mut moved, panel, section, to_index, at));
            prop_assert_eq!(panel_ids(&moved), ids);
            let (si, _) = find_panel(&moved, panel).expect("the panel is still there");
            prop_assert_eq!(moved.sections[si].id, section);
            for s in &moved.sections {
                if s.layout == SectionLayout::Custom {
                    prop_assert!(no_overlap(s), "panels overlap in section {}", s.id);
                }
            }
            // Unknown ids change nothing.
            let mut same = doc.clone();
            prop_assert!(!move_panel(&mut same, MAX_ID + 5, section, 0, None));
            prop_assert!(!move_panel(&mut same, panel, MAX_ID + 5, 0, None));
            prop_assert_eq!(&same, &doc);
        }

        #[test]
        fn removing_then_restoring_gives_the_same_document(doc in docs(), pick in any::<prop::sample::Index>()) {
            let ids = panel_ids(&doc);
            if !ids.is_empty() {
                let mut d = doc.clone();
                let (section, index, panel) = remove_panel(&mut d, ids[pick.index(ids.len())]).expect("found");
                prop_assert_eq!(panel_ids(&d).len(), ids.len() - 1);
                restore_panel(&mut d, section, index, panel);
                prop_assert_eq!(&d, &doc);
            }
            if !doc.sections.is_empty() {
                let mut d = doc.clone();
                let id = doc.sections[pick.index(doc.sections.len())].id;
                let (index, section) = remove_section(&mut d, id).expect("found");
                restore_section(&mut d, index, section);
                prop_assert_eq!(&d, &doc);
            }
        }

        #[test]
        fn check_doc_accepts_edited_documents_and_is_idempotent(
            doc in docs(),
            moves in prop::collection::vec((any::<prop::sample::Index>(), any::<prop::sample::Index>(), 0usize..6), 0..6),
        ) {
            let mut d = doc;
            for (p, s, i) in moves {
                let ids = panel_ids(&d);
                if ids.is_empty() || d.sections.is_empty() {
                    break;
                }
                let section = d.sections[s.index(d.sections.len())].id;
                move_panel(&mut d, ids[p.index(ids.len())], section, i, None);
            }
            prop_assert_eq!(check_doc(&mut d), Ok(()));
            let once = d.clone();
            prop_assert_eq!(check_doc(&mut d), Ok(()));
            prop_assert_eq!(&d, &once);
            let used = d.sections.iter().map(|s| s.id).chain(panel_ids(&d)).max().unwrap_or(0);
            prop_assert!(d.next_id > used);
        }

        #[test]
        fn check_doc_refuses_an_id_used_twice(doc in docs()) {
            let mut d = doc;
            prop_assume!(d.sections.len() >= 2);
            let first = d.sections[0].id;
            d.sections[1].id = first;
            prop_assert!(check_doc(&mut d).unwrap_err().contains("used twice"));
        }
    }
}
