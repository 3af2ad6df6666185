//! Runs table layout rules: which columns show in what order (from the saved
//! settings and defaults), column moves, histogram bins and CSV cells.

use crate::logic::filter::{Builtin, Column};
use crate::logic::url::encode_segment;
use crate::model::{ColumnInfo, ColumnKind, ColumnSettings, SortSpec};

/// Config and summary columns shown before the user chooses: the first this many.
pub const DEFAULT_FIELD_COLUMNS: usize = 40;

/// Built-in columns hidden until the user shows them.
const HIDDEN_BUILTINS: [Builtin; 4] = [
    Builtin::Id,
    Builtin::Notes,
    Builtin::JobType,
    Builtin::Sweep,
];

/// A column as the table lays it out.
#[derive(Clone, Debug, PartialEq)]
pub struct TableColumn {
    pub id: String,
    pub kind: ColumnKind,
    pub pinned: bool,
    pub visible: bool,
}

impl TableColumn {
    /// The header text: builtins by title, config and summary keys by key.
    pub fn title(&self) -> String {
        Column::from_name(&self.id)
            .map(|c| c.title())
            .unwrap_or_else(|| self.id.clone())
    }

    /// `config`, `summary` or empty: a small label above the key.
    pub fn source(&self) -> &'static str {
        match Column::from_name(&self.id) {
            Some(Column::Config(_)) => "config",
            Some(Column::Summary(_)) => "summary",
            _ => "",
        }
    }
}

/// The built-in columns, in their default order.
pub fn builtin_columns() -> Vec<ColumnInfo> {
    Builtin::ALL
        .into_iter()
        .map(|b| ColumnInfo {
            id: b.name().to_owned(),
            kind: match b {
                Builtin::Created => ColumnKind::Time,
                Builtin::Runtime => ColumnKind::Number,
                Builtin::Tags => ColumnKind::Tags,
                _ => ColumnKind::Text,
            },
        })
        .collect()
}

/// Every column in display order with its pin and visibility. Name comes first and is
/// always shown; pinned columns follow it; the rest keep the user's order, and
/// columns the settings do not mention follow in the default order.
pub fn resolve_columns(all: &[ColumnInfo], settings: &ColumnSettings) -> Vec<TableColumn> {
    let mut ordered: Vec<&ColumnInfo> = settings
        .order
        .iter()
        .filter_map(|id| all.iter().find(|c| &c.id == id))
        .collect();
    for c in all {
        if !ordered.iter().any(|o| o.id == c.id) {
            ordered.push(c);
        }
    }
    let mut fields_seen = 0;
    let default_visible: Vec<(String, bool)> = all
        .iter()
        .map(|c| {
            let visible = match Column::from_name(&c.id) {
                Some(Column::Builtin(b)) => !HIDDEN_BUILTINS.contains(&b),
                _ => {
                    fields_seen += 1;
                    fields_seen <= DEFAULT_FIELD_COLUMNS
                }
            };
            (c.id.clone(), visible)
        })
        .collect();
    let mut out: Vec<TableColumn> = ordered
        .into_iter()
        .map(|c| {
            let name = c.id == Builtin::Name.name();
            let default = default_visible
                .iter()
                .find(|(id, _)| *id == c.id)
                .is_some_and(|d| d.1);
            let visible = name
                || settings.shown.contains(&c.id)
                || (default && !settings.hidden.contains(&c.id));
            TableColumn {
                id: c.id.clone(),
                kind: c.kind,
                pinned: !name && settings.pinned.contains(&c.id),
                visible,
            }
        })
        .collect();
    // Name first, then pinned, then the rest; the sort is stable so order holds within.
    out.sort_by_key(|c| {
        if c.id == Builtin::Name.name() {
            0
        } else if c.pinned {
            1
        } else {
            2
        }
    });
    out
}

/// The settings after showing or hiding one column.
pub fn set_visible(settings: &mut ColumnSettings, id: &str, visible: bool) {
    settings.hidden.retain(|h| h != id);
    settings.shown.retain(|s| s != id);
    if visible {
        settings.shown.push(id.to_owned());
    } else {
        settings.hidden.push(id.to_owned());
    }
}

/// The settings after pinning or unpinning one column.
pub fn set_pinned(settings: &mut ColumnSettings, id: &str, pinned: bool) {
    settings.pinned.retain(|p| p != id);
    if pinned {
        settings.pinned.push(id.to_owned());
    }
}

/// The order after dragging column `from` onto column `to` (it takes `to`'s place;
/// the columns between shift by one). `current` is the full display order.
pub fn move_column(current: &[String], from: &str, to: &str) -> Vec<String> {
    let mut order: Vec<String> = current.to_vec();
    let (Some(i), Some(j)) = (
        order.iter().position(|c| c == from),
        order.iter().position(|c| c == to),
    ) else {
        return order;
    };
    let moved = order.remove(i);
    order.insert(j, moved);
    order
}

/// Counts of `values` in `bins` equal-width bins over `[min, max]` (the top edge
/// belongs to the last bin). Non-finite values and values outside are not counted.
pub fn histogram(values: &[f64], min: f64, max: f64, bins: usize) -> Vec<u32> {
    let mut counts = vec![0u32; bins];
    if bins == 0 || !min.is_finite() || !max.is_finite() || max < min {
        return counts;
    }
    let width = (max - min) / bins as f64;
    for &v in values {
        if !v.is_finite() || v < min || v > max {
            continue;
        }
        let i = if width > 0.0 {
            (((v - min) / width) as usize).min(bins - 1)
        } else {
            0
        };
        counts[i] += 1;
    }
    counts
}

/// A CSV field: quoted when it holds a comma, quote, or line break (RFC 4180).
/// Cells that a spreadsheet would run as a formula get a leading `'`.
pub fn csv_field(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@']) && text.parse::<f64>().is_err() {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

/// The query string that makes a runs view shareable: filter, sort and grouping
/// (`?filter=…&sort=config.lr&desc=1&group=a&group=b`; empty parts left out).
pub fn view_query_string(filter: &str, sort: Option<&SortSpec>, group: &[String]) -> String {
    let mut parts = Vec::new();
    if !filter.trim().is_empty() {
        parts.push(format!("filter={}", encode_segment(filter)));
    }
    if let Some(s) = sort {
        parts.push(format!("sort={}", encode_segment(&s.column)));
        if s.desc {
            parts.push("desc=1".to_owned());
        }
    }
    for g in group {
        parts.push(format!("group={}", encode_segment(g)));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("?{}", parts.join("&"))
    }
}

/// Height in pixels of a runs table showing `rows` rows of `row_height` under a
/// header of `header` pixels: as tall as its rows, at least 120 px when it may be that
/// tall, never over `max_body + header`. Never panics, whatever the inputs (a group of
/// one run gives a short table, not a reversed range).
pub fn table_height(rows: u64, row_height: f64, header: f64, max_body: f64) -> f64 {
    let cap = max_body.max(0.0) + header.max(0.0);
    let want = rows as f64 * row_height.max(0.0) + header.max(0.0);
    let floor = 120.0_f64.min(cap);
    if want.is_nan() {
        return floor;
    }
    want.min(cap).max(floor)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn view_urls_encode_everything() {
        assert_eq!(view_query_string("", None, &[]), "");
        let sort = SortSpec {
            column: "summary.val/loss".into(),
            desc: true,
        };
        assert_eq!(
            view_query_string("config.lr < 0.1 & x", Some(&sort), &["config.opt".into()]),
            "?filter=config.lr%20%3C%200.1%20%26%20x&sort=summary.val%2Floss&desc=1&group=config.opt"
        );
    }

    fn cols(ids: &[&str]) -> Vec<ColumnInfo> {
        let mut all = builtin_columns();
        all.extend(ids.iter().map(|id| ColumnInfo {
            id: (*id).to_owned(),
            kind: ColumnKind::Number,
        }));
        all
    }

    #[test]
    fn defaults_put_name_first_and_hide_extras() {
        let r = resolve_columns(
            &cols(&["config.lr", "summary.loss"]),
            &ColumnSettings::default(),
        );
        assert_eq!(r[0].id, "name");
        let visible: Vec<&str> = r
            .iter()
            .filter(|c| c.visible)
            .map(|c| c.id.as_str())
            .collect();
        assert_eq!(
            visible,
            [
                "name",
                "state",
                "created",
                "runtime",
                "user",
                "tags",
                "group",
                "config.lr",
                "summary.loss"
            ]
        );
        let many: Vec<String> = (0..50).map(|i| format!("config.k{i:02}")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        let r = resolve_columns(&cols(&many), &ColumnSettings::default());
        assert_eq!(
            r.iter()
                .filter(|c| c.id.starts_with("config.") && c.visible)
                .count(),
            40
        );
    }

    #[test]
    fn settings_reorder_pin_hide_and_show() {
        let all = cols(&["config.lr", "summary.loss"]);
        let mut s = ColumnSettings {
            order: vec!["summary.loss".into(), "gone.column".into(), "state".into()],
            ..Default::default()
        };
        set_pinned(&mut s, "config.lr", true);
        set_visible(&mut s, "state", false);
        set_visible(&mut s, "id", true);
        set_visible(&mut s, "name", false);
        let r = resolve_columns(&all, &s);
        let ids: Vec<&str> = r.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(&ids[..4], ["name", "config.lr", "summary.loss", "state"]);
        assert!(r[1].pinned);
        assert!(r[0].visible, "name cannot be hidden");
        assert!(!r
            .iter()
            .find(|c| c.id == "state")
            .is_some_and(|c| c.visible));
        assert!(r.iter().find(|c| c.id == "id").is_some_and(|c| c.visible));
        set_pinned(&mut s, "config.lr", false);
        assert!(!resolve_columns(&all, &s).iter().any(|c| c.pinned));
    }

    #[test]
    fn moving_a_column_shifts_the_ones_between() {
        let order: Vec<String> = ["a", "b", "c", "d"].map(String::from).to_vec();
        assert_eq!(move_column(&order, "a", "c"), ["b", "c", "a", "d"]);
        assert_eq!(move_column(&order, "d", "b"), ["a", "d", "b", "c"]);
        assert_eq!(move_column(&order, "x", "b"), order);
    }

    #[test]
    fn histogram_edges() {
        assert_eq!(
            histogram(&[0.0, 0.5, 1.0, f64::NAN, 2.0], 0.0, 1.0, 2),
            [1, 2]
        );
        assert_eq!(histogram(&[3.0, 3.0], 3.0, 3.0, 4), [2, 0, 0, 0]);
        assert_eq!(histogram(&[], 0.0, 1.0, 0), Vec::<u32>::new());
    }

    #[test]
    fn csv_fields_are_quoted_and_defused() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=cmd()"), "'=cmd()");
        assert_eq!(csv_field("-1.5"), "-1.5");
    }

    #[test]
    fn small_groups_get_short_tables() {
        // One and two runs in a group: the table fits them (this was a panic).
        assert_eq!(table_height(1, 34.0, 42.0, 34.0), 76.0);
        assert_eq!(table_height(2, 34.0, 42.0, 68.0), 110.0);
        assert_eq!(table_height(100, 34.0, 42.0, 640.0), 682.0);
        assert_eq!(table_height(1, 34.0, 42.0, 640.0), 120.0);
    }

    proptest! {
        #[test]
        fn histogram_counts_every_value_in_range(
            values in prop::collection::vec(-1e6f64..1e6, 0..200),
            bins in 1usize..30,
        ) {
            let (min, max) = values.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(*v), b.max(*v)));
            let counts = histogram(&values, min, max, bins);
            prop_assert_eq!(counts.iter().sum::<u32>() as usize, values.len());
        }

        #[test]
        fn table_heights_stay_in_bounds(rows in 0u64..10_000, max_body in -10.0f64..2_000.0) {
            let h = table_height(rows, 34.0, 42.0, max_body);
            prop_assert!(h >= 0.0 && h <= max_body.max(0.0) + 42.0, "{}", h);
            prop_assert!(h >= 120.0f64.min(max_body.max(0.0) + 42.0));
        }

        #[test]
        fn resolved_columns_are_a_permutation(order in prop::collection::vec("[a-z]{1,3}", 0..8)) {
            let all = cols(&["config.a", "config.b"]);
            let s = ColumnSettings { order, ..Default::default() };
            let r = resolve_columns(&all, &s);
            prop_assert_eq!(r.len(), all.len());
            prop_assert_eq!(&r[0].id, "name");
        }
    }
}
