//! Filter text into tokens with byte spans.

use super::FilterError;

#[derive(Clone, Debug, PartialEq)]
pub enum Tok {
    /// A bare word: a keyword or a plain column name.
    Word(String),
    /// A back-quoted column name.
    Quoted(String),
    Str(String),
    Int(i64),
    Float(f64),
    Time(i64),
    LParen,
    RParen,
    Comma,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Match,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Token {
    pub tok: Tok,
    pub start: usize,
    pub end: usize,
}

/// Characters a plain column name may contain after its first one.
pub fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '.' | '/' | '-' | ':')
}

pub fn is_word_start(c: char) -> bool {
    c.is_alphabetic() || c == '_'
}

pub fn lex(input: &str) -> Result<Vec<Token>, FilterError> {
    let mut out = Vec::new();
    let chars: Vec<(usize, char)> = input.char_indices().collect();
    let end_of = |i: usize| chars.get(i).map(|c| c.0).unwrap_or(input.len());
    let mut i = 0;
    while i < chars.len() {
        let (start, c) = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let single = |tok: Tok| Token {
            tok,
            start,
            end: start + c.len_utf8(),
        };
        let next = chars.get(i + 1).map(|c| c.1);
        match c {
            '(' => {
                out.push(single(Tok::LParen));
                i += 1;
            }
            ')' => {
                out.push(single(Tok::RParen));
                i += 1;
            }
            ',' => {
                out.push(single(Tok::Comma));
                i += 1;
            }
            '=' | '!' | '<' | '>' => {
                let (tok, len) = match (c, next) {
                    ('=', Some('~')) => (Tok::Match, 2),
                    ('=', Some('=')) => (Tok::Eq, 2),
                    ('=', _) => (Tok::Eq, 1),
                    ('!', Some('=')) => (Tok::Ne, 2),
                    ('<', Some('=')) => (Tok::Le, 2),
                    ('<', Some('>')) => (Tok::Ne, 2),
                    ('<', _) => (Tok::Lt, 1),
                    ('>', Some('=')) => (Tok::Ge, 2),
                    ('>', _) => (Tok::Gt, 1),
                    _ => {
                        return Err(FilterError::at(
                            start,
                            start + 1,
                            "`!` must be followed by `=` (use `not` to negate)",
                        ))
                    }
                };
                out.push(Token {
                    tok,
                    start,
                    end: start + len,
                });
                i += len;
            }
            '"' | '\'' | '`' => {
                let (text, j) = quoted(input, &chars, i)?;
                let tok = if c == '`' {
                    Tok::Quoted(text)
                } else {
                    Tok::Str(text)
                };
                out.push(Token {
                    tok,
                    start,
                    end: end_of(j),
                });
                i = j;
            }
            c if c.is_ascii_digit() || (c == '-' && next.is_some_and(|n| n.is_ascii_digit())) => {
                let mut j = i + 1;
                while j < chars.len()
                    && (chars[j].1.is_ascii_alphanumeric()
                        || matches!(chars[j].1, '.' | ':' | '-' | '+'))
                {
                    // A sign is part of a number only right after an exponent marker
                    // or inside a timestamp.
                    if matches!(chars[j].1, '-' | '+') {
                        let prev = chars[j - 1].1;
                        let is_time = looks_like_date(&input[start..end_of(j + 1)]);
                        if !(prev == 'e' || prev == 'E' || is_time) {
                            break;
                        }
                    }
                    j += 1;
                }
                let text = &input[start..end_of(j)];
                out.push(Token {
                    tok: number_or_time(text, start)?,
                    start,
                    end: end_of(j),
                });
                i = j;
            }
            c if is_word_start(c) => {
                let mut j = i + 1;
                while j < chars.len() && is_word_char(chars[j].1) {
                    j += 1;
                }
                out.push(Token {
                    tok: Tok::Word(input[start..end_of(j)].to_owned()),
                    start,
                    end: end_of(j),
                });
                i = j;
            }
            other => {
                return Err(FilterError::at(
                    start,
                    start + other.len_utf8(),
                    format!("unexpected character `{other}`"),
                ))
            }
        }
    }
    Ok(out)
}

/// Text between quotes starting at `chars[i]`, with `\` escaping the next character.
/// Returns the text and the index just past the closing quote.
fn quoted(input: &str, chars: &[(usize, char)], i: usize) -> Result<(String, usize), FilterError> {
    let (start, q) = chars[i];
    let mut text = String::new();
    let mut j = i + 1;
    while j < chars.len() {
        match chars[j].1 {
            '\\' if j + 1 < chars.len() => {
                text.push(match chars[j + 1].1 {
                    'n' => '\n',
                    't' => '\t',
                    other => other,
                });
                j += 2;
            }
            c if c == q => return Ok((text, j + 1)),
            c => {
                text.push(c);
                j += 1;
            }
        }
    }
    let what = if q == '`' { "column name" } else { "string" };
    Err(FilterError::at(
        start,
        input.len(),
        format!("unterminated {what}: add the closing {q}"),
    ))
}

fn looks_like_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 5 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-'
}

fn number_or_time(text: &str, start: usize) -> Result<Tok, FilterError> {
    let err = |msg: String| FilterError::at(start, start + text.len(), msg);
    if looks_like_date(text) {
        return parse_time(text).map(Tok::Time).ok_or_else(|| {
            err(format!(
                "`{text}` is not a timestamp like 2026-11-01 or 2026-11-01T12:30:00Z"
            ))
        });
    }
    let is_float = text.contains(['.', 'e', 'E']);
    if !is_float {
        if let Ok(i) = text.parse::<i64>() {
            return Ok(Tok::Int(i));
        }
    }
    match text.parse::<f64>() {
        Ok(f) if f.is_finite() => Ok(Tok::Float(f)),
        _ => Err(err(format!("`{text}` is not a number"))),
    }
}

/// `YYYY-MM-DD[THH:MM[:SS[.fff]]][Z|±HH:MM]` as Unix milliseconds (UTC when no zone).
pub fn parse_time(text: &str) -> Option<i64> {
    let (date, rest) = text.split_at(text.len().min(10));
    let mut d = date.split('-');
    let year: i64 = d.next()?.parse().ok()?;
    let month: u32 = d.next().filter(|s| s.len() == 2)?.parse().ok()?;
    let day: u32 = d.next().filter(|s| s.len() == 2)?.parse().ok()?;
    if d.next().is_some()
        || !(1..=12).contains(&month)
        || day == 0
        || day > days_in_month(year, month)
    {
        return None;
    }
    let mut ms = days_from_civil(year, month, day) * 86_400_000;
    if rest.is_empty() {
        return Some(ms);
    }
    let rest = rest.strip_prefix(['T', 't'])?;
    let (clock, offset_ms) = if let Some(c) = rest.strip_suffix(['Z', 'z']) {
        (c, 0)
    } else if rest.len() > 6 && matches!(rest.as_bytes()[rest.len() - 6], b'+' | b'-') {
        let (c, off) = rest.split_at(rest.len() - 6);
        let sign = if off.starts_with('-') { -1 } else { 1 };
        let (h, m) = off[1..].split_once(':')?;
        let (h, m): (i64, i64) = (h.parse().ok()?, m.parse().ok()?);
        if h > 23 || m > 59 {
            return None;
        }
        (c, sign * (h * 60 + m) * 60_000)
    } else {
        (rest, 0)
    };
    let mut parts = clock.split(':');
    let h: i64 = parts.next().filter(|s| s.len() == 2)?.parse().ok()?;
    let m: i64 = parts.next().filter(|s| s.len() == 2)?.parse().ok()?;
    let (s, frac_ms) = match parts.next() {
        None => (0, 0),
        Some(sec) => {
            let (whole, frac) = sec.split_once('.').unwrap_or((sec, ""));
            if whole.len() != 2 || frac.len() > 9 || !frac.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let frac_ms = format!("{frac:0<3}")[..3].parse::<i64>().ok()?;
            (whole.parse::<i64>().ok()?, frac_ms)
        }
    };
    if parts.next().is_some() || h > 23 || m > 59 || s > 59 {
        return None;
    }
    ms += ((h * 60 + m) * 60 + s) * 1000 + frac_ms - offset_ms;
    Some(ms)
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}
