//! LaTeX to MathML on the server (`pulldown-latex`), so a report's formulas read in
//! any current browser with no JavaScript library. A formula the parser cannot read
//! is shown as its source with the parser's message.

use pulldown_latex::config::DisplayMode;
use pulldown_latex::{push_mathml, Parser, RenderConfig, Storage};

use super::html::escape_text as escape;

/// A display formula as a `<math display="block">` element, or, when it cannot be
/// rendered, its source in a `<pre>` with the reason.
pub fn to_mathml(tex: &str) -> String {
    // The parser (0.7) panics on a backslash before a character outside ASCII; no
    // command is named so, so the backslash is dropped there.
    let mut cleaned = String::with_capacity(tex.len());
    let mut chars = tex.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' && chars.peek().is_some_and(|n| !n.is_ascii()) {
            continue;
        }
        cleaned.push(c);
    }
    // And in case another input finds another panic: a formula must never take
    // the page down with it.
    std::panic::catch_unwind(|| render(&cleaned)).unwrap_or_else(|_| {
        format!(
            "<pre class=\"math-error\" title=\"this formula could not be read\">{}</pre>",
            escape(tex)
        )
    })
}

fn render(tex: &str) -> String {
    let storage = Storage::new();
    let parser = Parser::new(tex, &storage);
    let config = RenderConfig {
        display_mode: DisplayMode::Block,
        // No annotation: the source is not repeated inside the markup.
        annotation: None,
        ..RenderConfig::default()
    };
    let mut out = String::new();
    match push_mathml(&mut out, parser, config) {
        Ok(()) => only_mathml(&out),
        Err(e) => format!(
            "<pre class=\"math-error\" title=\"{}\">{}</pre>",
            escape(&e.to_string()),
            escape(tex)
        ),
    }
}

/// The renderer writes what the formula says into its output as it is (`x < y`
/// gives `<mo><</mo>`, `\text{<b>}` gives `<mtext><b></mtext>`, error messages
/// quote the source). So its output is read again: a `<` stays markup only where it
/// opens a MathML element with MathML attributes; every other `<` becomes `&lt;`.
fn only_mathml(rendered: &str) -> String {
    const ELEMENTS: &[&str] = &[
        "math",
        "mi",
        "mn",
        "mo",
        "ms",
        "mtext",
        "mrow",
        "mfrac",
        "msqrt",
        "mroot",
        "msub",
        "msup",
        "msubsup",
        "munder",
        "mover",
        "munderover",
        "mtable",
        "mtr",
        "mtd",
        "mspace",
        "mpadded",
        "mphantom",
        "mstyle",
        "merror",
        "menclose",
        "mmultiscripts",
        "mprescripts",
        "none",
        "semantics",
        "annotation",
        "mlabeledtr",
    ];
    const ATTRIBUTES: &[&str] = &[
        "display",
        "mathvariant",
        "stretchy",
        "fence",
        "separator",
        "lspace",
        "rspace",
        "minsize",
        "maxsize",
        "movablelimits",
        "accent",
        "accentunder",
        "linethickness",
        "columnalign",
        "rowalign",
        "rowspacing",
        "columnspacing",
        "columnlines",
        "rowlines",
        "frame",
        "framespacing",
        "displaystyle",
        "scriptlevel",
        "style",
        "mathcolor",
        "mathbackground",
        "width",
        "height",
        "depth",
        "voffset",
        "notation",
        "encoding",
        "xmlns",
        "largeop",
        "symmetric",
        "form",
        "class",
        "align",
        "columnspan",
        "rowspan",
    ];
    /// The length of a MathML tag at the start of `s`, if it is one.
    fn tag_len(s: &str) -> Option<usize> {
        let b = s.as_bytes();
        let mut i = 1;
        if b.get(i) == Some(&b'/') {
            i += 1;
        }
        let name_start = i;
        while b.get(i).is_some_and(u8::is_ascii_alphabetic) {
            i += 1;
        }
        if !ELEMENTS.contains(&&s[name_start..i]) {
            return None;
        }
        loop {
            while b.get(i) == Some(&b' ') {
                i += 1;
            }
            match b.get(i)? {
                b'>' => return Some(i + 1),
                b'/' if b.get(i + 1) == Some(&b'>') => return Some(i + 2),
                _ => {
                    let a = i;
                    while b
                        .get(i)
                        .is_some_and(|c| c.is_ascii_alphabetic() || *c == b'-')
                    {
                        i += 1;
                    }
                    if !ATTRIBUTES.contains(&&s[a..i])
                        || b.get(i) != Some(&b'=')
                        || b.get(i + 1) != Some(&b'"')
                    {
                        return None;
                    }
                    i += 2;
                    while *b.get(i)? != b'"' {
                        if matches!(b[i], b'<' | b'>') {
                            return None;
                        }
                        i += 1;
                    }
                    i += 1;
                }
            }
        }
    }
    let mut out = String::with_capacity(rendered.len() + 16);
    let mut rest = rendered;
    while let Some(at) = rest.find('<') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        match tag_len(rest) {
            Some(n) => {
                out.push_str(&rest[..n]);
                rest = &rest[n..];
            }
            None => {
                out.push_str("&lt;");
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_mathml() {
        let m = to_mathml(r"\frac{a}{b} + \sqrt{x^2}");
        assert!(m.starts_with("<math"), "{m}");
        assert!(m.contains("<mfrac>") && m.contains("<msqrt>"), "{m}");
    }

    #[test]
    fn text_in_a_formula_is_escaped() {
        let m = to_mathml(r"\text{<script>alert(1)</script>} & x");
        assert!(!m.contains("<script"), "{m}");
        let m = to_mathml(r#"\text{<mi onclick="alert(1)">x} < y"#);
        assert!(!m.contains("<mi onclick"), "{m}");
        assert!(m.contains("<mo>&lt;</mo>"), "{m}");
        let m = to_mathml(r"\operatorname{<img src=x onerror=alert(1)>}");
        assert!(!m.contains("<img"), "{m}");
    }

    #[test]
    fn broken_formulas_say_so_and_stay_escaped() {
        let m = to_mathml(r"\frac{<b>");
        assert!(!m.contains("<b>"), "{m}");
    }

    proptest::proptest! {
        #[test]
        fn no_formula_makes_markup_other_than_mathml(tex in "[\\\\a-z{}<>\"=& ^_]{0,40}|\\PC{0,40}") {
            let m = to_mathml(&tex);
            for (at, _) in m.match_indices('<') {
                let rest = &m[at..];
                proptest::prop_assert!(
                    rest.starts_with("<m") || rest.starts_with("</m") || rest.starts_with("<pre") || rest.starts_with("</pre")
                        || rest.starts_with("<none") || rest.starts_with("<semantics") || rest.starts_with("</semantics"),
                    "{tex:?} gave {m}"
                );
                proptest::prop_assert!(!rest.split('>').next().unwrap_or("").contains(" on"), "{tex:?} gave {m}");
            }
        }
    }
}
