//! Grouping the filtered runs by up to three columns, with a histogram per numeric
//! column and group.

use super::*;

/// Group the filtered runs; each group carries histograms of the numeric columns asked.
pub async fn groups(
    db: &impl ConnectionTrait,
    viewer: Option<&user::Model>,
    at: &ProjectRef,
    query: &GroupsQuery,
) -> Result<GroupsAnswer, ApiError> {
    let (by, hist_cols) = grouping_columns(query)?;
    let (project, _) = open(db, viewer, at).await?;
    let filter = parse(&query.filter)?;

    // Group keys per run, plus the run's runtime; one row per run.
    let q = group_rows_sql(db, &by, project.id, filter.as_ref());
    let rows = db.query_all_raw(q.build()).await.map_err(regex_error)?;
    let mut grouping = Grouping::default();
    for row in &rows {
        grouping.add_run(row, &by, &hist_cols)?;
    }

    // Numeric config and summary values of the filtered runs, for the histograms.
    let field_keys: Vec<String> = hist_cols.iter().filter_map(|c| c.field_key()).collect();
    if !field_keys.is_empty() && !rows.is_empty() {
        let mut q = Sql::new(db.get_database_backend());
        q.push("SELECT h.run_id, h.key, h.num").push(FROM);
        q.push(" JOIN run_fields h ON h.run_id = r.id AND h.num IS NOT NULL AND h.key IN ")
            .bind_list(field_keys);
        where_clause(&mut q, project.id, filter.as_ref());
        for row in db.query_all_raw(q.build()).await.map_err(regex_error)? {
            grouping.add_field_value(
                row.try_get("", "run_id")?,
                row.try_get("", "key")?,
                row.try_get("", "num")?,
            );
        }
    }

    let mut groups = grouping.finish();
    let truncated = groups.len() > MAX_GROUPS;
    groups.truncate(MAX_GROUPS);
    Ok(GroupsAnswer {
        total: rows.len() as u64,
        groups,
        truncated,
    })
}

/// The columns to group by and to draw histograms of, checked.
fn grouping_columns(query: &GroupsQuery) -> Result<(Vec<Column>, Vec<Column>), ApiError> {
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
    Ok((by, hist_cols))
}

/// One row per filtered run: its key, runtime and creation time, and its value of each
/// grouping column as `g{i}n` (number) and `g{i}t` (text).
fn group_rows_sql(
    db: &impl ConnectionTrait,
    by: &[Column],
    project_id: i32,
    filter: Option<&Expr>,
) -> Sql {
    let mut q = Sql::new(db.get_database_backend());
    q.push("SELECT r.id AS pk, r.runtime_seconds, r.created_at");
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
    q.push(FROM);
    for (i, c) in by.iter().enumerate() {
        if let Some(key) = c.field_key() {
            q.push(&format!(
                " LEFT JOIN run_fields g{i} ON g{i}.run_id = r.id AND g{i}.key = "
            ))
            .bind(key);
        }
    }
    where_clause(&mut q, project_id, filter);
    q
}

/// A group's identity: per grouping column, the value's bits or text (`None`: missing).
type GroupKey = Vec<Option<(Option<u64>, Option<String>)>>;

/// One group while runs are added: its values of the grouping columns, its run count
/// and its numeric values per histogram column.
type OpenGroup = (Vec<Option<FieldValue>>, u64, BTreeMap<String, Vec<f64>>);

/// Groups as runs are added.
#[derive(Default)]
struct Grouping {
    groups: Vec<OpenGroup>,
    index: BTreeMap<GroupKey, usize>,
    group_of_run: BTreeMap<i32, usize>,
}

impl Grouping {
    /// Add one row of [`group_rows_sql`], with its builtin histogram values.
    fn add_run(
        &mut self,
        row: &QueryResult,
        by: &[Column],
        hist: &[Column],
    ) -> Result<(), ApiError> {
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
        let key: GroupKey = values
            .iter()
            .map(|v| {
                v.as_ref().map(|v| match v {
                    FieldValue::Num(n) => (Some(n.to_bits()), None),
                    FieldValue::Text(t) => (None, Some(t.clone())),
                })
            })
            .collect();
        let groups = &mut self.groups;
        let g = *self.index.entry(key).or_insert_with(|| {
            groups.push((values, 0, BTreeMap::new()));
            groups.len() - 1
        });
        self.groups[g].1 += 1;
        let pk: i32 = row.try_get("", "pk")?;
        self.group_of_run.insert(pk, g);
        for c in hist {
            if let Column::Builtin(b) = c {
                let v = match b {
                    Builtin::Runtime => Some(row.try_get::<f64>("", "runtime_seconds")?),
                    Builtin::Created => Some(row.try_get::<i64>("", "created_at")? as f64),
                    _ => None,
                };
                if let Some(v) = v {
                    self.groups[g].2.entry(c.id()).or_default().push(v);
                }
            }
        }
        Ok(())
    }

    /// A numeric config or summary value of a grouped run, for its histogram.
    fn add_field_value(&mut self, run_pk: i32, key: String, value: f64) {
        if let Some(&g) = self.group_of_run.get(&run_pk) {
            self.groups[g].2.entry(key).or_default().push(value);
        }
    }

    /// The groups, largest first (ties by value, so the order is stable), with
    /// histograms over bins shared by all groups so they compare across groups.
    fn finish(self) -> Vec<RunGroup> {
        let mut range: BTreeMap<String, (f64, f64)> = BTreeMap::new();
        for (_, _, per_column) in &self.groups {
            for (k, vs) in per_column {
                let e = range
                    .entry(k.clone())
                    .or_insert((f64::INFINITY, f64::NEG_INFINITY));
                for v in vs.iter().filter(|v| v.is_finite()) {
                    e.0 = e.0.min(*v);
                    e.1 = e.1.max(*v);
                }
            }
        }
        let mut groups: Vec<RunGroup> = self
            .groups
            .into_iter()
            .map(|(values, count, per_column)| RunGroup {
                values,
                count,
                histograms: per_column
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
        groups.sort_by(|a, b| {
            b.count
                .cmp(&a.count)
                .then_with(|| group_label(a).cmp(&group_label(b)))
        });
        groups
    }
}

pub(super) fn group_label(g: &RunGroup) -> String {
    g.values
        .iter()
        .map(|v| v.as_ref().map(FieldValue::display).unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\u{1f}")
}
