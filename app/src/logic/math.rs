//! LaTeX to MathML on the server (`pulldown-latex`), so a report's formulas read in
//! any current browser with no JavaScript library. A formula the parser cannot read
//! is shown as its source with the parser's message.

use pulldown_latex::config::DisplayMode;
use pulldown_latex::{push_mathml, Parser, RenderConfig, Storage};

use super::html::escape_text as escape;

/// A display formula as a `<math display="block">` element, or, when it cannot be
/// rendered, its source in a `<pre>` with the reason.
pub fn to_mathml(tex: &str) -> String {
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
        Ok(()) => out,
        Err(e) => format!(
            "<pre class=\"math-error\" title=\"{}\">{}</pre>",
            escape(&e.to_string()),
            escape(tex)
        ),
    }
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
    }

    #[test]
    fn broken_formulas_say_so_and_stay_escaped() {
        let m = to_mathml(r"\frac{<b>");
        assert!(!m.contains("<b>"), "{m}");
    }
}
