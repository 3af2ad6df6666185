//! A run's config and summary leaves, and its tags, as typed rows in `run_fields`, kept
//! in step with the run row by [`super::runs::insert`] and [`super::runs::update`]. The
//! runs table filters and sorts on these rows; `app::logic::filter::field_value` decides
//! how a JSON leaf is stored, so the in-memory filter and SQL agree.

use std::collections::{BTreeMap, BTreeSet};

use app::logic::config_flat::flatten;
use app::logic::filter::{field_value, FieldValue};
use app::logic::summary::{effective, AutoSummary};
use sea_orm::sea_query::{Alias, Expr};
use sea_orm::ExprTrait;
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QuerySelect,
    TransactionTrait,
};
use serde_json::{Map, Value};

use crate::db::entities::run;
use crate::db::sql::Sql;

/// Bump when the rules for which rows a run has change: runs written with an older
/// version are rebuilt when the server starts.
pub const FIELDS_VERSION: i32 = 1;

/// Keys longer than this are not stored (they would not fit database index keys).
const MAX_KEY_BYTES: usize = 512;

/// The rows a run should have, by key (`config.lr`, `summary.loss`, `tags`).
pub fn wanted(run: &run::Model) -> BTreeMap<String, Vec<FieldValue>> {
    let mut out: BTreeMap<String, Vec<FieldValue>> = BTreeMap::new();
    let mut put = |key: String, v: &Value| {
        if key.len() <= MAX_KEY_BYTES {
            if let Some(fv) = field_value(v) {
                out.entry(key).or_default().push(fv);
            }
        }
    };
    let config: Value = Value::Object(run.config_map());
    if config.is_object() {
        for (k, v) in flatten(&config) {
            put(format!("config.{k}"), &v);
        }
    }
    let auto: AutoSummary = run.auto_summary();
    let explicit: Map<String, Value> = run.explicit_summary();
    let summary = Value::Object(effective(&auto, &explicit));
    for (k, v) in flatten(&summary) {
        put(format!("summary.{k}"), &v);
    }
    let tags: Vec<String> = run.tag_list();
    for t in tags.into_iter().collect::<BTreeSet<_>>() {
        put("tags".to_owned(), &Value::String(t));
    }
    out
}

fn split(v: &FieldValue) -> (Option<f64>, Option<String>) {
    match v {
        FieldValue::Num(n) => (Some(*n), None),
        FieldValue::Text(t) => (None, Some(t.clone())),
    }
}

/// A comparable form of a key's values (order does not matter).
fn canonical(values: &[FieldValue]) -> Vec<(Option<u64>, Option<String>)> {
    let mut v: Vec<_> = values
        .iter()
        .map(|fv| {
            let (n, t) = split(fv);
            (n.map(f64::to_bits), t)
        })
        .collect();
    v.sort();
    v
}

async fn stored(
    db: &impl ConnectionTrait,
    run_id: i32,
) -> Result<BTreeMap<String, Vec<FieldValue>>, DbErr> {
    let mut q = Sql::new(db.get_database_backend());
    q.push("SELECT key, num, txt FROM run_fields WHERE run_id = ")
        .bind(run_id);
    let mut out: BTreeMap<String, Vec<FieldValue>> = BTreeMap::new();
    for row in db.query_all_raw(q.build()).await? {
        let key: String = row.try_get("", "key")?;
        let num: Option<f64> = row.try_get("", "num")?;
        let txt: Option<String> = row.try_get("", "txt")?;
        let v = match (num, txt) {
            (Some(n), _) => FieldValue::Num(n),
            (None, Some(t)) => FieldValue::Text(t),
            (None, None) => continue,
        };
        out.entry(key).or_default().push(v);
    }
    Ok(out)
}

/// Bring a run's rows in line with the run: only keys whose values changed are
/// rewritten, and keys new to the run are recorded as project columns.
pub async fn sync(db: &impl ConnectionTrait, run: &run::Model) -> Result<(), DbErr> {
    let want = wanted(run);
    let have = stored(db, run.id).await?;
    let changed: Vec<&String> = want
        .keys()
        .chain(have.keys())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .filter(|k| want.get(*k).map(|v| canonical(v)) != have.get(*k).map(|v| canonical(v)))
        .collect();
    if changed.is_empty() {
        return Ok(());
    }
    let backend = db.get_database_backend();
    for part in changed.chunks(500) {
        let mut q = Sql::new(backend);
        q.push("DELETE FROM run_fields WHERE run_id = ")
            .bind(run.id)
            .push(" AND key IN ")
            .bind_list(part.iter().map(|k| (*k).clone()));
        db.execute_raw(q.build()).await?;
    }
    let rows: Vec<(&String, &FieldValue)> = changed
        .iter()
        .filter_map(|k| want.get(*k).map(|vs| (*k, vs)))
        .flat_map(|(k, vs)| vs.iter().map(move |v| (k, v)))
        .collect();
    insert_rows(db, run, &rows).await?;
    // Columns the project may not know yet: keys new to this run, or whose kind changed.
    let kinds = |vs: &[FieldValue]| vs.iter().any(|v| matches!(v, FieldValue::Num(_)));
    let new_columns: Vec<(&String, bool)> = changed
        .iter()
        .filter_map(|k| {
            let now = kinds(want.get(*k)?);
            let before = have.get(*k).map(|v| kinds(v));
            (before != Some(now)).then_some((*k, now))
        })
        .collect();
    record_columns(db, run.project_id, &new_columns).await?;
    if have.is_empty() {
        let mut q = Sql::new(backend);
        q.push("UPDATE runs SET fields_version = ")
            .bind(FIELDS_VERSION)
            .push(" WHERE id = ")
            .bind(run.id);
        db.execute_raw(q.build()).await?;
    }
    Ok(())
}

async fn insert_rows(
    db: &impl ConnectionTrait,
    run: &run::Model,
    rows: &[(&String, &FieldValue)],
) -> Result<(), DbErr> {
    for part in rows.chunks(400) {
        let mut q = Sql::new(db.get_database_backend());
        q.push("INSERT INTO run_fields (project_id, run_id, key, num, txt) VALUES ");
        for (i, (k, v)) in part.iter().enumerate() {
            if i > 0 {
                q.push(", ");
            }
            let (num, txt) = split(v);
            q.push("(")
                .bind(run.project_id)
                .push(", ")
                .bind(run.id)
                .push(", ")
                .bind((*k).clone())
                .push(", ")
                .bind(num)
                .push(", ")
                .bind(txt)
                .push(")");
        }
        db.execute_raw(q.build()).await?;
    }
    Ok(())
}

async fn record_columns(
    db: &impl ConnectionTrait,
    project_id: i32,
    columns: &[(&String, bool)],
) -> Result<(), DbErr> {
    for part in columns.chunks(400) {
        let mut q = Sql::new(db.get_database_backend());
        q.push("INSERT INTO project_columns (project_id, key, numeric) VALUES ");
        for (i, (k, numeric)) in part.iter().enumerate() {
            if i > 0 {
                q.push(", ");
            }
            q.push("(")
                .bind(project_id)
                .push(", ")
                .bind((*k).clone())
                .push(", ")
                .bind(*numeric)
                .push(")");
        }
        // Only a column that turns numeric is written again: an update that changes
        // nothing still leaves a dead row version behind on PostgreSQL, and every new
        // run names all its keys, so 10,000 runs of 200 keys left 2 million of them in
        // a table of 200 rows, and seeding slowed to a crawl.
        q.push(
            " ON CONFLICT (project_id, key) DO UPDATE SET numeric = TRUE \
             WHERE excluded.numeric AND NOT project_columns.numeric",
        );
        db.execute_raw(q.build()).await?;
    }
    Ok(())
}

/// Rebuild the rows of every run written under an older [`FIELDS_VERSION`] (all runs
/// the first time this runs on an existing database), 200 runs per transaction.
pub async fn rebuild_stale(db: &DatabaseConnection) -> Result<(), DbErr> {
    loop {
        let tx = db.begin().await?;
        let runs = run::Entity::find()
            .filter(Expr::col(Alias::new("fields_version")).lt(FIELDS_VERSION))
            .limit(200)
            .all(&tx)
            .await?;
        if runs.is_empty() {
            tx.commit().await?;
            return Ok(());
        }
        for r in &runs {
            let mut q = Sql::new(tx.get_database_backend());
            q.push("DELETE FROM run_fields WHERE run_id = ").bind(r.id);
            tx.execute_raw(q.build()).await?;
            sync(&tx, r).await?;
            let mut q = Sql::new(tx.get_database_backend());
            q.push("UPDATE runs SET fields_version = ")
                .bind(FIELDS_VERSION)
                .push(" WHERE id = ")
                .bind(r.id);
            tx.execute_raw(q.build()).await?;
        }
        tx.commit().await?;
    }
}
