//! Repositories against real SQLite and PostgreSQL.

use crate::common;

use app::model::ConsoleStream;
use common::on_both;
use server::db::repo::{console, users};
use server::metrics::codec::Point;
use server::metrics::store;
use server::{bootstrap, demo};

#[tokio::test]
async fn metric_points_upsert_and_keep_non_finite_values() {
    on_both(|t| async move {
        let (_, r) = common::user_with_run(&t.db, "u1", "p", "r").await;
        let pts = |v: f64| {
            vec![
                Point {
                    step: 0,
                    value: f64::NAN,
                    wall_ms: 1_000,
                },
                Point {
                    step: 1,
                    value: f64::INFINITY,
                    wall_ms: 2_000,
                },
                Point {
                    step: 2,
                    value: v,
                    wall_ms: 3_000,
                },
            ]
        };
        store::write_series(&t.db, r.id, r.created_at, "k", &pts(1.5))
            .await
            .unwrap();
        let series = store::write_series(&t.db, r.id, r.created_at, "k", &pts(2.5))
            .await
            .unwrap()
            .unwrap();
        let back = store::read_all(&t.db, series.id).await.unwrap();
        assert_eq!(back.len(), 3, "{:?}", t.backend);
        assert!(back[0].value.is_nan());
        assert_eq!(back[1].value, f64::INFINITY);
        assert_eq!(back[2].value, 2.5, "last write wins");
        assert_eq!(store::count_points(&t.db, r.id, None).await.unwrap(), 3);
        assert_eq!(
            (series.min, series.max, series.last),
            (Some(2.5), Some(2.5), 2.5)
        );

        console::write_lines(
            &t.db,
            r.id,
            0,
            &[
                (ConsoleStream::Stdout, "a".into()),
                (ConsoleStream::Stderr, "b".into()),
            ],
        )
        .await
        .unwrap();
        console::write_lines(&t.db, r.id, 1, &[(ConsoleStream::Stdout, "b2".into())])
            .await
            .unwrap();
        assert_eq!(console::next_line(&t.db, r.id).await.unwrap(), 2);
        let tail = console::tail(&t.db, r.id, 10).await.unwrap();
        assert_eq!(
            tail.iter().map(|l| l.text.as_str()).collect::<Vec<_>>(),
            ["a", "b2"]
        );
        t
    })
    .await;
}

#[tokio::test]
async fn api_keys_sessions_and_first_start() {
    on_both(|t| async move {
        let first = bootstrap::first_start(
            &t.db,
            bootstrap::AdminSecrets {
                password: Some("hunter2hunter2".into()),
                api_key: None,
            },
        )
        .await
        .unwrap()
        .expect("empty database makes an admin");
        assert!(first.admin.is_admin);
        assert!(!first.generated_password && first.generated_key);
        assert!(
            bootstrap::first_start(&t.db, Default::default())
                .await
                .unwrap()
                .is_none(),
            "only once"
        );
        let hash = server::auth::credentials::token_hash(&first.api_key);
        let found = users::user_for_api_key(&t.db, &hash, 0)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(found.username, "admin");
        assert!(users::user_for_api_key(&t.db, "0".repeat(64).as_str(), 0)
            .await
            .unwrap()
            .is_none());
        users::insert_session(&t.db, found.id, "h", 10, 20)
            .await
            .unwrap();
        assert!(users::user_for_session(&t.db, "h", 15)
            .await
            .unwrap()
            .is_some());
        assert!(
            users::user_for_session(&t.db, "h", 25)
                .await
                .unwrap()
                .is_none(),
            "expired"
        );
        assert!(
            bootstrap::create_user(&t.db, "admin", "password123", false)
                .await
                .is_err(),
            "names are unique"
        );
        t
    })
    .await;
}

#[tokio::test]
async fn demo_project_overview_matches_what_was_logged() {
    on_both(|t| async move {
        let first = bootstrap::first_start(&t.db, Default::default())
            .await
            .unwrap()
            .unwrap();
        let summary = demo::log_demo(&t.db, &first.admin).await.unwrap();
        assert_eq!(summary.runs, 12);
        // Logging it again overwrites instead of doubling.
        demo::log_demo(&t.db, &first.admin).await.unwrap();
        let o = server::service::reads::project_overview(&t.db, None, &summary.project)
            .await
            .unwrap();
        assert_eq!(o.total_runs, 12, "{:?}", t.backend);
        assert_eq!(o.contributors, vec!["admin".to_owned()]);
        assert_eq!(o.visibility, app::model::Visibility::Public);
        // 11 runs of 2,000 steps and one of 1,200 at 1.5 s a step.
        let expected = (11.0 * 2_000.0 + 1_199.0) * 1.5;
        assert!(
            (o.total_compute_seconds - expected).abs() < 1.0,
            "{} vs {expected}",
            o.total_compute_seconds
        );
        let states: Vec<_> = o.runs.iter().map(|r| r.state.as_str()).collect();
        assert_eq!(states.iter().filter(|s| **s == "failed").count(), 1);
        assert_eq!(states.iter().filter(|s| **s == "running").count(), 1);
        t
    })
    .await;
}

#[tokio::test]
async fn points_of_the_first_schema_move_into_chunks() {
    use sea_orm::ConnectionTrait;
    use sea_orm_migration::MigratorTrait;
    for backend in [common::Backend::Sqlite, common::Backend::Postgres] {
        let t = common::TestDb::unmigrated(backend).await;
        server::db::migration::Migrator::up(&t.db, Some(1))
            .await
            .unwrap();
        // The run as the first schema's code wrote it (today's code also writes tables
        // that schema does not have yet).
        let user = server::bootstrap::create_user(&t.db, "old", "password123", false)
            .await
            .unwrap();
        t.db.execute_unprepared(&format!(
            "INSERT INTO projects (id, entity_id, name, description, visibility, created_by, \
             created_at, last_active_at, deleted_at) \
             SELECT 1, e.id, 'p', '', 'private', {uid}, 0, NULL, NULL FROM entities e \
             WHERE e.name = 'old'",
            uid = user.id
        ))
        .await
        .unwrap();
        t.db.execute_unprepared(&format!(
            "INSERT INTO runs (id, project_id, run_id, display_name, ordinal, state, config, \
             summary_auto, summary_explicit, tags, notes, group_name, job_type, user_id, host, \
             git_commit, created_at, heartbeat_at, finished_at, runtime_seconds, exit_code, \
             color, deleted_at) VALUES (1, 1, 'r', 'r', 1, 'running', '{{}}', '{{}}', '{{}}', \
             '[]', '', NULL, NULL, {uid}, NULL, NULL, 0, 0, NULL, 0, NULL, NULL, NULL)",
            uid = user.id
        ))
        .await
        .unwrap();
        // Three points of "loss" (one NaN, stored as NULL) and one of "acc".
        t.db.execute_unprepared(
            "INSERT INTO metric_points (run_id, key, step, value, wall_time) VALUES \
             (1, 'loss', 0, 1.5, 1700000000.0), (1, 'loss', 1, NULL, 1700000001.0), \
             (1, 'loss', 2, 0.5, 1700000002.25), (1, 'acc', 0, 0.1, 1700000000.0)",
        )
        .await
        .unwrap();
        server::db::migrate(&t.db).await.unwrap();
        let loss = &store::series_for_runs(&t.db, &[1], "loss").await.unwrap()[0];
        let points = store::read_all(&t.db, loss.id).await.unwrap();
        assert_eq!(points.len(), 3, "{backend:?}");
        assert!(points[1].value.is_nan());
        assert_eq!(
            (points[2].value, points[2].wall_ms),
            (0.5, 1_700_000_002_250)
        );
        assert_eq!(store::count_points(&t.db, 1, None).await.unwrap(), 4);
        let gone = t.db.execute_unprepared("SELECT 1 FROM metric_points").await;
        assert!(gone.is_err(), "the old table is dropped");
        t.cleanup().await;
    }
}

#[tokio::test]
async fn versions_committed_before_m0008_get_their_folders() {
    use sea_orm::ConnectionTrait;
    use sea_orm_migration::MigratorTrait;
    for backend in [common::Backend::Sqlite, common::Backend::Postgres] {
        let t = common::TestDb::unmigrated(backend).await;
        server::db::migration::Migrator::up(&t.db, Some(7))
            .await
            .unwrap();
        let user = server::bootstrap::create_user(&t.db, "old", "password123", false)
            .await
            .unwrap();
        for sql in [
            format!(
                "INSERT INTO projects (id, entity_id, name, description, visibility, created_by, \
                 created_at, last_active_at, deleted_at) SELECT 1, e.id, 'p', '', 'private', {}, 0, \
                 NULL, NULL FROM entities e WHERE e.name = 'old'",
                user.id
            ),
            "INSERT INTO artifact_collections (id, project_id, name, type_name, description, created_at) \
             VALUES (1, 1, 'ds', 'dataset', NULL, 0)"
                .to_owned(),
            "INSERT INTO artifacts (id, collection_id, version_index, digest, state, size, file_count, \
             requested_aliases, created_at, updated_at) VALUES (1, 1, 0, 'd', 'COMMITTED', 6, 3, '[]', 0, 0)"
                .to_owned(),
            "INSERT INTO artifact_files (artifact_id, path, md5, size, sha256, birth_artifact_id) VALUES \
             (1, 'top.txt', 'a', 1, 'x', 1), (1, 'img/a.png', 'b', 2, 'x', 1), (1, 'img/sub/b.png', 'c', 3, 'x', 1)"
                .to_owned(),
        ] {
            t.db.execute_unprepared(&sql).await.unwrap();
        }
        server::db::migrate(&t.db).await.unwrap();
        let top = server::db::repo::artifacts::folder(&t.db, 1, "")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (top.files, top.size, top.direct_files),
            (3, 6, 1),
            "{backend:?}"
        );
        let img = server::db::repo::artifacts::subfolders(&t.db, 1, "")
            .await
            .unwrap();
        assert_eq!(img.len(), 1);
        assert_eq!(
            (img[0].name.as_str(), img[0].files, img[0].direct_files),
            ("img", 2, 1)
        );
        let sub = server::db::repo::artifacts::files_in_dir(&t.db, 1, "img/sub/", 0, 10)
            .await
            .unwrap();
        assert_eq!(sub.len(), 1);
        assert_eq!(sub[0].path, "img/sub/b.png");
        t.cleanup().await;
    }
}

#[tokio::test]
async fn the_writer_survives_failing_and_panicking_requests() {
    use sea_orm::ConnectionTrait;
    use server::db::write::Writer;
    use server::error::ApiError;
    let t = common::TestDb::new(common::Backend::Sqlite).await;
    let writer = Writer::start(t.db.clone());
    t.db.execute_unprepared("CREATE TABLE probe (a INTEGER)")
        .await
        .unwrap();
    let insert = |v: i32, fail: bool, panic: bool| {
        let writer = writer.clone();
        async move {
            writer
                .write(move |tx| {
                    Box::pin(async move {
                        tx.execute_unprepared(&format!("INSERT INTO probe VALUES ({v})"))
                            .await?;
                        if panic {
                            panic!("a bug in a request");
                        }
                        if fail {
                            return Err(ApiError::Unprocessable("refused".into()));
                        }
                        Ok(v)
                    })
                })
                .await
        }
    };
    let (a, b, c) = tokio::join!(
        insert(1, false, false),
        insert(2, true, false),
        insert(3, false, false)
    );
    assert_eq!((a.unwrap(), c.unwrap()), (1, 3));
    assert!(matches!(b, Err(ApiError::Unprocessable(_))), "{b:?}");
    assert!(
        insert(4, false, true).await.is_err(),
        "a panicking request gets an error"
    );
    assert_eq!(
        insert(5, false, false).await.unwrap(),
        5,
        "the writer still works"
    );
    let rows =
        t.db.query_all_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Sqlite,
            "SELECT a FROM probe ORDER BY a",
        ))
        .await
        .unwrap();
    let values: Vec<i32> = rows.iter().map(|r| r.try_get("", "a").unwrap()).collect();
    assert_eq!(
        values,
        vec![1, 3, 5],
        "failed and panicked requests left nothing behind"
    );
    t.cleanup().await;
}
