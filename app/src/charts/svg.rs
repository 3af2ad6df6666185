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
    let svg = compact_paths(&svg);
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

/// Plotters writes every line as `<polyline points="x,y x,y …"/>` (and areas as
/// `<polygon …>`); the same shapes as `<path d="Mx yl dx dy …"/>` with relative moves
/// take about half the bytes, which matters for a report of many charts.
pub(crate) fn compact_paths(svg: &str) -> String {
    let mut out = String::with_capacity(svg.len());
    let mut rest = svg;
    loop {
        let next = ["<polyline ", "<polygon "]
            .iter()
            .filter_map(|t| rest.find(t).map(|i| (i, *t)))
            .min();
        let Some((at, tag)) = next else {
            out.push_str(rest);
            return out;
        };
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let Some(end) = rest.find("/>") else {
            out.push_str(rest);
            return out;
        };
        let element = &rest[..end];
        rest = &rest[end + 2..];
        let Some((before, after)) = element.split_once(" points=\"") else {
            out.push_str(element);
            out.push_str("/>");
            continue;
        };
        let (points, tail) = after.split_once('"').unwrap_or((after, ""));
        let mut d = String::with_capacity(points.len() / 2);
        let mut last: Option<(i64, i64)> = None;
        for pair in points.split_whitespace() {
            let Some((x, y)) = pair
                .split_once(',')
                .and_then(|(x, y)| Some((x.parse::<i64>().ok()?, y.parse::<i64>().ok()?)))
            else {
                continue;
            };
            match last {
                None => d.push_str(&format!("M{x} {y}l")),
                Some((lx, ly)) => {
                    let (dx, dy) = (x - lx, y - ly);
                    if !d.ends_with('l') && dx >= 0 {
                        d.push(' ');
                    }
                    d.push_str(&dx.to_string());
                    if dy >= 0 {
                        d.push(' ');
                    }
                    d.push_str(&dy.to_string());
                }
            }
            last = Some((x, y));
        }
        if d.ends_with('l') {
            d.pop();
        }
        if tag == "<polygon " {
            d.push('z');
        }
        out.push_str("<path");
        out.push_str(&before[tag.len() - 1..]);
        out.push_str(&format!(" d=\"{d}\""));
        out.push_str(tail);
        out.push_str("/>");
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

    #[test]
    fn lines_become_relative_paths() {
        let svg = "<svg><polyline fill=\"none\" stroke=\"#000\" points=\"10,20 12,18 15,25 \"/>\
                   <polygon fill=\"#111\" points=\"1,1 2,2 1,3 \"/><rect/></svg>";
        let out = compact_paths(svg);
        assert_eq!(
            out,
            "<svg><path fill=\"none\" stroke=\"#000\" d=\"M10 20l2-2 3 7\"/>\
             <path fill=\"#111\" d=\"M1 1l1 1-1 1z\"/><rect/></svg>"
        );
    }
}
