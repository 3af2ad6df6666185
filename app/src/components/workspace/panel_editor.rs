//! The panel settings dialog. Every change applies at once (and is saved with the
//! workspace), so the chart behind the dialog shows its effect.

use leptos::prelude::*;

use super::use_ws;
use crate::logic::workspace::find_panel;
use crate::model::{GroupBand, GroupLine, LinePlot, Panel, PanelKind, SmoothKind, XSpec};

const SMOOTHING: [(SmoothKind, &str); 5] = [
    (SmoothKind::None, "None"),
    (SmoothKind::TimeWeightedEma, "Time-weighted EMA"),
    (SmoothKind::Ema, "Exponential moving average"),
    (SmoothKind::Gaussian, "Gaussian"),
    (SmoothKind::RunningAverage, "Running average"),
];
const GROUP_LINES: [(GroupLine, &str); 4] = [
    (GroupLine::Mean, "Mean"),
    (GroupLine::Median, "Median"),
    (GroupLine::Min, "Min"),
    (GroupLine::Max, "Max"),
];
const GROUP_BANDS: [(GroupBand, &str); 4] = [
    (GroupBand::MinMax, "Min–max"),
    (GroupBand::StdDev, "Std dev"),
    (GroupBand::StdErr, "Std err"),
    (GroupBand::None, "None"),
];

#[component]
pub fn PanelEditor(
    /// The id of the panel being edited.
    id: u64,
    /// Called when the editor closes (saved or cancelled).
    on_close: impl Fn() + Clone + Send + Sync + 'static,
) -> impl IntoView {
    let ctx = use_ws();
    let panel = Memo::new(move |_| {
        ctx.doc
            .with(|d| find_panel(d, id).map(|(si, pi)| d.sections[si].panels[pi].clone()))
    });
    let edit = move |f: Box<dyn FnOnce(&mut Panel)>| {
        ctx.edit(move |d| {
            if let Some((si, pi)) = find_panel(d, id) {
                f(&mut d.sections[si].panels[pi]);
            }
        })
    };
    let edit_line = move |f: Box<dyn FnOnce(&mut LinePlot)>| {
        edit(Box::new(move |p| {
            if let PanelKind::Line(l) = &mut p.kind {
                f(l);
            }
        }))
    };
    let line = move || match panel.get().map(|p| p.kind) {
        Some(PanelKind::Line(l)) => Some(l),
        _ => None,
    };
    let keys_list = move || {
        ctx.metric_keys
            .get()
            .into_iter()
            .map(|k| view! { <option value=k.clone()></option> })
            .collect_view()
    };
    let columns_list = move || {
        ctx.columns
            .get()
            .into_iter()
            .filter(|c| c.id.starts_with("summary.") || c.id.starts_with("config."))
            .map(|c| view! { <option value=c.id.clone()></option> })
            .collect_view()
    };
    let close = on_close.clone();
    let close2 = on_close;
    view! {
        <div class="ws-editor" role="dialog" aria-label="Panel settings"
            on:keydown=move |ev| if ev.key() == "Escape" { close() }>
            <datalist id=format!("ws-keys-{id}")>{keys_list}</datalist>
            <datalist id=format!("ws-cols-{id}")>{columns_list}</datalist>
            <label>"Title "
                <input
                    aria-label="Panel title"
                    placeholder="(from the metrics)"
                    prop:value=move || panel.get().map(|p| p.title).unwrap_or_default()
                    on:change=move |ev| {
                        let v = event_target_value(&ev);
                        edit(Box::new(move |p| p.title = v));
                    }
                />
            </label>
            {move || line().map(|l| view! {
                <label>"Y metrics "
                    <input
                        class="mono"
                        aria-label="Y metrics"
                        list=format!("ws-keys-{id}")
                        title="Comma-separated; * matches anything"
                        prop:value=l.y.join(", ")
                        on:change=move |ev| {
                            let ys: Vec<String> = event_target_value(&ev)
                                .split(',')
                                .map(|s| s.trim().to_owned())
                                .filter(|s| !s.is_empty())
                                .collect();
                            if !ys.is_empty() {
                                edit_line(Box::new(move |l| l.y = ys));
                            }
                        }
                    />
                </label>
                <label>"X axis "
                    <select aria-label="X axis" on:change=move |ev| {
                        let v = event_target_value(&ev);
                        let x = match v.as_str() {
                            "step" => XSpec::Step,
                            "relative_time" => XSpec::RelativeTime,
                            "wall_time" => XSpec::WallTime,
                            other => XSpec::Metric(other.strip_prefix("metric:").unwrap_or(other).to_owned()),
                        };
                        edit_line(Box::new(move |l| l.x = x));
                    }>
                        <option value="step" selected=l.x == XSpec::Step>"Step"</option>
                        <option value="relative_time" selected=l.x == XSpec::RelativeTime>"Relative time"</option>
                        <option value="wall_time" selected=l.x == XSpec::WallTime>"Wall time"</option>
                        {ctx.metric_keys.get_untracked().into_iter().map(|k| {
                            let selected = l.x == XSpec::Metric(k.clone());
                            view! { <option value=format!("metric:{k}") selected=selected>{k.clone()}</option> }
                        }).collect_view()}
                    </select>
                </label>
                <label>"Smoothing "
                    <select aria-label="Smoothing" on:change=move |ev| {
                        let v = event_target_value(&ev);
                        let kind = SMOOTHING.iter().find(|(k, _)| format!("{k:?}") == v).map(|(k, _)| *k).unwrap_or_default();
                        edit_line(Box::new(move |l| l.smoothing = kind));
                    }>
                        {SMOOTHING.iter().map(|(k, name)| view! {
                            <option value=format!("{k:?}") selected=l.smoothing == *k>{*name}</option>
                        }).collect_view()}
                    </select>
                    <input type="range" min="0" max="0.99" step="0.01" aria-label="Smoothing amount"
                        prop:value=l.smoothing_amount.to_string()
                        on:change=move |ev| {
                            if let Ok(a) = event_target_value(&ev).parse::<f64>() {
                                edit_line(Box::new(move |l| l.smoothing_amount = a.clamp(0.0, 0.99)));
                            }
                        }
                    />
                </label>
                <div class="ws-checks">
                    <label><input type="checkbox" aria-label="Log scale x" prop:checked=l.log_x
                        on:change=move |ev| { let on = event_target_checked(&ev); edit_line(Box::new(move |l| l.log_x = on)); } />" Log x"</label>
                    <label><input type="checkbox" aria-label="Log scale y" prop:checked=l.log_y
                        on:change=move |ev| { let on = event_target_checked(&ev); edit_line(Box::new(move |l| l.log_y = on)); } />" Log y"</label>
                    <label><input type="checkbox" aria-label="Ignore outliers" prop:checked=l.ignore_outliers
                        on:change=move |ev| { let on = event_target_checked(&ev); edit_line(Box::new(move |l| l.ignore_outliers = on)); } />" Ignore outliers"</label>
                </div>
                <label>"Group line "
                    <select aria-label="Group line" on:change=move |ev| {
                        let v = event_target_value(&ev);
                        let g = GROUP_LINES.iter().find(|(k, _)| format!("{k:?}") == v).map(|(k, _)| *k).unwrap_or_default();
                        edit_line(Box::new(move |l| l.group_line = g));
                    }>
                        {GROUP_LINES.iter().map(|(k, name)| view! {
                            <option value=format!("{k:?}") selected=l.group_line == *k>{*name}</option>
                        }).collect_view()}
                    </select>
                </label>
                <label>"Group band "
                    <select aria-label="Group band" on:change=move |ev| {
                        let v = event_target_value(&ev);
                        let b = GROUP_BANDS.iter().find(|(k, _)| format!("{k:?}") == v).map(|(k, _)| *k).unwrap_or_default();
                        edit_line(Box::new(move |l| l.group_band = b));
                    }>
                        {GROUP_BANDS.iter().map(|(k, name)| view! {
                            <option value=format!("{k:?}") selected=l.group_band == *k>{*name}</option>
                        }).collect_view()}
                    </select>
                </label>
            })}
            {move || match panel.get().map(|p| p.kind) {
                Some(PanelKind::Scatter { x, y }) => Some(view! {
                    <label>"X "
                        <input class="mono" aria-label="Scatter x" list=format!("ws-cols-{id}") prop:value=x
                            on:change=move |ev| { let v = event_target_value(&ev); edit(Box::new(move |p| if let PanelKind::Scatter { x, .. } = &mut p.kind { *x = v })); } />
                    </label>
                    <label>"Y "
                        <input class="mono" aria-label="Scatter y" list=format!("ws-cols-{id}") prop:value=y
                            on:change=move |ev| { let v = event_target_value(&ev); edit(Box::new(move |p| if let PanelKind::Scatter { y, .. } = &mut p.kind { *y = v })); } />
                    </label>
                }.into_any()),
                Some(PanelKind::Bar { metric }) => Some(view! {
                    <label>"Metric "
                        <input class="mono" aria-label="Bar metric" list=format!("ws-cols-{id}") prop:value=metric
                            on:change=move |ev| { let v = event_target_value(&ev); edit(Box::new(move |p| if let PanelKind::Bar { metric } = &mut p.kind { *metric = v })); } />
                    </label>
                }.into_any()),
                Some(PanelKind::Markdown { text }) => Some(view! {
                    <label>"Markdown "
                        <textarea aria-label="Markdown text" rows="8" prop:value=text
                            on:change=move |ev| { let v = event_target_value(&ev); edit(Box::new(move |p| if let PanelKind::Markdown { text } = &mut p.kind { *text = v })); }></textarea>
                    </label>
                }.into_any()),
                _ => None,
            }}
            <div class="ws-editor-foot">
                <button class="primary small" on:click=move |_| close2()>"Done"</button>
            </div>
        </div>
    }
}
