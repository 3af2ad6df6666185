//! Tokens into an [`Expr`], by recursive descent with `or` < `and` < `not` < tests.

use super::ast::{CmpOp, Column, Expr, Literal};
use super::lexer::{lex, Tok, Token};
use super::FilterError;

/// Parse filter text (syntax only; [`super::check`] does the types).
pub fn parse(input: &str) -> Result<Expr, FilterError> {
    let tokens = lex(input)?;
    if tokens.is_empty() {
        return Err(FilterError::at(0, input.len(), "the filter is empty"));
    }
    let mut p = Parser {
        tokens,
        pos: 0,
        len: input.len(),
        depth: 0,
        tests: 0,
    };
    let expr = p.or()?;
    if let Some(t) = p.peek() {
        let msg = match t.tok {
            Tok::RParen => "this `)` has no matching `(`".to_owned(),
            _ => format!(
                "expected `and`, `or` or the end, found {}",
                describe(&t.tok)
            ),
        };
        return Err(FilterError::at(t.start, t.end, msg));
    }
    Ok(expr)
}

/// Deepest nesting of parentheses and `not`s accepted, so no input overflows the stack.
const MAX_DEPTH: usize = 64;
/// Most tests (`a = 1`, `b IN (…)`, …) in one filter: each becomes a subquery.
pub const MAX_TESTS: usize = 100;
/// Most values in one `IN (…)` list (each is a bound parameter).
pub const MAX_LIST: usize = 1_000;

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    len: usize,
    depth: usize,
    /// Tests parsed so far (see [`MAX_TESTS`]).
    tests: usize,
}

fn describe(t: &Tok) -> String {
    match t {
        Tok::Word(w) => format!("`{w}`"),
        Tok::Quoted(w) => format!("`{w}`"),
        Tok::Str(s) => format!("the string \"{s}\""),
        Tok::Int(i) => format!("the number {i}"),
        Tok::Float(f) => format!("the number {f}"),
        Tok::Time(_) => "a timestamp".to_owned(),
        Tok::LParen => "`(`".to_owned(),
        Tok::RParen => "`)`".to_owned(),
        Tok::Comma => "`,`".to_owned(),
        Tok::Eq => "`=`".to_owned(),
        Tok::Ne => "`!=`".to_owned(),
        Tok::Lt => "`<`".to_owned(),
        Tok::Le => "`<=`".to_owned(),
        Tok::Gt => "`>`".to_owned(),
        Tok::Ge => "`>=`".to_owned(),
        Tok::Match => "`=~`".to_owned(),
    }
}

fn is_kw(t: &Tok, kw: &str) -> bool {
    matches!(t, Tok::Word(w) if w.eq_ignore_ascii_case(kw))
}

const KEYWORDS: [&str; 8] = ["and", "or", "not", "in", "is", "null", "true", "false"];

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn next(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn at_kw(&self, kw: &str) -> bool {
        self.peek().is_some_and(|t| is_kw(&t.tok, kw))
    }

    /// An error at the next token, or just past the end when there is none.
    fn expected(&self, what: &str) -> FilterError {
        match self.peek() {
            Some(t) => FilterError::at(
                t.start,
                t.end,
                format!("expected {what}, found {}", describe(&t.tok)),
            ),
            None => FilterError::at(
                self.len,
                self.len,
                format!("expected {what}, found the end"),
            ),
        }
    }

    fn or(&mut self) -> Result<Expr, FilterError> {
        let mut parts = vec![self.and()?];
        while self.at_kw("or") {
            self.pos += 1;
            parts.push(self.and()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Expr::Or(parts)
        })
    }

    fn and(&mut self) -> Result<Expr, FilterError> {
        let mut parts = vec![self.unary()?];
        while self.at_kw("and") {
            self.pos += 1;
            parts.push(self.unary()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Expr::And(parts)
        })
    }

    fn nested<T>(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<T, FilterError>,
    ) -> Result<T, FilterError> {
        if self.depth >= MAX_DEPTH {
            return Err(self.expected("less nesting (at most 64 levels)"));
        }
        self.depth += 1;
        let out = f(self);
        self.depth -= 1;
        out
    }

    fn unary(&mut self) -> Result<Expr, FilterError> {
        if self.at_kw("not") {
            self.pos += 1;
            return self.nested(|p| Ok(Expr::Not(Box::new(p.unary()?))));
        }
        if matches!(self.peek().map(|t| &t.tok), Some(Tok::LParen)) {
            let open = self.next().map(|t| t.start).unwrap_or(0);
            let inner = self.nested(|p| p.or())?;
            return match self.next() {
                Some(Token {
                    tok: Tok::RParen, ..
                }) => Ok(inner),
                Some(t) => Err(FilterError::at(
                    t.start,
                    t.end,
                    format!(
                        "expected `)` to close the `(` at {open}, found {}",
                        describe(&t.tok)
                    ),
                )),
                None => Err(FilterError::at(
                    open,
                    self.len,
                    "this `(` is never closed: add a `)`",
                )),
            };
        }
        self.test()
    }

    fn column(&mut self) -> Result<Column, FilterError> {
        let t = self
            .peek()
            .cloned()
            .ok_or_else(|| self.expected("a column"))?;
        let name = match &t.tok {
            Tok::Word(w) if KEYWORDS.iter().any(|k| w.eq_ignore_ascii_case(k)) => {
                return Err(self.expected("a column"))
            }
            Tok::Word(w) | Tok::Quoted(w) => w.clone(),
            _ => return Err(self.expected("a column")),
        };
        self.pos += 1;
        Column::from_name(&name).ok_or_else(|| {
            FilterError::at(
                t.start,
                t.end,
                format!(
                    "unknown column `{name}`: write config keys as config.{name} and summary \
                     metrics as summary.{name}; other columns are name, state, created, \
                     runtime, user, tags, notes, group, job_type, sweep and id"
                ),
            )
        })
    }

    fn literal(&mut self) -> Result<Literal, FilterError> {
        let t = self
            .peek()
            .cloned()
            .ok_or_else(|| self.expected("a value"))?;
        let lit = match &t.tok {
            Tok::Int(i) => Literal::Int(*i),
            Tok::Float(f) => Literal::Float(*f),
            Tok::Str(s) => Literal::Str(s.clone()),
            Tok::Time(ms) => Literal::Time(*ms),
            Tok::Word(w) if w.eq_ignore_ascii_case("null") => Literal::Null,
            Tok::Word(w) if w.eq_ignore_ascii_case("true") => Literal::Bool(true),
            Tok::Word(w) if w.eq_ignore_ascii_case("false") => Literal::Bool(false),
            Tok::Word(w) => {
                return Err(FilterError::at(
                    t.start,
                    t.end,
                    format!("expected a value, found `{w}`: put text in quotes, like \"{w}\""),
                ))
            }
            _ => return Err(self.expected("a value")),
        };
        self.pos += 1;
        Ok(lit)
    }

    fn test(&mut self) -> Result<Expr, FilterError> {
        let start = self.peek().map(|t| t.start).unwrap_or(self.len);
        self.tests += 1;
        if self.tests > MAX_TESTS {
            return Err(FilterError::at(
                start,
                self.len,
                format!("a filter may have at most {MAX_TESTS} conditions; this one has more"),
            ));
        }
        let expr = self.untyped_test()?;
        let end = self
            .tokens
            .get(self.pos.saturating_sub(1))
            .map(|t| t.end)
            .unwrap_or(self.len);
        super::check::test(&expr).map_err(|m| FilterError::at(start, end, m))?;
        Ok(expr)
    }

    fn untyped_test(&mut self) -> Result<Expr, FilterError> {
        let column = self.column()?;
        let op_tok = self
            .peek()
            .cloned()
            .ok_or_else(|| self.expected("an operator (= != < <= > >= =~ IN, NOT IN, IS NULL)"))?;
        let op = match op_tok.tok {
            Tok::Eq => Some(CmpOp::Eq),
            Tok::Ne => Some(CmpOp::Ne),
            Tok::Lt => Some(CmpOp::Lt),
            Tok::Le => Some(CmpOp::Le),
            Tok::Gt => Some(CmpOp::Gt),
            Tok::Ge => Some(CmpOp::Ge),
            _ => None,
        };
        if let Some(op) = op {
            self.pos += 1;
            let value = self.literal()?;
            return Ok(Expr::Cmp { column, op, value });
        }
        if op_tok.tok == Tok::Match {
            self.pos += 1;
            return match self.next() {
                Some(Token {
                    tok: Tok::Str(pattern),
                    ..
                }) => Ok(Expr::Match { column, pattern }),
                _ => {
                    self.pos -= 1;
                    Err(self.expected("a quoted regular expression after `=~`"))
                }
            };
        }
        if is_kw(&op_tok.tok, "is") {
            self.pos += 1;
            let negated = self.at_kw("not");
            if negated {
                self.pos += 1;
            }
            if !self.at_kw("null") {
                return Err(self.expected("`null` after `is`"));
            }
            self.pos += 1;
            return Ok(Expr::IsNull { column, negated });
        }
        let negated = is_kw(&op_tok.tok, "not");
        if negated {
            self.pos += 1;
            if !self.at_kw("in") {
                return Err(self.expected("`in` after `not`"));
            }
        }
        if self.at_kw("in") {
            self.pos += 1;
            if !matches!(self.peek().map(|t| &t.tok), Some(Tok::LParen)) {
                return Err(self.expected("`(` to start the list"));
            }
            self.pos += 1;
            let mut values = vec![self.literal()?];
            loop {
                match self.next() {
                    Some(Token {
                        tok: Tok::Comma, ..
                    }) if values.len() >= MAX_LIST => {
                        return Err(
                            self.expected(&format!("at most {MAX_LIST} values in one list"))
                        );
                    }
                    Some(Token {
                        tok: Tok::Comma, ..
                    }) => values.push(self.literal()?),
                    Some(Token {
                        tok: Tok::RParen, ..
                    }) => break,
                    _ => {
                        self.pos -= 1;
                        return Err(self.expected("`,` or `)` in the list"));
                    }
                }
            }
            return Ok(Expr::In {
                column,
                values,
                negated,
            });
        }
        Err(self.expected("an operator (= != < <= > >= =~ IN, NOT IN, IS NULL)"))
    }
}
