//! Test databases: a fresh SQLite file, and a uniquely named PostgreSQL database on
//! 127.0.0.1:5432 (override with `CAIRN_TEST_PG`), dropped at the end of the test.
#![allow(dead_code)]

use std::future::Future;
use std::path::PathBuf;

use sea_orm::{ConnectionTrait, Database, DatabaseConnection};

use server::db;

/// Which database a test ran on, for messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct TestDb {
    pub backend: Backend,
    pub db: DatabaseConnection,
    pub dir: PathBuf,
    /// The connection URL (for a second connection pool, as a second server has).
    pub url: String,
    pg_name: Option<String>,
}

fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!(
        "{prefix}_{}_{}_{}",
        std::process::id(),
        nanos % 1_000_000_000,
        rand::random::<u32>()
    )
}

fn pg_base() -> String {
    std::env::var("CAIRN_TEST_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".to_owned())
}

impl TestDb {
    pub async fn new(backend: Backend) -> TestDb {
        let t = TestDb::unmigrated(backend).await;
        db::migrate(&t.db).await.expect("migrate");
        t
    }

    /// A fresh, empty database with no schema yet.
    pub async fn unmigrated(backend: Backend) -> TestDb {
        let dir = std::env::temp_dir().join(unique("cairn_test"));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let (url, pg_name) = match backend {
            Backend::Sqlite => (
                format!("sqlite://{}?mode=rwc", dir.join("cairn.db").display()),
                None,
            ),
            Backend::Postgres => {
                let name = unique("cairn_test");
                let admin = Database::connect(format!("{}/postgres", pg_base()))
                    .await
                    .expect("PostgreSQL must run on 127.0.0.1:5432 (see README)");
                admin
                    .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                    .await
                    .expect("create test database");
                admin.close().await.ok();
                (format!("{}/{name}", pg_base()), Some(name))
            }
        };
        let db = db::connect(&url).await.expect("connect");
        TestDb {
            backend,
            db,
            dir,
            url,
            pg_name,
        }
    }

    /// Close and remove the database.
    pub async fn cleanup(self) {
        self.db.close().await.ok();
        if let Some(name) = self.pg_name {
            let admin = Database::connect(format!("{}/postgres", pg_base()))
                .await
                .expect("connect");
            admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                .await
                .expect("drop test database");
            admin.close().await.ok();
        }
        std::fs::remove_dir_all(&self.dir).ok();
    }
}

/// Run `test` once on SQLite and once on PostgreSQL, each on a fresh database.
pub async fn on_both<F, Fut>(test: F)
where
    F: Fn(TestDb) -> Fut,
    Fut: Future<Output = TestDb>,
{
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let t = TestDb::new(backend).await;
        let t = test(t).await;
        t.cleanup().await;
    }
}

/// A new user with a run `run_id` in their project `project`; returns the user and
/// the run's row.
pub async fn user_with_run(
    db: &DatabaseConnection,
    username: &str,
    project: &str,
    run_id: &str,
) -> (
    server::db::entities::user::Model,
    server::db::entities::run::Model,
) {
    let user = server::bootstrap::create_user(db, username, "password123", false)
        .await
        .expect("create user");
    let run = add_run(db, &user, project, run_id).await;
    (user, run)
}

/// Another run for an existing user (upserted through the API's operation).
pub async fn add_run(
    db: &DatabaseConnection,
    user: &server::db::entities::user::Model,
    project: &str,
    run_id: &str,
) -> server::db::entities::run::Model {
    let out = server::service::ops::upsert_run(
        db,
        user,
        server::service::ops::types::UpsertRun {
            project: project.into(),
            id: Some(run_id.into()),
            start_time: Some(1_700_000_000.0),
            ..Default::default()
        },
    )
    .await
    .expect("upsert run");
    let owner = server::db::repo::projects::find_entity(db, &out.entity)
        .await
        .expect("entity")
        .expect("entity exists");
    let project = server::db::repo::projects::find_project(db, owner.id, project)
        .await
        .expect("project")
        .expect("project exists");
    server::db::repo::runs::find_run(db, project.id, run_id)
        .await
        .expect("run")
        .expect("run exists")
}
pub mod s3;
