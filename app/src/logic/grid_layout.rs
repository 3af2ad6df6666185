//! Layout math of the Workspace's sections.
//!
//! **Custom layout**: panels sit on a grid [`GRID_COLUMNS`] wide, each at a
//! [`GridRect`] in grid units. Placing a panel (a drop or a resize) puts it where it
//! was dropped, pushes whatever it now overlaps downwards, then *compacts*: every
//! panel floats up as far as it can without overlapping one placed before it (in
//! top-to-bottom, left-to-right order). Compaction never moves a panel down, so the
//! result never overlaps and keeps the order people arranged.
//!
//! **Standard layout**: all panels share one size, `width` columns wide, and flow
//! in reading order, `rows` rows per page.

use crate::model::{GridRect, GRID_COLUMNS};

/// Smallest and largest panel height in grid rows.
pub const MIN_ROWS: u32 = 3;
pub const MAX_ROWS: u32 = 40;
/// Smallest panel width in columns.
pub const MIN_COLS: u32 = 2;
/// Lowest row a panel may start at (keeps pixel arithmetic far from overflow).
pub const MAX_Y: u32 = 10_000;

/// Whether two rectangles share any cell.
pub fn overlaps(a: &GridRect, b: &GridRect) -> bool {
    a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h
}

/// The rectangle made to fit the grid: at least the minimum size, not wider than
/// the grid, not past its right edge, not below row [`MAX_Y`].
pub fn clamp(r: GridRect) -> GridRect {
    let w = r.w.clamp(MIN_COLS, GRID_COLUMNS);
    let h = r.h.clamp(MIN_ROWS, MAX_ROWS);
    let x = r.x.min(GRID_COLUMNS - w);
    GridRect {
        x,
        y: r.y.min(MAX_Y),
        w,
        h,
    }
}

/// Float every item up as far as it goes (see the module header). Items keep their
/// x, width and height; the slice is left sorted top-to-bottom, left-to-right.
pub fn compact(items: &mut [(u64, GridRect)]) {
    items.sort_by_key(|(id, r)| (r.y, r.x, *id));
    for i in 0..items.len() {
        let mut rect = items[i].1;
        rect.y = 0;
        loop {
            let below = items[..i]
                .iter()
                .filter(|(_, other)| overlaps(other, &rect))
                .map(|(_, other)| other.y + other.h)
                .max();
            match below {
                Some(bottom) => rect.y = bottom,
                None => break,
            }
        }
        items[i].1 = rect;
    }
}

/// Put item `id` at `to` (clamped), push the items it overlaps down, then compact.
/// An unknown `id` changes nothing.
pub fn place(items: &mut Vec<(u64, GridRect)>, id: u64, to: GridRect) {
    let Some(pos) = items.iter().position(|(i, _)| *i == id) else {
        return;
    };
    let to = clamp(to);
    let (moved_id, _) = items.remove(pos);
    items.sort_by_key(|(i, r)| (r.y, r.x, *i));
    let mut settled: Vec<(u64, GridRect)> = vec![(moved_id, to)];
    for (i, mut r) in items.drain(..) {
        // Anything in the way pushes this item down until it fits.
        while let Some(bottom) = settled
            .iter()
            .filter(|(_, s)| overlaps(s, &r))
            .map(|(_, s)| s.y + s.h)
            .max()
        {
            r.y = bottom;
        }
        settled.push((i, r));
    }
    *items = settled;
    compact(items);
}

/// Where a new `w`×`h` panel goes: the highest, then leftmost, free spot.
pub fn free_spot(items: &[GridRect], w: u32, h: u32) -> GridRect {
    let probe = clamp(GridRect { x: 0, y: 0, w, h });
    let bottom = items.iter().map(|r| r.y + r.h).max().unwrap_or(0);
    for y in 0..=bottom {
        for x in 0..=(GRID_COLUMNS - probe.w) {
            let r = GridRect { x, y, ..probe };
            if !items.iter().any(|o| overlaps(o, &r)) {
                return r;
            }
        }
    }
    GridRect {
        x: 0,
        y: bottom,
        ..probe
    }
}

/// Height of the grid in rows (the lowest panel's bottom).
pub fn grid_rows(items: &[GridRect]) -> u32 {
    items.iter().map(|r| r.y + r.h).max().unwrap_or(0)
}

/// Panels per row of a standard layout whose panels are `width` columns wide.
pub fn per_row(width: u32) -> u32 {
    (GRID_COLUMNS / width.clamp(1, GRID_COLUMNS)).max(1)
}

/// How many pages `count` panels fill in a standard layout.
pub fn page_count(count: usize, width: u32, rows: u32) -> usize {
    let per_page = (per_row(width) * rows.max(1)) as usize;
    count.div_ceil(per_page).max(1)
}

/// Indices of the panels on `page` (0-based; clamped to the last page).
pub fn page_range(count: usize, width: u32, rows: u32, page: usize) -> std::ops::Range<usize> {
    let per_page = (per_row(width) * rows.max(1)) as usize;
    let page = page.min(page_count(count, width, rows) - 1);
    let start = page * per_page;
    start.min(count)..(start + per_page).min(count)
}

/// The standard-layout panel width (in columns) nearest to a dragged width in
/// pixels, for a section `section_px` wide: one of 12, 6, 4, 3 or 2 columns, so the
/// panels always fill a row evenly.
pub fn snap_width(dragged_px: f64, section_px: f64) -> u32 {
    if section_px.is_nan() || section_px <= 0.0 || !dragged_px.is_finite() {
        return 4;
    }
    let wanted = dragged_px / section_px * f64::from(GRID_COLUMNS);
    [12u32, 6, 4, 3, 2]
        .into_iter()
        .min_by(|a, b| {
            (f64::from(*a) - wanted)
                .abs()
                .total_cmp(&(f64::from(*b) - wanted).abs())
        })
        .unwrap_or(4)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn r(x: u32, y: u32, w: u32, h: u32) -> GridRect {
        GridRect { x, y, w, h }
    }

    fn no_overlaps(items: &[(u64, GridRect)]) -> bool {
        items
            .iter()
            .enumerate()
            .all(|(i, (_, a))| items[i + 1..].iter().all(|(_, b)| !overlaps(a, b)))
    }

    #[test]
    fn compaction_floats_panels_up_but_keeps_columns() {
        let mut items = vec![(1, r(0, 5, 6, 4)), (2, r(6, 9, 6, 4)), (3, r(0, 20, 6, 4))];
        compact(&mut items);
        assert_eq!(
            items,
            vec![(1, r(0, 0, 6, 4)), (2, r(6, 0, 6, 4)), (3, r(0, 4, 6, 4))]
        );
    }

    #[test]
    fn placing_pushes_the_overlapped_panel_down() {
        let mut items = vec![(1, r(0, 0, 6, 4)), (2, r(6, 0, 6, 4))];
        // Drag panel 2 onto panel 1's place.
        place(&mut items, 2, r(0, 0, 6, 4));
        let find =
            |items: &[(u64, GridRect)], id| items.iter().find(|(i, _)| *i == id).map(|(_, r)| *r);
        assert_eq!(find(&items, 2), Some(r(0, 0, 6, 4)));
        assert_eq!(find(&items, 1), Some(r(0, 4, 6, 4)));
        // Resizing panel 2 to full width keeps panel 1 below it.
        place(&mut items, 2, r(0, 0, 12, 6));
        assert_eq!(find(&items, 1).map(|r| r.y), Some(6));
        assert!(no_overlaps(&items));
    }

    #[test]
    fn clamping_keeps_panels_on_the_grid() {
        assert_eq!(clamp(r(11, 0, 6, 1)), r(6, 0, 6, MIN_ROWS));
        assert_eq!(clamp(r(0, 3, 40, 100)), r(0, 3, 12, MAX_ROWS));
    }

    #[test]
    fn free_spot_fills_holes_first() {
        let items = [r(0, 0, 6, 4), r(0, 4, 12, 4)];
        assert_eq!(free_spot(&items, 6, 4), r(6, 0, 6, 4));
        assert_eq!(free_spot(&items, 12, 4), r(0, 8, 12, 4));
        assert_eq!(free_spot(&[], 4, 6), r(0, 0, 4, 6));
    }

    #[test]
    fn standard_pages() {
        assert_eq!(per_row(4), 3);
        assert_eq!(page_count(0, 4, 2), 1);
        assert_eq!(page_count(7, 4, 2), 2);
        assert_eq!(page_range(7, 4, 2, 0), 0..6);
        assert_eq!(page_range(7, 4, 2, 1), 6..7);
        assert_eq!(page_range(7, 4, 2, 9), 6..7);
        assert_eq!(snap_width(600.0, 1200.0), 6);
        assert_eq!(snap_width(390.0, 1200.0), 4);
        assert_eq!(snap_width(2000.0, 1200.0), 12);
    }

    fn rect() -> impl Strategy<Value = GridRect> {
        (0u32..14, 0u32..30, 1u32..14, 1u32..12).prop_map(|(x, y, w, h)| clamp(r(x, y, w, h)))
    }

    proptest! {
        /// Any sequence of placements leaves a grid without overlaps, every panel on
        /// the grid, the placed panel with the size it was given, and no panel lost.
        #[test]
        fn placements_never_overlap(
            start in prop::collection::vec(rect(), 1..12),
            moves in prop::collection::vec((0usize..12, rect()), 1..10),
        ) {
            let mut items: Vec<(u64, GridRect)> = Vec::new();
            for (i, want) in start.iter().enumerate() {
                let spot = free_spot(&items.iter().map(|(_, r)| *r).collect::<Vec<_>>(), want.w, want.h);
                items.push((i as u64, spot));
            }
            for (which, to) in moves {
                let id = (which % items.len()) as u64;
                place(&mut items, id, to);
                prop_assert!(no_overlaps(&items));
                prop_assert_eq!(items.len(), start.len());
                let placed = items.iter().find(|(i, _)| *i == id).map(|(_, r)| *r);
                prop_assert_eq!(placed.map(|p| (p.x, p.w, p.h)), Some((to.x, to.w, to.h)));
                for (_, r) in &items {
                    prop_assert!(r.x + r.w <= GRID_COLUMNS);
                }
            }
        }

        /// Compaction never moves a panel down and never makes overlaps.
        #[test]
        fn compaction_only_lifts(start in prop::collection::vec(rect(), 0..12)) {
            let mut items: Vec<(u64, GridRect)> = Vec::new();
            for (i, want) in start.iter().enumerate() {
                let spot = free_spot(&items.iter().map(|(_, r)| *r).collect::<Vec<_>>(), want.w, want.h);
                items.push((i as u64, spot));
            }
            // Spread them out downwards, which keeps them apart.
            let before: Vec<(u64, GridRect)> = items
                .into_iter()
                .map(|(id, r)| (id, GridRect { y: r.y * 2, ..r }))
                .collect();
            let mut spread = before.clone();
            compact(&mut spread);
            prop_assert!(no_overlaps(&spread));
            for (id, after) in &spread {
                let was = before.iter().find(|(i, _)| i == id).map(|(_, r)| *r).unwrap_or_default();
                prop_assert!(after.y <= was.y);
                prop_assert_eq!((after.x, after.w, after.h), (was.x, was.w, was.h));
            }
        }
    }
}
