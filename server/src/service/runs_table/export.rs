//! Every matching run as CSV.

use super::*;

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
pub(super) fn cell_text(r: &RunRow, c: &Column) -> String {
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
            Builtin::Sweep => r.sweep.clone().unwrap_or_default(),
        },
        other => match r.values.get(&other.id()) {
            Some(FieldValue::Num(n)) => n.to_string(),
            Some(FieldValue::Text(t)) => t.clone(),
            None => String::new(),
        },
    }
}
