//! One page of runs, the count of matching runs, and the values a column takes (for
//! the filter editor's suggestions).

use super::*;

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

/// The runs a filter picks, in `sort` order, at most `limit`, with the values of
/// `columns`, and how many matched in all: a report's run set, in a project the
/// caller has already checked the reader may read.
pub(crate) async fn matching(
    db: &impl ConnectionTrait,
    project_id: i32,
    filter: Option<&Expr>,
    sort: Option<SortSpec>,
    columns: Vec<String>,
    limit: u64,
) -> Result<RunsPage, ApiError> {
    let query = RunsQuery {
        filter: String::new(),
        sort,
        within: Vec::new(),
        columns,
        offset: 0,
        limit: limit.clamp(1, MAX_PAGE_ROWS),
    };
    page(db, project_id, filter, &query).await
}

pub(super) async fn page(
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
    });
    let sort_needs_user = query.sort.as_ref().is_some_and(|s| s.column == "user");
    let mut q = Sql::new(db.get_database_backend());
    if q.is_postgres() {
        // PostgreSQL plans a `LIMIT` query for its first rows and, not seeing that the
        // window count must read every match anyway, nests the filter's subqueries as
        // per-run loops (100–800 ms for 10,000 runs). Matching runs are first gathered
        // in a materialised CTE, planned for all its rows (hash joins over the
        // `run_fields` key ranges), and only then sorted and cut to a page.
        q.push("WITH m AS MATERIALIZED (SELECT r.id AS pk FROM runs r");
        if needs_user {
            q.push(" JOIN users u ON u.id = r.user_id");
        }
        where_clause(&mut q, project_id, filter);
        q.push(") SELECT r.id AS pk, (SELECT COUNT(*) FROM m) AS total FROM m JOIN runs r ON r.id = m.pk");
        if sort_needs_user {
            q.push(" JOIN users u ON u.id = r.user_id");
        }
        sort_join(&mut q, project_id, query.sort.as_ref())?;
    } else {
        q.push("SELECT r.id AS pk, COUNT(*) OVER () AS total FROM runs r");
        // SQLite would otherwise visit the runs a filter's `IN` list names by rowid,
        // reading each wide row; the covering index has every column a filter or
        // sort on built-in columns needs (see migration m0004).
        q.push(" INDEXED BY ix_runs_table");
        if needs_user || sort_needs_user {
            q.push(" JOIN users u ON u.id = r.user_id");
        }
        sort_join(&mut q, project_id, query.sort.as_ref())?;
        where_clause(&mut q, project_id, filter);
    }
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
             r.runtime_seconds, r.tags, r.notes, r.group_name, r.job_type, r.color, ",
        )
        .push(super::sql::builtin_sql(app::logic::filter::Builtin::Sweep))
        .push(" AS sweep_name")
        .push(FROM)
        .push(" WHERE r.id IN ")
        .bind_list(pks.iter().copied());
        for r in db.query_all_raw(q.build()).await? {
            let pk: i32 = r.try_get("", "pk")?;
            let tags: String = r.try_get("", "tags")?;
            let state: String = r.try_get("", "state")?;
            by_pk.insert(
                pk,
                RunRow {
                    id: RunId(r.try_get("", "run_id")?),
                    name: r.try_get("", "display_name")?,
                    state: state.parse().unwrap_or(RunState::Crashed),
                    user: r.try_get("", "username")?,
                    created_ms: r.try_get("", "created_at")?,
                    runtime_seconds: r.try_get("", "runtime_seconds")?,
                    tags: crate::db::stored::decode("runs", "tags", pk.into(), &tags),
                    notes: r.try_get("", "notes")?,
                    group: r.try_get("", "group_name")?,
                    job_type: r.try_get("", "job_type")?,
                    color: r.try_get("", "color")?,
                    sweep: r.try_get("", "sweep_name")?,
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

pub(super) async fn count(
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
pub(super) async fn matching_ids(
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
