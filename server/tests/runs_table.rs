//! The Runs table on real SQLite and PostgreSQL: the same filter evaluated in memory
//! (`app::logic::filter::eval`) and compiled to SQL selects the same runs on a
//! generated project; sorting puts missing values last; injection attempts change
//! nothing; grouping, histograms, bulk actions, CSV and column settings.
#![expect(clippy::unwrap_used, reason = "tests fail loudly")]

use crate::common;

use std::collections::{BTreeMap, BTreeSet};

use app::logic::config_flat::flatten;
use app::logic::filter::{eval, field_value, parse, print, FieldValue, FilterRow};
use app::logic::filter::{Builtin, CmpOp, Column, Expr, Literal};
use app::model::{
    BulkAction, BulkTarget, ColumnSettings, GroupsQuery, MetricValue, ProjectRef, RunState,
    RunsQuery, SortSpec,
};
use common::on_both;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sea_orm::{ActiveValue::Set, DatabaseConnection};
use serde_json::{json, Map, Value};
use server::db::entities::{run, user};
use server::db::write::Writer;
use server::service::ops::types::{LogMetrics, MetricRow, UpdateRun, UpsertRun};
use server::service::runs_table as table;

const RUNS: usize = 150;

fn pick<'a, T>(rng: &mut StdRng, xs: &'a [T]) -> &'a T {
    &xs[rng.gen_range(0..xs.len())]
}

const OPTS: [&str; 5] = ["adam", "sgd", "AdamW", "x'; DROP TABLE runs; --", "ünïcode"];
const TAGS: [&str; 5] = ["a", "b", "baseline", "needs review", "ünï"];

/// Generate a project of runs with every kind of value; returns the expected
/// filterable fields per run id.
async fn seed(
    db: &DatabaseConnection,
    user: &user::Model,
    rng: &mut StdRng,
) -> BTreeMap<String, (BTreeMap<String, FieldValue>, Vec<String>)> {
    let writer = Writer::start(db.clone());
    let at = ProjectRef::new(user.username.clone(), "table");
    let mut truth = BTreeMap::new();
    for i in 0..RUNS {
        let mut config = Map::new();
        if rng.gen_bool(0.8) {
            config.insert("lr".into(), json!(*pick(rng, &[0.1, 0.01, 0.001, 3e-4])));
        }
        if rng.gen_bool(0.9) {
            config.insert("opt".into(), json!(*pick(rng, &OPTS)));
        }
        config.insert("layers".into(), json!(rng.gen_range(1..6)));
        if rng.gen_bool(0.5) {
            config.insert("amp".into(), json!(rng.gen_bool(0.5)));
        }
        config.insert(
            "model".into(),
            json!({"depth": rng.gen_range(1..4), "name": pick(rng, &["resnet", "vit"])}),
        );
        match rng.gen_range(0..3) {
            0 => {
                config.insert("mixed".into(), json!(rng.gen_range(0..3)));
            }
            1 => {
                config.insert("mixed".into(), json!("two"));
            }
            _ => {}
        }
        config.insert("nothing".into(), Value::Null);
        let tags: Vec<String> = TAGS
            .iter()
            .filter(|_| rng.gen_bool(0.3))
            .map(|t| t.to_string())
            .collect();
        let id = format!("run{i:03}");
        let name = if rng.gen_bool(0.5) {
            format!("bert-{i}")
        } else {
            format!("resnet-{i}")
        };
        server::service::ops::upsert_run(
            db,
            user,
            UpsertRun {
                project: "table".into(),
                id: Some(id.clone()),
                name: Some(name),
                config: Some(config.clone()),
                tags: Some(tags.clone()),
                notes: rng.gen_bool(0.3).then(|| "hello".to_owned()),
                group: match rng.gen_range(0..3) {
                    0 => Some("g1".into()),
                    1 => Some("g2".into()),
                    _ => None,
                },
                job_type: rng.gen_bool(0.5).then(|| "train".to_owned()),
                start_time: Some(1_790_000_000.0 + rng.gen_range(0..1_000_000) as f64),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let mut fields = BTreeMap::new();
        for (k, v) in flatten(&Value::Object(config)) {
            if let Some(fv) = field_value(&v) {
                fields.insert(format!("config.{k}"), fv);
            }
        }
        // Logged metrics make the automatic summary; some are NaN.
        if rng.gen_bool(0.85) {
            let loss = match rng.gen_range(0..10) {
                0 => f64::NAN,
                _ => rng.gen_range(0.0..2.0),
            };
            let val = rng.gen_range(0.0..2.0);
            let mut values = BTreeMap::new();
            values.insert("loss".to_owned(), MetricValue(loss));
            values.insert("val/loss".to_owned(), MetricValue(val));
            server::service::ops::log_metrics(
                &writer,
                user,
                &at,
                &id,
                LogMetrics {
                    rows: vec![MetricRow {
                        step: 10,
                        time: None,
                        values,
                    }],
                },
            )
            .await
            .unwrap();
            fields.insert(
                "summary.loss".into(),
                if loss.is_nan() {
                    FieldValue::Text("NaN".into())
                } else {
                    FieldValue::Num(loss)
                },
            );
            fields.insert("summary.val/loss".into(), FieldValue::Num(val));
        }
        // Explicit summary values, one overriding a logged one.
        if rng.gen_bool(0.5) {
            let acc = rng.gen_range(0.5..1.0);
            let mut summary = Map::new();
            summary.insert("acc".into(), json!(acc));
            summary.insert("val/loss".into(), json!("best"));
            server::service::ops::update_run(
                db,
                user,
                &at,
                &id,
                UpdateRun {
                    summary: Some(summary),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
            fields.insert("summary.acc".into(), FieldValue::Num(acc));
            fields.insert("summary.val/loss".into(), FieldValue::Text("best".into()));
        }
        truth.insert(id, (fields, tags));
    }
    // Vary the states directly: they are plain columns.
    let project = project_of(db, user).await;
    for r in server::db::repo::runs::list(db, project.id).await.unwrap() {
        let state = *pick(rng, &RunState::ALL);
        let mut a: run::ActiveModel = r.into();
        a.state = Set(state.as_str().to_owned());
        server::db::repo::runs::update(db, a).await.unwrap();
    }
    truth
}

async fn project_of(
    db: &DatabaseConnection,
    user: &user::Model,
) -> server::db::entities::project::Model {
    let owner = server::db::repo::projects::find_entity(db, &user.username)
        .await
        .unwrap()
        .unwrap();
    server::db::repo::projects::find_project(db, owner.id, "table")
        .await
        .unwrap()
        .unwrap()
}

/// Filter rows: builtins from the stored run, fields and tags from what was sent.
async fn filter_rows(
    db: &DatabaseConnection,
    user: &user::Model,
    truth: &BTreeMap<String, (BTreeMap<String, FieldValue>, Vec<String>)>,
) -> Vec<(i32, FilterRow)> {
    let project = project_of(db, user).await;
    let mut out = Vec::new();
    for r in server::db::repo::runs::list(db, project.id).await.unwrap() {
        let (fields, tags) = truth[&r.run_id].clone();
        out.push((
            r.id,
            FilterRow {
                name: r.display_name.clone(),
                id: r.run_id.clone(),
                state: r.state.clone(),
                created_ms: r.created_at,
                runtime_seconds: r.runtime_seconds,
                user: user.username.clone(),
                tags,
                notes: r.notes.clone(),
                group: r.group_name.clone(),
                job_type: r.job_type.clone(),
                sweep: None,
                fields,
            },
        ));
    }
    out
}

fn random_column(rng: &mut StdRng) -> Column {
    let keys = [
        "config.lr",
        "config.opt",
        "config.layers",
        "config.amp",
        "config.model.depth",
        "config.model.name",
        "config.mixed",
        "config.nothing",
        "config.absent",
        "summary.loss",
        "summary.val/loss",
        "summary.acc",
        "name",
        "state",
        "group",
        "job_type",
        "notes",
        "tags",
        "created",
        "runtime",
        "id",
        "user",
    ];
    Column::from_name(pick::<&str>(rng, &keys)).unwrap()
}

fn random_literal(rng: &mut StdRng, column: &Column) -> Literal {
    match column {
        Column::Builtin(Builtin::State) => {
            Literal::Str(pick(rng, &RunState::ALL).as_str().to_owned())
        }
        Column::Builtin(Builtin::Created) => {
            Literal::Time(1_790_000_000_000 + rng.gen_range(0..1_000_000_000))
        }
        Column::Builtin(Builtin::Runtime) => Literal::Float(rng.gen_range(0.0..5.0)),
        Column::Builtin(_) => Literal::Str(
            pick(
                rng,
                &[
                    "g1", "g2", "train", "hello", "a", "baseline", "ünï", "run010", "bert-3",
                ],
            )
            .to_string(),
        ),
        _ => match rng.gen_range(0..9) {
            0 => Literal::Float(*pick(rng, &[0.1, 0.01, 0.001, 3e-4])),
            1 => Literal::Int(rng.gen_range(0..6)),
            2 => Literal::Str(pick(rng, &OPTS).to_string()),
            3 => Literal::Bool(rng.gen_bool(0.5)),
            4 => Literal::Float(rng.gen_range(0.0..2.0)),
            5 => Literal::Str(pick(rng, &["NaN", "two", "best", "resnet", "vit"]).to_string()),
            6 => Literal::Null,
            7 => Literal::Time(rng.gen_range(0..10)),
            _ => Literal::Str("Adam".into()),
        },
    }
}

fn random_test(rng: &mut StdRng) -> Expr {
    let column = random_column(rng);
    let is_tags = column == Column::Builtin(Builtin::Tags);
    let is_text_builtin = matches!(column, Column::Builtin(b) if !b.is_numeric());
    match rng.gen_range(0..6) {
        0 | 1 => {
            let mut value = random_literal(rng, &column);
            let ops = if is_tags {
                vec![CmpOp::Eq, CmpOp::Ne]
            } else {
                vec![
                    CmpOp::Eq,
                    CmpOp::Ne,
                    CmpOp::Lt,
                    CmpOp::Le,
                    CmpOp::Gt,
                    CmpOp::Ge,
                ]
            };
            let op = *pick(rng, &ops);
            let ordering = !matches!(op, CmpOp::Eq | CmpOp::Ne);
            if ordering && matches!(value, Literal::Null | Literal::Bool(_)) {
                value = Literal::Int(1);
                if is_text_builtin {
                    value = Literal::Str("m".into());
                }
            }
            Expr::Cmp { column, op, value }
        }
        2 => {
            let n = rng.gen_range(1..4);
            let values = (0..n)
                .map(|_| match random_literal(rng, &column) {
                    Literal::Null => Literal::Int(2),
                    v => v,
                })
                .collect();
            Expr::In {
                column,
                values,
                negated: rng.gen_bool(0.5),
            }
        }
        3 if !matches!(column, Column::Builtin(b) if b.is_numeric()) => Expr::Match {
            column,
            pattern: pick(
                rng,
                &["^a", "dam", "(?i)adam", "^b.*-1", "ï", "\\d", "^$", "e$"],
            )
            .to_string(),
        },
        _ => Expr::IsNull {
            column,
            negated: rng.gen_bool(0.5),
        },
    }
}

fn random_expr(rng: &mut StdRng, depth: u32) -> Expr {
    if depth == 0 || rng.gen_bool(0.4) {
        return random_test(rng);
    }
    match rng.gen_range(0..3) {
        0 => Expr::And(
            (0..rng.gen_range(2..4))
                .map(|_| random_expr(rng, depth - 1))
                .collect(),
        ),
        1 => Expr::Or(
            (0..rng.gen_range(2..4))
                .map(|_| random_expr(rng, depth - 1))
                .collect(),
        ),
        _ => Expr::Not(Box::new(random_expr(rng, depth - 1))),
    }
}

async fn sql_ids(
    db: &DatabaseConnection,
    user: &user::Model,
    filter: &str,
    sort: Option<SortSpec>,
) -> Vec<String> {
    let page = table::runs_page(
        db,
        Some(user),
        &ProjectRef::new(user.username.clone(), "table"),
        &RunsQuery {
            filter: filter.to_owned(),
            sort,
            within: vec![],
            columns: vec![],
            offset: 0,
            limit: 500,
        },
    )
    .await
    .unwrap_or_else(|e| panic!("{filter}: {e}"));
    assert_eq!(page.total as usize, page.rows.len(), "{filter}");
    page.rows.into_iter().map(|r| r.id.0).collect()
}

#[tokio::test]
async fn sql_and_memory_select_the_same_runs() {
    on_both(|t| async move {
        let mut rng = StdRng::seed_from_u64(7);
        let user = server::bootstrap::create_user(&t.db, "ada", "password123", false)
            .await
            .unwrap();
        let truth = seed(&t.db, &user, &mut rng).await;
        let rows = filter_rows(&t.db, &user, &truth).await;
        let hand = [
            "config.lr = 0.01",
            "config.lr < 0.01 or config.opt = \"sgd\"",
            "config.amp = true and not config.layers IN (1, 2)",
            "config.mixed = 1",
            "config.mixed = \"two\"",
            "config.mixed > 0",
            "config.nothing IS NULL",
            "config.lr != 0.1",
            "config.opt =~ \"(?i)^adam\"",
            "config.opt = \"x'; DROP TABLE runs; --\"",
            "summary.loss = \"NaN\"",
            "summary.loss < 1",
            "summary.val/loss = \"best\"",
            "summary.acc >= 0.75",
            "tags = \"needs review\"",
            "tags NOT IN (\"a\", \"b\")",
            "tags IS NULL",
            "tags =~ \"^b\"",
            "group IS NULL or job_type = \"train\"",
            "notes IS NOT NULL",
            "state IN (\"running\", \"crashed\")",
            "created > 2026-09-22T12:00:00Z",
            "name =~ \"^bert-1\" and not (state = \"failed\")",
            "config.model.depth >= 2 and config.model.name = \"vit\"",
            "config.absent != 3",
        ];
        let mut filters: Vec<String> = hand.iter().map(|s| s.to_string()).collect();
        for _ in 0..300 {
            filters.push(print(&random_expr(&mut rng, 3)));
        }
        let mut nonempty = 0;
        for f in &filters {
            let expr = parse(f).unwrap_or_else(|e| panic!("{f}: {e}"));
            let want: BTreeSet<String> = rows
                .iter()
                .filter(|(_, r)| eval(&expr, r))
                .map(|(_, r)| r.id.clone())
                .collect();
            let got: BTreeSet<String> = sql_ids(&t.db, &user, f, None).await.into_iter().collect();
            assert_eq!(got, want, "{:?}: {f}", t.backend);
            if !want.is_empty() && want.len() < RUNS {
                nonempty += 1;
            }
        }
        // The generated filters must actually discriminate, or the test proves little.
        assert!(
            nonempty > 100,
            "only {nonempty} filters selected some but not all runs"
        );
        t
    })
    .await;
}

/// In-memory order: missing last, numbers before text, then newest first.
fn sort_key(row: &FilterRow, pk: i32, column: &Column, desc: bool) -> impl Ord {
    use std::cmp::Reverse;
    let v = row.cell(column);
    let missing = v.is_none();
    let (num, txt) = match v {
        Some(FieldValue::Num(n)) => (Some(n), None),
        Some(FieldValue::Text(t)) => (None, Some(t)),
        None => (None, None),
    };
    let num_key = num.map(|n| {
        let bits = ordered(n);
        if desc {
            u64::MAX - bits
        } else {
            bits
        }
    });
    let txt_key = txt.map(|t| {
        if desc {
            either::Right(Reverse(t.into_bytes()))
        } else {
            either::Left(t.into_bytes())
        }
    });
    (
        missing,
        num.is_none(),
        num_key,
        txt_key,
        Reverse(row.created_ms),
        Reverse(pk),
    )
}

mod either {
    #[derive(PartialEq, Eq, PartialOrd, Ord)]
    pub enum Either<L, R> {
        Left(L),
        Right(R),
    }
    pub use Either::{Left, Right};
}

/// f64 to a u64 with the same order.
fn ordered(f: f64) -> u64 {
    let b = f.to_bits();
    if b >> 63 == 1 {
        !b
    } else {
        b | (1 << 63)
    }
}

#[tokio::test]
async fn sorting_puts_missing_values_last_and_matches_memory() {
    on_both(|t| async move {
        let mut rng = StdRng::seed_from_u64(11);
        let user = server::bootstrap::create_user(&t.db, "ada", "password123", false)
            .await
            .unwrap();
        let truth = seed(&t.db, &user, &mut rng).await;
        let rows = filter_rows(&t.db, &user, &truth).await;
        for col in [
            "config.lr",
            "config.mixed",
            "config.opt",
            "summary.loss",
            "summary.val/loss",
            "name",
            "group",
            "created",
            "state",
        ] {
            for desc in [false, true] {
                let column = Column::from_name(col).unwrap();
                let mut want: Vec<&(i32, FilterRow)> = rows.iter().collect();
                want.sort_by_cached_key(|(pk, r)| sort_key(r, *pk, &column, desc));
                let want: Vec<String> = want.iter().map(|(_, r)| r.id.clone()).collect();
                let got = sql_ids(
                    &t.db,
                    &user,
                    "",
                    Some(SortSpec {
                        column: col.into(),
                        desc,
                    }),
                )
                .await;
                assert_eq!(got, want, "{:?} sort {col} desc={desc}", t.backend);
            }
        }
        t
    })
    .await;
}

#[tokio::test]
async fn injection_attempts_change_nothing() {
    on_both(|t| async move {
        let mut rng = StdRng::seed_from_u64(3);
        let user = server::bootstrap::create_user(&t.db, "ada", "password123", false)
            .await
            .unwrap();
        seed(&t.db, &user, &mut rng).await;
        let before = sql_ids(&t.db, &user, "", None).await;
        let at = ProjectRef::new("ada", "table");
        let attacks = [
            "config.opt = \"'; DROP TABLE runs; --\"",
            "config.opt = \"\\\" OR 1=1 --\"",
            "`config.x'); DROP TABLE runs; --` = 1",
            "`summary.\" OR \"1\"=\"1` IS NULL",
            "name =~ \"'; DELETE FROM runs; --\"",
            "tags IN (\"a') OR ('1'='1\")",
        ];
        for f in attacks {
            let got = table::runs_page(
                &t.db,
                Some(&user),
                &at,
                &RunsQuery {
                    filter: f.into(),
                    sort: Some(SortSpec {
                        column: "config.x'); DROP TABLE runs; --".into(),
                        desc: false,
                    }),
                    within: vec![],
                    columns: vec!["config.\"; DROP TABLE run_fields; --".into()],
                    offset: 0,
                    limit: 500,
                },
            )
            .await
            .unwrap_or_else(|e| panic!("{f}: {e}"));
            // A quoted column nobody has matches no run, or all for IS NULL.
            assert!(got.rows.len() == before.len() || got.rows.len() < 5, "{f}");
        }
        let values = table::column_values(&t.db, Some(&user), &at, "config.opt", "x'; DR")
            .await
            .unwrap();
        assert_eq!(values, ["x'; DROP TABLE runs; --"]);
        let percent = table::column_values(&t.db, Some(&user), &at, "config.opt", "%")
            .await
            .unwrap();
        assert!(percent.is_empty(), "% is not a wildcard: {percent:?}");
        assert_eq!(sql_ids(&t.db, &user, "", None).await, before);
        t
    })
    .await;
}

#[tokio::test]
async fn bad_filters_are_refused_with_their_position() {
    on_both(|t| async move {
        let mut rng = StdRng::seed_from_u64(5);
        let user = server::bootstrap::create_user(&t.db, "ada", "password123", false)
            .await
            .unwrap();
        seed(&t.db, &user, &mut rng).await;
        let err = table::runs_page(
            &t.db,
            Some(&user),
            &ProjectRef::new("ada", "table"),
            &RunsQuery {
                filter: "config.lr >".into(),
                sort: None,
                within: vec![],
                columns: vec![],
                offset: 0,
                limit: 50,
            },
        )
        .await
        .unwrap_err();
        assert_eq!(err.status(), 400);
        assert_eq!(
            err.to_string(),
            "filter error at 11: expected a value, found the end"
        );
        // A stranger sees nothing of a private project.
        let stranger = server::bootstrap::create_user(&t.db, "eve", "password123", false)
            .await
            .unwrap();
        let denied = table::table_meta(&t.db, Some(&stranger), &ProjectRef::new("ada", "table"))
            .await
            .unwrap_err();
        assert_eq!(denied.status(), 404);
        t
    })
    .await;
}

#[tokio::test]
async fn groups_histograms_bulk_csv_and_settings() {
    on_both(|t| async move {
        let mut rng = StdRng::seed_from_u64(9);
        let user = server::bootstrap::create_user(&t.db, "ada", "password123", false)
            .await
            .unwrap();
        let truth = seed(&t.db, &user, &mut rng).await;
        let rows = filter_rows(&t.db, &user, &truth).await;
        let at = ProjectRef::new("ada", "table");

        // Groups by config.opt, with a histogram of config.lr per group.
        let answer = table::groups(
            &t.db,
            Some(&user),
            &at,
            &GroupsQuery {
                filter: "config.layers > 1".into(),
                by: vec!["config.opt".into()],
                histograms: vec!["config.lr".into(), "runtime".into()],
            },
        )
        .await
        .unwrap();
        let layers = parse("config.layers > 1").unwrap();
        let matching: Vec<&FilterRow> = rows
            .iter()
            .map(|r| &r.1)
            .filter(|r| eval(&layers, r))
            .collect();
        assert_eq!(answer.total as usize, matching.len());
        let mut want: BTreeMap<Option<String>, (u64, u32)> = BTreeMap::new();
        for r in &matching {
            let opt = match r.fields.get("config.opt") {
                Some(FieldValue::Text(t)) => Some(t.clone()),
                _ => None,
            };
            let e = want.entry(opt).or_default();
            e.0 += 1;
            if matches!(r.fields.get("config.lr"), Some(FieldValue::Num(_))) {
                e.1 += 1;
            }
        }
        assert_eq!(answer.groups.len(), want.len());
        for g in &answer.groups {
            let key = match &g.values[0] {
                Some(FieldValue::Text(t)) => Some(t.clone()),
                None => None,
                other => panic!("{other:?}"),
            };
            let (count, with_lr) = want[&key];
            assert_eq!(g.count, count, "{key:?}");
            let lr = g
                .histograms
                .get("config.lr")
                .map(|h| h.counts.iter().sum::<u32>());
            assert_eq!(lr.unwrap_or(0), with_lr, "{key:?}");
            assert_eq!(
                g.histograms["runtime"].counts.iter().sum::<u32>() as u64,
                count
            );
        }

        // Bulk: tag every adam run, then find them by the tag.
        let writer = Writer::start(t.db.clone());
        let adam = "config.opt = \"adam\"";
        let n = table::bulk(
            &writer,
            user.clone(),
            at.clone(),
            BulkTarget::Matching(adam.into()),
            BulkAction::AddTag("bulk".into()),
        )
        .await
        .unwrap();
        let adams = sql_ids(&t.db, &user, adam, None).await;
        assert_eq!(n as usize, adams.len());
        assert_eq!(sql_ids(&t.db, &user, "tags = \"bulk\"", None).await, adams);
        // Again: nothing more changes (idempotent).
        let again = table::bulk(
            &writer,
            user.clone(),
            at.clone(),
            BulkTarget::Matching(adam.into()),
            BulkAction::AddTag("bulk".into()),
        )
        .await
        .unwrap();
        assert_eq!(again, 0);
        // Move two runs to a group, delete one.
        let two: Vec<app::model::RunId> = adams
            .iter()
            .take(2)
            .map(|s| app::model::RunId(s.clone()))
            .collect();
        table::bulk(
            &writer,
            user.clone(),
            at.clone(),
            BulkTarget::Runs(two.clone()),
            BulkAction::SetGroup(Some("moved".into())),
        )
        .await
        .unwrap();
        assert_eq!(
            sql_ids(&t.db, &user, "group = \"moved\"", None).await.len(),
            two.len()
        );
        table::bulk(
            &writer,
            user.clone(),
            at.clone(),
            BulkTarget::Runs(two[..1].to_vec()),
            BulkAction::Delete,
        )
        .await
        .unwrap();
        let all = sql_ids(&t.db, &user, "", None).await;
        assert_eq!(all.len(), RUNS - 1);
        assert!(!all.contains(&two[0].0));
        // A reader who may not write is refused.
        let eve = server::bootstrap::create_user(&t.db, "eve", "password123", false)
            .await
            .unwrap();
        let refused = table::bulk(
            &writer,
            eve.clone(),
            at.clone(),
            BulkTarget::Matching(String::new()),
            BulkAction::Delete,
        )
        .await
        .unwrap_err();
        assert_eq!(refused.status(), 404);
        assert_eq!(sql_ids(&t.db, &user, "", None).await.len(), RUNS - 1);

        // CSV of the view.
        let csv = table::csv(
            &t.db,
            Some(&user),
            &at,
            adam,
            Some(&SortSpec {
                column: "name".into(),
                desc: false,
            }),
            &[
                "name".into(),
                "config.opt".into(),
                "tags".into(),
                "summary.loss".into(),
            ],
        )
        .await
        .unwrap();
        let lines: Vec<&str> = csv.split("\r\n").filter(|l| !l.is_empty()).collect();
        assert_eq!(lines[0], "name,config.opt,tags,summary.loss");
        assert_eq!(lines.len(), adams.len()); // header + adams minus the deleted one
        assert!(lines[1..].iter().all(|l| l.contains(",adam,")));
        let mut names: Vec<&str> = lines[1..]
            .iter()
            .map(|l| l.split(',').next().unwrap())
            .collect();
        let sorted = {
            let mut s = names.clone();
            s.sort();
            s
        };
        assert_eq!(names, sorted);
        names.clear();

        // Column settings round trip, per user.
        let settings = ColumnSettings {
            version: 0,
            order: vec!["config.lr".into(), "state".into()],
            pinned: vec!["config.lr".into()],
            hidden: vec!["user".into()],
            shown: vec!["id".into()],
        };
        table::save_settings(&t.db, &user, &at, settings.clone())
            .await
            .unwrap();
        let meta = table::table_meta(&t.db, Some(&user), &at).await.unwrap();
        assert_eq!(meta.settings.order, settings.order);
        assert_eq!(meta.settings.pinned, settings.pinned);
        assert_eq!(meta.settings.version, app::model::COLUMN_SETTINGS_VERSION);
        assert!(meta.can_write);
        assert!(meta.columns.iter().any(|c| c.id == "config.model.depth"));
        assert!(meta.columns.iter().any(|c| c.id == "summary.val/loss"));
        assert!(!meta.columns.iter().any(|c| c.id == "config.nothing"));
        t
    })
    .await;
}

#[tokio::test]
async fn stale_fields_are_rebuilt_at_start() {
    on_both(|t| async move {
        let mut rng = StdRng::seed_from_u64(13);
        let user = server::bootstrap::create_user(&t.db, "ada", "password123", false)
            .await
            .unwrap();
        seed(&t.db, &user, &mut rng).await;
        let before = sql_ids(&t.db, &user, "config.lr = 0.01 or tags = \"a\"", None).await;
        use sea_orm::ConnectionTrait;
        t.db.execute_unprepared("DELETE FROM run_fields")
            .await
            .unwrap();
        t.db.execute_unprepared("UPDATE runs SET fields_version = 0")
            .await
            .unwrap();
        assert!(
            sql_ids(&t.db, &user, "config.lr = 0.01 or tags = \"a\"", None)
                .await
                .is_empty()
        );
        server::db::migrate(&t.db).await.unwrap();
        assert_eq!(
            sql_ids(&t.db, &user, "config.lr = 0.01 or tags = \"a\"", None).await,
            before
        );
        t
    })
    .await;
}
