//! The runs filter language, shared by the browser (instant error underlining) and the
//! server (the authority, which compiles the same AST to SQL).
//!
//! ```text
//! expr    := or
//! or      := and ("or" and)*
//! and     := unary ("and" unary)*
//! unary   := "not" unary | "(" expr ")" | test
//! test    := column ( op value | "=~" string | ["not"] "in" "(" value ("," value)* ")"
//!                   | "is" ["not"] "null" )
//! op      := "=" | "!=" | "<" | "<=" | ">" | ">="
//! value   := integer | float | "string" | timestamp | true | false | null
//! column  := plain name (config.lr, summary.val/loss, state, tags) | `back-quoted name`
//! ```
//!
//! Keywords are case-insensitive. Strings use double or single quotes with backslash
//! escapes; timestamps are written bare (`2026-11-01`, `2026-11-01T12:30:00Z`) and mean
//! Unix milliseconds. Every error carries the byte range it is about; type errors (a
//! number compared with `state`, an invalid regular expression) are found while parsing.
//!
//! Meaning (the same in [`eval`] and in the server's SQL): a run without a value for a
//! column fails every comparison except `!=`, `NOT IN` and `IS NULL`, because `!=` is
//! exactly `not =`. Numbers compare with numbers and text with text (byte order); a
//! number never equals a string. `tags = "x"` means "has the tag x".

mod ast;
mod builder;
mod check;
mod complete;
mod eval;
mod lexer;
mod parser;
mod print;
mod warn;

pub use ast::{Builtin, CmpOp, Column, Expr, Literal};
pub use builder::{builder_text, to_builder, value_text, BuilderNode};
pub use check::check;
pub use complete::{completion_at, Completion, Suggest, OPERATORS};
pub use eval::{eval, field_value, FieldValue, FilterRow};
pub use parser::parse;
pub use print::{column_text, literal_text, print, time_text};
pub use warn::warnings;

use serde::{Deserialize, Serialize};
use std::fmt;

/// A syntax or type error, with the byte range of the input it points at.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct FilterError {
    pub start: usize,
    pub end: usize,
    pub message: String,
}

impl FilterError {
    pub(crate) fn at(start: usize, end: usize, message: impl Into<String>) -> Self {
        FilterError {
            start,
            end: end.max(start),
            message: message.into(),
        }
    }
}

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at {}: {}", self.start, self.message)
    }
}

impl std::error::Error for FilterError {}

/// Parse and type-check a filter. Blank input means "every run" (`None`).
pub fn parse_filter(input: &str) -> Result<Option<Expr>, FilterError> {
    if input.trim().is_empty() {
        return Ok(None);
    }
    parse(input).map(Some)
}

/// The longest text value filters and sorting see; longer values are cut (at a
/// character boundary) so database indexes stay within their key size limits.
pub const MAX_TEXT_BYTES: usize = 512;

#[cfg(test)]
mod tests;
