//! Charts as SVG text, drawn on the server by the same `draw_plot` the browser's
//! canvas uses, for pages that must read without JavaScript (reports, their HTML
//! export). The light theme; sized in CSS pixels, scaled by the page's CSS.

use plotters::prelude::{IntoDrawingArea, SVGBackend};

use super::plot::{draw_plot, AxisView, Marks};
use crate::logic::html::escape_text;

/// The chart as one `<svg>` element of `width` × `height`, labelled for screen
/// readers with `label`.
pub fn to_svg(
    width: u32,
    height: u32,
    x: &AxisView,
    y: &AxisView,
    marks: Marks<'_>,
    label: &str,
) -> String {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        // Drawing into a string cannot fail but for bad sizes; a chart that could
        // not be drawn is left empty rather than failing the page.
        let _ = draw_plot(&root, x, y, marks, 1.0);
    }
    match svg.find("<svg ") {
        Some(at) => {
            let mut out = String::with_capacity(svg.len() + label.len() + 40);
            out.push_str(&svg[..at + 5]);
            out.push_str(&format!(
                "role=\"img\" aria-label=\"{}\" class=\"chart-svg\" ",
                escape_text(label)
            ));
            out.push_str(&svg[at + 5..]);
            out
        }
        None => svg,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::charts::plot::TickFormat;
    use crate::logic::plot::Scale;

    #[test]
    fn labelled_and_escaped() {
        let axis = AxisView {
            lo: 0.0,
            hi: 1.0,
            scale: Scale { log: false },
            format: TickFormat::Number,
        };
        let dots = [(0.5, 0.5, (1, 2, 3))];
        let svg = to_svg(300, 200, &axis, &axis, Marks::Dots(&dots), "a <b> \"c\"");
        assert!(
            svg.starts_with("<svg role=\"img\" aria-label=\"a &lt;b&gt; &quot;c&quot;\""),
            "{svg}"
        );
        assert!(svg.contains("<circle"));
    }
}
