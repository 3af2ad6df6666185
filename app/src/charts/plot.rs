//! The Workspace's plots drawn on any plotters backend: line plots (lines, faint
//! unsmoothed originals, per-bucket min–max whiskers, group bands), scatter plots
//! and bar charts. Coordinates are axis coordinates (log10 already applied, see
//! `logic::plot::Scale`); tick positions come from `logic::plot::ticks`, so log
//! axes get their ticks on powers of ten. Pixel sizes are CSS pixels times `scale`.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor;

use crate::logic::format;
use crate::logic::plot::{ticks, Line, Scale};

/// What one axis shows.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AxisView {
    /// Shown range in axis coordinates.
    pub lo: f64,
    pub hi: f64,
    pub scale: Scale,
    pub format: TickFormat,
}

/// How tick labels read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TickFormat {
    Number,
    /// Seconds as a duration (`1m 30s`).
    Duration,
    /// Unix seconds as a date and time.
    Clock,
}

impl AxisView {
    /// A linear axis from `lo` to `hi` with plain number ticks.
    pub fn linear(lo: f64, hi: f64) -> AxisView {
        AxisView {
            lo,
            hi,
            scale: Scale { log: false },
            format: TickFormat::Number,
        }
    }

    /// The label of a tick at axis coordinate `a`.
    pub fn label(&self, a: f64) -> String {
        let v = self.scale.from_axis(a);
        match self.format {
            TickFormat::Number => format::number(v),
            TickFormat::Duration => format::duration(v),
            TickFormat::Clock => format::clock_tick((v * 1000.0) as i64, self.hi - self.lo),
        }
    }
}

/// The plotting area in CSS pixels within the canvas, for mapping the pointer back
/// to data (hover and zoom).
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct PlotArea {
    pub left: f64,
    pub top: f64,
    pub right: f64,
    pub bottom: f64,
}

impl PlotArea {
    /// The axis coordinate of a pixel column.
    pub fn x_at(&self, px: f64, x: &AxisView) -> f64 {
        let t = ((px - self.left) / (self.right - self.left).max(1.0)).clamp(0.0, 1.0);
        x.lo + t * (x.hi - x.lo)
    }

    /// The pixel column of an axis coordinate.
    pub fn px_of(&self, a: f64, x: &AxisView) -> f64 {
        self.left + (a - x.lo) / (x.hi - x.lo) * (self.right - self.left)
    }
}

/// Everything drawn, besides the axes.
pub enum Marks<'a> {
    Lines(&'a [Line]),
    /// Lines whose per-bucket min–max whiskers are drawn as one faint envelope
    /// each: the same ranges in a fraction of the elements (SVG for pages).
    LinesEnvelope(&'a [Line]),
    /// Dots with their colours.
    Dots(&'a [(f64, f64, (u8, u8, u8))]),
    /// Bars from zero, one per label, with colours.
    Bars(&'a [(String, f64, (u8, u8, u8))]),
}

fn rgb(c: (u8, u8, u8)) -> RGBColor {
    RGBColor(c.0, c.1, c.2)
}

/// Split parallel x/y values into runs of finite points.
fn segments(xs: &[f64], ys: &[f64], x: &AxisView, y: &AxisView) -> Vec<Vec<(f64, f64)>> {
    let mut out = Vec::new();
    let mut current = Vec::new();
    for (&px, &py) in xs.iter().zip(ys) {
        let (ax, ay) = (x.scale.to_axis(px), y.scale.to_axis(py));
        if ax.is_finite() && ay.is_finite() {
            current.push((ax, ay));
        } else if !current.is_empty() {
            out.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// Draw the plot onto `root`, filling it; returns where the plotting area is.
pub fn draw_plot<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    x: &AxisView,
    y: &AxisView,
    marks: Marks<'_>,
    scale: f64,
) -> Result<PlotArea, DrawingAreaErrorKind<DB::ErrorType>> {
    let px = |css: f64| (css * scale).round() as u32;
    let theme = super::theme::current();
    root.fill(&theme.background)?;
    // As many x ticks as fit their labels side by side (dates are wider).
    let css_width = f64::from(root.dim_in_pixel().0) / scale.max(1.0);
    let label_css = match x.format {
        TickFormat::Clock => 84.0,
        TickFormat::Duration => 64.0,
        TickFormat::Number => 52.0,
    };
    let fit = ((css_width - 70.0) / label_css).floor().clamp(2.0, 6.0) as usize;
    let x_ticks = ticks(x.lo, x.hi, x.scale.log, fit);
    let y_ticks = ticks(y.lo, y.hi, y.scale.log, 5);
    let x_label_px = match x.format {
        TickFormat::Clock => 30.0,
        _ => 24.0,
    };
    let mut chart = ChartBuilder::on(root)
        .margin_top(px(8.0))
        .margin_right(px(14.0))
        .margin_left(px(4.0))
        .margin_bottom(px(2.0))
        .x_label_area_size(px(x_label_px))
        .y_label_area_size(px(58.0))
        .build_cartesian_2d(x.lo..x.hi, y.lo..y.hi)?;
    // Grid lines and labels at our own ticks (powers of ten on log axes), so the
    // mesh only draws the axis lines.
    chart
        .configure_mesh()
        .disable_mesh()
        .x_labels(0)
        .y_labels(0)
        .axis_style(theme.axis)
        .draw()?;
    let grid = theme.grid.stroke_width(1);
    chart.draw_series(
        x_ticks
            .iter()
            .map(|&t| PathElement::new(vec![(t, y.lo), (t, y.hi)], grid)),
    )?;
    chart.draw_series(
        y_ticks
            .iter()
            .map(|&t| PathElement::new(vec![(x.lo, t), (x.hi, t)], grid)),
    )?;
    let font = ("sans-serif", (11.0 * scale).round())
        .into_font()
        .color(&theme.text);
    let gap = px(4.0) as i32;
    for &t in &x_ticks {
        let (bx, by) = chart.backend_coord(&(t, y.lo));
        let style = font.pos(text_anchor::Pos::new(
            text_anchor::HPos::Center,
            text_anchor::VPos::Top,
        ));
        root.draw(&Text::new(x.label(t), (bx, by + gap), style))?;
    }
    for &t in &y_ticks {
        let (bx, by) = chart.backend_coord(&(x.lo, t));
        let style = font.pos(text_anchor::Pos::new(
            text_anchor::HPos::Right,
            text_anchor::VPos::Center,
        ));
        root.draw(&Text::new(y.label(t), (bx - gap, by), style))?;
    }

    let stroke = px(1.5).max(1);
    match marks {
        Marks::Lines(lines) | Marks::LinesEnvelope(lines) => {
            let envelope = matches!(marks, Marks::LinesEnvelope(_));
            // Bands and whiskers first, so every line is drawn over them.
            for line in lines {
                let color = rgb(line.color);
                if envelope && !line.band {
                    for seg in band_segments(line, x, y) {
                        chart.draw_series(std::iter::once(Polygon::new(seg, color.mix(0.1))))?;
                    }
                } else if line.band {
                    for seg in band_segments(line, x, y) {
                        chart.draw_series(std::iter::once(Polygon::new(seg, color.mix(0.18))))?;
                    }
                } else {
                    let faint = color.mix(0.25).stroke_width(stroke);
                    chart.draw_series(
                        line.xs.iter().zip(line.lo.iter().zip(&line.hi)).filter_map(
                            |(&px_, (&lo, &hi))| {
                                let ax = x.scale.to_axis(px_);
                                let (alo, ahi) = (y.scale.to_axis(lo), y.scale.to_axis(hi));
                                // A bucket of one value (or equal ends) has nothing to show.
                                (ax.is_finite() && alo.is_finite() && ahi.is_finite() && ahi > alo)
                                    .then(|| PathElement::new(vec![(ax, alo), (ax, ahi)], faint))
                            },
                        ),
                    )?;
                }
            }
            for line in lines {
                let color = rgb(line.color);
                if let Some(original) = &line.original {
                    for seg in segments(&line.xs, original, x, y) {
                        chart.draw_series(std::iter::once(PathElement::new(
                            seg,
                            color.mix(0.3).stroke_width(stroke),
                        )))?;
                    }
                }
                for seg in segments(&line.xs, &line.ys, x, y) {
                    if seg.len() == 1 {
                        chart.draw_series(std::iter::once(Circle::new(
                            seg[0],
                            px(2.0),
                            color.filled(),
                        )))?;
                    } else {
                        chart.draw_series(LineSeries::new(seg, color.stroke_width(stroke)))?;
                    }
                }
            }
        }
        Marks::Dots(dots) => {
            chart.draw_series(dots.iter().filter_map(|&(dx, dy, c)| {
                let (ax, ay) = (x.scale.to_axis(dx), y.scale.to_axis(dy));
                (ax.is_finite() && ay.is_finite())
                    .then(|| Circle::new((ax, ay), px(3.5), rgb(c).mix(0.85).filled()))
            }))?;
        }
        Marks::Bars(bars) => {
            // x is the bar index (0..n), each bar 0.7 wide around its index + 0.5.
            let base = y.scale.to_axis(if y.scale.log {
                y.scale.from_axis(y.lo)
            } else {
                0.0
            });
            chart.draw_series(bars.iter().enumerate().filter_map(|(i, (_, v, c))| {
                let top = y.scale.to_axis(*v);
                let base = if base.is_finite() { base } else { y.lo };
                top.is_finite().then(|| {
                    Rectangle::new(
                        [(i as f64 + 0.15, base), (i as f64 + 0.85, top)],
                        rgb(*c).filled(),
                    )
                })
            }))?;
        }
    }
    let (xr, yr) = chart.plotting_area().get_pixel_range();
    root.present()?;
    Ok(PlotArea {
        left: f64::from(xr.start) / scale,
        right: f64::from(xr.end) / scale,
        top: f64::from(yr.start) / scale,
        bottom: f64::from(yr.end) / scale,
    })
}

/// A group's band as closed polygons, one per run of buckets with a finite band.
fn band_segments(line: &Line, x: &AxisView, y: &AxisView) -> Vec<Vec<(f64, f64)>> {
    let mut out = Vec::new();
    let mut upper: Vec<(f64, f64)> = Vec::new();
    let mut lower: Vec<(f64, f64)> = Vec::new();
    let mut flush = |upper: &mut Vec<(f64, f64)>, lower: &mut Vec<(f64, f64)>| {
        if upper.len() > 1 {
            let mut poly = std::mem::take(upper);
            poly.extend(lower.drain(..).rev());
            out.push(poly);
        }
        upper.clear();
        lower.clear();
    };
    for (i, &px_) in line.xs.iter().enumerate() {
        let ax = x.scale.to_axis(px_);
        let lo = y.scale.to_axis(line.lo[i]);
        let hi = y.scale.to_axis(line.hi[i]);
        if ax.is_finite() && lo.is_finite() && hi.is_finite() {
            upper.push((ax, hi));
            lower.push((ax, lo));
        } else {
            flush(&mut upper, &mut lower);
        }
    }
    flush(&mut upper, &mut lower);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn axis(lo: f64, hi: f64, log: bool) -> AxisView {
        AxisView {
            lo,
            hi,
            scale: Scale { log },
            format: TickFormat::Number,
        }
    }

    fn line(band: bool, ys: Vec<f64>) -> Line {
        let n = ys.len();
        Line {
            label: "l".into(),
            color: (1, 2, 3),
            xs: (0..n).map(|i| i as f64).collect(),
            x_spans: (0..n).map(|i| (i as f64, i as f64)).collect(),
            lo: ys.iter().map(|y| y - 1.0).collect(),
            hi: ys.iter().map(|y| y + 1.0).collect(),
            ys,
            original: None,
            band,
        }
    }

    fn render(x: AxisView, y: AxisView, marks: Marks<'_>) -> (String, PlotArea) {
        let mut svg = String::new();
        let area;
        {
            let root = SVGBackend::with_string(&mut svg, (400, 240)).into_drawing_area();
            area = draw_plot(&root, &x, &y, marks, 1.0).unwrap_or_default();
        }
        (svg, area)
    }

    #[test]
    fn lines_bands_and_gaps() {
        let lines = [
            line(true, vec![1.0, 2.0, f64::NAN, 3.0, 4.0]),
            line(false, vec![5.0, f64::INFINITY, 6.0]),
        ];
        let (svg, area) = render(
            axis(0.0, 5.0, false),
            axis(0.0, 8.0, false),
            Marks::Lines(&lines),
        );
        assert!(svg.contains("<polyline"), "lines drawn");
        assert!(svg.contains("<polygon"), "band drawn");
        assert!(area.right > area.left + 200.0 && area.bottom > area.top + 150.0);
        let x = axis(0.0, 5.0, false);
        assert!((area.x_at(area.px_of(2.5, &x), &x) - 2.5).abs() < 1e-9);
    }

    #[test]
    fn log_axes_label_powers_of_ten_and_skip_non_positive_values() {
        let lines = [line(false, vec![-1.0, 0.0, 10.0, 100.0, 1000.0])];
        let (svg, _) = render(
            axis(0.0, 5.0, false),
            axis(0.5, 3.2, true),
            Marks::Lines(&lines),
        );
        // Labels are the values, not their logarithms (the SVG puts text on its own line).
        let text = svg.replace('\n', "");
        assert!(
            text.contains(">10<") && text.contains(">100<") && text.contains(">1000<"),
            "{svg}"
        );
    }

    #[test]
    fn dots_and_bars() {
        let dots = [(1.0, 2.0, (9, 9, 9)), (f64::NAN, 1.0, (9, 9, 9))];
        let (svg, _) = render(
            axis(0.0, 3.0, false),
            axis(0.0, 3.0, false),
            Marks::Dots(&dots),
        );
        assert_eq!(svg.matches("<circle").count(), 1);
        let bars = [
            ("a".to_owned(), 2.0, (9, 9, 9)),
            ("b".to_owned(), 1.0, (9, 9, 9)),
        ];
        let (svg, _) = render(
            axis(0.0, 2.0, false),
            axis(0.0, 3.0, false),
            Marks::Bars(&bars),
        );
        assert!(svg.matches("<rect").count() >= 3, "background and two bars");
    }
}
