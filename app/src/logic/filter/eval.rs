//! Evaluating a filter in memory, with exactly the meaning the server's SQL has. The
//! server stores config and summary leaves through [`field_value`], so both sides see
//! the same typed values.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::cmp::Ordering;
use std::collections::BTreeMap;

use super::ast::{Builtin, CmpOp, Column, Expr, Literal};
use super::MAX_TEXT_BYTES;

/// A stored config or summary value: a finite number, or text (strings, booleans as
/// `true`/`false`, non-finite numbers as `NaN`/`Infinity`, lists and objects as JSON).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub enum FieldValue {
    Num(f64),
    Text(String),
}

impl FieldValue {
    /// What a table cell shows.
    pub fn display(&self) -> String {
        match self {
            FieldValue::Num(n) => crate::logic::format::number(*n),
            FieldValue::Text(t) => t.clone(),
        }
    }
}

/// How a JSON leaf is stored for filtering and sorting; `null` is no value.
pub fn field_value(v: &Value) -> Option<FieldValue> {
    match v {
        Value::Null => None,
        Value::Number(n) => match n.as_f64() {
            Some(f) if f.is_finite() => Some(FieldValue::Num(f)),
            _ => Some(FieldValue::Text(n.to_string())),
        },
        Value::String(s) => Some(FieldValue::Text(cut(s))),
        Value::Bool(b) => Some(FieldValue::Text(b.to_string())),
        other => Some(FieldValue::Text(cut(&other.to_string()))),
    }
}

fn cut(s: &str) -> String {
    if s.len() <= MAX_TEXT_BYTES {
        return s.to_owned();
    }
    let mut end = MAX_TEXT_BYTES;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_owned()
}

/// One run as the filter sees it.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
pub struct FilterRow {
    pub name: String,
    pub id: String,
    pub state: String,
    pub created_ms: i64,
    pub runtime_seconds: f64,
    pub user: String,
    pub tags: Vec<String>,
    pub notes: String,
    pub group: Option<String>,
    pub job_type: Option<String>,
    pub sweep: Option<String>,
    /// Config and summary leaves by column id (`config.lr`, `summary.loss`).
    pub fields: BTreeMap<String, FieldValue>,
}

impl FilterRow {
    /// The value of a single-valued column (tags are handled apart). Empty notes,
    /// group and job type count as no value.
    pub fn cell(&self, column: &Column) -> Option<FieldValue> {
        let text = |s: &str| Some(FieldValue::Text(s.to_owned()));
        let opt = |s: &Option<String>| s.as_deref().filter(|s| !s.is_empty()).and_then(text);
        match column {
            Column::Builtin(b) => match b {
                Builtin::Name => text(&self.name),
                Builtin::Id => text(&self.id),
                Builtin::State => text(&self.state),
                Builtin::Created => Some(FieldValue::Num(self.created_ms as f64)),
                Builtin::Runtime => Some(FieldValue::Num(self.runtime_seconds)),
                Builtin::User => text(&self.user),
                Builtin::Notes => opt(&Some(self.notes.clone())),
                Builtin::Group => opt(&self.group),
                Builtin::JobType => opt(&self.job_type),
                Builtin::Sweep => opt(&self.sweep),
                Builtin::Tags => self.tags.first().and_then(|t| text(t)),
            },
            other => self.fields.get(&other.id()).cloned(),
        }
    }
}

/// Whether the run passes the filter.
pub fn eval(expr: &Expr, row: &FilterRow) -> bool {
    match expr {
        Expr::And(parts) => parts.iter().all(|e| eval(e, row)),
        Expr::Or(parts) => parts.iter().any(|e| eval(e, row)),
        Expr::Not(e) => !eval(e, row),
        Expr::Cmp { column, op, value } => match op {
            CmpOp::Eq => equals(row, column, value),
            CmpOp::Ne => !equals(row, column, value),
            ordering => cells(row, column)
                .iter()
                .any(|c| order(c, value).is_some_and(|o| holds(*ordering, o))),
        },
        Expr::In {
            column,
            values,
            negated,
        } => values.iter().any(|v| equals(row, column, v)) != *negated,
        Expr::Match { column, pattern } => match regex::Regex::new(pattern) {
            Ok(re) => cells(row, column)
                .iter()
                .any(|c| matches!(c, FieldValue::Text(t) if re.is_match(t))),
            Err(_) => false,
        },
        Expr::IsNull { column, negated } => cells(row, column).is_empty() != *negated,
    }
}

/// Every value of a column: the tags, or the one value if there is one.
fn cells(row: &FilterRow, column: &Column) -> Vec<FieldValue> {
    match column {
        Column::Builtin(Builtin::Tags) => row
            .tags
            .iter()
            .map(|t| FieldValue::Text(t.clone()))
            .collect(),
        other => row.cell(other).into_iter().collect(),
    }
}

fn equals(row: &FilterRow, column: &Column, value: &Literal) -> bool {
    let cells = cells(row, column);
    if *value == Literal::Null {
        return cells.is_empty();
    }
    cells
        .iter()
        .any(|c| order(c, value) == Some(Ordering::Equal))
}

/// How a stored value orders against a literal; `None` when their types differ.
fn order(cell: &FieldValue, value: &Literal) -> Option<Ordering> {
    match cell {
        FieldValue::Num(n) => n.partial_cmp(&value.as_number()?),
        FieldValue::Text(t) => Some(t.as_bytes().cmp(value.as_text()?.as_bytes())),
    }
}

fn holds(op: CmpOp, o: Ordering) -> bool {
    match op {
        CmpOp::Eq => o == Ordering::Equal,
        CmpOp::Ne => o != Ordering::Equal,
        CmpOp::Lt => o == Ordering::Less,
        CmpOp::Le => o != Ordering::Greater,
        CmpOp::Gt => o == Ordering::Greater,
        CmpOp::Ge => o != Ordering::Less,
    }
}
