//! Several servers on one database: job leases and the shared sign-in limit, on SQLite
//! and PostgreSQL.

use app::api::service::CairnService;
use app::api::AppError;
use server::auth::limiter;
use server::blobs::BlobStore;
use server::db::repo::leases::{self, Now};
use server::service::UiService;
use server::state::AppState;

use crate::common::{self, on_both};

#[tokio::test]
async fn one_holder_per_job_lease_until_it_runs_out() {
    on_both(|t| async move {
        let db = &t.db;
        // A takes it; B is refused while it lasts; A renews.
        assert!(leases::take(db, "purge", "server-a", Now::At(1_000), 500)
            .await
            .unwrap());
        assert!(!leases::take(db, "purge", "server-b", Now::At(1_200), 500)
            .await
            .unwrap());
        assert!(leases::take(db, "purge", "server-a", Now::At(1_400), 500)
            .await
            .unwrap());
        assert!(!leases::take(db, "purge", "server-b", Now::At(1_800), 500)
            .await
            .unwrap());
        // Another job's lease is its own.
        assert!(
            leases::take(db, "crash watch", "server-b", Now::At(1_800), 500)
                .await
                .unwrap()
        );
        // A stops renewing (it died): after its lease ran out, B takes over, and A,
        // back, is refused.
        assert!(leases::take(db, "purge", "server-b", Now::At(1_901), 500)
            .await
            .unwrap());
        assert!(!leases::take(db, "purge", "server-a", Now::At(2_000), 500)
            .await
            .unwrap());
        // B gives it up: A may take it at once.
        leases::release(db, "purge", "server-b").await.unwrap();
        assert!(leases::take(db, "purge", "server-a", Now::At(2_001), 500)
            .await
            .unwrap());
        // Many servers asking at the same moment: exactly one gets it.
        let asks = (0..8).map(|i| {
            let db = db.clone();
            async move {
                leases::take(&db, "race", &format!("server-{i}"), Now::At(5_000), 500)
                    .await
                    .unwrap()
            }
        });
        let got = futures_util::future::join_all(asks).await;
        assert_eq!(
            got.iter().filter(|g| **g).count(),
            1,
            "{:?}: {got:?}",
            t.backend
        );
        t
    })
    .await;
}

fn service(state: &AppState) -> UiService {
    UiService::new(
        state.db.clone(),
        state.blobs.clone(),
        state.chart_cache.clone(),
        state.writer.clone(),
        state.delivery(),
    )
}

/// Servers take leases by the database's clock, not their own: the lease written is
/// "now" by the database's clock plus the time to live, and a holder whose clock runs
/// far ahead cannot take a lease early (only the database's clock counts).
#[tokio::test]
async fn leases_run_on_the_database_clock() {
    on_both(|t| async move {
        let db = &t.db;
        let wall = server::db::now_ms();
        assert!(leases::take(db, "crash watch", "a", Now::Database, 60_000)
            .await
            .unwrap());
        assert!(!leases::take(db, "crash watch", "b", Now::Database, 60_000)
            .await
            .unwrap());
        use sea_orm::ConnectionTrait;
        let until: i64 = db
            .query_one_raw(sea_orm::Statement::from_string(
                db.get_database_backend(),
                "SELECT until_ms FROM job_leases WHERE name = 'crash watch'",
            ))
            .await
            .unwrap()
            .unwrap()
            .try_get_by_index(0)
            .unwrap();
        // The database runs on this machine's clock: within a few seconds of ours.
        assert!((until - (wall + 60_000)).abs() < 5_000, "{until} vs {wall}");
        // The holder renews by the database's clock.
        assert!(leases::take(db, "crash watch", "a", Now::Database, 60_000)
            .await
            .unwrap());
        t
    })
    .await;
}

#[tokio::test]
async fn failed_sign_ins_are_counted_across_servers() {
    on_both(|t| async move {
        server::bootstrap::create_user(&t.db, "alice", "password123", false)
            .await
            .unwrap();
        server::bootstrap::create_user(&t.db, "bob", "password123", false)
            .await
            .unwrap();
        let blobs = BlobStore::open(t.dir.join("files")).unwrap();
        let config = server::config::Config::default;
        // Two servers: each has its own state and connection pool on one database.
        let second = sea_orm::Database::connect(&t.url).await.unwrap();
        let a = service(&AppState::start(t.db.clone(), blobs.clone(), config()));
        let b = service(&AppState::start(second, blobs, config()));
        let locked = |r: Result<_, AppError>| matches!(r, Err(AppError::TooManyRequests(_)));
        for i in 0..limiter::MAX_FAILURES {
            let server = if i % 2 == 0 { &a } else { &b };
            let r = server.sign_in("Alice", "wrong guess").await;
            assert!(matches!(r, Err(AppError::Unauthorized(_))), "{i}: {r:?}");
        }
        // The next attempt is refused on either server, even with the right password.
        assert!(locked(a.sign_in("alice", "password123").await));
        assert!(locked(b.sign_in("ALICE", "password123").await));
        // Other names are not affected, and a success clears their count.
        for _ in 0..3 {
            assert!(b.sign_in("bob", "nope").await.is_err());
        }
        assert!(a.sign_in("bob", "password123").await.is_ok());
        for _ in 0..limiter::MAX_FAILURES {
            assert!(!locked(b.sign_in("bob", "nope").await));
        }
        // After the window the count starts again; the purge drops ended windows.
        let later = server::db::now_ms() + limiter::WINDOW_MS + 1;
        assert_eq!(
            limiter::attempt(&t.db, "alice", later).await.unwrap(),
            Ok(())
        );
        assert!(
            limiter::purge(&t.db, later + limiter::WINDOW_MS)
                .await
                .unwrap()
                >= 2
        );
        t
    })
    .await;
}

/// The limiter's own rule, without servers: ten failures pass, the eleventh waits for
/// the rest of the window.
#[tokio::test]
async fn the_eleventh_attempt_waits_for_the_window() {
    let t = common::TestDb::new(common::Backend::Sqlite).await;
    for i in 0..limiter::MAX_FAILURES {
        assert_eq!(limiter::attempt(&t.db, "Ann", i).await.unwrap(), Ok(()));
    }
    let wait = limiter::attempt(&t.db, "ann", 100)
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(wait, limiter::WINDOW_MS - 100);
    assert_eq!(
        limiter::attempt(&t.db, "ann", limiter::WINDOW_MS)
            .await
            .unwrap(),
        Ok(())
    );
    t.cleanup().await;
}
