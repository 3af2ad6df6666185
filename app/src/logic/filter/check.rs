//! Type rules: which values a column can be compared with, and valid regexes.

use super::ast::{Builtin, CmpOp, Column, Expr, Literal};
use super::FilterError;
use crate::model::RunState;

/// Check every test of an expression built without source text (for example by the
/// filter builder); errors point at the whole input.
pub fn check(expr: &Expr, input: &str) -> Result<(), FilterError> {
    match expr {
        Expr::And(v) | Expr::Or(v) => v.iter().try_for_each(|e| check(e, input)),
        Expr::Not(e) => check(e, input),
        test => self::test(test).map_err(|m| FilterError::at(0, input.len(), m)),
    }
}

/// Check one test (a comparison, list, match or null test).
pub(crate) fn test(expr: &Expr) -> Result<(), String> {
    match expr {
        Expr::Cmp { column, op, value } => compare(column, *op, value),
        Expr::In { column, values, .. } => values.iter().try_for_each(|v| {
            if *v == Literal::Null {
                Err("null cannot be in a list: use IS NULL or IS NOT NULL".to_owned())
            } else {
                compare(column, CmpOp::Eq, v)
            }
        }),
        Expr::Match { column, pattern } => {
            if let Column::Builtin(b) = column {
                if b.is_numeric() {
                    return Err(format!("{} is a number: `=~` matches text only", b.name()));
                }
            }
            regex::Regex::new(pattern)
                .map(|_| ())
                .map_err(|e| format!("invalid regular expression: {}", first_line(&e.to_string())))
        }
        Expr::IsNull { .. } => Ok(()),
        Expr::And(_) | Expr::Or(_) | Expr::Not(_) => Ok(()),
    }
}

fn first_line(s: &str) -> String {
    s.lines()
        .rev()
        .find(|l| l.trim_start().starts_with("error:"))
        .map(|l| l.trim().trim_start_matches("error:").trim().to_owned())
        .unwrap_or_else(|| s.lines().next().unwrap_or("").to_owned())
}

fn compare(column: &Column, op: CmpOp, value: &Literal) -> Result<(), String> {
    let ordering = !matches!(op, CmpOp::Eq | CmpOp::Ne);
    if *value == Literal::Null {
        return if ordering {
            Err(format!(
                "null can only be compared with = or != (`{}` needs a value)",
                op.symbol()
            ))
        } else {
            Ok(())
        };
    }
    if ordering && matches!(value, Literal::Bool(_)) {
        return Err("true and false can only be compared with = or !=".to_owned());
    }
    let Column::Builtin(b) = column else {
        return Ok(());
    };
    match b {
        Builtin::Created => match value {
            Literal::Time(_) | Literal::Int(_) | Literal::Float(_) => Ok(()),
            _ => Err(
                "created is a time: compare it with a timestamp like 2026-11-01 or \
                      2026-11-01T12:30:00Z"
                    .to_owned(),
            ),
        },
        Builtin::Runtime => match value {
            Literal::Int(_) | Literal::Float(_) => Ok(()),
            _ => Err("runtime is a number of seconds: compare it with a number".to_owned()),
        },
        Builtin::Tags if ordering => {
            Err("tags can be tested with =, !=, IN, NOT IN, =~ and IS NULL only".to_owned())
        }
        Builtin::State => match value {
            Literal::Str(s) if s.parse::<RunState>().is_ok() => Ok(()),
            Literal::Str(s) => Err(format!(
                "unknown state \"{s}\": states are {}",
                RunState::ALL.map(|s| s.as_str()).join(", ")
            )),
            _ => Err("state is text: compare it with a quoted state like \"finished\"".to_owned()),
        },
        _ => match value {
            Literal::Str(_) => Ok(()),
            _ => Err(format!("{} is text: put the value in quotes", b.name())),
        },
    }
}
