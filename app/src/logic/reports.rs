//! The pure part of Reports: URL slugs (`{Title-slug}--{id}`, where the id alone
//! decides), the table of contents, checking a document before it is saved, the
//! difference between two revisions, and freezing a run set.

use std::collections::{BTreeMap, BTreeSet};

use crate::logic::validate::Invalid;
use crate::model::{Block, BlockKind, ReportDoc, RunId, RunSet};

/// Characters of a slug, at most.
const SLUG_CHARS: usize = 60;

/// A title as a URL slug: letters and digits kept (any script), every other run of
/// characters one `-`, no `-` at either end; `report` for a title with no letters.
/// A slug never holds `--`, the separator before the id.
pub fn slug(title: &str) -> String {
    let mut out = String::new();
    let mut dash = false;
    for c in title.chars() {
        if c.is_alphanumeric() {
            if dash && !out.is_empty() {
                out.push('-');
            }
            dash = false;
            out.push(c);
        } else {
            dash = true;
        }
    }
    // At most SLUG_CHARS characters, never ending in the dash a cut may leave.
    let out: String = out.chars().take(SLUG_CHARS).collect();
    let out = out.trim_end_matches('-').to_owned();
    if out.is_empty() {
        "report".to_owned()
    } else {
        out
    }
}

/// The last path segment of a report's URL: `{slug}--{id}`.
pub fn report_segment(title: &str, id: u64) -> String {
    format!("{}--{id}", slug(title))
}

/// The report id a URL segment names: what follows the last `--` (or the whole
/// segment), so a renamed report's old links still open it.
pub fn report_id(segment: &str) -> Option<u64> {
    let id = segment.rsplit_once("--").map_or(segment, |(_, id)| id);
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    id.parse().ok()
}

/// One line of a table of contents.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TocEntry {
    pub level: u8,
    pub text: String,
    /// The heading's `id` on the page, unique within the report.
    pub anchor: String,
}

/// The report's headings in order, each with an anchor unique in the report.
pub fn toc(doc: &ReportDoc) -> Vec<TocEntry> {
    let mut used: BTreeMap<String, u32> = BTreeMap::new();
    doc.blocks
        .iter()
        .filter_map(|b| match &b.kind {
            BlockKind::Heading { level, text } => Some((*level, text.clone())),
            _ => None,
        })
        .map(|(level, text)| {
            let base = slug(&text).to_lowercase();
            let base = if base == "report" && !text.chars().any(char::is_alphanumeric) {
                "section".to_owned()
            } else {
                base
            };
            let mut anchor = base.clone();
            // "intro", then "intro-2", "intro-3", … skipping any taken by a heading
            // whose own text ends in such a number.
            while let Some(n) = used.get(&anchor).copied() {
                let next = n + 1;
                used.insert(anchor.clone(), next);
                anchor = format!("{base}-{next}");
            }
            used.insert(anchor.clone(), 1);
            TocEntry {
                level,
                text,
                anchor,
            }
        })
        .collect()
}

/// Limits a saved report keeps to.
pub const MAX_BLOCKS: usize = 1_000;
pub const MAX_TEXT_CHARS: usize = 100_000;
pub const MAX_RUN_SETS: usize = 10;
pub const MAX_FROZEN_RUNS: usize = 10_000;

fn too_long(what: &str, text: &str, max: usize) -> Result<(), Invalid> {
    if text.chars().count() > max {
        return Err(Invalid(format!("{what} is longer than {max} characters")));
    }
    Ok(())
}

/// Whether a document may be saved: a title, block ids unique, headings of level
/// 1 to 3, texts and lists within their limits, run sets named.
pub fn check_doc(doc: &ReportDoc) -> Result<(), Invalid> {
    if doc.title.trim().is_empty() {
        return Err(Invalid("a report needs a title".into()));
    }
    too_long("the title", &doc.title, 200)?;
    too_long("the description", &doc.description, MAX_TEXT_CHARS)?;
    if doc.blocks.len() > MAX_BLOCKS {
        return Err(Invalid(format!(
            "a report holds at most {MAX_BLOCKS} blocks"
        )));
    }
    let mut ids = BTreeSet::new();
    for b in &doc.blocks {
        if !ids.insert(b.id) {
            return Err(Invalid(format!("block id {} is used twice", b.id)));
        }
        match &b.kind {
            BlockKind::Heading { level, text } => {
                if !(1..=3).contains(level) {
                    return Err(Invalid(format!(
                        "a heading's level is 1, 2 or 3, not {level}"
                    )));
                }
                too_long("a heading", text, 500)?;
            }
            BlockKind::Markdown { text }
            | BlockKind::Code { text, .. }
            | BlockKind::Callout { text, .. } => too_long("a block's text", text, MAX_TEXT_CHARS)?,
            BlockKind::Math { tex } => too_long("a formula", tex, MAX_TEXT_CHARS)?,
            BlockKind::Image { src, caption } => {
                // Only this server's own paths: a report must not load other sites' images.
                // (Empty while its author has not chosen one yet.)
                if !src.is_empty() && (!src.starts_with('/') || src.starts_with("//")) {
                    return Err(Invalid(format!(
                        "image {src:?} is not a path on this server"
                    )));
                }
                too_long("a caption", caption, 2_000)?;
            }
            BlockKind::PanelGrid { run_sets, .. } => {
                if run_sets.is_empty() || run_sets.len() > MAX_RUN_SETS {
                    return Err(Invalid(format!(
                        "a panel grid has 1 to {MAX_RUN_SETS} run sets"
                    )));
                }
                for set in run_sets {
                    if set.name.trim().is_empty() {
                        return Err(Invalid("every run set needs a name".into()));
                    }
                    too_long("a run set's name", &set.name, 128)?;
                    too_long("a run set's filter", &set.filter, 10_000)?;
                    if set
                        .frozen
                        .as_ref()
                        .is_some_and(|r| r.len() > MAX_FROZEN_RUNS)
                    {
                        return Err(Invalid(format!(
                            "a frozen run set holds at most {MAX_FROZEN_RUNS} runs"
                        )));
                    }
                }
            }
            BlockKind::Rule | BlockKind::TableOfContents | BlockKind::Unknown { .. } => {}
        }
    }
    Ok(())
}

/// How one block differs between two revisions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BlockChange {
    /// In the newer revision only (its position there).
    Added { id: u64, at: usize },
    /// In the older revision only.
    Removed { id: u64 },
    /// In both, with other content.
    Changed { id: u64 },
    /// In both, but no longer in the same order relative to the others.
    Moved { id: u64 },
}

/// What changed from `old` to `new`, block by block (by id). Blocks kept in the
/// longest common order are not "moved"; the others that stayed are.
pub fn diff(old: &ReportDoc, new: &ReportDoc) -> Vec<BlockChange> {
    let old_ids: Vec<u64> = old.blocks.iter().map(|b| b.id).collect();
    let new_ids: Vec<u64> = new.blocks.iter().map(|b| b.id).collect();
    let in_old: BTreeMap<u64, &Block> = old.blocks.iter().map(|b| (b.id, b)).collect();
    let in_new: BTreeSet<u64> = new_ids.iter().copied().collect();
    let mut out = Vec::new();
    for (at, b) in new.blocks.iter().enumerate() {
        match in_old.get(&b.id) {
            None => out.push(BlockChange::Added { id: b.id, at }),
            Some(o) if o.kind != b.kind => out.push(BlockChange::Changed { id: b.id }),
            Some(_) => {}
        }
    }
    for id in &old_ids {
        if !in_new.contains(id) {
            out.push(BlockChange::Removed { id: *id });
        }
    }
    // Kept blocks, in each revision's order; the longest common subsequence stays put.
    let kept_old: Vec<u64> = old_ids
        .iter()
        .copied()
        .filter(|i| in_new.contains(i))
        .collect();
    let kept_new: Vec<u64> = new_ids
        .iter()
        .copied()
        .filter(|i| in_old.contains_key(i))
        .collect();
    let still = lcs(&kept_old, &kept_new);
    for id in kept_new {
        if !still.contains(&id) {
            out.push(BlockChange::Moved { id });
        }
    }
    out
}

/// The ids of a longest common subsequence of two lists of distinct ids.
fn lcs(a: &[u64], b: &[u64]) -> BTreeSet<u64> {
    let (n, m) = (a.len(), b.len());
    let mut len = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            len[i][j] = if a[i] == b[j] {
                len[i + 1][j + 1] + 1
            } else {
                len[i + 1][j].max(len[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut out = BTreeSet::new();
    while i < n && j < m {
        if a[i] == b[j] {
            out.insert(a[i]);
            i += 1;
            j += 1;
        } else if len[i + 1][j] >= len[i][j + 1] {
            i += 1;
        } else {
            j += 1;
        }
    }
    out
}

/// Freeze a run set on the runs it matches now (in the order shown, each once), so
/// the report no longer changes when new runs match.
pub fn freeze(set: &RunSet, matched: &[RunId]) -> RunSet {
    let mut seen = BTreeSet::new();
    let runs: Vec<RunId> = matched
        .iter()
        .filter(|r| seen.insert((*r).clone()))
        .take(MAX_FROZEN_RUNS)
        .cloned()
        .collect();
    RunSet {
        frozen: Some(runs),
        ..set.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn block(id: u64, kind: BlockKind) -> Block {
        Block { id, kind }
    }

    fn md(id: u64, text: &str) -> Block {
        block(id, BlockKind::Markdown { text: text.into() })
    }

    fn heading(id: u64, level: u8, text: &str) -> Block {
        block(
            id,
            BlockKind::Heading {
                level,
                text: text.into(),
            },
        )
    }

    fn doc(blocks: Vec<Block>) -> ReportDoc {
        ReportDoc {
            title: "T".into(),
            description: String::new(),
            blocks,
        }
    }

    #[test]
    fn slugs_and_ids() {
        assert_eq!(
            slug("Loss curves: Adam vs. SGD!"),
            "Loss-curves-Adam-vs-SGD"
        );
        assert_eq!(slug("  --  "), "report");
        assert_eq!(slug("Überblick über Läufe"), "Überblick-über-Läufe");
        assert_eq!(report_segment("My report", 42), "My-report--42");
        assert_eq!(report_id("My-report--42"), Some(42));
        assert_eq!(report_id("Renamed-long-ago--42"), Some(42));
        assert_eq!(report_id("42"), Some(42));
        assert_eq!(report_id("My-report"), None);
        assert_eq!(report_id("x--4a"), None);
        assert_eq!(report_id("x--"), None);
    }

    #[test]
    fn toc_anchors_are_unique() {
        let d = doc(vec![
            heading(1, 1, "Intro"),
            md(2, "text"),
            heading(3, 2, "Intro"),
            heading(4, 2, "Intro 2"),
            heading(5, 3, "!!!"),
        ]);
        let anchors: Vec<String> = toc(&d).into_iter().map(|e| e.anchor).collect();
        assert_eq!(anchors, ["intro", "intro-2", "intro-2-2", "section"]);
    }

    #[test]
    fn checks_say_what_is_wrong() {
        assert!(check_doc(&doc(vec![heading(1, 1, "a"), md(2, "b")])).is_ok());
        let e = check_doc(&doc(vec![md(1, "a"), md(1, "b")])).unwrap_err();
        assert!(e.0.contains("used twice"), "{e:?}");
        assert!(check_doc(&doc(vec![heading(1, 4, "a")])).is_err());
        let remote = block(
            1,
            BlockKind::Image {
                src: "https://evil.example/x.png".into(),
                caption: String::new(),
            },
        );
        assert!(check_doc(&doc(vec![remote])).is_err());
        let mut untitled = doc(vec![]);
        untitled.title = " ".into();
        assert!(check_doc(&untitled).is_err());
    }

    #[test]
    fn revision_diff_by_block() {
        let old = doc(vec![md(1, "a"), md(2, "b"), md(3, "c"), md(4, "d")]);
        let new = doc(vec![md(2, "b"), md(1, "a"), md(3, "c!"), md(5, "e")]);
        let d = diff(&old, &new);
        assert!(d.contains(&BlockChange::Added { id: 5, at: 3 }));
        assert!(d.contains(&BlockChange::Removed { id: 4 }));
        assert!(d.contains(&BlockChange::Changed { id: 3 }));
        // One of 1 and 2 moved, not both.
        let moved = d
            .iter()
            .filter(|c| matches!(c, BlockChange::Moved { .. }))
            .count();
        assert_eq!(moved, 1, "{d:?}");
    }

    #[test]
    fn freezing_keeps_the_order_once() {
        let set = RunSet {
            name: "adam".into(),
            filter: "config.optimizer = \"adam\"".into(),
            ..Default::default()
        };
        let runs = [RunId("b".into()), RunId("a".into()), RunId("b".into())];
        let frozen = freeze(&set, &runs);
        assert_eq!(
            frozen.frozen,
            Some(vec![RunId("b".into()), RunId("a".into())])
        );
        assert_eq!(frozen.filter, set.filter);
    }

    proptest! {
        #[test]
        fn any_title_round_trips_its_id(title in "\\PC{0,80}", id in any::<u64>()) {
            let s = slug(&title);
            prop_assert!(!s.contains("--") && !s.starts_with('-') && !s.ends_with('-'));
            prop_assert!(s.chars().count() <= SLUG_CHARS);
            prop_assert_eq!(report_id(&report_segment(&title, id)), Some(id));
        }

        /// A revision compared with itself has no changes; reordering its blocks only
        /// moves them, and fewer than all of them.
        #[test]
        fn reordering_only_moves(n in 1usize..12, seed in any::<u64>()) {
            let blocks: Vec<Block> = (0..n as u64).map(|i| md(i, &format!("b{i}"))).collect();
            let d = doc(blocks.clone());
            prop_assert!(diff(&d, &d).is_empty());
            let mut shuffled = blocks;
            let mut s = seed;
            for i in (1..shuffled.len()).rev() {
                s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                shuffled.swap(i, (s >> 33) as usize % (i + 1));
            }
            let changes = diff(&d, &doc(shuffled));
            let only_moves = changes.iter().all(|c| matches!(c, BlockChange::Moved { .. }));
            prop_assert!(only_moves, "{:?}", changes);
            prop_assert!(changes.len() < n);
        }
    }
}
