//! The metrics engine on real SQLite and PostgreSQL: series written in batches of
//! every size (with overwrites, out-of-order steps, NaN and ±Inf) read back exactly,
//! and bucket queries (every axis, ranges, grouping) equal a brute-force computation
//! over the points that were logged.
#![expect(clippy::unwrap_used, reason = "tests fail loudly")]

mod common;

use std::collections::BTreeMap;

use app::logic::bucket::{group_bucket, reference_buckets, Agg, AxisPoint, Grid};
use app::model::{MetricBucket, RunId, XAxis};
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
        store::write_series(db, run_pk, "loss", &batch)
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
        store::write_series(db, run_pk, "loss", &batch)
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
            let grid = match x {
                XAxis::Step => Grid::for_steps(lo as i64, hi as i64, n),
                _ => Grid::linear(lo, hi, n),
            };
            assert_eq!(answer.runs.len(), runs.len());
            let mut cells_by_run: Vec<Vec<(i64, Agg)>> = Vec::new();
            for (got, want) in answer.runs.iter().zip(&truth) {
                let (raw, cells) =
                    reference_buckets(&axis_points(want, x), lo, hi, &grid, n, !grouped);
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
                    assert!(
                        same_bucket(g, &w.bucket()),
                        "{x:?} n={n}: got {g:?}, want {:?}",
                        w.bucket()
                    );
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
                    let mut per_cell: BTreeMap<i64, Vec<Agg>> = BTreeMap::new();
                    for &i in &members {
                        for (c, a) in &cells_by_run[i] {
                            per_cell.entry(*c).or_default().push(*a);
                        }
                    }
                    assert_eq!(g.buckets.len(), per_cell.len());
                    for (got, (c, aggs)) in g.buckets.iter().zip(&per_cell) {
                        let want = group_bucket(&grid, *c, aggs);
                        assert_eq!((got.runs, got.x_start), (want.runs, want.x_start));
                        assert_eq!((got.lo, got.hi), (want.lo, want.hi));
                        let d = (got.mean.0 - want.mean.0).abs();
                        assert!(
                            d <= 1e-9 * want.mean.0.abs().max(1.0)
                                || (got.mean.0.is_nan() && want.mean.0.is_nan())
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
        store::write_run_points(&t.db, runs[0].pk, &[("acc", &acc)])
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
            store::write_run_points(&t.db, run.id, &refs).await.unwrap();
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
            let metas = store::chunk_metas(&t.db, &[s.id], store::Span::Steps(i64::MIN, i64::MAX))
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
