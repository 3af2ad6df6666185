//! What to suggest while a filter is being typed: columns, operators, existing values
//! or `and`/`or`, and which part of the text a chosen suggestion replaces.

use super::lexer::{is_word_char, lex, Tok};

/// The kind of suggestions that fit at the cursor.
#[derive(Clone, Debug, PartialEq)]
pub enum Suggest {
    Columns,
    Operators,
    /// Existing values of this column (its id as typed).
    Values(String),
    Connectives,
    /// After `is`: `null` or `not null`.
    NullTests,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Completion {
    pub suggest: Suggest,
    /// What has been typed of the current word (without an opening quote).
    pub prefix: String,
    /// Byte offset where the replacement starts (the current word, quote included).
    pub start: usize,
}

/// The operators offered after a column.
pub const OPERATORS: [&str; 11] = [
    "=",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "=~",
    "IN (",
    "NOT IN (",
    "IS NULL",
    "IS NOT NULL",
];

/// Suggestions for the cursor at byte `cursor` of `text`; `None` where nothing fits
/// (inside a broken token, say).
pub fn completion_at(text: &str, cursor: usize) -> Option<Completion> {
    let cursor = cursor.min(text.len());
    if !text.is_char_boundary(cursor) {
        return None;
    }
    let before = &text[..cursor];
    // Inside an unfinished string: the word starts at its quote.
    let (start, prefix) = match open_quote(before) {
        Some(q) => (q, before[q + 1..].to_owned()),
        None => {
            let start = before
                .char_indices()
                .rev()
                .take_while(|(_, c)| is_word_char(*c))
                .last()
                .map(|(i, _)| i)
                .unwrap_or(cursor);
            (start, before[start..].to_owned())
        }
    };
    let tokens = lex(&before[..start]).ok()?;
    let kw = |t: &Tok, k: &str| matches!(t, Tok::Word(w) if w.eq_ignore_ascii_case(k));
    let is_keyword = |t: &Tok| {
        ["and", "or", "not", "in", "is", "null", "true", "false"]
            .iter()
            .any(|k| kw(t, k))
    };
    let column_name = |t: Option<&Tok>| match t {
        Some(Tok::Word(w)) | Some(Tok::Quoted(w)) => Some(w.clone()),
        _ => None,
    };
    let n = tokens.len();
    let last = tokens.last().map(|t| &t.tok);
    let suggest = match last {
        None | Some(Tok::LParen) if !in_list(&tokens) => Suggest::Columns,
        Some(t) if kw(t, "and") || kw(t, "or") || kw(t, "not") => {
            // `not` after a column starts `NOT IN`.
            if kw(t, "not")
                && n >= 2
                && !is_keyword(&tokens[n - 2].tok)
                && column_name(Some(&tokens[n - 2].tok)).is_some()
            {
                Suggest::Operators
            } else {
                Suggest::Columns
            }
        }
        Some(t) if kw(t, "is") => Suggest::NullTests,
        Some(Tok::Eq | Tok::Ne | Tok::Lt | Tok::Le | Tok::Gt | Tok::Ge | Tok::Match) => {
            Suggest::Values(column_name(tokens.get(n.wrapping_sub(2)).map(|t| &t.tok))?)
        }
        Some(Tok::LParen | Tok::Comma) => Suggest::Values(list_column(&tokens)?),
        Some(t @ (Tok::Word(_) | Tok::Quoted(_))) if !is_keyword(t) => Suggest::Operators,
        _ => Suggest::Connectives,
    };
    // Right after a finished value, wait for a space before offering `and`/`or`.
    if suggest == Suggest::Connectives
        && prefix.is_empty()
        && !before.ends_with(char::is_whitespace)
    {
        return None;
    }
    Some(Completion {
        suggest,
        prefix,
        start,
    })
}

/// Byte offset of the quote of a string left open at the end of `s`, if any.
fn open_quote(s: &str) -> Option<usize> {
    let mut open: Option<(usize, char)> = None;
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        match open {
            Some(_) if escaped => escaped = false,
            Some(_) if c == '\\' => escaped = true,
            Some((_, q)) if c == q => open = None,
            Some(_) => {}
            None if c == '"' || c == '\'' => open = Some((i, c)),
            None => {}
        }
    }
    open.map(|(i, _)| i)
}

/// Whether the tokens end inside an `IN (` list.
fn in_list(tokens: &[super::lexer::Token]) -> bool {
    list_column(tokens).is_some()
}

/// The column of the `IN (…` list the tokens end in.
fn list_column(tokens: &[super::lexer::Token]) -> Option<String> {
    let open = tokens.iter().rposition(|t| t.tok == Tok::LParen)?;
    if tokens[open..].iter().any(|t| t.tok == Tok::RParen) {
        return None;
    }
    let kw_in = open.checked_sub(1)?;
    if !matches!(&tokens[kw_in].tok, Tok::Word(w) if w.eq_ignore_ascii_case("in")) {
        return None;
    }
    let mut col = kw_in.checked_sub(1)?;
    if matches!(&tokens[col].tok, Tok::Word(w) if w.eq_ignore_ascii_case("not")) {
        col = col.checked_sub(1)?;
    }
    match &tokens[col].tok {
        Tok::Word(w) | Tok::Quoted(w) => Some(w.clone()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at_end(text: &str) -> Completion {
        completion_at(text, text.len()).expect(text)
    }

    #[test]
    fn suggests_by_position() {
        assert_eq!(at_end("").suggest, Suggest::Columns);
        assert_eq!(
            at_end("conf"),
            Completion {
                suggest: Suggest::Columns,
                prefix: "conf".into(),
                start: 0
            }
        );
        assert_eq!(at_end("config.lr ").suggest, Suggest::Operators);
        assert_eq!(at_end("config.lr > 1 and ").suggest, Suggest::Columns);
        assert_eq!(at_end("config.lr > 1 ").suggest, Suggest::Connectives);
        assert_eq!(completion_at("config.opt = \"adam\"", 19), None);
        assert_eq!(
            at_end("config.opt = ").suggest,
            Suggest::Values("config.opt".into())
        );
        assert_eq!(
            at_end("config.opt = \"ad"),
            Completion {
                suggest: Suggest::Values("config.opt".into()),
                prefix: "ad".into(),
                start: 13
            }
        );
        assert_eq!(
            at_end("tags IN (\"a\", ").suggest,
            Suggest::Values("tags".into())
        );
        assert_eq!(
            at_end("tags NOT IN (").suggest,
            Suggest::Values("tags".into())
        );
        assert_eq!(at_end("state not ").suggest, Suggest::Operators);
        assert_eq!(at_end("not ").suggest, Suggest::Columns);
        assert_eq!(at_end("(").suggest, Suggest::Columns);
        assert_eq!(at_end("group is ").suggest, Suggest::NullTests);
        assert_eq!(at_end("`config.my key` ").suggest, Suggest::Operators);
        assert_eq!(at_end("summary.val/lo").prefix, "summary.val/lo");
    }

    #[test]
    fn odd_positions_do_not_panic() {
        let text = "config.é = \"x";
        for i in 0..=text.len() + 2 {
            let _ = completion_at(text, i);
        }
        assert_eq!(completion_at("config.x ! ", 11), None);
    }
}
