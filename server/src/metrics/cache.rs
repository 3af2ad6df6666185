//! Decoded chunk rows (aggregates and sketches) of recently charted series, kept in
//! memory so repeated chart queries (dashboards, polling, several people on one
//! project) skip the database reads and the sketch decoding.
//!
//! Entries are keyed by series id and the sketch part a chart's x axis reads (step
//! cells, or the wall-time or relative-time cells), and tagged with the series'
//! version, which every
//! write bumps in its own transaction; a query reads the versions first and uses an
//! entry only when they match, so a stale entry is never served, also when several
//! server processes share one PostgreSQL database. Memory is bounded: least recently
//! used series are dropped once the budget is exceeded.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::codec::{Cell, Part};
use super::store::ChunkMeta;

/// Default memory budget.
pub const DEFAULT_BUDGET_BYTES: usize = 256 * 1024 * 1024;

pub struct MetaCache {
    budget: usize,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    map: HashMap<(i64, Part), Entry>,
    bytes: usize,
    clock: u64,
}

struct Entry {
    version: i64,
    metas: Arc<Vec<ChunkMeta>>,
    bytes: usize,
    used: u64,
}

fn footprint(metas: &[ChunkMeta]) -> usize {
    metas
        .iter()
        .map(|m| {
            std::mem::size_of::<ChunkMeta>()
                + m.sketch.cells.len() * std::mem::size_of::<Cell>()
                + m.sketch.time.as_ref().map_or(0, |t| t.cells.len()) * std::mem::size_of::<Cell>()
        })
        .sum()
}

impl MetaCache {
    /// A cache holding at most about `budget` bytes (0 turns it off).
    pub fn new(budget: usize) -> MetaCache {
        MetaCache {
            budget,
            inner: Mutex::new(Inner::default()),
        }
    }

    pub fn enabled(&self) -> bool {
        self.budget > 0
    }

    /// The chunk rows of a series at exactly this version, read for `part`, if cached.
    pub fn get(&self, series_id: i64, part: Part, version: i64) -> Option<Arc<Vec<ChunkMeta>>> {
        if !self.enabled() {
            return None;
        }
        let mut inner = self.inner.lock().ok()?;
        inner.clock += 1;
        let now = inner.clock;
        let found = inner
            .map
            .get_mut(&(series_id, part))
            .filter(|entry| entry.version == version)
            .map(|entry| {
                entry.used = now;
                entry.metas.clone()
            });
        crate::telemetry::chart_cache(found.is_some());
        found
    }

    /// Remember all chunk rows of a series at a version, read for `part`; returns
    /// them shared.
    pub fn put(
        &self,
        series_id: i64,
        part: Part,
        version: i64,
        metas: Vec<ChunkMeta>,
    ) -> Arc<Vec<ChunkMeta>> {
        let bytes = footprint(&metas);
        let metas = Arc::new(metas);
        if !self.enabled() || bytes > self.budget / 4 {
            return metas;
        }
        let Ok(mut inner) = self.inner.lock() else {
            return metas;
        };
        inner.clock += 1;
        let used = inner.clock;
        if let Some(old) = inner.map.insert(
            (series_id, part),
            Entry {
                version,
                metas: metas.clone(),
                bytes,
                used,
            },
        ) {
            inner.bytes -= old.bytes;
        }
        inner.bytes += bytes;
        if inner.bytes > self.budget {
            // Drop the least recently used series until 3/4 of the budget is in use.
            let mut by_age: Vec<(u64, (i64, Part))> =
                inner.map.iter().map(|(id, e)| (e.used, *id)).collect();
            by_age.sort_unstable();
            for (_, id) in by_age {
                if inner.bytes <= self.budget / 4 * 3 {
                    break;
                }
                if let Some(e) = inner.map.remove(&id) {
                    inner.bytes -= e.bytes;
                }
            }
        }
        metas
    }

    /// Bytes held now.
    pub fn bytes(&self) -> usize {
        self.inner.lock().map(|i| i.bytes).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::codec::{ChunkSummary, Point, Sketch};

    fn metas(n: usize) -> Vec<ChunkMeta> {
        let points: Vec<Point> = (0..64)
            .map(|s| Point {
                step: s,
                value: 1.0,
                wall_ms: s,
            })
            .collect();
        (0..n)
            .map(|i| ChunkMeta {
                id: i as i64,
                series_id: 1,
                summary: ChunkSummary::of(&points),
                sketch: Sketch::of(&points, 0).part(Part::Steps),
            })
            .collect()
    }

    #[test]
    fn versions_must_match_and_memory_stays_bounded() {
        let one = footprint(&metas(10));
        let cache = MetaCache::new(one * 5);
        cache.put(1, Part::Steps, 7, metas(1));
        assert!(cache.get(1, Part::Steps, 7).is_some());
        assert!(
            cache.get(1, Part::Steps, 8).is_none(),
            "a newer version is a miss"
        );
        assert!(
            cache.get(1, Part::RelativeTime, 7).is_none(),
            "another axis' part is a miss"
        );
        for id in 2..40 {
            cache.put(id, Part::Steps, 0, metas(5));
            assert!(cache.bytes() <= one * 5);
        }
        assert!(
            cache.get(39, Part::Steps, 0).is_some(),
            "the latest entry stays"
        );
        assert!(
            cache.get(2, Part::Steps, 0).is_none(),
            "old entries were dropped"
        );
        let off = MetaCache::new(0);
        off.put(1, Part::Steps, 0, metas(1));
        assert!(off.get(1, Part::Steps, 0).is_none());
    }
}
