//! Sweeps on real SQLite and PostgreSQL: many agents heartbeating at once never
//! exceed a run cap or repeat a grid point; states steer what agents get; failed
//! runs are re-queued; the local controller's schedule becomes runs; bad configs
//! are refused with the key and the line.
#![expect(clippy::unwrap_used, reason = "tests fail loudly")]

use crate::common;

use std::collections::HashSet;

use app::model::{NewProject, ProjectRef, SweepAction, SweepState, Visibility};
use common::on_both;
use serde_json::Value;
use server::db::entities::user;
use server::db::repo::sweeps as repo;
use server::service::{accounts, sweeps};

async fn seed(t: &common::TestDb) -> user::Model {
    let user = server::bootstrap::create_user(&t.db, "ada", "password123", false)
        .await
        .unwrap();
    accounts::create_project(
        &t.db,
        &user,
        NewProject {
            entity: "ada".into(),
            name: "hpo".into(),
            visibility: Visibility::Private,
            description: String::new(),
        },
    )
    .await
    .unwrap();
    user
}

async fn new_sweep(t: &common::TestDb, user: &user::Model, config: &str) -> sweeps::Found {
    sweeps::create(
        &t.db,
        user,
        sweeps::Create {
            entity: Some("ada"),
            project: Some("hpo"),
            config,
            display_name: None,
            controller: None,
            prior_runs: Vec::new(),
        },
    )
    .await
    .unwrap()
    .0
}

/// One agent's life: ask, "run" what it is given (finishing it at once, or failing
/// it when `fail` says so), until told to exit. Returns the run ids it ran.
async fn agent_life(
    db: sea_orm::DatabaseConnection,
    user: user::Model,
    sweep: String,
    fail: fn(&Value) -> bool,
) -> Vec<String> {
    // An agent that arrives after the others used the sweep up is refused, as
    // `wandb agent` is: it has nothing to run.
    let id = match sweeps::create_agent(&db, &user, Some("ada"), &sweep, "host").await {
        Ok(id) => id,
        Err(e) if e.to_string().contains("is not running") => return Vec::new(),
        Err(e) => panic!("agent registration failed: {e}"),
    };
    let mut ran = Vec::new();
    let mut current: Option<(String, bool)> = None;
    for _ in 0..400 {
        // The child ended since the last beat: it finished (or failed).
        if let Some((run_id, failed)) = current.take() {
            let f = sweeps::find(&db, Some(&user), Some("ada"), &sweep)
                .await
                .unwrap();
            let pk = repo::runs(&db, f.row.id)
                .await
                .unwrap()
                .into_iter()
                .find(|r| r.run_id == run_id)
                .unwrap()
                .run_pk;
            let state = if failed { "failed" } else { "finished" };
            repo::set_run_state(&db, pk, state, 0).await.unwrap();
        }
        let commands = sweeps::heartbeat(
            &db,
            &user,
            sweeps::Heartbeat {
                agent_id: id,
                running: Vec::new(),
            },
        )
        .await
        .unwrap();
        assert!(commands.len() <= 1, "one command per beat: {commands:?}");
        match commands.first() {
            Some(c) if c["type"] == "run" => {
                let run_id = c["run_id"].as_str().unwrap().to_owned();
                ran.push(run_id.clone());
                current = Some((run_id, fail(&c["args"])));
            }
            Some(c) if c["type"] == "exit" => return ran,
            Some(c) => panic!("unexpected command {c}"),
            None => tokio::time::sleep(std::time::Duration::from_millis(5)).await,
        }
    }
    panic!("agent {id} was never told to exit");
}

fn never(_: &Value) -> bool {
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn many_agents_never_exceed_the_cap_or_repeat_a_grid_point() {
    on_both(|t| async move {
        let user = seed(&t).await;
        let capped = new_sweep(
            &t,
            &user,
            "method: random\nrun_cap: 7\nparameters:\n  lr: {min: 0.0, max: 1.0}\n",
        )
        .await;
        let grid = new_sweep(
            &t,
            &user,
            "method: grid\nparameters:\n  a: {values: [1, 2, 3]}\n  b: {values: [x, y]}\n  c: {value: 5}\n",
        )
        .await;
        for (f, want) in [(&capped, 7usize), (&grid, 6usize)] {
            let mut tasks = Vec::new();
            for _ in 0..12 {
                tasks.push(tokio::spawn(agent_life(
                    t.db.clone(),
                    user.clone(),
                    f.row.name.clone(),
                    never,
                )));
            }
            let mut all = Vec::new();
            for task in tasks {
                all.extend(task.await.unwrap());
            }
            assert_eq!(all.len(), want, "{} handed out exactly {want} runs", f.row.method);
            let runs = repo::runs(&t.db, f.row.id).await.unwrap();
            assert_eq!(runs.len(), want);
            assert!(runs.iter().all(|r| r.state == "finished"));
            let after = sweeps::find_by_id(&t.db, Some(&user), f.row.id).await.unwrap();
            assert_eq!(after.state(), SweepState::Finished, "the sweep finishes by itself");
            // The Runs tab's filter language knows a run's sweep.
            let page = server::service::runs_table::runs_page(
                &t.db,
                Some(&user),
                &ProjectRef::new("ada", "hpo"),
                &app::model::RunsQuery {
                    filter: format!("sweep = \"{}\"", f.row.name),
                    sort: None,
                    within: Vec::new(),
                    columns: Vec::new(),
                    offset: 0,
                    limit: 100,
                },
            )
            .await
            .unwrap();
            assert_eq!(page.total as usize, want);
            assert!(page.rows.iter().all(|r| r.sweep.as_deref() == Some(f.row.name.as_str())));
            if f.row.method == "grid" {
                let keys: HashSet<String> = runs.iter().map(|r| r.param_key.clone().unwrap()).collect();
                assert_eq!(keys.len(), 6, "six different combinations: {keys:?}");
                assert!(keys.contains(r#"{"a":2,"b":"y","c":5}"#), "{keys:?}");
            }
        }
        t
    })
    .await;
}

fn fails_on_a2(args: &Value) -> bool {
    args["a"]["value"] == 2
}

#[tokio::test]
async fn states_steer_agents_and_failed_runs_are_requeued() {
    on_both(|t| async move {
        let user = seed(&t).await;
        let at = ProjectRef::new("ada", "hpo");
        let f = new_sweep(
            &t,
            &user,
            "method: grid\nparameters:\n  a: {values: [1, 2, 3]}\n",
        )
        .await;
        assert_eq!(f.state(), SweepState::Pending);
        // Paused: an idle agent gets nothing.
        let agent = sweeps::create_agent(&t.db, &user, Some("ada"), &f.row.name, "h")
            .await
            .unwrap();
        sweeps::act(&t.db, &user, &at, &f.row.name, SweepAction::Pause)
            .await
            .unwrap();
        let beat = |running: Vec<String>| {
            let (db, user) = (t.db.clone(), user.clone());
            async move {
                sweeps::heartbeat(
                    &db,
                    &user,
                    sweeps::Heartbeat {
                        agent_id: agent,
                        running,
                    },
                )
                .await
                .unwrap()
            }
        };
        assert!(beat(vec![]).await.is_empty());
        sweeps::act(&t.db, &user, &at, &f.row.name, SweepAction::Resume)
            .await
            .unwrap();
        let first = beat(vec![]).await;
        assert_eq!(first[0]["type"], "run");
        assert_eq!(first[0]["args"]["a"]["value"], 1);
        let run_id = first[0]["run_id"].as_str().unwrap().to_owned();
        // Created ahead, pending, with its parameters.
        let runs = repo::runs(&t.db, f.row.id).await.unwrap();
        assert_eq!(runs[0].state, "pending");
        assert_eq!(runs[0].config, r#"{"a":1}"#);
        // Still running: nothing new, and cancelling stops it.
        assert!(beat(vec![run_id.clone()]).await.is_empty());
        let g = new_sweep(
            &t,
            &user,
            "method: grid\nparameters:\n  a: {values: [1, 2, 3]}\n",
        )
        .await;
        sweeps::act(&t.db, &user, &at, &f.row.name, SweepAction::Cancel)
            .await
            .unwrap();
        let stop = beat(vec![run_id.clone()]).await;
        assert_eq!(stop[0]["type"], "stop");
        assert_eq!(stop[0]["run_id"], run_id.as_str());
        assert_eq!(beat(vec![]).await[0]["type"], "exit");
        let again = sweeps::act(&t.db, &user, &at, &f.row.name, SweepAction::Resume).await;
        assert!(again.is_err(), "a cancelled sweep does not resume");
        let refused = sweeps::create_agent(&t.db, &user, Some("ada"), &f.row.name, "h").await;
        assert_eq!(
            refused.unwrap_err().to_string(),
            format!("Sweep {} is not running", f.row.name)
        );

        // The second grid: a = 2 fails; once the grid is done, re-queue it.
        let ran = agent_life(t.db.clone(), user.clone(), g.row.name.clone(), fails_on_a2).await;
        assert_eq!(ran.len(), 3);
        assert_eq!(
            sweeps::find_by_id(&t.db, Some(&user), g.row.id)
                .await
                .unwrap()
                .state(),
            SweepState::Finished
        );
        sweeps::act(&t.db, &user, &at, &g.row.name, SweepAction::Requeue)
            .await
            .unwrap();
        let view = sweeps::view(&t.db, Some(&user), &at, &g.row.name)
            .await
            .unwrap();
        assert_eq!(view.summary.state, SweepState::Running);
        assert_eq!(view.queued, 1);
        let ran = agent_life(t.db.clone(), user.clone(), g.row.name.clone(), never).await;
        assert_eq!(ran.len(), 1, "only the failed set runs again");
        let runs = repo::runs(&t.db, g.row.id).await.unwrap();
        let redo = runs.iter().find(|r| r.run_id == ran[0]).unwrap();
        assert_eq!(redo.config, r#"{"a":2}"#);
        assert_eq!(runs.iter().filter(|r| r.requeued_at.is_some()).count(), 1);
        let nothing = sweeps::act(&t.db, &user, &at, &g.row.name, SweepAction::Requeue).await;
        assert!(nothing.is_err(), "nothing left to re-queue");
        t
    })
    .await;
}

#[tokio::test]
async fn the_local_controllers_schedule_becomes_runs() {
    on_both(|t| async move {
        let user = seed(&t).await;
        let f = new_sweep(
            &t,
            &user,
            "method: grid\ncontroller: {type: local}\nparameters:\n  a: {values: [1, 2]}\n",
        )
        .await;
        let agent = sweeps::create_agent(&t.db, &user, Some("ada"), &f.row.name, "h").await.unwrap();
        let beat = || sweeps::heartbeat(&t.db, &user, sweeps::Heartbeat { agent_id: agent, running: vec![] });
        assert!(beat().await.unwrap().is_empty(), "nothing scheduled yet");
        let controller = r#"{"schedule": [{"id": "abcdefghij", "data": {"args": {"a": {"value": 2}}}}], "earlystop": []}"#;
        sweeps::update(&t.db, &user, f.row.id, sweeps::Update { controller: Some(controller), ..Default::default() })
            .await
            .unwrap();
        let got = beat().await.unwrap();
        assert_eq!(got[0]["args"]["a"]["value"], 2);
        let run_id = got[0]["run_id"].as_str().unwrap().to_owned();
        let after = sweeps::find_by_id(&t.db, Some(&user), f.row.id).await.unwrap();
        let scheduler: Value = serde_json::from_str(after.row.scheduler.as_deref().unwrap()).unwrap();
        assert_eq!(scheduler["scheduled"][0]["id"], "abcdefghij");
        assert_eq!(scheduler["scheduled"][0]["runid"], run_id.as_str());
        // Early stop from the controller becomes a stop for the run's agent.
        let stop = format!(r#"{{"schedule": [], "earlystop": ["{run_id}"]}}"#);
        sweeps::update(&t.db, &user, f.row.id, sweeps::Update { controller: Some(&stop), ..Default::default() })
            .await
            .unwrap();
        let got = sweeps::heartbeat(&t.db, &user, sweeps::Heartbeat { agent_id: agent, running: vec![run_id.clone()] })
            .await
            .unwrap();
        assert_eq!(got[0]["type"], "stop");
        // An entry without args: the search is over.
        let done = r#"{"schedule": [{"id": "zzzzzzzzzz", "data": {"args": null}}], "earlystop": []}"#;
        sweeps::update(&t.db, &user, f.row.id, sweeps::Update { controller: Some(done), ..Default::default() })
            .await
            .unwrap();
        let pk = repo::runs(&t.db, f.row.id).await.unwrap()[0].run_pk;
        repo::set_run_state(&t.db, pk, "finished", 0).await.unwrap();
        assert_eq!(beat().await.unwrap()[0]["type"], "exit");
        t
    })
    .await;
}

#[tokio::test]
async fn bad_configs_are_refused_with_the_key_and_the_line_and_leave_nothing() {
    on_both(|t| async move {
        let user = seed(&t).await;
        let err = sweeps::create(
            &t.db,
            &user,
            sweeps::Create {
                entity: Some("ada"),
                project: Some("hpo"),
                config: "method: random\nparameters:\n  lr:\n    distribution: uniform\n    min: 2\n    max: 1\n",
                display_name: None,
                controller: None,
                prior_runs: Vec::new(),
            },
        )
        .await
        .unwrap_err();
        assert_eq!(err.status().as_u16(), 422);
        assert!(err.to_string().contains("line 6: parameters.lr.max: must be greater than min"), "{err}");
        let idx = sweeps::index(&t.db, Some(&user), &ProjectRef::new("ada", "hpo")).await.unwrap();
        assert!(idx.sweeps.is_empty());
        t
    })
    .await;
}

#[tokio::test]
async fn hyperband_stops_the_runs_behind_at_a_band() {
    use app::model::MetricValue;
    use server::service::ops::{
        self,
        types::{LogMetrics, MetricRow},
    };
    on_both(|t| async move {
        let user = seed(&t).await;
        let at = ProjectRef::new("ada", "hpo");
        let writer = server::db::write::Writer::start(t.db.clone());
        let f = new_sweep(
            &t,
            &user,
            "method: grid\nmetric: {name: loss, goal: minimize}\n\
             early_terminate: {type: hyperband, min_iter: 2, eta: 2}\n\
             parameters:\n  a: {values: [1, 2, 3, 4]}\n",
        )
        .await;
        // Four agents, one run each; each run logs two values of the loss.
        let mut agents = Vec::new();
        for _ in 0..4 {
            let id = sweeps::create_agent(&t.db, &user, Some("ada"), &f.row.name, "h")
                .await
                .unwrap();
            let c = sweeps::heartbeat(
                &t.db,
                &user,
                sweeps::Heartbeat {
                    agent_id: id,
                    running: vec![],
                },
            )
            .await
            .unwrap();
            let run_id = c[0]["run_id"].as_str().unwrap().to_owned();
            let a = c[0]["args"]["a"]["value"].as_i64().unwrap();
            let second = [0.5, 0.6, 5.0, 6.0][(a - 1) as usize];
            let rows = [1.0, second]
                .iter()
                .enumerate()
                .map(|(s, v)| MetricRow {
                    step: s as i64,
                    time: None,
                    values: [("loss".to_owned(), MetricValue(*v))].into_iter().collect(),
                })
                .collect();
            ops::log_metrics(&writer, &user, &at, &run_id, LogMetrics { rows })
                .await
                .unwrap();
            agents.push((id, run_id, a));
        }
        // Started: the runs are running now.
        for r in repo::runs(&t.db, f.row.id).await.unwrap() {
            repo::set_run_state(&t.db, r.run_pk, "running", 0)
                .await
                .unwrap();
        }
        // At band 2 the losses are 0.5, 0.6, 5 and 6: the worse half stops.
        for (id, run_id, a) in &agents {
            let c = sweeps::heartbeat(
                &t.db,
                &user,
                sweeps::Heartbeat {
                    agent_id: *id,
                    running: vec![run_id.clone()],
                },
            )
            .await
            .unwrap();
            if *a >= 3 {
                assert_eq!(c.len(), 1, "a = {a} is behind");
                assert_eq!(c[0]["type"], "stop");
                assert_eq!(c[0]["run_id"], run_id.as_str());
            } else {
                assert!(c.is_empty(), "a = {a} goes on: {c:?}");
            }
        }
        let stopped = repo::runs(&t.db, f.row.id)
            .await
            .unwrap()
            .into_iter()
            .filter(|r| r.stop_at.is_some())
            .count();
        assert_eq!(stopped, 2);
        t
    })
    .await;
}

#[tokio::test]
async fn prior_runs_join_without_a_cap_and_a_grid_skips_their_combinations() {
    use server::service::ops::{self, types::UpsertRun};
    on_both(|t| async move {
        let user = seed(&t).await;
        // 1,200 earlier runs (W&B takes at most 1,000), two of them with grid values.
        let mut names = Vec::new();
        for i in 0..1200 {
            let a = if i < 2 { i + 1 } else { 100 + i };
            let config: serde_json::Map<String, Value> =
                [("a".to_owned(), Value::from(a))].into_iter().collect();
            ops::upsert_run(
                &t.db,
                &user,
                UpsertRun {
                    project: "hpo".into(),
                    id: Some(format!("prior{i}")),
                    config: Some(config),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
            names.push(format!("prior{i}"));
        }
        let (f, _) = sweeps::create(
            &t.db,
            &user,
            sweeps::Create {
                entity: Some("ada"),
                project: Some("hpo"),
                config: "method: grid\nparameters:\n  a: {values: [1, 2, 3]}\n",
                display_name: None,
                controller: None,
                prior_runs: names,
            },
        )
        .await
        .unwrap();
        assert_eq!(repo::runs(&t.db, f.row.id).await.unwrap().len(), 1200);
        // Only a = 3 is left to run.
        let ran = agent_life(t.db.clone(), user.clone(), f.row.name.clone(), never).await;
        assert_eq!(ran.len(), 1);
        let runs = repo::runs(&t.db, f.row.id).await.unwrap();
        let new = runs.iter().find(|r| r.run_id == ran[0]).unwrap();
        assert_eq!(new.config, r#"{"a":3}"#);
        // Cancelling a sweep stops its own runs only: prior runs go on. (A run
        // belongs to one sweep, so these are new ones.)
        for id in ["base1", "base2"] {
            ops::upsert_run(
                &t.db,
                &user,
                UpsertRun {
                    project: "hpo".into(),
                    id: Some(id.into()),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        }
        let (g, _) = sweeps::create(
            &t.db,
            &user,
            sweeps::Create {
                entity: Some("ada"),
                project: Some("hpo"),
                config: "method: random\nparameters:\n  a: {min: 0, max: 9}\n",
                display_name: None,
                controller: None,
                prior_runs: vec!["base1".into(), "base2".into()],
            },
        )
        .await
        .unwrap();
        let agent = sweeps::create_agent(&t.db, &user, Some("ada"), &g.row.name, "h")
            .await
            .unwrap();
        sweeps::heartbeat(
            &t.db,
            &user,
            sweeps::Heartbeat {
                agent_id: agent,
                running: vec![],
            },
        )
        .await
        .unwrap();
        let at = ProjectRef::new("ada", "hpo");
        sweeps::act(&t.db, &user, &at, &g.row.name, SweepAction::Cancel)
            .await
            .unwrap();
        let runs = repo::runs(&t.db, g.row.id).await.unwrap();
        assert_eq!(runs.len(), 3);
        for r in runs {
            let want = if r.args.is_some() {
                "killed"
            } else {
                "running"
            };
            assert_eq!(r.state, want, "{}", r.run_id);
        }
        t
    })
    .await;
}

#[tokio::test]
async fn a_gone_agents_unstarted_run_fails_and_frees_the_sweep() {
    use sea_orm::ConnectionTrait;
    on_both(|t| async move {
        let user = seed(&t).await;
        let at = ProjectRef::new("ada", "hpo");
        let f = new_sweep(
            &t,
            &user,
            "method: grid\nparameters:\n  a: {values: [1, 2]}\n",
        )
        .await;
        // An agent takes a run, then its machine goes away before the script starts.
        let lost = sweeps::create_agent(&t.db, &user, Some("ada"), &f.row.name, "h")
            .await
            .unwrap();
        let c = sweeps::heartbeat(
            &t.db,
            &user,
            sweeps::Heartbeat {
                agent_id: lost,
                running: vec![],
            },
        )
        .await
        .unwrap();
        let lost_run = c[0]["run_id"].as_str().unwrap().to_owned();
        t.db.execute_unprepared(&format!(
            "UPDATE sweep_agents SET heartbeat_at = 0 WHERE id = {lost}"
        ))
        .await
        .unwrap();
        // Another agent finishes the rest, and the sweep ends instead of waiting forever.
        let ran = agent_life(t.db.clone(), user.clone(), f.row.name.clone(), never).await;
        assert_eq!(ran.len(), 1);
        let runs = repo::runs(&t.db, f.row.id).await.unwrap();
        assert_eq!(
            runs.iter().find(|r| r.run_id == lost_run).unwrap().state,
            "failed"
        );
        // Its parameters can be handed out again.
        sweeps::act(&t.db, &user, &at, &f.row.name, SweepAction::Requeue)
            .await
            .unwrap();
        let again = agent_life(t.db.clone(), user.clone(), f.row.name.clone(), never).await;
        assert_eq!(again.len(), 1);
        // A stopped sweep without an end of its own is not reopened by a re-queue.
        let open = new_sweep(
            &t,
            &user,
            "method: random\nparameters:\n  x: {min: 0.0, max: 1.0}\n",
        )
        .await;
        let a = sweeps::create_agent(&t.db, &user, Some("ada"), &open.row.name, "h")
            .await
            .unwrap();
        sweeps::heartbeat(
            &t.db,
            &user,
            sweeps::Heartbeat {
                agent_id: a,
                running: vec![],
            },
        )
        .await
        .unwrap();
        let pk = repo::runs(&t.db, open.row.id).await.unwrap()[0].run_pk;
        repo::set_run_state(&t.db, pk, "crashed", 0).await.unwrap();
        sweeps::act(&t.db, &user, &at, &open.row.name, SweepAction::Stop)
            .await
            .unwrap();
        let refused = sweeps::act(&t.db, &user, &at, &open.row.name, SweepAction::Requeue).await;
        assert!(refused.unwrap_err().to_string().contains("no run_cap"));
        t
    })
    .await;
}
