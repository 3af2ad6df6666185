//! Reports on real SQLite and PostgreSQL: a Workspace section becomes a report whose
//! panel grid is drawn as SVG on the server; drafts save over a version check;
//! publishing keeps every revision (diff, restore); discarding never touches what
//! readers see; view-only links open one report and are revocable; stars, comments,
//! clone, soft delete and restore, with their permissions.
#![expect(clippy::unwrap_used, reason = "tests fail loudly")]

use crate::common;

use std::collections::BTreeMap;

use app::model::{
    Block, BlockKind, LinePlot, MetricValue, NewProject, Panel, PanelKind, ProjectRef, ReportEdit,
    ReportRef, RunSelection, Section, SectionLayout, SectionSnapshot, Visibility,
};
use common::on_both;
use server::db::write::Writer;
use server::metrics::cache::MetaCache;
use server::service::ops;
use server::service::ops::types::{LogMetrics, MetricRow, UpsertRun};
use server::service::reports::{self, Showing};
use server::service::{accounts, workspace};

async fn seed(t: &common::TestDb) -> (server::db::entities::user::Model, ProjectRef) {
    let user = server::bootstrap::create_user(&t.db, "ada", "password123", false)
        .await
        .unwrap();
    accounts::create_project(
        &t.db,
        &user,
        NewProject {
            entity: "ada".into(),
            name: "rep".into(),
            visibility: Visibility::Private,
            description: String::new(),
        },
    )
    .await
    .unwrap();
    let writer = Writer::start(t.db.clone());
    let at = ProjectRef::new("ada", "rep");
    for i in 0..3 {
        let id = format!("r{i}");
        ops::upsert_run(
            &t.db,
            &user,
            UpsertRun {
                project: "rep".into(),
                id: Some(id.clone()),
                name: Some(format!("run-{i}")),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let rows = (0..50)
            .map(|s| {
                let mut values = BTreeMap::new();
                values.insert("loss".to_owned(), MetricValue(1.0 / (s + i + 1) as f64));
                MetricRow {
                    step: s,
                    time: None,
                    values,
                }
            })
            .collect();
        ops::log_metrics(&writer, &user, &at, &id, LogMetrics { rows })
            .await
            .unwrap();
    }
    (user, at)
}

fn section() -> Section {
    Section {
        id: 7,
        name: "Training".into(),
        collapsed: false,
        layout: SectionLayout::default(),
        panels: vec![
            Panel {
                id: 8,
                title: String::new(),
                kind: PanelKind::Line(LinePlot::of("loss")),
                rect: Default::default(),
            },
            Panel {
                id: 9,
                title: "Notes".into(),
                kind: PanelKind::Markdown {
                    text: "**bold** <script>x</script>".into(),
                },
                rect: Default::default(),
            },
        ],
    }
}

#[tokio::test]
async fn a_report_from_the_workspace_through_its_whole_life() {
    on_both(|t| async move {
        let (ada, at) = seed(&t).await;
        let cache = MetaCache::new(1 << 20);
        let bob = server::bootstrap::create_user(&t.db, "bob", "password123", false)
            .await
            .unwrap();
        // Export a section, then make it a report: it leaves the exports.
        let name = workspace::save_report_draft(
            &t.db,
            &ada,
            &at,
            SectionSnapshot {
                section: section(),
                runs: RunSelection {
                    filter: "name != \"run-2\"".into(),
                    ..RunSelection::default()
                },
                created_ms: 1,
            },
        )
        .await
        .unwrap();
        let index = reports::index(&t.db, Some(&ada), &at).await.unwrap();
        assert_eq!(index.exported.len(), 1);
        assert_eq!(index.exported[0].name, name);
        let (id, title) = reports::create_report(&t.db, &ada, &at, "", Some(&name))
            .await
            .unwrap();
        assert_eq!(title, "Training");
        let index = reports::index(&t.db, Some(&ada), &at).await.unwrap();
        assert!(index.exported.is_empty());
        assert_eq!(index.reports.len(), 1);
        assert_eq!(index.reports[0].published, None);
        let r = ReportRef::new(at.clone(), id);

        // The draft draws its grid on the server: two runs match the run set.
        let v = reports::view(&t.db, &cache, Some(&ada), &r, Showing::Draft)
            .await
            .unwrap();
        assert!(v.is_draft);
        let grid = v
            .rendered
            .iter()
            .find_map(|(_, b)| (!b.panels.is_empty()).then_some(b))
            .unwrap();
        assert_eq!(grid.run_counts, [2]);
        assert!(
            grid.panels[0].html.contains("<svg"),
            "{}",
            grid.panels[0].html
        );
        assert!(grid.panels[0].html.contains("<path"));
        assert!(grid.panels[0].html.contains("run-0") && !grid.panels[0].html.contains("run-2"));
        assert!(grid.panels[1].html.contains("<strong>bold</strong>"));
        assert!(!grid.panels[1].html.contains("<script"));

        // Unpublished: bob (no access) and even a reader cannot see it.
        let e = reports::view(&t.db, &cache, Some(&bob), &r, Showing::Published)
            .await
            .err()
            .unwrap();
        assert_eq!(e.status().as_u16(), 404);

        // Save with the version it started from; a stale save is refused.
        let draft = reports::draft(&t.db, Some(&ada), &r).await.unwrap();
        assert_eq!(draft.metric_keys, ["loss"]);
        let mut doc = draft.doc.clone();
        doc.blocks.insert(
            0,
            Block {
                id: 100,
                kind: BlockKind::Math {
                    tex: r"\frac{1}{2}".into(),
                },
            },
        );
        let saved = reports::edit(
            &t.db,
            &ada,
            &r,
            ReportEdit::SaveDraft {
                doc: doc.clone(),
                base_version: draft.version,
            },
        )
        .await
        .unwrap();
        let v2 = saved.draft_version.unwrap();
        assert_eq!(v2, draft.version + 1);
        let stale = reports::edit(
            &t.db,
            &ada,
            &r,
            ReportEdit::SaveDraft {
                doc: draft.doc.clone(),
                base_version: draft.version,
            },
        )
        .await
        .err()
        .unwrap();
        assert_eq!(stale.status().as_u16(), 409, "{stale}");
        assert!(stale.to_string().contains("ada saved this report"));

        // Publish revision 1; readers see it, with MathML.
        let p = reports::edit(&t.db, &ada, &r, ReportEdit::Publish { base_version: v2 })
            .await
            .unwrap();
        assert_eq!(p.published, Some(1));
        let read = reports::view(&t.db, &cache, Some(&ada), &r, Showing::Published)
            .await
            .unwrap();
        assert_eq!(read.revision, Some(1));
        assert!(read
            .rendered
            .iter()
            .any(|(id, b)| *id == 100 && b.html.contains("<mfrac>")));

        // A draft edit and its discard never touch the published revision.
        let mut doc2 = doc.clone();
        doc2.title = "Changed".into();
        let v3 = reports::edit(
            &t.db,
            &ada,
            &r,
            ReportEdit::SaveDraft {
                doc: doc2.clone(),
                base_version: v2,
            },
        )
        .await
        .unwrap()
        .draft_version
        .unwrap();
        let index = reports::index(&t.db, Some(&ada), &at).await.unwrap();
        assert_eq!(
            index.reports[0].title, "Training",
            "readers keep the published title"
        );
        assert!(index.reports[0].unpublished_changes);
        reports::edit(&t.db, &ada, &r, ReportEdit::DiscardDraft)
            .await
            .unwrap();
        let back = reports::draft(&t.db, Some(&ada), &r).await.unwrap();
        assert_eq!(back.doc, doc);
        assert!(back.version > v3);
        // Publish a second revision, then restore the first as the third.
        let mut doc3 = doc.clone();
        doc3.blocks.retain(|b| b.id != 100);
        let v = reports::edit(
            &t.db,
            &ada,
            &r,
            ReportEdit::SaveDraft {
                doc: doc3,
                base_version: back.version,
            },
        )
        .await
        .unwrap()
        .draft_version
        .unwrap();
        reports::edit(&t.db, &ada, &r, ReportEdit::Publish { base_version: v })
            .await
            .unwrap();
        let diff = reports::revision_diff(&t.db, Some(&ada), &r, 1, Some(2))
            .await
            .unwrap();
        assert_eq!(diff.len(), 1);
        assert_eq!(diff[0].change, "removed");
        assert!(diff[0].label.starts_with("Math"));
        let restored = reports::edit(&t.db, &ada, &r, ReportEdit::RestoreRevision { number: 1 })
            .await
            .unwrap();
        assert_eq!(restored.published, Some(3));
        let revs = reports::revisions(&t.db, Some(&ada), &r).await.unwrap();
        assert_eq!(revs.iter().map(|v| v.number).collect::<Vec<_>>(), [3, 2, 1]);
        assert_eq!(revs[0].note, "restored revision 1");
        assert_eq!((revs[1].removed, revs[0].added), (1, 1));

        // A view-only link opens this report to bob, and nothing else; revoked, 404.
        let e = reports::edit(
            &t.db,
            &bob,
            &r,
            ReportEdit::CreateLink { label: "x".into() },
        )
        .await
        .err()
        .unwrap();
        assert_eq!(e.status().as_u16(), 404, "bob cannot see the report at all");
        let url = reports::edit(
            &t.db,
            &ada,
            &r,
            ReportEdit::CreateLink {
                label: "team".into(),
            },
        )
        .await
        .unwrap()
        .link_url
        .unwrap();
        let token = url.split("share=").nth(1).unwrap().to_owned();
        let with = ReportRef {
            token: Some(token.clone()),
            ..r.clone()
        };
        let seen = reports::view(&t.db, &cache, None, &with, Showing::Published)
            .await
            .unwrap();
        assert!(seen.via_link && !seen.can_write && seen.comments.is_empty());
        assert!(
            reports::revisions(&t.db, None, &with).await.is_err(),
            "history is not shared"
        );
        assert!(
            reports::view(&t.db, &cache, None, &with, Showing::Draft)
                .await
                .unwrap()
                .revision
                .is_some(),
            "a link never shows the draft"
        );
        assert!(
            reports::index(&t.db, None, &at).await.is_err(),
            "the link does not open the project"
        );
        // Another report of the project does not open with this token.
        let (other, _) = reports::create_report(&t.db, &ada, &at, "Other", None)
            .await
            .unwrap();
        let v = reports::draft(&t.db, Some(&ada), &ReportRef::new(at.clone(), other))
            .await
            .unwrap()
            .version;
        reports::edit(
            &t.db,
            &ada,
            &ReportRef::new(at.clone(), other),
            ReportEdit::Publish { base_version: v },
        )
        .await
        .unwrap();
        let wrong = ReportRef {
            id: other,
            token: Some(token.clone()),
            ..r.clone()
        };
        assert!(
            reports::view(&t.db, &cache, None, &wrong, Showing::Published)
                .await
                .is_err()
        );
        let links = reports::links(&t.db, Some(&ada), &r).await.unwrap();
        reports::edit(&t.db, &ada, &r, ReportEdit::RevokeLink { id: links[0].id })
            .await
            .unwrap();
        let gone = reports::view(&t.db, &cache, None, &with, Showing::Published)
            .await
            .err()
            .unwrap();
        assert_eq!(gone.status().as_u16(), 404);

        // Stars and comments (on a panel of the grid).
        reports::edit(&t.db, &ada, &r, ReportEdit::Star { on: true })
            .await
            .unwrap();
        reports::edit(&t.db, &ada, &r, ReportEdit::Star { on: true })
            .await
            .unwrap();
        let grid_id = doc
            .blocks
            .iter()
            .find(|b| matches!(b.kind, BlockKind::PanelGrid { .. }))
            .unwrap()
            .id;
        reports::edit(
            &t.db,
            &ada,
            &r,
            ReportEdit::Comment {
                block_id: Some(grid_id),
                panel_id: Some(8),
                body: "  why the spike?  ".into(),
            },
        )
        .await
        .unwrap();
        let bad = reports::edit(
            &t.db,
            &ada,
            &r,
            ReportEdit::Comment {
                block_id: Some(grid_id),
                panel_id: Some(12345),
                body: "x".into(),
            },
        )
        .await
        .err()
        .unwrap();
        assert_eq!(bad.status().as_u16(), 400);
        let v = reports::view(&t.db, &cache, Some(&ada), &r, Showing::Published)
            .await
            .unwrap();
        assert_eq!((v.stars, v.starred), (1, true));
        assert_eq!(v.comments.len(), 1);
        assert_eq!(v.comments[0].body, "why the spike?");
        assert_eq!(v.comments[0].panel_id, Some(8));

        // Clone into a project bob writes? No: bob's own project; ada cannot write it.
        accounts::create_project(
            &t.db,
            &bob,
            NewProject {
                entity: "bob".into(),
                name: "mine".into(),
                visibility: Visibility::Public,
                description: String::new(),
            },
        )
        .await
        .unwrap();
        let e = reports::clone_report(&t.db, &ada, &r, &ProjectRef::new("bob", "mine"))
            .await
            .err()
            .unwrap();
        assert_eq!(e.status().as_u16(), 403);
        let e = reports::clone_report(&t.db, &bob, &r, &ProjectRef::new("bob", "mine"))
            .await
            .err()
            .unwrap();
        assert_eq!(e.status().as_u16(), 404, "bob cannot read the source");
        accounts::create_project(
            &t.db,
            &ada,
            NewProject {
                entity: "ada".into(),
                name: "second".into(),
                visibility: Visibility::Private,
                description: String::new(),
            },
        )
        .await
        .unwrap();
        let (to, cid, _) =
            reports::clone_report(&t.db, &ada, &r, &ProjectRef::new("ada", "second"))
                .await
                .unwrap();
        let copy = reports::view(
            &t.db,
            &cache,
            Some(&ada),
            &ReportRef::new(to, cid),
            Showing::Draft,
        )
        .await
        .unwrap();
        let grid = copy
            .rendered
            .iter()
            .find_map(|(_, b)| (!b.panels.is_empty()).then_some(b))
            .unwrap();
        assert_eq!(
            grid.run_counts,
            [0],
            "its run sets now look in the other project"
        );

        // An image uploaded into the report: stored, read by its readers (and its
        // link), kept by the blob clean-up, and only image bytes are taken.
        let png = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";
        let blobs = server::blobs::BlobStore::open(t.dir.join("files")).unwrap();
        let path = reports::images::upload(&t.db, &blobs, &ada, &r, png).await.unwrap();
        let sha = path.rsplit('/').next().unwrap().to_owned();
        assert!(path.ends_with(&format!("/reports/{id}/images/{sha}")), "{path}");
        let (mime, bytes) = reports::images::read(&t.db, &blobs, Some(&ada), &r, &sha).await.unwrap();
        assert_eq!((mime.as_str(), bytes.len()), ("image/png", 70));
        assert!(server::db::repo::projects::blob_in_use(&t.db, &sha).await.unwrap());
        let e = reports::images::read(&t.db, &blobs, Some(&bob), &r, &sha).await.err().unwrap();
        assert_eq!(e.status().as_u16(), 404);
        let e = reports::images::upload(&t.db, &blobs, &ada, &r, "data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+")
            .await
            .err()
            .unwrap();
        assert_eq!(e.status().as_u16(), 400, "{e}");
        let e = reports::images::upload(&t.db, &blobs, &bob, &r, png).await.err().unwrap();
        assert_eq!(e.status().as_u16(), 404);

        // Soft delete; only an admin restores.
        reports::edit(&t.db, &ada, &r, ReportEdit::Delete)
            .await
            .unwrap();
        assert!(
            reports::view(&t.db, &cache, Some(&ada), &r, Showing::Published)
                .await
                .is_err()
        );
        let index = reports::index(&t.db, Some(&ada), &at).await.unwrap();
        assert_eq!(index.deleted.len(), 1);
        reports::edit(&t.db, &ada, &r, ReportEdit::Restore)
            .await
            .unwrap();
        assert!(
            reports::view(&t.db, &cache, Some(&ada), &r, Showing::Published)
                .await
                .is_ok()
        );
        t
    })
    .await;
}
