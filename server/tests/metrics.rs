//! The metrics engine on real SQLite and PostgreSQL: series written in batches of
//! every size (with overwrites, out-of-order steps, NaN and ±Inf) read back exactly,
//! and bucket queries (every axis, ranges, grouping) equal a brute-force computation
//! over the points that were logged.
#![expect(clippy::unwrap_used, reason = "tests fail loudly")]

use crate::common;

use std::collections::BTreeMap;

use app::model::{MetricBucket, MetricValue, RunId, XAxis};
use common::on_both;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use server::metrics::codec::Point;
use server::metrics::{self, store, BucketRequest, QueryRun};

/// One query: axis, range, bucket count, grouped.
type Case = (XAxis, Option<f64>, Option<f64>, usize, bool);

/// What was logged, as the truth to compare against: run → step → point.
type Truth = Vec<BTreeMap<i64, Point>>;

const START_MS: i64 = 1_700_000_000_000;

fn value(rng: &mut StdRng) -> f64 {
    match rng.gen_range(0..40) {
        0 => f64::NAN,
        1 => f64::INFINITY,
        2 => f64::NEG_INFINITY,
        3 => 1e6, // a spike
        _ => rng.gen_range(-5.0..5.0),
    }
}

/// Log one run's "loss" in batches of mixed sizes, then overwrite some old steps.
async fn log_run(
    db: &impl sea_orm::ConnectionTrait,
    run_pk: i32,
    rng: &mut StdRng,
) -> BTreeMap<i64, Point> {
    let mut truth = BTreeMap::new();
    let mut step = rng.gen_range(0..50);
    let sizes = [
        1usize, 1, 3, 7, 1, 300, 2, 2_000, 5, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1_500, 40,
    ];
    for &size in &sizes {
        let mut batch = Vec::with_capacity(size);
        for _ in 0..size {
            step += rng.gen_range(1..4);
            let p = Point {
                step,
                value: value(rng),
                wall_ms: START_MS + step * 50 + rng.gen_range(0..30),
            };
            batch.push(p);
            truth.insert(step, p);
        }
        store::write_series(db, run_pk, START_MS, "loss", &batch)
            .await
            .unwrap();
    }
    // Overwrites and late, out-of-order steps.
    for _ in 0..3 {
        let at = rng.gen_range(0..step);
        let mut batch: Vec<Point> = (at..at + rng.gen_range(1..700))
            .step_by(2)
            .map(|s| Point {
                step: s,
                value: value(rng),
                wall_ms: START_MS + s * 50,
            })
            .collect();
        batch.dedup_by_key(|p| p.step);
        for p in &batch {
            truth.insert(p.step, *p);
        }
        store::write_series(db, run_pk, START_MS, "loss", &batch)
            .await
            .unwrap();
    }
    truth
}

fn same_bucket(got: &MetricBucket, want: &MetricBucket) -> bool {
    let close = |a: f64, b: f64| {
        (a.is_nan() && b.is_nan()) || a == b || (a - b).abs() <= 1e-9 * a.abs().max(b.abs())
    };
    got.count == want.count
        && got.nonfinite == want.nonfinite
        && close(got.min.0, want.min.0)
        && close(got.max.0, want.max.0)
        && close(got.mean.0, want.mean.0)
        && got.last.0.to_bits() == want.last.0.to_bits()
        && got.x_first == want.x_first
        && got.x_last == want.x_last
}

/// A point on the query's x axis.
#[derive(Clone, Copy)]
struct AxisPoint {
    x: f64,
    step: i64,
    value: f64,
}

fn axis_points(truth: &BTreeMap<i64, Point>, x: XAxis) -> Vec<AxisPoint> {
    truth
        .values()
        .map(|p| AxisPoint {
            x: match x {
                XAxis::Step => p.step as f64,
                XAxis::WallTime => p.wall_ms as f64 / 1000.0,
                XAxis::RelativeTime => (p.wall_ms - START_MS) as f64 / 1000.0,
            },
            step: p.step,
            value: p.value,
        })
        .collect()
}

// The reference below is written from the bucketing contract (the header of
// `app::logic::bucket`) and uses none of that module's code, so a bug there cannot
// hide by being on both sides of the comparison.

/// The cell of a point: on the step axis aligned cells of `2^shift` steps with the
/// smallest shift that fits `lo..=hi` in `n` cells; on time axes the same with x in
/// whole milliseconds (from the run's start for relative time).
fn hand_cell(x: XAxis, lo: f64, hi: f64, n: usize, p: &AxisPoint) -> i64 {
    match x {
        XAxis::Step => p.step >> step_shift(lo as i64, hi as i64, n),
        _ => ms(p.x) >> step_shift(ms(lo), ms(hi), n),
    }
}

/// Seconds as the whole milliseconds they were logged in.
fn ms(x: f64) -> i64 {
    (x * 1000.0).round() as i64
}

fn step_shift(lo: i64, hi: i64, n: usize) -> u32 {
    (0..63)
        .find(|&s| ((hi >> s) - (lo >> s) + 1) as usize <= n)
        .unwrap_or(63)
}

/// Where a cell starts on the x axis.
fn hand_cell_start(x: XAxis, lo: f64, hi: f64, n: usize, cell: i64) -> f64 {
    match x {
        XAxis::Step => (cell << step_shift(lo as i64, hi as i64, n)) as f64,
        _ => (cell << step_shift(ms(lo), ms(hi), n)) as f64 / 1000.0,
    }
}

/// One run's buckets from its raw points: whether they are the raw points (no more
/// points in range than buckets), and per cell the bucket.
fn hand_buckets(
    points: &[AxisPoint],
    x: XAxis,
    (lo, hi): (f64, f64),
    n: usize,
    allow_raw: bool,
) -> (bool, Vec<(i64, MetricBucket)>) {
    let mut inside: Vec<&AxisPoint> = points.iter().filter(|p| p.x >= lo && p.x <= hi).collect();
    inside.sort_by(|a, b| a.x.total_cmp(&b.x).then(a.step.cmp(&b.step)));
    let raw = allow_raw && inside.len() <= n;
    let mut cells: BTreeMap<i64, Vec<&AxisPoint>> = BTreeMap::new();
    for (i, p) in inside.iter().enumerate() {
        // A raw answer has one bucket per point, in x order.
        let key = if raw {
            i as i64
        } else {
            hand_cell(x, lo, hi, n, p)
        };
        cells.entry(key).or_default().push(p);
    }
    let buckets = cells
        .into_iter()
        .map(|(cell, ps)| {
            let finite: Vec<f64> = ps
                .iter()
                .map(|p| p.value)
                .filter(|v| v.is_finite())
                .collect();
            let (min, max, mean) = if finite.is_empty() {
                (f64::NAN, f64::NAN, f64::NAN)
            } else {
                (
                    finite.iter().copied().fold(f64::INFINITY, f64::min),
                    finite.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                    finite.iter().sum::<f64>() / finite.len() as f64,
                )
            };
            let at_last_step = ps
                .iter()
                .max_by_key(|p| p.step)
                .map_or(f64::NAN, |p| p.value);
            let cell = if raw {
                hand_cell(x, lo, hi, n, ps[0])
            } else {
                cell
            };
            (
                cell,
                MetricBucket {
                    x_first: ps.iter().map(|p| p.x).fold(f64::INFINITY, f64::min),
                    x_last: ps.iter().map(|p| p.x).fold(f64::NEG_INFINITY, f64::max),
                    min: MetricValue(min),
                    max: MetricValue(max),
                    mean: MetricValue(mean),
                    last: MetricValue(at_last_step),
                    count: ps.len() as u64,
                    nonfinite: (ps.len() - finite.len()) as u64,
                },
            )
        })
        .collect();
    (raw, buckets)
}

#[tokio::test]
async fn bucket_queries_equal_brute_force_on_both_databases() {
    on_both(|t| async move {
        let user = server::bootstrap::create_user(&t.db, "m", "password123", false)
            .await
            .unwrap();
        let mut rng = StdRng::seed_from_u64(11);
        let mut runs = Vec::new();
        let mut truth: Truth = Vec::new();
        for i in 0..5 {
            let id = format!("r{i}");
            let r = common::add_run(&t.db, &user, "p", &id).await;
            truth.push(log_run(&t.db, r.id, &mut rng).await);
            runs.push(QueryRun {
                pk: r.id,
                id: RunId(id),
                start_ms: START_MS,
                group: Some(if i % 2 == 0 { "even" } else { "odd" }.into()),
            });
        }

        // Stored points and running aggregates are exactly what was logged.
        for (run, want) in runs.iter().zip(&truth) {
            let series = store::series_for_runs(&t.db, &[run.pk], "loss")
                .await
                .unwrap();
            let s = &series[0];
            let back = store::read_all(&t.db, s.id).await.unwrap();
            assert_eq!(back.len(), want.len(), "{:?}", t.backend);
            for (p, w) in back.iter().zip(want.values()) {
                assert!(p.same(w), "{p:?} != {w:?}");
            }
            assert_eq!(s.points as usize, want.len());
            let finite: Vec<f64> = want
                .values()
                .map(|p| p.value)
                .filter(|v| v.is_finite())
                .collect();
            assert_eq!(s.min, finite.iter().copied().reduce(f64::min));
            assert_eq!(s.max, finite.iter().copied().reduce(f64::max));
            let last = want.values().next_back().unwrap();
            assert_eq!(
                (s.last_step, s.last.to_bits()),
                (last.step, last.value.to_bits())
            );
        }

        // A small cache, so the cases run both from it and after evictions.
        let cache = server::metrics::cache::MetaCache::new(200_000);
        let max_step = truth
            .iter()
            .map(|t| *t.keys().next_back().unwrap())
            .max()
            .unwrap();
        let cases: Vec<Case> = vec![
            (XAxis::Step, None, None, 1_000, false),
            (XAxis::Step, None, None, 37, false),
            (
                XAxis::Step,
                Some(max_step as f64 * 0.3),
                Some(max_step as f64 * 0.31),
                1_000,
                false,
            ),
            (
                XAxis::Step,
                Some(100.0),
                Some(max_step as f64 * 0.8),
                64,
                true,
            ),
            (XAxis::WallTime, None, None, 300, false),
            (XAxis::RelativeTime, Some(10.0), Some(200.0), 50, true),
            (XAxis::RelativeTime, None, None, 100_000, false),
        ];
        for (x, x_min, x_max, n, grouped) in cases {
            let req = BucketRequest {
                key: "loss",
                x,
                x_min,
                x_max,
                buckets: n,
                grouped,
            };
            let answer = metrics::bucket_query(&t.db, &cache, &runs, &req)
                .await
                .unwrap();
            let (lo, hi) = (answer.x_min.unwrap(), answer.x_max.unwrap());
            assert_eq!(answer.runs.len(), runs.len());
            let mut cells_by_run: Vec<Vec<(i64, MetricBucket)>> = Vec::new();
            for (got, want) in answer.runs.iter().zip(&truth) {
                let (raw, cells) = hand_buckets(&axis_points(want, x), x, (lo, hi), n, !grouped);
                assert_eq!(
                    got.raw, raw,
                    "{x:?} {x_min:?}..{x_max:?} n={n} on {:?}",
                    t.backend
                );
                assert_eq!(
                    got.buckets.len(),
                    cells.len(),
                    "{x:?} n={n} on {:?}",
                    t.backend
                );
                for (g, (_, w)) in got.buckets.rows().iter().zip(&cells) {
                    assert!(same_bucket(g, w), "{x:?} n={n}: got {g:?}, want {w:?}");
                }
                assert_eq!(got.total_points as usize, want.len());
                cells_by_run.push(cells);
            }
            if grouped {
                assert_eq!(answer.groups.len(), 2);
                for g in &answer.groups {
                    let members: Vec<usize> = runs
                        .iter()
                        .enumerate()
                        .filter(|(_, r)| r.group.as_deref() == Some(g.group.as_str()))
                        .map(|(i, _)| i)
                        .collect();
                    // Per cell: the member runs' buckets there. The group's mean is
                    // the mean of the runs' means; its band spans their min and max.
                    let mut per_cell: BTreeMap<i64, Vec<&MetricBucket>> = BTreeMap::new();
                    for &i in &members {
                        for (c, b) in &cells_by_run[i] {
                            per_cell.entry(*c).or_default().push(b);
                        }
                    }
                    assert_eq!(g.buckets.len(), per_cell.len());
                    for (got, (c, bs)) in g.buckets.iter().zip(&per_cell) {
                        let means: Vec<f64> = bs
                            .iter()
                            .map(|b| b.mean.0)
                            .filter(|m| !m.is_nan())
                            .collect();
                        let runs = means.len() as u32;
                        let (lo, hi, mean) = if means.is_empty() {
                            (f64::NAN, f64::NAN, f64::NAN)
                        } else {
                            (
                                bs.iter()
                                    .map(|b| b.min.0)
                                    .filter(|v| !v.is_nan())
                                    .fold(f64::INFINITY, f64::min),
                                bs.iter()
                                    .map(|b| b.max.0)
                                    .filter(|v| !v.is_nan())
                                    .fold(f64::NEG_INFINITY, f64::max),
                                means.iter().sum::<f64>() / means.len() as f64,
                            )
                        };
                        let x_start =
                            hand_cell_start(x, answer.x_min.unwrap(), answer.x_max.unwrap(), n, *c);
                        assert_eq!(got.runs, runs);
                        assert_eq!(got.x_start, x_start);
                        let same = |a: f64, b: f64| (a.is_nan() && b.is_nan()) || a == b;
                        assert!(
                            same(got.lo.0, lo) && same(got.hi.0, hi),
                            "band {:?}..{:?}, want {lo}..{hi}",
                            got.lo,
                            got.hi
                        );
                        let d = (got.mean.0 - mean).abs();
                        assert!(
                            d <= 1e-9 * mean.abs().max(1.0)
                                || (got.mean.0.is_nan() && mean.is_nan())
                        );
                    }
                }
            }
        }

        // History rows: every step of every key, paged, none twice.
        let acc: Vec<Point> = (0..40)
            .map(|s| Point {
                step: s * 10,
                value: s as f64,
                wall_ms: START_MS + s,
            })
            .collect();
        store::write_run_points(&t.db, runs[0].pk, START_MS, &[("acc", &acc)])
            .await
            .unwrap();
        let mut want_steps: Vec<i64> = truth[0]
            .keys()
            .copied()
            .chain((0..40).map(|s| s * 10))
            .collect();
        want_steps.sort_unstable();
        want_steps.dedup();
        let mut seen = Vec::new();
        let mut from = 0;
        loop {
            let page = metrics::history(&t.db, runs[0].pk, from, 700)
                .await
                .unwrap();
            assert!(page.rows.len() <= 700);
            for row in &page.rows {
                if let Some(p) = truth[0].get(&row.step) {
                    assert_eq!(row.values["loss"].0.to_bits(), p.value.to_bits());
                }
                if row.step % 10 == 0 && row.step < 400 {
                    assert_eq!(row.values["acc"].0, (row.step / 10) as f64);
                }
            }
            seen.extend(page.rows.iter().map(|r| r.step));
            match page.next_step {
                Some(n) => from = n,
                None => break,
            }
        }
        assert_eq!(seen, want_steps, "history on {:?}", t.backend);
        t
    })
    .await;
}

/// Many keys appended together, a few points at a time (as a training script logs),
/// with a key that starts late and an overwrite in between: every key reads back
/// exactly, with exact aggregates, on both databases.
#[tokio::test]
async fn many_keys_appended_together_read_back_exactly() {
    on_both(|t| async move {
        let (_user, run) = common::user_with_run(&t.db, "keys", "p", "r1").await;
        let mut rng = StdRng::seed_from_u64(7);
        let keys = ["a", "b", "c", "d", "late"];
        let mut truth: BTreeMap<&str, BTreeMap<i64, Point>> = BTreeMap::new();
        let mut step = 0;
        for round in 0..400 {
            let n = rng.gen_range(1..4);
            let mut batch: Vec<(&str, Vec<Point>)> = Vec::new();
            for key in keys {
                if key == "late" && round < 150 {
                    continue;
                }
                let points: Vec<Point> = (0..n)
                    .map(|i| Point {
                        step: step + i,
                        value: value(&mut rng),
                        wall_ms: START_MS + step + i,
                    })
                    .collect();
                batch.push((key, points));
            }
            step += n;
            if round == 250 {
                // An overwrite of earlier steps of one key, in the same call as appends.
                let old: Vec<Point> = (10..20)
                    .map(|s| Point {
                        step: s,
                        value: -1.0,
                        wall_ms: START_MS + s,
                    })
                    .collect();
                batch.retain(|(k, _)| *k != "a");
                batch.push(("a", old));
            }
            for (key, points) in &batch {
                for p in points {
                    truth.entry(*key).or_default().insert(p.step, *p);
                }
            }
            let refs: Vec<(&str, &[Point])> =
                batch.iter().map(|(k, p)| (*k, p.as_slice())).collect();
            store::write_run_points(&t.db, run.id, START_MS, &refs)
                .await
                .unwrap();
        }
        let series = store::series_of_run(&t.db, run.id).await.unwrap();
        assert_eq!(series.len(), keys.len());
        for s in series {
            let want = &truth[s.key.as_str()];
            let got = store::read_all(&t.db, s.id).await.unwrap();
            let want_points: Vec<Point> = want.values().copied().collect();
            assert_eq!(got.len(), want_points.len(), "{}", s.key);
            for (g, w) in got.iter().zip(&want_points) {
                assert_eq!(
                    (g.step, g.value.to_bits(), g.wall_ms),
                    (w.step, w.value.to_bits(), w.wall_ms),
                    "{}",
                    s.key
                );
            }
            assert_eq!(s.points as usize, want.len(), "{}", s.key);
            let (last_step, last) = want.iter().next_back().map(|(k, p)| (*k, p.value)).unwrap();
            assert_eq!(s.last_step, last_step, "{}", s.key);
            assert_eq!(s.last.to_bits(), last.to_bits(), "{}", s.key);
            let finite: Vec<f64> = want
                .values()
                .map(|p| p.value)
                .filter(|v| v.is_finite())
                .collect();
            assert_eq!(s.finite as usize, finite.len(), "{}", s.key);
            if let Some(min) = finite.iter().copied().reduce(f64::min) {
                assert_eq!(s.min, Some(min), "{}", s.key);
            }
            // Open chunks never pile up past the limit.
            let metas = store::chunk_metas(
                &t.db,
                &[s.id],
                store::Span::Steps(i64::MIN, i64::MAX),
                server::metrics::codec::Part::Nothing,
            )
            .await
            .unwrap();
            let open = metas
                .iter()
                .filter(|m| m.summary.points < store::SEALED_POINTS)
                .count();
            assert!(
                open <= store::MAX_OPEN_CHUNKS + 1,
                "{}: {open} open chunks",
                s.key
            );
        }
        t
    })
    .await;
}
