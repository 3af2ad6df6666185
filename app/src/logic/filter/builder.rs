//! The filter builder's model: nested groups of conditions, converted from an
//! expression and written back as filter text (the text stays the source of truth).

use super::ast::{Column, Expr};
use super::print::{column_text, literal_text};

#[derive(Clone, Debug, PartialEq)]
pub enum BuilderNode {
    /// Conditions joined by `or` (`any`) or `and`, optionally negated.
    Group {
        any: bool,
        negated: bool,
        children: Vec<BuilderNode>,
    },
    /// One test as the builder's three inputs show it. For `IN` the value is a comma
    /// separated list; for `IS NULL` it is ignored.
    Cond {
        column: String,
        op: String,
        value: String,
    },
}

impl BuilderNode {
    pub fn empty_group() -> Self {
        BuilderNode::Group {
            any: false,
            negated: false,
            children: vec![],
        }
    }

    pub fn new_cond() -> Self {
        BuilderNode::Cond {
            column: String::new(),
            op: "=".into(),
            value: String::new(),
        }
    }
}

/// The builder tree of an expression; the root is always a group.
pub fn to_builder(expr: Option<&Expr>) -> BuilderNode {
    match expr.map(node) {
        None => BuilderNode::empty_group(),
        Some(g @ BuilderNode::Group { .. }) => g,
        Some(c) => BuilderNode::Group {
            any: false,
            negated: false,
            children: vec![c],
        },
    }
}

fn node(e: &Expr) -> BuilderNode {
    match e {
        Expr::And(v) | Expr::Or(v) => BuilderNode::Group {
            any: matches!(e, Expr::Or(_)),
            negated: false,
            children: v.iter().map(node).collect(),
        },
        Expr::Not(inner) => match node(inner) {
            BuilderNode::Group {
                any,
                negated,
                children,
            } => BuilderNode::Group {
                any,
                negated: !negated,
                children,
            },
            c => BuilderNode::Group {
                any: false,
                negated: true,
                children: vec![c],
            },
        },
        Expr::Cmp { column, op, value } => cond(column, op.symbol(), literal_text(value)),
        Expr::In {
            column,
            values,
            negated,
        } => cond(
            column,
            if *negated { "NOT IN" } else { "IN" },
            values
                .iter()
                .map(literal_text)
                .collect::<Vec<_>>()
                .join(", "),
        ),
        Expr::Match { column, pattern } => cond(
            column,
            "=~",
            literal_text(&super::Literal::Str(pattern.clone())),
        ),
        Expr::IsNull { column, negated } => cond(
            column,
            if *negated { "IS NOT NULL" } else { "IS NULL" },
            String::new(),
        ),
    }
}

fn cond(column: &Column, op: &str, value: String) -> BuilderNode {
    BuilderNode::Cond {
        column: column.id(),
        op: op.to_owned(),
        value,
    }
}

/// Filter text for a builder tree. Incomplete conditions (no column) are left out;
/// bare words in values are quoted, so `adam` becomes `"adam"`.
pub fn builder_text(n: &BuilderNode) -> String {
    match n {
        BuilderNode::Cond { column, op, value } => {
            if column.trim().is_empty() {
                return String::new();
            }
            let col = match Column::from_name(column.trim()) {
                Some(c) => column_text(&c),
                None => column.trim().to_owned(),
            };
            match op.as_str() {
                "IS NULL" | "IS NOT NULL" => format!("{col} {op}"),
                "IN" | "NOT IN" => {
                    let items: Vec<String> =
                        split_list(value).iter().map(|v| value_text(v)).collect();
                    format!("{col} {op} ({})", items.join(", "))
                }
                _ => format!("{col} {op} {}", value_text(value)),
            }
        }
        BuilderNode::Group {
            any,
            negated,
            children,
        } => {
            let parts: Vec<String> = children
                .iter()
                .map(|c| {
                    let t = builder_text(c);
                    match c {
                        BuilderNode::Group {
                            children,
                            negated: false,
                            ..
                        } if children.len() > 1 => {
                            format!("({t})")
                        }
                        _ => t,
                    }
                })
                .filter(|t| !t.is_empty() && t != "()")
                .collect();
            let joined = parts.join(if *any { " or " } else { " and " });
            if *negated && !joined.is_empty() {
                format!("not ({joined})")
            } else {
                joined
            }
        }
    }
}

/// Split a list at commas outside quotes.
fn split_list(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for c in s.chars() {
        match quote {
            Some(_) if escaped => escaped = false,
            Some(_) if c == '\\' => escaped = true,
            Some(q) if c == q => quote = None,
            None if c == '"' || c == '\'' => quote = Some(c),
            None if c == ',' => {
                out.push(std::mem::take(&mut cur));
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    out.push(cur);
    out.into_iter()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

/// A typed value as a literal: quoted text stays, numbers, timestamps, `null`,
/// `true` and `false` stay bare, anything else is quoted.
pub fn value_text(v: &str) -> String {
    let v = v.trim();
    let quoted = v.len() >= 2
        && ((v.starts_with('"') && v.ends_with('"')) || (v.starts_with('\'') && v.ends_with('\'')));
    let bare = quoted
        || matches!(
            super::lexer::lex(v).as_deref(),
            Ok([super::lexer::Token {
                tok: super::lexer::Tok::Int(_)
                    | super::lexer::Tok::Float(_)
                    | super::lexer::Tok::Time(_),
                ..
            }])
        )
        || ["null", "true", "false"]
            .iter()
            .any(|k| v.eq_ignore_ascii_case(k));
    if bare {
        v.to_owned()
    } else {
        literal_text(&super::Literal::Str(v.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logic::filter::parse;

    #[test]
    fn text_to_builder_and_back() {
        for text in [
            "config.lr < 0.01 and config.opt = \"adam\"",
            "(state = \"failed\" or state = \"crashed\") and tags IN (\"a\", \"b\")",
            "not (config.x IS NULL) and name =~ \"^bert\"",
            "summary.loss >= 1.5 or `config.my key` NOT IN (1, 2)",
        ] {
            let e = parse(text).expect(text);
            let b = to_builder(Some(&e));
            let back = builder_text(&b);
            assert_eq!(parse(&back), Ok(e), "{text} → {back}");
        }
    }

    #[test]
    fn builder_quotes_bare_words_and_skips_blanks() {
        let b = BuilderNode::Group {
            any: true,
            negated: false,
            children: vec![
                BuilderNode::Cond {
                    column: "config.opt".into(),
                    op: "=".into(),
                    value: "adam".into(),
                },
                BuilderNode::Cond {
                    column: "config.lr".into(),
                    op: "<".into(),
                    value: "0.1".into(),
                },
                BuilderNode::Cond {
                    column: "tags".into(),
                    op: "IN".into(),
                    value: "a, \"b,c\", 3".into(),
                },
                BuilderNode::Cond {
                    column: "".into(),
                    op: "=".into(),
                    value: "x".into(),
                },
                BuilderNode::Group {
                    any: false,
                    negated: true,
                    children: vec![BuilderNode::Cond {
                        column: "group".into(),
                        op: "IS NULL".into(),
                        value: "".into(),
                    }],
                },
            ],
        };
        assert_eq!(
            builder_text(&b),
            "config.opt = \"adam\" or config.lr < 0.1 or tags IN (\"a\", \"b,c\", 3) or not (group IS NULL)"
        );
        assert_eq!(builder_text(&BuilderNode::empty_group()), "");
    }
}
