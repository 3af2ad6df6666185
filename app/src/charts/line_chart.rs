//! A line chart of bucketed series: the mean as a line, the bucket's min–max as a
//! faint envelope (so a spike inside a bucket still shows), NaN/±Inf as gaps.
//! Coordinates: x is the step, y the metric value; pixel sizes are multiplied by
//! `scale` (the device pixel ratio) so text and lines look the same on any screen.

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::logic::chart_geometry::{line_segments, step_range, value_range, x_of};
use crate::logic::format;
use crate::model::MetricBucket;

/// One line to draw.
pub struct ChartLine<'a> {
    pub label: &'a str,
    pub color: RGBColor,
    pub buckets: &'a [MetricBucket],
}

/// What to draw and how big the text should be.
pub struct LineChartSpec<'a> {
    pub series: Vec<ChartLine<'a>>,
    /// Device pixels per CSS pixel.
    pub scale: f64,
}

/// Draw the chart onto `root`, filling it.
pub fn draw_line_chart<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    spec: &LineChartSpec<'_>,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let px = |css: f64| (css * spec.scale).round() as u32;
    let font_px = (12.0 * spec.scale).round();
    let theme = super::theme::current();
    root.fill(&theme.background)?;
    let xs = step_range(spec.series.iter().map(|s| s.buckets));
    let ys = value_range(spec.series.iter().map(|s| s.buckets));
    let mut chart = ChartBuilder::on(root)
        .margin(px(8.0))
        .x_label_area_size(px(28.0))
        .y_label_area_size(px(56.0))
        .build_cartesian_2d(xs.lo..xs.hi, ys.lo..ys.hi)?;
    let label_style = ("sans-serif", font_px).into_font().color(&theme.text);
    chart
        .configure_mesh()
        .light_line_style(theme.grid)
        .bold_line_style(theme.grid_bold)
        .axis_style(theme.axis)
        .x_labels(6)
        .y_labels(5)
        .x_label_formatter(&|x| format::number(x.round()))
        .y_label_formatter(&|y| format::number(*y))
        .x_label_style(label_style.clone())
        .y_label_style(label_style)
        .draw()?;

    let stroke = px(1.5).max(1);
    for series in &spec.series {
        let faint = series.color.mix(0.22);
        chart.draw_series(
            series
                .buckets
                .iter()
                .filter(|b| {
                    b.count > 1 && b.min.0.is_finite() && b.max.0.is_finite() && b.min.0 < b.max.0
                })
                .map(|b| {
                    let x = x_of(b);
                    PathElement::new(vec![(x, b.min.0), (x, b.max.0)], faint.stroke_width(stroke))
                }),
        )?;
        for segment in line_segments(series.buckets) {
            if segment.len() == 1 {
                chart.draw_series(std::iter::once(Circle::new(
                    segment[0],
                    px(2.0),
                    series.color.filled(),
                )))?;
            } else {
                chart.draw_series(LineSeries::new(segment, series.color.stroke_width(stroke)))?;
            }
        }
    }
    root.present()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{MetricPoint, MetricValue};

    fn buckets(values: &[f64]) -> Vec<MetricBucket> {
        let points: Vec<MetricPoint> = values
            .iter()
            .enumerate()
            .map(|(i, &v)| MetricPoint {
                step: i as i64,
                value: MetricValue(v),
                wall_time: 0.0,
            })
            .collect();
        crate::logic::bucket::bucket_series(&points, 50)
    }

    fn render(series: Vec<ChartLine<'_>>) -> String {
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, (400, 240)).into_drawing_area();
            draw_line_chart(&root, &LineChartSpec { series, scale: 1.0 }).unwrap();
        }
        svg
    }

    #[test]
    fn draws_a_line_per_series() {
        let a = buckets(
            &(0..200)
                .map(|i| (i as f64 / 20.0).sin())
                .collect::<Vec<_>>(),
        );
        let svg = render(vec![ChartLine {
            label: "a",
            color: RGBColor(1, 2, 3),
            buckets: &a,
        }]);
        assert!(svg.contains("<polyline"), "{svg}");
        assert!(
            svg.contains("#010203") || svg.contains("rgb(1,2,3)"),
            "series colour missing"
        );
    }

    #[test]
    fn survives_empty_and_non_finite_data() {
        let empty: Vec<MetricBucket> = Vec::new();
        let svg = render(vec![ChartLine {
            label: "e",
            color: RGBColor(9, 9, 9),
            buckets: &empty,
        }]);
        assert!(svg.starts_with("<svg"));
        let weird = buckets(&[f64::NAN, 1.0, f64::INFINITY, 2.0, 3.0, f64::NEG_INFINITY]);
        let svg = render(vec![ChartLine {
            label: "w",
            color: RGBColor(9, 9, 9),
            buckets: &weird,
        }]);
        assert!(svg.contains("<polyline"));
        assert!(
            svg.contains("<circle"),
            "the lone finite point is drawn as a dot"
        );
    }
}
