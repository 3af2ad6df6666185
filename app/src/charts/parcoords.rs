//! Drawing a sweep's parallel coordinates (`logic::sweeps::parcoords`) on any
//! plotters backend: the canvas in the browser, SVG on the server.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::logic::sweeps::parcoords::{shade_color, Layout, ParCoords};

/// Draw the chart: runs outside the brushes faint grey underneath, the others in
/// their metric's colour, then the axes with their ticks, names and brushes.
/// `scale` is the device pixel ratio (coordinates are in CSS pixels).
pub fn draw_parcoords<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    pc: &ParCoords,
    selected: &[bool],
    brushes: &[Option<(f64, f64)>],
    scale: f64,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let theme = super::theme::current();
    root.fill(&theme.background)?;
    let (w, h) = root.dim_in_pixel();
    let layout = Layout {
        width: f64::from(w) / scale,
        height: f64::from(h) / scale,
        axes: pc.axes.len(),
    };
    let at = |x: f64, y: f64| ((x * scale).round() as i32, (y * scale).round() as i32);
    let points = |ys: &[Option<f64>]| -> Vec<Vec<(i32, i32)>> {
        // A missing value breaks the line there.
        let mut out = vec![Vec::new()];
        for (i, y) in ys.iter().enumerate() {
            match y {
                Some(u) => out
                    .last_mut()
                    .into_iter()
                    .for_each(|s| s.push(at(layout.axis_x(i), layout.y_of(*u)))),
                None => out.push(Vec::new()),
            }
        }
        out.into_iter().filter(|s| s.len() > 1).collect()
    };
    let stroke = ((1.2 * scale).round() as u32).max(1);
    let faint = RGBColor(190, 194, 202).mix(0.35).stroke_width(stroke);
    for (line, on) in pc.lines.iter().zip(selected) {
        if !on {
            for seg in points(&line.ys) {
                root.draw(&PathElement::new(seg, faint))?;
            }
        }
    }
    for (line, on) in pc.lines.iter().zip(selected) {
        if *on {
            let (r, g, b) = shade_color(line.shade);
            let style = RGBColor(r, g, b).mix(0.8).stroke_width(stroke);
            for seg in points(&line.ys) {
                root.draw(&PathElement::new(seg, style))?;
            }
        }
    }
    let font = ("sans-serif", (11.0 * scale).round())
        .into_font()
        .color(&theme.text);
    let name_font = ("sans-serif", (12.0 * scale).round())
        .into_font()
        .color(&theme.text);
    let axis_style = theme
        .axis
        .stroke_width(((1.5 * scale).round() as u32).max(1));
    for (i, axis) in pc.axes.iter().enumerate() {
        let x = layout.axis_x(i);
        if let Some(Some((lo, hi))) = brushes.get(i) {
            let (top, bottom) = (layout.y_of(lo.max(*hi)), layout.y_of(lo.min(*hi)));
            root.draw(&Rectangle::new(
                [at(x - 9.0, top), at(x + 9.0, bottom)],
                RGBColor(40, 90, 220).mix(0.18).filled(),
            ))?;
            root.draw(&Rectangle::new(
                [at(x - 9.0, top), at(x + 9.0, bottom)],
                RGBColor(40, 90, 220).stroke_width(stroke),
            ))?;
        }
        root.draw(&PathElement::new(
            vec![at(x, layout.y_of(1.0)), at(x, layout.y_of(0.0))],
            axis_style,
        ))?;
        let name = if axis.name.chars().count() > 18 {
            format!("{}…", axis.name.chars().take(17).collect::<String>())
        } else {
            axis.name.clone()
        };
        root.draw(&Text::new(
            name,
            at(x, 6.0),
            name_font.pos(Pos::new(HPos::Center, VPos::Top)),
        ))?;
        for (u, label) in &axis.ticks {
            let label = if label.chars().count() > 10 {
                format!("{}…", label.chars().take(9).collect::<String>())
            } else {
                label.clone()
            };
            root.draw(&PathElement::new(
                vec![at(x - 3.0, layout.y_of(*u)), at(x, layout.y_of(*u))],
                axis_style,
            ))?;
            root.draw(&Text::new(
                label,
                at(x - 5.0, layout.y_of(*u)),
                font.pos(Pos::new(HPos::Right, VPos::Center)),
            ))?;
        }
    }
    Ok(())
}

/// The chart as an SVG document (pages that read without JavaScript).
#[cfg(feature = "ssr")]
pub fn to_svg(width: u32, height: u32, pc: &ParCoords, selected: &[bool]) -> String {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        let _ = draw_parcoords(&root, pc, selected, &[], 1.0);
    }
    super::svg::compact_paths(&svg)
}
