//! Parallel coordinates for a sweep: one axis per parameter and the metric last,
//! each run a line across them coloured by its metric; brushing an axis (a range
//! on it) keeps the runs passing every brush. Everything here is in unit
//! coordinates (0 at the bottom of an axis, 1 at the top); `Layout` maps them to
//! pixels for drawing and for the pointer.

use serde_json::Value;

use crate::logic::format;
use crate::model::SweepRunView;

#[derive(Clone, Debug, PartialEq)]
pub enum Scale {
    Linear {
        min: f64,
        max: f64,
    },
    Log {
        min: f64,
        max: f64,
    },
    /// Values by their first appearance, spread evenly.
    Categories(Vec<String>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Axis {
    pub name: String,
    pub scale: Scale,
    /// Tick positions (unit) and labels.
    pub ticks: Vec<(f64, String)>,
}

impl Axis {
    /// Where a value sits on this axis.
    pub fn unit(&self, v: &Value) -> Option<f64> {
        match &self.scale {
            Scale::Categories(c) => {
                let key = category(v);
                let i = c.iter().position(|x| *x == key)?;
                Some(if c.len() > 1 {
                    i as f64 / (c.len() - 1) as f64
                } else {
                    0.5
                })
            }
            Scale::Linear { min, max } => {
                let x = v.as_f64()?;
                Some(if max > min {
                    (x - min) / (max - min)
                } else {
                    0.5
                })
            }
            Scale::Log { min, max } => {
                let x = v.as_f64().filter(|x| *x > 0.0)?;
                Some((x.ln() - min.ln()) / (max.ln() - min.ln()))
            }
        }
    }

    /// The value at a unit position, for labelling a brush.
    pub fn value_at(&self, u: f64) -> String {
        match &self.scale {
            Scale::Categories(c) if !c.is_empty() => {
                let i = (u * (c.len() - 1) as f64).round() as usize;
                c[i.min(c.len() - 1)].clone()
            }
            Scale::Categories(_) => String::new(),
            Scale::Linear { min, max } => short(min + u * (max - min)),
            Scale::Log { min, max } => short((min.ln() + u * (max.ln() - min.ln())).exp()),
        }
    }
}

/// A number with at most 4 significant digits (axis ticks and brush ends).
fn short(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return format::number(x);
    }
    let p = 10f64.powi(4 - x.abs().log10().ceil() as i32);
    format::number((x * p).round() / p)
}

fn category(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "—".into(),
        other => other.to_string(),
    }
}

/// One run across the axes.
#[derive(Clone, Debug, PartialEq)]
pub struct PcLine {
    /// Its index in the sweep's runs.
    pub run: usize,
    /// Its position on each axis (None: it has no value there).
    pub ys: Vec<Option<f64>>,
    /// The metric on [0, 1] from worst to best, for the colour.
    pub shade: Option<f64>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ParCoords {
    pub axes: Vec<Axis>,
    pub lines: Vec<PcLine>,
}

fn numeric_axis(name: &str, xs: &[f64]) -> Axis {
    let min = xs.iter().copied().fold(f64::INFINITY, f64::min);
    let max = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let (min, max) = if min.is_finite() {
        (min, max)
    } else {
        (0.0, 1.0)
    };
    let log = min > 0.0 && max / min >= 100.0;
    let scale = if log {
        Scale::Log { min, max }
    } else {
        Scale::Linear { min, max }
    };
    let mut axis = Axis {
        name: name.to_owned(),
        scale,
        ticks: Vec::new(),
    };
    axis.ticks = match axis.scale {
        // Log axes tick at powers of ten when two or more fall inside.
        Scale::Log { min, max }
            if (min.log10().ceil() as i32..=max.log10().floor() as i32).count() >= 2 =>
        {
            (min.log10().ceil() as i32..=max.log10().floor() as i32)
                .map(|e| {
                    let v = 10f64.powi(e);
                    ((v.ln() - min.ln()) / (max.ln() - min.ln()), short(v))
                })
                .collect()
        }
        _ => (0..=4)
            .map(|i| {
                let u = f64::from(i) / 4.0;
                (u, axis.value_at(u))
            })
            .collect(),
    };
    if max <= min {
        axis.ticks = vec![(0.5, format::number(min))];
    }
    axis
}

fn axis_for(name: &str, values: &[&Value]) -> Axis {
    let present: Vec<&&Value> = values.iter().filter(|v| !v.is_null()).collect();
    let numbers: Option<Vec<f64>> = present.iter().map(|v| v.as_f64()).collect();
    match numbers {
        Some(xs) if !xs.is_empty() => numeric_axis(name, &xs),
        _ => {
            let mut cats: Vec<String> = Vec::new();
            for v in present {
                let c = category(v);
                if !cats.contains(&c) {
                    cats.push(c);
                }
            }
            let n = cats.len();
            let ticks = cats
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    (
                        if n > 1 {
                            i as f64 / (n - 1) as f64
                        } else {
                            0.5
                        },
                        c.clone(),
                    )
                })
                .collect();
            Axis {
                name: name.to_owned(),
                scale: Scale::Categories(cats),
                ticks,
            }
        }
    }
}

/// The chart for a sweep's runs: an axis per parameter (in `params` order) and one
/// for the metric when there is one.
pub fn build(
    params: &[String],
    runs: &[SweepRunView],
    metric: Option<&str>,
    maximize: bool,
) -> ParCoords {
    let mut axes: Vec<Axis> = params
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let values: Vec<&Value> = runs.iter().filter_map(|r| r.values.get(i)).collect();
            axis_for(name, &values)
        })
        .collect();
    let metric_values: Vec<f64> = runs
        .iter()
        .filter_map(|r| r.metric)
        .filter(|m| m.is_finite())
        .collect();
    let (lo, hi) = metric_values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
            (a.min(v), b.max(v))
        });
    if let Some(m) = metric {
        let mut axis = numeric_axis(m, &metric_values);
        // The metric axis stays linear: its colour scale is linear too.
        if let Scale::Log { min, max } = axis.scale {
            axis.scale = Scale::Linear { min, max };
            axis.ticks = (0..=4)
                .map(|i| {
                    let u = f64::from(i) / 4.0;
                    (u, axis.value_at(u))
                })
                .collect();
        }
        axes.push(axis);
    }
    let lines = runs
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let mut ys: Vec<Option<f64>> = axes
                .iter()
                .take(params.len())
                .enumerate()
                .map(|(j, a)| r.values.get(j).and_then(|v| a.unit(v)))
                .collect();
            if metric.is_some() {
                let m = r.metric.filter(|m| m.is_finite());
                ys.push(m.and_then(|m| axes.last().and_then(|a| a.unit(&Value::from(m)))));
            }
            let shade = r.metric.filter(|m| m.is_finite()).map(|m| {
                let t = if hi > lo { (m - lo) / (hi - lo) } else { 0.5 };
                if maximize {
                    t
                } else {
                    1.0 - t
                }
            });
            PcLine { run: i, ys, shade }
        })
        .collect();
    ParCoords { axes, lines }
}

/// A brush per axis: the unit range kept (None: the whole axis).
pub type Brushes = Vec<Option<(f64, f64)>>;

/// Which runs pass every brush (a run without a value on a brushed axis does not).
pub fn selected(pc: &ParCoords, brushes: &[Option<(f64, f64)>]) -> Vec<bool> {
    pc.lines
        .iter()
        .map(|l| {
            brushes.iter().enumerate().all(|(i, b)| match b {
                None => true,
                Some((lo, hi)) => {
                    l.ys.get(i)
                        .copied()
                        .flatten()
                        .is_some_and(|y| y >= lo.min(*hi) - 1e-9 && y <= hi.max(*lo) + 1e-9)
                }
            })
        })
        .collect()
}

/// Where things are drawn in a chart of `width` × `height` CSS pixels.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Layout {
    pub width: f64,
    pub height: f64,
    pub axes: usize,
}

impl Layout {
    pub const LEFT: f64 = 48.0;
    pub const RIGHT: f64 = 56.0;
    pub const TOP: f64 = 34.0;
    pub const BOTTOM: f64 = 16.0;

    pub fn axis_x(&self, i: usize) -> f64 {
        let span = (self.width - Self::LEFT - Self::RIGHT).max(1.0);
        if self.axes <= 1 {
            Self::LEFT + span / 2.0
        } else {
            Self::LEFT + span * i as f64 / (self.axes - 1) as f64
        }
    }

    pub fn y_of(&self, u: f64) -> f64 {
        Self::TOP + (1.0 - u.clamp(0.0, 1.0)) * (self.height - Self::TOP - Self::BOTTOM).max(1.0)
    }

    pub fn unit_of(&self, y: f64) -> f64 {
        (1.0 - (y - Self::TOP) / (self.height - Self::TOP - Self::BOTTOM).max(1.0)).clamp(0.0, 1.0)
    }

    /// The axis a pointer at `x` grabs: the nearest one within 24 px.
    pub fn axis_near(&self, x: f64) -> Option<usize> {
        (0..self.axes)
            .map(|i| (i, (self.axis_x(i) - x).abs()))
            .filter(|(_, d)| *d <= 24.0)
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(i, _)| i)
    }
}

/// The colour of a line by its shade (worst → best: amber, green, blue; never a
/// grey in between), grey without a metric.
pub fn shade_color(shade: Option<f64>) -> (u8, u8, u8) {
    let Some(t) = shade else {
        return (150, 150, 150);
    };
    const STOPS: [(u8, u8, u8); 3] = [(230, 140, 0), (0, 150, 110), (40, 90, 220)];
    let t = t.clamp(0.0, 1.0) * 2.0;
    let i = (t.floor() as usize).min(1);
    let f = t - i as f64;
    let (a, b) = (STOPS[i], STOPS[i + 1]);
    let lerp = |x: u8, y: u8| (f64::from(x) + (f64::from(y) - f64::from(x)) * f).round() as u8;
    (lerp(a.0, b.0), lerp(a.1, b.1), lerp(a.2, b.2))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::RunState;
    use serde_json::json;

    fn run(values: Vec<Value>, metric: Option<f64>) -> SweepRunView {
        SweepRunView {
            run_id: "r".into(),
            display_name: "r".into(),
            state: RunState::Finished,
            created_at_ms: 0,
            runtime_seconds: 0.0,
            metric,
            values,
            requeued: false,
        }
    }

    #[test]
    fn axes_scales_and_brushing() {
        let runs = vec![
            run(vec![json!(0.0001), json!("adam")], Some(1.0)),
            run(vec![json!(0.1), json!("sgd")], Some(3.0)),
            run(vec![json!(0.01), json!("adam")], None),
        ];
        let pc = build(&["lr".into(), "opt".into()], &runs, Some("loss"), false);
        assert_eq!(pc.axes.len(), 3);
        assert!(
            matches!(pc.axes[0].scale, Scale::Log { .. }),
            "three decades: log"
        );
        assert_eq!(
            pc.axes[1].scale,
            Scale::Categories(vec!["adam".into(), "sgd".into()])
        );
        assert_eq!(pc.lines[0].ys, vec![Some(0.0), Some(0.0), Some(0.0)]);
        assert!((pc.lines[2].ys[0].unwrap() - 2.0 / 3.0).abs() < 1e-9);
        assert_eq!(pc.lines[2].ys[2], None);
        // minimise: the lowest loss is the best shade
        assert_eq!(pc.lines[0].shade, Some(1.0));
        assert_eq!(pc.lines[1].shade, Some(0.0));
        let mut brushes: Brushes = vec![None; 3];
        assert_eq!(selected(&pc, &brushes), vec![true, true, true]);
        brushes[1] = Some((0.9, 1.0)); // sgd only
        assert_eq!(selected(&pc, &brushes), vec![false, true, false]);
        brushes[1] = None;
        brushes[2] = Some((0.0, 0.5)); // the metric's lower half; no metric: out
        assert_eq!(selected(&pc, &brushes), vec![true, false, false]);
    }

    #[test]
    fn layout_maps_both_ways() {
        let l = Layout {
            width: 600.0,
            height: 300.0,
            axes: 4,
        };
        assert_eq!(l.axis_x(0), Layout::LEFT);
        assert_eq!(l.axis_x(3), 600.0 - Layout::RIGHT);
        assert!((l.unit_of(l.y_of(0.3)) - 0.3).abs() < 1e-9);
        assert_eq!(l.axis_near(l.axis_x(2) + 10.0), Some(2));
        assert_eq!(l.axis_near(l.axis_x(1) + 60.0), None);
    }
}
