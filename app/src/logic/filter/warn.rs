//! Filters that parse but cannot do what they seem to: a test on a config or summary
//! key no run has, or a comparison of a numeric column with text. They would silently
//! match nothing; these warnings say why, next to syntax errors. Tests of missing
//! values (`IS NULL`) are exempt: asking for runs without a key is fine.

use super::ast::{Column, Expr, Literal};
use crate::model::{ColumnInfo, ColumnKind};

/// One readable warning per suspicious test, in filter order, without repeats.
pub fn warnings(expr: &Expr, columns: &[ColumnInfo]) -> Vec<String> {
    let mut out = Vec::new();
    walk(expr, columns, &mut out);
    out.dedup();
    out
}

fn walk(expr: &Expr, columns: &[ColumnInfo], out: &mut Vec<String>) {
    let mut push = |w: String| {
        if !out.contains(&w) {
            out.push(w);
        }
    };
    match expr {
        Expr::And(v) | Expr::Or(v) => v.iter().for_each(|e| walk(e, columns, out)),
        Expr::Not(e) => walk(e, columns, out),
        Expr::IsNull { .. } => {}
        Expr::Cmp { column, value, .. } => {
            if let Some(w) = unknown(column, columns) {
                push(w);
            } else if let Some(w) = mismatch(column, value, columns) {
                push(w);
            }
        }
        Expr::In { column, values, .. } => {
            if let Some(w) = unknown(column, columns) {
                push(w);
            } else if let Some(w) = values.iter().find_map(|v| mismatch(column, v, columns)) {
                push(w);
            }
        }
        Expr::Match { column, .. } => {
            if let Some(w) = unknown(column, columns) {
                push(w);
            }
        }
    }
}

/// A config or summary key that no run of the project has.
fn unknown(column: &Column, columns: &[ColumnInfo]) -> Option<String> {
    if matches!(column, Column::Builtin(_)) {
        return None;
    }
    let id = column.id();
    (!columns.iter().any(|c| c.id == id))
        .then(|| format!("no run has {id}, so this test matches nothing"))
}

/// Text compared with a column whose values are all numbers.
fn mismatch(column: &Column, value: &Literal, columns: &[ColumnInfo]) -> Option<String> {
    let id = column.id();
    let kind = columns.iter().find(|c| c.id == id)?.kind;
    match (kind, value) {
        (ColumnKind::Number, Literal::Str(s)) => Some(format!(
            "{id} holds numbers and \"{s}\" is text, so this test matches no number"
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logic::filter::parse;

    fn cols() -> Vec<ColumnInfo> {
        vec![
            ColumnInfo {
                id: "name".into(),
                kind: ColumnKind::Text,
            },
            ColumnInfo {
                id: "config.lr".into(),
                kind: ColumnKind::Number,
            },
            ColumnInfo {
                id: "config.opt".into(),
                kind: ColumnKind::Text,
            },
        ]
    }

    #[test]
    fn unknown_keys_and_text_for_numbers_are_named() {
        let w = warnings(
            &parse("config.lrr < 0.1 and config.lr = \"fast\"").unwrap(),
            &cols(),
        );
        assert_eq!(
            w,
            vec![
                "no run has config.lrr, so this test matches nothing".to_owned(),
                "config.lr holds numbers and \"fast\" is text, so this test matches no number"
                    .to_owned()
            ]
        );
        assert!(warnings(
            &parse("config.lr < 0.1 and config.opt = \"adam\" and name =~ \"a\"").unwrap(),
            &cols()
        )
        .is_empty());
        assert!(warnings(&parse("config.missing IS NULL").unwrap(), &cols()).is_empty());
        assert_eq!(
            warnings(&parse("config.x = 1 or config.x = 2").unwrap(), &cols()).len(),
            1
        );
    }
}
