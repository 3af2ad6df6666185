//! The Runs tab over SQL: the filter AST compiled to a parameterised `WHERE`, sorting
//! with missing values last, paging, grouping with histograms, bulk actions, CSV rows
//! and the saved column settings. Config and summary values come from `run_fields`
//! (see `db::repo::run_fields`), so no query parses run JSON.

use std::collections::BTreeMap;

use sea_orm::{ConnectionTrait, DbErr, QueryResult};

use app::logic::filter::{parse_filter, Builtin, CmpOp, Column, Expr, FieldValue, Literal};
use app::logic::runs_table::{builtin_columns, histogram};
use app::model::{
    BulkAction, BulkTarget, ColumnInfo, ColumnKind, ColumnSettings, GroupsAnswer, GroupsQuery,
    Histogram, ProjectRef, RunGroup, RunId, RunRow, RunState, RunsPage, RunsQuery, RunsTableMeta,
    SortSpec, COLUMN_SETTINGS_VERSION, MAX_GROUPS, MAX_PAGE_ROWS,
};

use super::reads::readable_project;
use crate::auth::access::{project_access, Access};
use crate::db::entities::{project, user};
use crate::db::repo::{runs, view_settings};
use crate::db::sql::Sql;
use crate::error::ApiError;

/// Bins of a group's histogram.
pub const HISTOGRAM_BINS: usize = 12;
/// Most columns one grouping draws histograms for.
pub const MAX_HISTOGRAM_COLUMNS: usize = 30;
/// Most columns a page may ask values for.
pub const MAX_VALUE_COLUMNS: usize = 1_000;

fn bad(e: impl std::fmt::Display) -> ApiError {
    ApiError::BadRequest(e.to_string())
}

/// Parse filter text into an expression, or a 400 naming the position.
pub fn parse(filter: &str) -> Result<Option<Expr>, ApiError> {
    parse_filter(filter).map_err(|e| bad(format!("filter error at {}: {}", e.start, e.message)))
}

fn column(id: &str) -> Result<Column, ApiError> {
    Column::from_name(id).ok_or_else(|| bad(format!("unknown column `{id}`")))
}

/// The SQL expression of a column stored on the run row (or the joined user).
fn builtin_sql(b: Builtin) -> &'static str {
    match b {
        Builtin::Name => "r.display_name",
        Builtin::Id => "r.run_id",
        Builtin::State => "r.state",
        Builtin::Created => "r.created_at",
        Builtin::Runtime => "r.runtime_seconds",
        Builtin::User => "u.username",
        Builtin::Notes => "NULLIF(r.notes, '')",
        Builtin::Group => "NULLIF(r.group_name, '')",
        Builtin::JobType => "NULLIF(r.job_type, '')",
        Builtin::Tags => "r.tags",
    }
}

/// Append a condition that is true or false, never NULL, for `expr`.
pub fn compile(q: &mut Sql, expr: &Expr, project_id: i32) {
    match expr {
        Expr::And(parts) | Expr::Or(parts) => {
            let sep = if matches!(expr, Expr::And(_)) {
                " AND "
            } else {
                " OR "
            };
            q.push("(");
            for (i, p) in parts.iter().enumerate() {
                if i > 0 {
                    q.push(sep);
                }
                compile(q, p, project_id);
            }
            q.push(")");
        }
        Expr::Not(e) => {
            q.push("(NOT ");
            compile(q, e, project_id);
            q.push(")");
        }
        Expr::Cmp { column, op, value } => match (op, value) {
            (CmpOp::Eq, Literal::Null) => is_null(q, column, false),
            (CmpOp::Ne, Literal::Null) => is_null(q, column, true),
            (CmpOp::Ne, v) => {
                q.push("(NOT ");
                test(q, column, CmpOp::Eq, v, project_id);
                q.push(")");
            }
            (op, v) => test(q, column, *op, v, project_id),
        },
        Expr::In {
            column,
            values,
            negated,
        } => {
            q.push(if *negated { "(NOT (" } else { "((" });
            for (i, v) in values.iter().enumerate() {
                if i > 0 {
                    q.push(" OR ");
                }
                test(q, column, CmpOp::Eq, v, project_id);
            }
            q.push("))");
        }
        Expr::Match { column, pattern } => match column.field_key() {
            Some(key) => {
                field_subquery(q, &key, project_id);
                q.push(" AND f.txt")
                    .regex_match()
                    .bind(pattern.clone())
                    .push("))");
            }
            None => {
                let b = builtin_of(column);
                q.push("COALESCE(")
                    .push(builtin_sql(b))
                    .regex_match()
                    .bind(pattern.clone())
                    .push(", FALSE)");
            }
        },
        Expr::IsNull { column, negated } => is_null(q, column, *negated),
    }
}

fn builtin_of(column: &Column) -> Builtin {
    match column {
        Column::Builtin(b) => *b,
        _ => Builtin::Name,
    }
}

/// `r.id IN (SELECT f.run_id FROM run_fields f WHERE f.project_id = ? AND f.key = ?` —
/// the caller adds its condition and closes with `))`.
fn field_subquery(q: &mut Sql, key: &str, project_id: i32) {
    q.push("(r.id IN (SELECT f.run_id FROM run_fields f WHERE f.project_id = ")
        .bind(project_id)
        .push(" AND f.key = ")
        .bind(key.to_owned());
}

fn is_null(q: &mut Sql, column: &Column, negated: bool) {
    match column.field_key() {
        Some(key) => {
            q.push(if negated { "(EXISTS" } else { "(NOT EXISTS" })
                .push(" (SELECT 1 FROM run_fields f WHERE f.run_id = r.id AND f.key = ")
                .bind(key)
                .push("))");
        }
        None => {
            q.push("(")
                .push(builtin_sql(builtin_of(column)))
                .push(if negated {
                    " IS NOT NULL)"
                } else {
                    " IS NULL)"
                });
        }
    }
}

/// A comparison that holds only when the run has a value of the literal's type.
fn test(q: &mut Sql, column: &Column, op: CmpOp, value: &Literal, project_id: i32) {
    let sym = op.symbol();
    match column.field_key() {
        Some(key) => {
            field_subquery(q, &key, project_id);
            if let Some(n) = value.as_number() {
                q.push(" AND f.num ").push(sym).push(" ").bind(n);
            } else if let Some(t) = value.as_text() {
                q.push(" AND f.txt")
                    .collate_c()
                    .push(" ")
                    .push(sym)
                    .push(" ")
                    .bind(t);
            } else {
                q.push(" AND 1 = 0");
            }
            q.push("))");
        }
        None => {
            let b = builtin_of(column);
            q.push("COALESCE(").push(builtin_sql(b));
            if b.is_numeric() {
                q.push(" ")
                    .push(sym)
                    .push(" ")
                    .bind(value.as_number().unwrap_or(f64::NAN));
            } else {
                q.collate_c()
                    .push(" ")
                    .push(sym)
                    .push(" ")
                    .bind(value.as_text().unwrap_or_default());
            }
            q.push(", FALSE)");
        }
    }
}

const FROM: &str = " FROM runs r JOIN users u ON u.id = r.user_id";

/// `WHERE` for the project's live runs passing `filter` and the group conditions.
fn where_clause(q: &mut Sql, project_id: i32, filter: Option<&Expr>) {
    q.push(" WHERE r.project_id = ")
        .bind(project_id)
        .push(" AND r.deleted_at IS NULL");
    if let Some(f) = filter {
        q.push(" AND ");
        compile(q, f, project_id);
    }
}

/// The filter with one equality per grouped column added.
fn with_group(
    filter: Option<Expr>,
    within: &[(String, Option<FieldValue>)],
) -> Result<Option<Expr>, ApiError> {
    let mut out = filter;
    for (id, value) in within {
        let column = column(id)?;
        let cond = match value {
            None => Expr::IsNull {
                column,
                negated: false,
            },
            Some(FieldValue::Num(n)) => Expr::Cmp {
                column,
                op: CmpOp::Eq,
                value: Literal::Float(*n),
            },
            Some(FieldValue::Text(t)) => Expr::Cmp {
                column,
                op: CmpOp::Eq,
                value: Literal::Str(t.clone()),
            },
        };
        out = Some(match out {
            Some(e) => e.and(cond),
            None => cond,
        });
    }
    Ok(out)
}

/// `ORDER BY` with missing values last whichever the direction, then newest first.
fn order_by(q: &mut Sql, sort: Option<&SortSpec>) -> Result<(), ApiError> {
    let Some(sort) = sort else {
        q.push(" ORDER BY r.created_at DESC, r.id DESC");
        return Ok(());
    };
    let dir = if sort.desc { " DESC" } else { " ASC" };
    match column(&sort.column)? {
        Column::Builtin(b) => {
            let e = builtin_sql(b);
            q.push(" ORDER BY (").push(e).push(" IS NULL), ").push(e);
            if !b.is_numeric() {
                q.collate_c();
            }
            q.push(dir);
        }
        _ => {
            q.push(" ORDER BY (s.num IS NULL AND s.txt IS NULL), (s.num IS NULL), s.num")
                .push(dir)
                .push(", s.txt")
                .collate_c()
                .push(dir);
        }
    }
    q.push(", r.created_at DESC, r.id DESC");
    Ok(())
}

/// The join a field sort needs.
fn sort_join(q: &mut Sql, sort: Option<&SortSpec>) -> Result<(), ApiError> {
    if let Some(s) = sort {
        if let Some(key) = column(&s.column)?.field_key().filter(|k| k != "tags") {
            q.push(" LEFT JOIN run_fields s ON s.run_id = r.id AND s.key = ")
                .bind(key);
        }
    }
    Ok(())
}

fn value_of(row: &QueryResult, num: &str, txt: &str) -> Result<Option<FieldValue>, DbErr> {
    let n: Option<f64> = row.try_get("", num)?;
    let t: Option<String> = row.try_get("", txt)?;
    Ok(match (n, t) {
        (Some(n), _) => Some(FieldValue::Num(n)),
        (None, Some(t)) => Some(FieldValue::Text(t)),
        _ => None,
    })
}

/// A readable project and whether the viewer may change it.
pub(crate) async fn open(
    db: &impl ConnectionTrait,
    viewer: Option<&user::Model>,
    at: &ProjectRef,
) -> Result<(project::Model, Access), ApiError> {
    let (project, owner) = readable_project(db, viewer, at).await?;
    let access = project_access(db, viewer, &project, &owner).await?;
    Ok((project, access))
}

/// Columns, saved settings and permissions for the Runs tab.
pub async fn table_meta(
    db: &impl ConnectionTrait,
    viewer: Option<&user::Model>,
    at: &ProjectRef,
) -> Result<RunsTableMeta, ApiError> {
    let (project, access) = open(db, viewer, at).await?;
    let mut columns = builtin_columns();
    let mut q = Sql::new(db.get_database_backend());
    q.push("SELECT key, numeric FROM project_columns WHERE project_id = ")
        .bind(project.id)
        .push(" AND key <> 'tags' ORDER BY key");
    let mut config = Vec::new();
    let mut summary = Vec::new();
    for row in db.query_all_raw(q.build()).await? {
        let key: String = row.try_get("", "key")?;
        let numeric: bool = row.try_get("", "numeric")?;
        let info = ColumnInfo {
            kind: if numeric {
                ColumnKind::Number
            } else {
                ColumnKind::Text
            },
            id: key,
        };
        if info.id.starts_with("config.") {
            config.push(info);
        } else {
            summary.push(info);
        }
    }
    columns.extend(config);
    columns.extend(summary);
    let settings = match viewer {
        Some(v) => load_settings(db, v.id, project.id).await?,
        None => ColumnSettings::default(),
    };
    Ok(RunsTableMeta {
        columns,
        settings,
        can_write: access == Access::Write,
        signed_in: viewer.is_some(),
    })
}

const SETTINGS_NAME: &str = "runs.columns";

async fn load_settings(
    db: &impl ConnectionTrait,
    user_id: i32,
    project_id: i32,
) -> Result<ColumnSettings, ApiError> {
    Ok(view_settings::load(db, user_id, project_id, SETTINGS_NAME)
        .await?
        .and_then(|doc| serde_json::from_str(&doc).ok())
        .unwrap_or_default())
}

/// Save the viewer's column settings for the project (any reader may arrange their
/// own view).
pub async fn save_settings(
    db: &impl ConnectionTrait,
    viewer: &user::Model,
    at: &ProjectRef,
    mut settings: ColumnSettings,
) -> Result<(), ApiError> {
    let (project, _) = open(db, Some(viewer), at).await?;
    let total =
        settings.order.len() + settings.pinned.len() + settings.hidden.len() + settings.shown.len();
    if total > 20_000 || settings.order.iter().any(|c| c.len() > 1_000) {
        return Err(bad("column settings are too large"));
    }
    settings.version = COLUMN_SETTINGS_VERSION;
    let doc = serde_json::to_string(&settings).map_err(|e| ApiError::Internal(e.to_string()))?;
    view_settings::save(db, viewer.id, project.id, SETTINGS_NAME, doc).await?;
    Ok(())
}

/// One page of runs.
pub async fn runs_page(
    db: &impl ConnectionTrait,
    viewer: Option<&user::Model>,
    at: &ProjectRef,
    query: &RunsQuery,
) -> Result<RunsPage, ApiError> {
    if query.limit == 0 || query.limit > MAX_PAGE_ROWS {
        return Err(bad(format!("limit must be between 1 and {MAX_PAGE_ROWS}")));
    }
    if query.columns.len() > MAX_VALUE_COLUMNS {
        return Err(bad(format!("at most {MAX_VALUE_COLUMNS} columns per page")));
    }
    let (project, _) = open(db, viewer, at).await?;
    let filter = with_group(parse(&query.filter)?, &query.within)?;
    page(db, project.id, filter.as_ref(), query).await
}

async fn page(
    db: &impl ConnectionTrait,
    project_id: i32,
    filter: Option<&Expr>,
    query: &RunsQuery,
) -> Result<RunsPage, ApiError> {
    // Phase 1: which runs, in order, and how many match. Only the columns the filter
    // and sort need are touched, so the wide JSON columns of `runs` are never read
    // (on SQLite they spill into overflow pages that columns stored after them share).
    let needs_user = filter.is_some_and(|f| {
        f.columns()
            .iter()
            .any(|c| **c == Column::Builtin(Builtin::User))
    }) || query.sort.as_ref().is_some_and(|s| s.column == "user");
    let mut q = Sql::new(db.get_database_backend());
    q.push("SELECT r.id AS pk, COUNT(*) OVER () AS total FROM runs r");
    if !q.is_postgres() {
        // SQLite would otherwise visit the runs a filter's `IN` list names by rowid,
        // reading each wide row; the covering index has every column a filter or
        // sort on built-in columns needs (see migration m0004).
        q.push(" INDEXED BY ix_runs_table");
    }
    if needs_user {
        q.push(" JOIN users u ON u.id = r.user_id");
    }
    sort_join(&mut q, query.sort.as_ref())?;
    where_clause(&mut q, project_id, filter);
    order_by(&mut q, query.sort.as_ref())?;
    q.push(" LIMIT ")
        .bind(query.limit as i64)
        .push(" OFFSET ")
        .bind(query.offset.min(i64::MAX as u64) as i64);
    let ids = db.query_all_raw(q.build()).await.map_err(regex_error)?;
    let mut total = match ids.first() {
        Some(r) => r.try_get::<i64>("", "total")? as u64,
        None => 0,
    };
    if ids.is_empty() && query.offset > 0 {
        total = count(db, project_id, filter).await?;
    }
    let pks: Vec<i32> = ids
        .iter()
        .map(|r| r.try_get::<i32>("", "pk"))
        .collect::<Result<_, _>>()?;
    // Phase 2: the rows of this page.
    let mut by_pk: BTreeMap<i32, RunRow> = BTreeMap::new();
    if !pks.is_empty() {
        let mut q = Sql::new(db.get_database_backend());
        q.push(
            "SELECT r.id AS pk, r.run_id, r.display_name, r.state, u.username, r.created_at, \
             r.runtime_seconds, r.tags, r.notes, r.group_name, r.job_type, r.color",
        )
        .push(FROM)
        .push(" WHERE r.id IN ")
        .bind_list(pks.iter().copied());
        for r in db.query_all_raw(q.build()).await? {
            let tags: String = r.try_get("", "tags")?;
            let state: String = r.try_get("", "state")?;
            by_pk.insert(
                r.try_get("", "pk")?,
                RunRow {
                    id: RunId(r.try_get("", "run_id")?),
                    name: r.try_get("", "display_name")?,
                    state: state.parse().unwrap_or(RunState::Crashed),
                    user: r.try_get("", "username")?,
                    created_ms: r.try_get("", "created_at")?,
                    runtime_seconds: r.try_get("", "runtime_seconds")?,
                    tags: serde_json::from_str(&tags).unwrap_or_default(),
                    notes: r.try_get("", "notes")?,
                    group: r.try_get("", "group_name")?,
                    job_type: r.try_get("", "job_type")?,
                    color: r.try_get("", "color")?,
                    values: BTreeMap::new(),
                },
            );
        }
    }
    let pks: Vec<i32> = pks.into_iter().filter(|p| by_pk.contains_key(p)).collect();
    let mut out: Vec<RunRow> = pks.iter().filter_map(|p| by_pk.remove(p)).collect();
    let keys: Vec<String> = query
        .columns
        .iter()
        .filter(|c| c.starts_with("config.") || c.starts_with("summary."))
        .cloned()
        .collect();
    if !pks.is_empty() && !keys.is_empty() {
        let mut q = Sql::new(db.get_database_backend());
        q.push("SELECT run_id, key, num, txt FROM run_fields WHERE run_id IN ")
            .bind_list(pks.iter().copied())
            .push(" AND key IN ")
            .bind_list(keys);
        for row in db.query_all_raw(q.build()).await? {
            let pk: i32 = row.try_get("", "run_id")?;
            let key: String = row.try_get("", "key")?;
            if let (Some(i), Some(v)) = (
                pks.iter().position(|p| *p == pk),
                value_of(&row, "num", "txt")?,
            ) {
                out[i].values.insert(key, v);
            }
        }
    }
    Ok(RunsPage {
        total,
        offset: query.offset,
        rows: out,
    })
}

/// PostgreSQL refuses some patterns the Rust `regex` crate accepts; say so plainly.
fn regex_error(e: DbErr) -> ApiError {
    let text = e.to_string();
    if text.contains("regular expression") {
        bad(format!(
            "the database could not use this regular expression: {text}"
        ))
    } else {
        ApiError::Db(e)
    }
}

async fn count(
    db: &impl ConnectionTrait,
    project_id: i32,
    filter: Option<&Expr>,
) -> Result<u64, ApiError> {
    let mut q = Sql::new(db.get_database_backend());
    q.push("SELECT COUNT(*) AS n").push(FROM);
    where_clause(&mut q, project_id, filter);
    let row = db.query_one_raw(q.build()).await.map_err(regex_error)?;
    Ok(row
        .map(|r| r.try_get::<i64>("", "n"))
        .transpose()?
        .unwrap_or(0) as u64)
}

/// The row ids (primary keys) of every run matching `filter`, in table order.
async fn matching_ids(
    db: &impl ConnectionTrait,
    project_id: i32,
    filter: Option<&Expr>,
) -> Result<Vec<String>, ApiError> {
    let mut q = Sql::new(db.get_database_backend());
    q.push("SELECT r.run_id").push(FROM);
    where_clause(&mut q, project_id, filter);
    order_by(&mut q, None)?;
    let rows = db.query_all_raw(q.build()).await.map_err(regex_error)?;
    rows.iter()
        .map(|r| r.try_get::<String>("", "run_id").map_err(ApiError::from))
        .collect()
}

/// Group the filtered runs; each group carries histograms of the numeric columns asked.
pub async fn groups(
    db: &impl ConnectionTrait,
    viewer: Option<&user::Model>,
    at: &ProjectRef,
    query: &GroupsQuery,
) -> Result<GroupsAnswer, ApiError> {
    if query.by.is_empty() || query.by.len() > 4 {
        return Err(bad("group by one to four columns"));
    }
    let by: Vec<Column> = query
        .by
        .iter()
        .map(|c| column(c))
        .collect::<Result<_, _>>()?;
    if by.contains(&Column::Builtin(Builtin::Tags)) {
        return Err(bad(
            "runs cannot be grouped by tags (a run may have several); filter on a tag instead",
        ));
    }
    let hist_cols: Vec<Column> = query
        .histograms
        .iter()
        .take(MAX_HISTOGRAM_COLUMNS)
        .map(|c| column(c))
        .collect::<Result<_, _>>()?;
    let (project, _) = open(db, viewer, at).await?;
    let filter = parse(&query.filter)?;
    let backend = db.get_database_backend();

    // Group keys per run, plus the run's runtime; one row per run.
    let group_select = |q: &mut Sql| {
        for (i, c) in by.iter().enumerate() {
            match c {
                Column::Builtin(b) if b.is_numeric() => {
                    q.push(&format!(", {} AS g{i}n, NULL AS g{i}t", builtin_sql(*b)));
                }
                Column::Builtin(b) => {
                    q.push(&format!(", NULL AS g{i}n, {} AS g{i}t", builtin_sql(*b)));
                }
                _ => {
                    q.push(&format!(", g{i}.num AS g{i}n, g{i}.txt AS g{i}t"));
                }
            }
        }
    };
    let group_joins = |q: &mut Sql| {
        for (i, c) in by.iter().enumerate() {
            if let Some(key) = c.field_key() {
                q.push(&format!(
                    " LEFT JOIN run_fields g{i} ON g{i}.run_id = r.id AND g{i}.key = "
                ))
                .bind(key);
            }
        }
    };
    let mut q = Sql::new(backend);
    q.push("SELECT r.id AS pk, r.runtime_seconds, r.created_at");
    group_select(&mut q);
    q.push(FROM);
    group_joins(&mut q);
    where_clause(&mut q, project.id, filter.as_ref());
    let rows = db.query_all_raw(q.build()).await.map_err(regex_error)?;

    type Key = Vec<Option<(Option<u64>, Option<String>)>>;
    let mut group_of_run: BTreeMap<i32, usize> = BTreeMap::new();
    let mut keys: Vec<(Key, Vec<Option<FieldValue>>)> = Vec::new();
    let mut index: BTreeMap<Key, usize> = BTreeMap::new();
    let mut counts: Vec<u64> = Vec::new();
    let mut builtin_values: Vec<BTreeMap<String, Vec<f64>>> = Vec::new();
    for row in &rows {
        let mut values = Vec::with_capacity(by.len());
        for (i, col) in by.iter().enumerate() {
            let (n, t) = (format!("g{i}n"), format!("g{i}t"));
            // Numeric builtins come back as integers on SQLite.
            let v = match col {
                Column::Builtin(b) if b.is_numeric() => {
                    let n: Option<f64> = row.try_get::<Option<f64>>("", &n).or_else(|_| {
                        row.try_get::<Option<i64>>("", &n)
                            .map(|x| x.map(|x| x as f64))
                    })?;
                    n.map(FieldValue::Num)
                }
                _ => value_of(row, &n, &t)?,
            };
            values.push(v);
        }
        let key: Key = values
            .iter()
            .map(|v| {
                v.as_ref().map(|v| match v {
                    FieldValue::Num(n) => (Some(n.to_bits()), None),
                    FieldValue::Text(t) => (None, Some(t.clone())),
                })
            })
            .collect();
        let g = *index.entry(key.clone()).or_insert_with(|| {
            keys.push((key, values));
            counts.push(0);
            builtin_values.push(BTreeMap::new());
            keys.len() - 1
        });
        counts[g] += 1;
        let pk: i32 = row.try_get("", "pk")?;
        group_of_run.insert(pk, g);
        for c in &hist_cols {
            if let Column::Builtin(b) = c {
                let v = match b {
                    Builtin::Runtime => Some(row.try_get::<f64>("", "runtime_seconds")?),
                    Builtin::Created => Some(row.try_get::<i64>("", "created_at")? as f64),
                    _ => None,
                };
                if let Some(v) = v {
                    builtin_values[g].entry(c.id()).or_default().push(v);
                }
            }
        }
    }

    // Numeric config and summary values of the filtered runs, for the histograms.
    let field_keys: Vec<String> = hist_cols.iter().filter_map(|c| c.field_key()).collect();
    if !field_keys.is_empty() && !rows.is_empty() {
        let mut q = Sql::new(backend);
        q.push("SELECT h.run_id, h.key, h.num").push(FROM);
        q.push(" JOIN run_fields h ON h.run_id = r.id AND h.num IS NOT NULL AND h.key IN ")
            .bind_list(field_keys);
        where_clause(&mut q, project.id, filter.as_ref());
        for row in db.query_all_raw(q.build()).await.map_err(regex_error)? {
            let pk: i32 = row.try_get("", "run_id")?;
            if let Some(g) = group_of_run.get(&pk) {
                builtin_values[*g]
                    .entry(row.try_get("", "key")?)
                    .or_default()
                    .push(row.try_get("", "num")?);
            }
        }
    }

    // Bins shared by all groups, so histograms compare across groups.
    let mut range: BTreeMap<String, (f64, f64)> = BTreeMap::new();
    for per_group in &builtin_values {
        for (k, vs) in per_group {
            let e = range
                .entry(k.clone())
                .or_insert((f64::INFINITY, f64::NEG_INFINITY));
            for v in vs.iter().filter(|v| v.is_finite()) {
                e.0 = e.0.min(*v);
                e.1 = e.1.max(*v);
            }
        }
    }
    let mut groups: Vec<RunGroup> = keys
        .into_iter()
        .enumerate()
        .map(|(g, (_, values))| RunGroup {
            values,
            count: counts[g],
            histograms: builtin_values[g]
                .iter()
                .filter_map(|(k, vs)| {
                    let (min, max) = *range.get(k)?;
                    min.is_finite().then(|| {
                        (
                            k.clone(),
                            Histogram {
                                min,
                                max,
                                counts: histogram(vs, min, max, HISTOGRAM_BINS),
                            },
                        )
                    })
                })
                .collect(),
        })
        .collect();
    // Largest groups first; ties by value so the order is stable.
    groups.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then_with(|| group_label(a).cmp(&group_label(b)))
    });
    let truncated = groups.len() > MAX_GROUPS;
    groups.truncate(MAX_GROUPS);
    Ok(GroupsAnswer {
        total: rows.len() as u64,
        groups,
        truncated,
    })
}

fn group_label(g: &RunGroup) -> String {
    g.values
        .iter()
        .map(|v| v.as_ref().map(FieldValue::display).unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\u{1f}")
}

/// Apply a bulk action in one write transaction (through the writer, which
/// serialises writes on SQLite); returns how many runs it changed.
pub async fn bulk(
    writer: &crate::metrics::writer::Writer,
    viewer: user::Model,
    at: ProjectRef,
    target: BulkTarget,
    action: BulkAction,
) -> Result<u64, ApiError> {
    match &action {
        BulkAction::AddTag(t) | BulkAction::RemoveTag(t) => app::logic::validate::label("tag", t)?,
        BulkAction::SetGroup(Some(g)) => app::logic::validate::label("group", g)?,
        BulkAction::Rename(name) => {
            app::logic::validate::label("name", name)?;
            if !matches!(&target, BulkTarget::Runs(ids) if ids.len() == 1) {
                return Err(bad("rename one run at a time"));
            }
        }
        _ => {}
    }
    writer
        .write(move |tx| Box::pin(async move { bulk_in(tx, &viewer, &at, &target, &action).await }))
        .await
}

async fn bulk_in(
    tx: &sea_orm::DatabaseTransaction,
    viewer: &user::Model,
    at: &ProjectRef,
    target: &BulkTarget,
    action: &BulkAction,
) -> Result<u64, ApiError> {
    let (project, access) = open(tx, Some(viewer), at).await?;
    if access != Access::Write {
        return Err(ApiError::Forbidden(format!(
            "you may read {}/{} but not change its runs",
            at.entity, at.project
        )));
    }
    let ids: Vec<String> = match target {
        BulkTarget::Runs(ids) => {
            if ids.len() > 100_000 {
                return Err(bad("at most 100,000 runs per action"));
            }
            ids.iter().map(|r| r.0.clone()).collect()
        }
        BulkTarget::Matching(filter) => {
            let f = parse(filter)?;
            matching_ids(tx, project.id, f.as_ref()).await?
        }
    };
    let now = crate::db::now_ms();
    let mut changed = 0;
    for run in runs::find_many(tx, project.id, &ids).await? {
        let mut tags: Vec<String> = serde_json::from_str(&run.tags).unwrap_or_default();
        let mut active: crate::db::entities::run::ActiveModel = run.clone().into();
        use sea_orm::ActiveValue::Set;
        match action {
            BulkAction::Delete => active.deleted_at = Set(Some(now)),
            BulkAction::AddTag(t) => {
                if tags.contains(t) {
                    continue;
                }
                tags.push(t.clone());
                active.tags = Set(serde_json::to_string(&tags).unwrap_or_default());
            }
            BulkAction::RemoveTag(t) => {
                if !tags.contains(t) {
                    continue;
                }
                tags.retain(|x| x != t);
                active.tags = Set(serde_json::to_string(&tags).unwrap_or_default());
            }
            BulkAction::SetGroup(g) => {
                if run.group_name == *g {
                    continue;
                }
                active.group_name = Set(g.clone());
            }
            BulkAction::Rename(name) => {
                if run.display_name == *name {
                    continue;
                }
                active.display_name = Set(name.clone());
            }
            BulkAction::Stop => {
                if run.state != RunState::Running.as_str() {
                    continue;
                }
                active.state = Set(RunState::Killed.as_str().to_owned());
            }
        }
        runs::update(tx, active).await?;
        changed += 1;
    }
    Ok(changed)
}

/// Every matching run as CSV, in table order, with the given columns (all builtins
/// plus config and summary ids), header first.
pub async fn csv(
    db: &impl ConnectionTrait,
    viewer: Option<&user::Model>,
    at: &ProjectRef,
    filter: &str,
    sort: Option<&SortSpec>,
    columns: &[String],
) -> Result<String, ApiError> {
    use app::logic::runs_table::csv_field;
    let cols: Vec<Column> = columns
        .iter()
        .map(|c| column(c))
        .collect::<Result<_, _>>()?;
    if cols.is_empty() {
        return Err(bad("choose at least one column"));
    }
    let (project, _) = open(db, viewer, at).await?;
    let filter = parse(filter)?;
    let mut out = String::new();
    out.push_str(
        &cols
            .iter()
            .map(|c| csv_field(&c.id()))
            .collect::<Vec<_>>()
            .join(","),
    );
    out.push_str("\r\n");
    let mut offset = 0;
    loop {
        let query = RunsQuery {
            filter: String::new(),
            sort: sort.cloned(),
            within: vec![],
            columns: columns.to_vec(),
            offset,
            limit: MAX_PAGE_ROWS,
        };
        let p = page(db, project.id, filter.as_ref(), &query).await?;
        for r in &p.rows {
            let cells: Vec<String> = cols.iter().map(|c| csv_field(&cell_text(r, c))).collect();
            out.push_str(&cells.join(","));
            out.push_str("\r\n");
        }
        offset += p.rows.len() as u64;
        if p.rows.len() < MAX_PAGE_ROWS as usize {
            break;
        }
    }
    Ok(out)
}

/// A cell as exported: numbers in full precision, times as ISO 8601 UTC.
fn cell_text(r: &RunRow, c: &Column) -> String {
    match c {
        Column::Builtin(b) => match b {
            Builtin::Name => r.name.clone(),
            Builtin::Id => r.id.0.clone(),
            Builtin::State => r.state.as_str().to_owned(),
            Builtin::Created => app::logic::filter::time_text(r.created_ms),
            Builtin::Runtime => r.runtime_seconds.to_string(),
            Builtin::User => r.user.clone(),
            Builtin::Tags => r.tags.join(" "),
            Builtin::Notes => r.notes.clone(),
            Builtin::Group => r.group.clone().unwrap_or_default(),
            Builtin::JobType => r.job_type.clone().unwrap_or_default(),
        },
        other => match r.values.get(&other.id()) {
            Some(FieldValue::Num(n)) => n.to_string(),
            Some(FieldValue::Text(t)) => t.clone(),
            None => String::new(),
        },
    }
}

/// Existing values of a column that start with `prefix`, for autocompletion (at most 20).
pub async fn column_values(
    db: &impl ConnectionTrait,
    viewer: Option<&user::Model>,
    at: &ProjectRef,
    column_id: &str,
    prefix: &str,
) -> Result<Vec<String>, ApiError> {
    let col = column(column_id)?;
    let (project, _) = open(db, viewer, at).await?;
    if let Column::Builtin(Builtin::State) = col {
        return Ok(RunState::ALL
            .iter()
            .map(|s| s.as_str().to_owned())
            .filter(|s| s.starts_with(prefix))
            .collect());
    }
    // A prefix range instead of LIKE, so `%` and `_` in what was typed mean themselves.
    let upper = format!("{prefix}\u{10FFFF}");
    let mut q = Sql::new(db.get_database_backend());
    match col.field_key() {
        Some(key) => {
            q.push("SELECT DISTINCT f.txt AS v FROM run_fields f WHERE f.project_id = ")
                .bind(project.id)
                .push(" AND f.key = ")
                .bind(key)
                .push(" AND f.txt IS NOT NULL AND f.txt")
                .collate_c()
                .push(" >= ")
                .bind(prefix.to_owned())
                .push(" AND f.txt")
                .collate_c()
                .push(" < ")
                .bind(upper)
                .push(" ORDER BY v LIMIT 20");
        }
        None => {
            let b = builtin_of(&col);
            if b.is_numeric() {
                return Ok(vec![]);
            }
            let e = builtin_sql(b);
            q.push(&format!("SELECT DISTINCT {e} AS v"))
                .push(FROM)
                .push(" WHERE r.project_id = ")
                .bind(project.id)
                .push(&format!(
                    " AND r.deleted_at IS NULL AND {e} IS NOT NULL AND {e}"
                ))
                .collate_c()
                .push(" >= ")
                .bind(prefix.to_owned())
                .push(&format!(" AND {e}"))
                .collate_c()
                .push(" < ")
                .bind(upper)
                .push(" ORDER BY v LIMIT 20");
        }
    }
    let rows = db.query_all_raw(q.build()).await?;
    rows.iter()
        .map(|r| r.try_get::<String>("", "v").map_err(ApiError::from))
        .collect()
}
