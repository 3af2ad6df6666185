//! An [`Expr`] back to filter text that parses to the same expression.

use super::ast::{Column, Expr, Literal};
use super::lexer::{is_word_char, is_word_start};

/// Canonical text for an expression (what the builder writes into the text box).
pub fn print(expr: &Expr) -> String {
    let mut out = String::new();
    write_expr(expr, &mut out);
    out
}

fn write_expr(expr: &Expr, out: &mut String) {
    match expr {
        Expr::And(parts) => join(parts, " and ", out, |e| {
            matches!(e, Expr::And(_) | Expr::Or(_))
        }),
        Expr::Or(parts) => join(parts, " or ", out, |e| matches!(e, Expr::Or(_))),
        Expr::Not(inner) => {
            out.push_str("not ");
            wrap(inner, out, matches!(**inner, Expr::And(_) | Expr::Or(_)));
        }
        Expr::Cmp { column, op, value } => {
            out.push_str(&column_text(column));
            out.push(' ');
            out.push_str(op.symbol());
            out.push(' ');
            out.push_str(&literal_text(value));
        }
        Expr::In {
            column,
            values,
            negated,
        } => {
            out.push_str(&column_text(column));
            out.push_str(if *negated { " NOT IN (" } else { " IN (" });
            let vals: Vec<String> = values.iter().map(literal_text).collect();
            out.push_str(&vals.join(", "));
            out.push(')');
        }
        Expr::Match { column, pattern } => {
            out.push_str(&column_text(column));
            out.push_str(" =~ ");
            out.push_str(&quote(pattern, '"'));
        }
        Expr::IsNull { column, negated } => {
            out.push_str(&column_text(column));
            out.push_str(if *negated { " IS NOT NULL" } else { " IS NULL" });
        }
    }
}

fn join(parts: &[Expr], sep: &str, out: &mut String, needs_parens: impl Fn(&Expr) -> bool) {
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            out.push_str(sep);
        }
        wrap(p, out, needs_parens(p));
    }
}

fn wrap(e: &Expr, out: &mut String, parens: bool) {
    if parens {
        out.push('(');
    }
    write_expr(e, out);
    if parens {
        out.push(')');
    }
}

const KEYWORDS: [&str; 8] = ["and", "or", "not", "in", "is", "null", "true", "false"];

/// A column as written: plain when that reads back the same, else in backticks.
pub fn column_text(column: &Column) -> String {
    let id = column.id();
    let mut chars = id.chars();
    let plain = chars.next().is_some_and(is_word_start)
        && chars.all(is_word_char)
        && !KEYWORDS.iter().any(|k| id.eq_ignore_ascii_case(k))
        && Column::from_name(&id).as_ref() == Some(column);
    if plain {
        id
    } else {
        quote(&id, '`')
    }
}

fn quote(s: &str, q: char) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push(q);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c == q => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out.push(q);
    out
}

/// A literal as written in a filter.
pub fn literal_text(value: &Literal) -> String {
    match value {
        Literal::Int(i) => i.to_string(),
        Literal::Float(f) => format!("{f:?}"),
        Literal::Str(s) => quote(s, '"'),
        Literal::Time(ms) => time_text(*ms),
        Literal::Bool(b) => b.to_string(),
        Literal::Null => "null".to_owned(),
    }
}

/// Unix milliseconds as `YYYY-MM-DDTHH:MM:SS[.mmm]Z`.
pub fn time_text(ms: i64) -> String {
    let days = ms.div_euclid(86_400_000);
    let in_day = ms.rem_euclid(86_400_000);
    let (y, m, d) = civil_from_days(days);
    let (h, min, s, milli) = (
        in_day / 3_600_000,
        in_day / 60_000 % 60,
        in_day / 1000 % 60,
        in_day % 1000,
    );
    if milli == 0 {
        format!("{y:04}-{m:02}-{d:02}T{h:02}:{min:02}:{s:02}Z")
    } else {
        format!("{y:04}-{m:02}-{d:02}T{h:02}:{min:02}:{s:02}.{milli:03}Z")
    }
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}
