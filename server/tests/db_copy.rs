//! `cairn db copy --to postgres://…`: a seeded SQLite install (the demo's runs with
//! their metrics and console lines, a sweep with an agent, an automation with a sealed
//! secret and a fired event) is copied into a new PostgreSQL database through the real
//! CLI. Every table's rows are counted on both sides, a run's history reads back the
//! same, the copy's servers can add rows (the id sequences moved on), a second copy
//! into the now full database is refused, and a damaged value stops the copy with the
//! target left empty.
#![expect(clippy::unwrap_used, reason = "tests fail loudly")]

use crate::common::{Backend, TestDb};

use app::model::{
    Action, AutomationSpec, NewProject, ProjectRef, RunFilter, RunId, Trigger, Visibility,
};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use server::service::automations;
use server::service::ops::{self, types};

fn cairn_db_copy(t: &TestDb, to: &str) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_cairn"))
        .args([
            "--data-dir",
            t.dir.to_str().unwrap(),
            "db",
            "copy",
            "--to",
            to,
        ])
        .env("RUST_LOG", "warn")
        // The source is the data dir's SQLite, whatever the caller's environment says.
        .env_remove("DATABASE_URL")
        .env_remove("CAIRN_BLOB_URL")
        .output()
        .unwrap()
}

async fn tables(db: &DatabaseConnection) -> Vec<String> {
    let sql = "SELECT name FROM sqlite_master WHERE type = 'table' \
               AND name NOT LIKE 'sqlite_%' AND name <> 'seaql_migrations' ORDER BY 1";
    db.query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get_by_index::<String>(0).unwrap())
        .collect()
}

async fn count(db: &DatabaseConnection, table: &str) -> i64 {
    let sql = format!("SELECT COUNT(*) FROM \"{table}\"");
    db.query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index::<i64>(0)
        .unwrap()
}

/// The demo, a sweep with an agent and a run, an automation with a secret whose
/// failed-run event has been turned into an execution.
async fn seed(t: &TestDb) {
    let admin = server::bootstrap::create_user(&t.db, "ada", "password123", true)
        .await
        .unwrap();
    server::demo::log_demo(&t.db, &admin).await.unwrap();
    server::service::accounts::create_project(
        &t.db,
        &admin,
        NewProject {
            entity: "ada".into(),
            name: "auto".into(),
            visibility: Visibility::Private,
            description: "copied".into(),
        },
    )
    .await
    .unwrap();
    let at = ProjectRef::new("ada", "auto");
    // The delivery worker's steps are run by hand below: no background jobs that
    // could write while the copy is counted.
    let d = automations::Delivery {
        db: t.db.clone(),
        key: automations::SecretKey::generate(),
        base_url: "http://127.0.0.1:3000".into(),
        retry_base_ms: 1000,
    };
    automations::secrets::set(&t.db, &d.key, &admin, &at, "TOKEN", Some("s3cret"))
        .await
        .unwrap();
    automations::create(
        &t.db,
        &admin,
        &at,
        AutomationSpec {
            name: "failures".into(),
            description: String::new(),
            enabled: true,
            trigger: Trigger::RunState {
                states: vec!["failed".into()],
                runs: RunFilter::default(),
            },
            action: Action::Webhook {
                url: "http://127.0.0.1:9/hook".into(),
                payload: r#"{"run": "${run_name}"}"#.into(),
                token_secret: Some("TOKEN".into()),
                signing_secret: None,
            },
        },
    )
    .await
    .unwrap();
    ops::upsert_run(
        &t.db,
        &admin,
        types::UpsertRun {
            entity: Some("ada".into()),
            project: "auto".into(),
            id: Some("broken".into()),
            name: Some("broken".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    ops::finish_run(
        &t.db,
        &admin,
        &at,
        "broken",
        types::FinishRun {
            exit_code: 1,
            time: None,
        },
    )
    .await
    .unwrap();
    automations::deliver::process_events(&d).await.unwrap();

    let (sweep, _) = server::service::sweeps::create(
        &t.db,
        &admin,
        server::service::sweeps::Create {
            entity: Some("ada"),
            project: Some("auto"),
            config: "method: grid\nmetric: {name: acc, goal: maximize}\nparameters:\n  x: {values: [1, 2]}\n",
            display_name: None,
            controller: None,
            prior_runs: Vec::new(),
        },
    )
    .await
    .unwrap();
    let agent =
        server::service::sweeps::create_agent(&t.db, &admin, Some("ada"), &sweep.row.name, "host")
            .await
            .unwrap();
    server::service::sweeps::heartbeat(
        &t.db,
        &admin,
        server::service::sweeps::Heartbeat {
            agent_id: agent,
            running: Vec::new(),
        },
    )
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sqlite_install_is_copied_to_postgresql_and_every_row_counted() {
    let source = TestDb::new(Backend::Sqlite).await;
    seed(&source).await;
    let target = TestDb::unmigrated(Backend::Postgres).await;
    let names = tables(&source.db).await;

    // A value of the wrong type stops the copy, names where it is, and leaves the
    // target without a single row.
    let first_run = "(SELECT MIN(id) FROM runs)";
    source
        .db
        .execute_unprepared(&format!(
            "UPDATE runs SET created_at = 'yesterday' WHERE id = {first_run}"
        ))
        .await
        .unwrap();
    let out = cairn_db_copy(&source, &target.url);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("table runs, column created_at"), "{err}");
    for t in &names {
        assert_eq!(count(&target.db, t).await, 0, "{t} after a failed copy");
    }
    source
        .db
        .execute_unprepared(&format!(
            "UPDATE runs SET created_at = 1700000000000 WHERE id = {first_run}"
        ))
        .await
        .unwrap();

    let out = cairn_db_copy(&source, &target.url);
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        said.contains("every table's count matches the source"),
        "{said}"
    );

    // Counted here too, not only by the CLI.
    let mut filled = Vec::new();
    for t in &names {
        let (a, b) = (count(&source.db, t).await, count(&target.db, t).await);
        assert_eq!(a, b, "rows in {t}");
        if a > 0 {
            filled.push(t.as_str());
        }
    }
    for t in [
        "users",
        "entities",
        "projects",
        "runs",
        "metric_series",
        "metric_chunks",
        "console_lines",
        "sweeps",
        "sweep_agents",
        "automations",
        "automation_secrets",
        "automation_events",
        "automation_executions",
    ] {
        assert!(filled.contains(&t), "{t} was seeded: {filled:?}");
    }

    // A demo run's history is the same, row for row.
    let admin = server::db::repo::users::find_by_username(&target.db, "ada")
        .await
        .unwrap()
        .unwrap();
    let demo = ProjectRef::new("ada", server::demo::DEMO_PROJECT);
    let run_id: String = source
        .db
        .query_one_raw(Statement::from_string(
            source.db.get_database_backend(),
            "SELECT run_id FROM runs ORDER BY id LIMIT 1",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index(0)
        .unwrap();
    let run = RunId(run_id);
    let before = server::service::reads::history(&source.db, Some(&admin), &demo, &run, 0, 5000)
        .await
        .unwrap();
    let after = server::service::reads::history(&target.db, Some(&admin), &demo, &run, 0, 5000)
        .await
        .unwrap();
    assert!(!before.rows.is_empty());
    assert_eq!(before, after);

    // The copy takes new rows: ids continue after the copied ones.
    let runs_before = count(&target.db, "runs").await;
    ops::upsert_run(
        &target.db,
        &admin,
        types::UpsertRun {
            entity: Some("ada".into()),
            project: "auto".into(),
            id: Some("after-the-move".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(count(&target.db, "runs").await, runs_before + 1);

    // Copying again into the full database is refused and changes nothing.
    let out = cairn_db_copy(&source, &target.url);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("already holds data"), "{err}");
    assert_eq!(count(&target.db, "runs").await, runs_before + 1);

    target.cleanup().await;
    source.cleanup().await;
}
