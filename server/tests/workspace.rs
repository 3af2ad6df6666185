//! The Workspace's server side on real SQLite and PostgreSQL: the document round
//! trip per user, its checks, the project's metric keys, report drafts, and the
//! sidebar's run actions (rename, stop → killed) with their permissions.
#![expect(clippy::unwrap_used, reason = "tests fail loudly")]

use crate::common;

use std::collections::BTreeMap;

use app::logic::workspace::add_new_keys;
use app::model::{
    BulkAction, BulkTarget, MetricValue, PanelKind, ProjectRef, RunId, SectionSnapshot,
    WorkspaceDoc,
};
use common::on_both;
use server::db::write::Writer;
use server::service::ops;
use server::service::ops::types::{LogMetrics, MetricRow, UpsertRun};
use server::service::{runs_table as table, workspace};

async fn seed(t: &common::TestDb) -> (server::db::entities::user::Model, ProjectRef) {
    let user = server::bootstrap::create_user(&t.db, "ada", "password123", false)
        .await
        .unwrap();
    let writer = Writer::start(t.db.clone());
    let at = ProjectRef::new("ada", "ws");
    for i in 0..3 {
        let id = format!("r{i}");
        ops::upsert_run(
            &t.db,
            &user,
            UpsertRun {
                project: "ws".into(),
                id: Some(id.clone()),
                name: Some(format!("run-{i}")),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let mut values = BTreeMap::new();
        values.insert("train/loss".to_owned(), MetricValue(1.0 / (i + 1) as f64));
        values.insert("lr".to_owned(), MetricValue(0.1));
        if i == 2 {
            values.insert("val/acc".to_owned(), MetricValue(0.5));
        }
        ops::log_metrics(
            &writer,
            &user,
            &at,
            &id,
            LogMetrics {
                rows: vec![MetricRow {
                    step: 0,
                    time: None,
                    values,
                }],
            },
        )
        .await
        .unwrap();
    }
    (user, at)
}

#[tokio::test]
async fn the_document_round_trips_per_user_and_bad_ones_are_refused() {
    on_both(|t| async move {
        let (user, at) = seed(&t).await;
        let data = workspace::workspace_data(&t.db, Some(&user), &at)
            .await
            .unwrap();
        assert_eq!(data.doc, None, "a first visit has no document");
        assert_eq!(data.metric_keys, ["lr", "train/loss", "val/acc"]);
        assert!(data.can_write && data.signed_in);
        assert!(data.columns.iter().any(|c| c.id == "summary.train/loss"));

        let mut doc = WorkspaceDoc::default();
        add_new_keys(&mut doc, &data.metric_keys);
        doc.runs.hidden.push(RunId("r1".into()));
        doc.runs.colors.insert("r0".into(), "#ff00aa".into());
        doc.sections[1].name = "Training ✓ / \"quoted\"".into();
        workspace::save_workspace(&t.db, &user, &at, doc.clone())
            .await
            .unwrap();
        // Saving again (a retry) is harmless.
        workspace::save_workspace(&t.db, &user, &at, doc.clone())
            .await
            .unwrap();
        let back = workspace::workspace_data(&t.db, Some(&user), &at)
            .await
            .unwrap()
            .doc
            .unwrap();
        assert_eq!(back, doc);

        // Another reader of the project has their own (no) document.
        let bob = server::bootstrap::create_user(&t.db, "bob", "password123", true)
            .await
            .unwrap();
        let theirs = workspace::workspace_data(&t.db, Some(&bob), &at)
            .await
            .unwrap();
        assert_eq!(theirs.doc, None);

        // Bad documents: a clear 400, and the stored one stays.
        let mut twice = doc.clone();
        let copy = twice.sections[0].panels[0].clone();
        twice.sections[0].panels.push(copy);
        let mut bad_color = doc.clone();
        bad_color
            .runs
            .colors
            .insert("r2".into(), "javascript:1".into());
        let mut no_metric = doc.clone();
        if let PanelKind::Line(l) = &mut no_metric.sections[0].panels[0].kind {
            l.y.clear();
        }
        let mut huge = doc.clone();
        if let PanelKind::Line(l) = &mut huge.sections[0].panels[0].kind {
            l.y = vec!["k".repeat(3_000_000)];
        }
        for (bad, why) in [
            (twice, "used twice"),
            (bad_color, "#rrggbb"),
            (no_metric, "needs a metric"),
            (huge, "at most"),
        ] {
            let err = workspace::save_workspace(&t.db, &user, &at, bad)
                .await
                .unwrap_err();
            assert_eq!(err.status(), 400);
            assert!(err.to_string().contains(why), "{err}");
        }
        let still = workspace::workspace_data(&t.db, Some(&user), &at)
            .await
            .unwrap()
            .doc
            .unwrap();
        assert_eq!(still, doc);

        // A stranger cannot read or save another's private project.
        let eve = server::bootstrap::create_user(&t.db, "eve", "password123", false)
            .await
            .unwrap();
        let err = workspace::workspace_data(&t.db, Some(&eve), &at)
            .await
            .unwrap_err();
        assert_eq!(err.status(), 404);
        let err = workspace::save_workspace(&t.db, &eve, &at, doc.clone())
            .await
            .unwrap_err();
        assert_eq!(err.status(), 404);

        // A section exported as a report draft.
        let name = workspace::save_report_draft(
            &t.db,
            &user,
            &at,
            SectionSnapshot {
                section: doc.sections[1].clone(),
                runs: doc.runs.clone(),
                created_ms: 1,
            },
        )
        .await
        .unwrap();
        assert!(name.starts_with("Training ✓"), "{name}");
        t
    })
    .await;
}

#[tokio::test]
async fn sidebar_run_actions_rename_and_stop() {
    on_both(|t| async move {
        let (user, at) = seed(&t).await;
        let writer = Writer::start(t.db.clone());
        let one = |id: &str| BulkTarget::Runs(vec![RunId(id.into())]);
        let n = table::bulk(
            &writer,
            user.clone(),
            at.clone(),
            one("r0"),
            BulkAction::Rename("renamed ✓".into()),
        )
        .await
        .unwrap();
        assert_eq!(n, 1);
        // Renaming twice changes nothing the second time.
        let again = table::bulk(
            &writer,
            user.clone(),
            at.clone(),
            one("r0"),
            BulkAction::Rename("renamed ✓".into()),
        )
        .await
        .unwrap();
        assert_eq!(again, 0);
        for bad in [String::new(), "x".repeat(1_000), "a\u{7}b".into()] {
            let err = table::bulk(
                &writer,
                user.clone(),
                at.clone(),
                one("r0"),
                BulkAction::Rename(bad),
            )
            .await
            .unwrap_err();
            assert_eq!(err.status(), 422, "{err}");
        }
        let err = table::bulk(
            &writer,
            user.clone(),
            at.clone(),
            BulkTarget::Runs(vec![RunId("r0".into()), RunId("r1".into())]),
            BulkAction::Rename("same".into()),
        )
        .await
        .unwrap_err();
        assert_eq!(err.status(), 400);

        // Stop: a running run becomes killed; a stopped one stays as it is.
        let n = table::bulk(
            &writer,
            user.clone(),
            at.clone(),
            one("r1"),
            BulkAction::Stop,
        )
        .await
        .unwrap();
        assert_eq!(n, 1);
        let n = table::bulk(
            &writer,
            user.clone(),
            at.clone(),
            one("r1"),
            BulkAction::Stop,
        )
        .await
        .unwrap();
        assert_eq!(n, 0);
        let run = server::service::reads::run_detail(&t.db, Some(&user), &at, &RunId("r1".into()))
            .await
            .unwrap();
        assert_eq!(run.state.as_str(), "killed");
        let renamed =
            server::service::reads::run_detail(&t.db, Some(&user), &at, &RunId("r0".into()))
                .await
                .unwrap();
        assert_eq!(renamed.display_name, "renamed ✓");

        // A reader without write access is refused.
        let viewer = server::bootstrap::create_user(&t.db, "val", "password123", false)
            .await
            .unwrap();
        let err = table::bulk(&writer, viewer, at.clone(), one("r2"), BulkAction::Stop)
            .await
            .unwrap_err();
        assert_eq!(err.status(), 404);
        t
    })
    .await;
}
