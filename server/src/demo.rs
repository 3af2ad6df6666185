//! The demo project: a small, plausible hyper-parameter sweep logged through the same
//! ingest operations as any API client, so a newcomer opens Cairn onto real data.
//! Run ids are fixed, so logging the demo again overwrites it instead of doubling it.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sea_orm::{ActiveModelTrait, DatabaseConnection, Set};
use serde_json::json;
use std::collections::BTreeMap;

use app::model::{ConsoleStream, MetricValue, ProjectRef, Visibility};

use crate::db::entities::{project, user};
use crate::db::repo::projects;
use crate::error::ApiError;
use crate::service::ops;
use crate::service::ops::types::{
    AppendConsole, ConsoleInput, FinishRun, LogMetrics, MetricRow, UpsertRun,
};

/// Name of the demo project (in the admin's entity).
pub const DEMO_PROJECT: &str = "cairn-demo";
/// Steps per finished demo run.
pub const DEMO_STEPS: i64 = 2_000;
/// Seconds between steps in the demo's wall times.
const SECONDS_PER_STEP: f64 = 1.5;

/// One demo run's settings.
struct DemoRun {
    lr: f64,
    batch_size: i64,
    optimizer: &'static str,
    arch: &'static str,
    dropout: f64,
    /// How the run ends: `Some(0)` finished, `Some(1)` failed (diverges), `None` still running.
    exit: Option<i32>,
}

fn demo_runs() -> Vec<DemoRun> {
    let r = |lr, batch_size, optimizer, arch, dropout, exit| DemoRun {
        lr,
        batch_size,
        optimizer,
        arch,
        dropout,
        exit,
    };
    vec![
        r(1e-3, 64, "adam", "resnet18", 0.1, Some(0)),
        r(3e-3, 64, "adam", "resnet18", 0.1, Some(0)),
        r(1e-2, 64, "adam", "resnet18", 0.3, Some(0)),
        r(1e-3, 128, "sgd", "resnet18", 0.0, Some(0)),
        r(1e-3, 32, "adam", "resnet34", 0.1, Some(0)),
        r(3e-3, 64, "adam", "resnet34", 0.3, Some(0)),
        r(1e-2, 128, "sgd", "resnet34", 0.1, Some(0)),
        r(3e-3, 32, "sgd", "resnet34", 0.0, Some(0)),
        r(1e-3, 64, "adam", "vit-tiny", 0.1, Some(0)),
        r(3e-3, 128, "adam", "vit-tiny", 0.3, Some(0)),
        r(3e-2, 64, "sgd", "vit-tiny", 0.0, Some(1)),
        r(1e-3, 32, "adam", "vit-tiny", 0.1, None),
    ]
}

/// What logging the demo produced.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoSummary {
    pub project: ProjectRef,
    pub runs: usize,
    pub points: usize,
}

/// Log the demo project as `admin`, make it public, and describe it.
pub async fn log_demo(
    db: &DatabaseConnection,
    admin: &user::Model,
) -> Result<DemoSummary, ApiError> {
    let writer = crate::db::write::Writer::start(db.clone());
    let mut rng = StdRng::seed_from_u64(7);
    let now = crate::db::now_ms() as f64 / 1000.0;
    let runs = demo_runs();
    let at = ProjectRef::new(admin.username.clone(), DEMO_PROJECT);
    let mut points = 0;
    for (i, spec) in runs.iter().enumerate() {
        let steps = if spec.exit.is_none() {
            1_200
        } else {
            DEMO_STEPS
        };
        let start = now
            - (runs.len() - i) as f64 * 3_600.0
            - 1_200.0 * SECONDS_PER_STEP * f64::from(spec.exit.is_none() as u8);
        let id = format!("demo-{:02}", i + 1);
        let group = spec.arch.to_owned();
        ops::upsert_run(
            db,
            admin,
            UpsertRun {
                entity: Some(at.entity.clone()),
                project: at.project.clone(),
                id: Some(id.clone()),
                config: Some(
                    json!({
                        "lr": spec.lr,
                        "batch_size": spec.batch_size,
                        "optimizer": spec.optimizer,
                        "arch": spec.arch,
                        "dropout": spec.dropout,
                        "epochs": 20,
                        "data": {"name": "cifar10", "augment": true},
                    })
                    .as_object()
                    .cloned()
                    .unwrap_or_default(),
                ),
                tags: Some(if i < 4 {
                    vec!["baseline".into()]
                } else {
                    vec!["sweep-1".into(), spec.optimizer.into()]
                }),
                group: Some(group),
                job_type: Some("train".into()),
                host: Some(format!("gpu-node-{}", i % 3 + 1)),
                git_commit: Some("3f9c2d1".into()),
                notes: Some(format!(
                    "{} with {} at lr={}",
                    spec.arch, spec.optimizer, spec.lr
                )),
                start_time: Some(start),
                ..Default::default()
            },
        )
        .await?;
        let rows = training_curve(&mut rng, spec, steps, start);
        for chunk in rows.chunks(500) {
            let logged = ops::log_metrics(
                &writer,
                admin,
                &at,
                &id,
                LogMetrics {
                    rows: chunk.to_vec(),
                },
            )
            .await?;
            points += logged.points;
        }
        ops::append_console(
            db,
            admin,
            &at,
            &id,
            AppendConsole {
                offset: Some(0),
                lines: console_lines(spec, &rows),
            },
        )
        .await?;
        if let Some(code) = spec.exit {
            ops::finish_run(
                db,
                admin,
                &at,
                &id,
                FinishRun {
                    exit_code: code,
                    time: Some(start + steps as f64 * SECONDS_PER_STEP),
                },
            )
            .await?;
        }
    }
    describe(db, &at).await?;
    Ok(DemoSummary {
        project: at,
        runs: runs.len(),
        points,
    })
}

async fn describe(db: &DatabaseConnection, at: &ProjectRef) -> Result<(), ApiError> {
    let owner = projects::find_entity(db, &at.entity)
        .await?
        .ok_or_else(|| ApiError::Internal("demo entity vanished".into()))?;
    let p = projects::find_project(db, owner.id, &at.project)
        .await?
        .ok_or_else(|| ApiError::Internal("demo project vanished".into()))?;
    let mut active: project::ActiveModel = p.into();
    active.visibility = Set(Visibility::Public.as_str().to_owned());
    active.description = Set(
        "A demo sweep of image classifiers on CIFAR-10: three architectures, two optimizers, \
         a few learning rates. One run diverged and failed; one stopped reporting mid-training, \
         so Cairn marks it crashed after five minutes of silence."
            .to_owned(),
    );
    active.update(db).await?;
    Ok(())
}

/// Noisy but plausible curves: exponential decay of the loss towards a floor set by
/// the config, accuracy rising as loss falls, validation every 100 steps, a cosine
/// learning-rate schedule, and CPU load. A diverging run's loss blows up to NaN.
fn training_curve(rng: &mut StdRng, spec: &DemoRun, steps: i64, start: f64) -> Vec<MetricRow> {
    let arch_floor = match spec.arch {
        "resnet18" => 0.32,
        "resnet34" => 0.26,
        _ => 0.38,
    };
    let floor = arch_floor + spec.dropout * 0.1 + (spec.lr.log10() + 2.5).abs() * 0.05;
    let speed = spec.lr.sqrt() * if spec.optimizer == "adam" { 0.12 } else { 0.07 };
    let mut rows = Vec::with_capacity(steps as usize);
    for step in 0..steps {
        let t = step as f64;
        let mut values = BTreeMap::new();
        let clean = floor + (2.3 - floor) * (-speed * t).exp();
        let mut loss = clean * (1.0 + rng.gen_range(-0.06..0.06));
        if spec.exit == Some(1) && step > 900 {
            let blowup = ((step - 900) as f64 / 40.0).exp();
            loss = if step > 1_150 {
                f64::NAN
            } else {
                clean * blowup
            };
        }
        values.insert("train/loss".to_owned(), MetricValue(loss));
        let acc = (1.0 - loss / 2.6).clamp(0.0, 1.0) * (1.0 + rng.gen_range(-0.01..0.01));
        values.insert(
            "train/acc".to_owned(),
            MetricValue(if loss.is_nan() { f64::NAN } else { acc }),
        );
        let lr = spec.lr * 0.5 * (1.0 + (std::f64::consts::PI * t / DEMO_STEPS as f64).cos());
        values.insert("lr".to_owned(), MetricValue(lr));
        if step % 100 == 99 {
            let val = loss * 1.08 + rng.gen_range(0.0..0.03);
            values.insert("val/loss".to_owned(), MetricValue(val));
            values.insert(
                "val/acc".to_owned(),
                MetricValue(if val.is_nan() {
                    f64::NAN
                } else {
                    (1.0 - val / 2.6).clamp(0.0, 1.0)
                }),
            );
        }
        if step % 25 == 0 {
            values.insert(
                "system/cpu".to_owned(),
                MetricValue(55.0 + rng.gen_range(-12.0..30.0)),
            );
        }
        rows.push(MetricRow {
            step,
            time: Some(start + t * SECONDS_PER_STEP),
            values,
        });
    }
    rows
}

fn console_lines(spec: &DemoRun, rows: &[MetricRow]) -> Vec<ConsoleInput> {
    let mut lines = vec![
        ConsoleInput {
            stream: ConsoleStream::Stdout,
            text: format!(
                "Training {} with {} (lr={}, batch size {})",
                spec.arch, spec.optimizer, spec.lr, spec.batch_size
            ),
        },
        ConsoleInput {
            stream: ConsoleStream::Stderr,
            text: "warning: dataloader uses 2 workers; more may be faster".into(),
        },
    ];
    for row in rows.iter().filter(|r| r.step % 100 == 99) {
        let loss = row
            .values
            .get("train/loss")
            .map(|v| v.0)
            .unwrap_or(f64::NAN);
        lines.push(ConsoleInput {
            stream: ConsoleStream::Stdout,
            text: format!(
                "epoch {:>2} step {:>4}  train/loss {:.4}",
                row.step / 100 + 1,
                row.step + 1,
                loss
            ),
        });
    }
    if spec.exit == Some(1) {
        lines.push(ConsoleInput {
            stream: ConsoleStream::Stderr,
            text: "RuntimeError: loss is NaN; stopping".into(),
        });
    }
    lines
}
