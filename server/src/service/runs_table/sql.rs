//! The filter language compiled to SQL: a parameterised `WHERE` over the run row, its
//! user and `run_fields`, sorting with missing values last, and reading typed values
//! back from result rows.

use super::*;

/// Parse filter text into an expression, or a 400 naming the position.
pub fn parse(filter: &str) -> Result<Option<Expr>, ApiError> {
    parse_filter(filter).map_err(|e| bad(format!("filter error at {}: {}", e.start, e.message)))
}

pub(super) fn column(id: &str) -> Result<Column, ApiError> {
    Column::from_name(id).ok_or_else(|| bad(format!("unknown column `{id}`")))
}

/// The SQL expression of a column stored on the run row (or the joined user).
pub(super) fn builtin_sql(b: Builtin) -> &'static str {
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
        Builtin::Sweep => {
            "(SELECT sw.name FROM sweep_runs swr JOIN sweeps sw ON sw.id = swr.sweep_id \
             WHERE swr.run_pk = r.id)"
        }
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
            (CmpOp::Eq, Literal::Null) => is_null(q, column, false, project_id),
            (CmpOp::Ne, Literal::Null) => is_null(q, column, true, project_id),
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
        Expr::IsNull { column, negated } => is_null(q, column, *negated, project_id),
    }
}

pub(super) fn builtin_of(column: &Column) -> Builtin {
    match column {
        Column::Builtin(b) => *b,
        _ => Builtin::Name,
    }
}

/// `r.id IN (SELECT f.run_id FROM run_fields f WHERE f.project_id = ? AND f.key = ?` —
/// the caller adds its condition and closes with `))`.
pub(super) fn field_subquery(q: &mut Sql, key: &str, project_id: i32) {
    q.push("(r.id IN (SELECT f.run_id FROM run_fields f WHERE f.project_id = ")
        .bind(project_id)
        .push(" AND f.key = ")
        .bind(key.to_owned());
}

/// Whether a column is missing (or, `negated`, present). For fields this is the same
/// project-and-key range the other tests read, so it joins the way they do.
pub(super) fn is_null(q: &mut Sql, column: &Column, negated: bool, project_id: i32) {
    match column.field_key() {
        Some(key) => {
            if !negated {
                q.push("(NOT ");
            }
            field_subquery(q, &key, project_id);
            q.push("))");
            if !negated {
                q.push(")");
            }
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
pub(super) fn test(q: &mut Sql, column: &Column, op: CmpOp, value: &Literal, project_id: i32) {
    let sym = op.symbol();
    match column.field_key() {
        Some(key) => {
            field_subquery(q, &key, project_id);
            if let Some(n) = value.as_number() {
                q.push(" AND f.num ").push(sym).push(" ").bind(n);
            } else if let Some(t) = value.as_text() {
                q.push(" AND f.txt");
                // Equality is the same under every deterministic collation; leaving
                // it plain lets PostgreSQL use `ix_run_fields_txt` and its statistics.
                if op != CmpOp::Eq {
                    q.collate_c();
                }
                q.push(" ").push(sym).push(" ").bind(t);
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

pub(super) const FROM: &str = " FROM runs r JOIN users u ON u.id = r.user_id";

/// `WHERE` for the project's live runs passing `filter` and the group conditions.
pub(super) fn where_clause(q: &mut Sql, project_id: i32, filter: Option<&Expr>) {
    q.push(" WHERE r.project_id = ")
        .bind(project_id)
        .push(" AND r.deleted_at IS NULL");
    if let Some(f) = filter {
        q.push(" AND ");
        compile(q, f, project_id);
    }
}

/// The filter with one equality per grouped column added.
pub(super) fn with_group(
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
pub(super) fn order_by(q: &mut Sql, sort: Option<&SortSpec>) -> Result<(), ApiError> {
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

/// The join a field sort needs. On PostgreSQL it names the project, so the key's
/// values are read as one range of `ix_run_fields_num` rather than by scanning
/// `run_fields`; SQLite looks each run's value up in `ix_run_fields_run_key`, which
/// covers the join only without the project (26 ms against 40 ms for 10,000 runs).
pub(super) fn sort_join(
    q: &mut Sql,
    project_id: i32,
    sort: Option<&SortSpec>,
) -> Result<(), ApiError> {
    if let Some(s) = sort {
        if let Some(key) = column(&s.column)?.field_key().filter(|k| k != "tags") {
            q.push(" LEFT JOIN run_fields s ON s.run_id = r.id");
            if q.is_postgres() {
                q.push(" AND s.project_id = ").bind(project_id);
            }
            q.push(" AND s.key = ").bind(key);
        }
    }
    Ok(())
}

pub(super) fn value_of(
    row: &QueryResult,
    num: &str,
    txt: &str,
) -> Result<Option<FieldValue>, DbErr> {
    let n: Option<f64> = row.try_get("", num)?;
    let t: Option<String> = row.try_get("", txt)?;
    Ok(match (n, t) {
        (Some(n), _) => Some(FieldValue::Num(n)),
        (None, Some(t)) => Some(FieldValue::Text(t)),
        _ => None,
    })
}

/// PostgreSQL refuses some patterns the Rust `regex` crate accepts; say so plainly.
pub(super) fn regex_error(e: DbErr) -> ApiError {
    let text = e.to_string();
    if text.contains("regular expression") {
        bad(format!(
            "the database could not use this regular expression: {text}"
        ))
    } else {
        ApiError::Db(e)
    }
}
