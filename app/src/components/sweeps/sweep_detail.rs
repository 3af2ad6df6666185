use leptos::prelude::*;

use crate::api::sweeps::{get_sweep, sweep_act};
use crate::components::error_view::ErrorView;
use crate::components::state_badge::StateBadge;
use crate::components::submit::{confirmed, Submit, SubmitStatus};
use crate::logic::format;
use crate::logic::sweeps::parcoords::{self, Brushes};
use crate::model::{ProjectRef, RunState, SweepAction, SweepState, SweepView};

use super::charts::{runtime, ImportanceTable, MetricChart, ParCoordsChart};
use super::{CopyCommand, SweepStateBadge};

/// Runs the table shows before "Show all".
const RUNS_SHOWN: usize = 100;

/// A sweep's page: its state and buttons, the agent command, the charts (parallel
/// coordinates with brushing, parameter importance, the metric over time), the
/// runs (limited by the brushes), the agents and the configuration. While the
/// sweep runs, it reads itself again every 5 seconds.
#[component]
pub fn SweepDetail(project: ProjectRef, name: String) -> impl IntoView {
    let reload = RwSignal::new(0u32);
    let sweep = Resource::new(
        {
            let (project, name) = (project.clone(), name.clone());
            move || (project.clone(), name.clone(), reload.get())
        },
        |(p, n, _)| get_sweep(p, n),
    );
    // What the page holds across its reloads (every 5 s while the sweep runs).
    let keep = Kept {
        brushes: RwSignal::new(Brushes::new()),
        show_all: RwSignal::new(false),
        submit: Submit::new(),
    };
    let live = RwSignal::new(false);
    #[cfg(feature = "hydrate")]
    {
        let handle = set_interval_with_handle(
            move || {
                if live.get_untracked() {
                    reload.update(|n| *n += 1);
                }
            },
            std::time::Duration::from_secs(5),
        );
        if let Ok(h) = handle {
            on_cleanup(move || h.clear());
        }
    }
    view! {
        <Transition fallback=|| view! { <p class="loading">"Loading sweep…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorView errors /> }>
                {move || Suspend::new(async move {
                    let v = sweep.await?;
                    live.set(matches!(v.summary.state, SweepState::Running | SweepState::Pending));
                    Ok::<_, crate::api::AppError>(view! { <SweepBody v reload keep /> })
                })}
            </ErrorBoundary>
        </Transition>
    }
}

/// The page's state that outlives a reload of the sweep.
#[derive(Clone, Copy)]
struct Kept {
    brushes: RwSignal<Brushes>,
    show_all: RwSignal<bool>,
    submit: Submit,
}

#[component]
fn SweepBody(v: SweepView, reload: RwSignal<u32>, keep: Kept) -> impl IntoView {
    let Kept {
        brushes,
        show_all,
        submit,
    } = keep;
    let now = crate::pages::now_ms();
    let s = &v.summary;
    let metric = s.metric.clone();
    let pc = parcoords::build(&v.params, &v.runs, metric.as_deref(), s.maximize);
    let pc_for_table = pc.clone();
    let shown = Memo::new(move |_| brushes.with(|b| parcoords::selected(&pc_for_table, b)));
    let runs_label = match s.expected_runs {
        Some(n) => format!("{} of {n} runs", s.run_count),
        None => format!("{} runs", s.run_count),
    };
    let best = match (&metric, s.best) {
        (Some(m), Some(b)) => format!("best {m}: {}", format::number(b)),
        _ => String::new(),
    };
    let failed = v
        .runs
        .iter()
        .any(|r| matches!(r.state, RunState::Failed | RunState::Crashed) && !r.requeued);
    let buttons = v.can_write.then(|| {
        view! { <SweepButtons at=v.at.clone() name=s.name.clone() state=s.state failed reload submit /> }
    });
    let charts = metric.clone().map(|m| {
        let runs = v.runs.clone();
        let importance = v.importance.clone();
        let maximize = s.maximize;
        view! {
            <div class="sweep-charts">
                <section class="card chart-card" aria-labelledby="importance-heading">
                    <h2 id="importance-heading">{format!("Parameter importance for {m}")}</h2>
                    <ImportanceTable scores=importance metric=m.clone() />
                </section>
                <section class="card chart-card" aria-labelledby="metric-heading">
                    <h2 id="metric-heading">{format!("{m} over time")}</h2>
                    <MetricChart runs metric=m.clone() maximize />
                </section>
            </div>
        }
    });
    let pc_section = (!v.runs.is_empty()).then(|| {
        view! {
            <section class="card chart-card" aria-label="Parallel coordinates">
                <ParCoordsChart pc brushes />
            </section>
        }
    });
    let params = v.params.clone();
    let runs = v.runs.clone();
    let at = v.at.clone();
    let maximize = s.maximize;
    // Long sweeps show their best runs first, a page at a time (`show_all`).
    let runs_table = move || {
        let sel = shown.get();
        let mut visible: Vec<_> = runs
            .iter()
            .zip(sel.iter().chain(std::iter::repeat(&true)))
            .filter(|(_, on)| **on)
            .map(|(r, _)| r.clone())
            .collect();
        visible.sort_by(|a, b| match (a.metric, b.metric) {
            (Some(x), Some(y)) if maximize => y.total_cmp(&x),
            (Some(x), Some(y)) => x.total_cmp(&y),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => b.created_at_ms.cmp(&a.created_at_ms),
        });
        let total = runs.len();
        let matching = visible.len();
        let hidden = if show_all.get() {
            0
        } else {
            matching.saturating_sub(RUNS_SHOWN)
        };
        visible.truncate(matching - hidden);
        let at = at.clone();
        let params = params.clone();
        let metric = metric.clone();
        view! {
            <p class="muted" role="status">
                {if matching == total { format!("{total} runs") } else { format!("{matching} of {total} runs match the filters") }}
            </p>
            <div class="table-scroll">
                <table class="sweep-runs">
                    <thead>
                        <tr>
                            <th scope="col">"Run"</th>
                            <th scope="col">"State"</th>
                            {metric.clone().map(|m| view! { <th scope="col" class="num">{m}</th> })}
                            {params.iter().map(|p| view! { <th scope="col" class="mono">{p.clone()}</th> }).collect_view()}
                            <th scope="col" class="num">"Runtime"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {visible.into_iter().map(|r| {
                            let href = format!("{}/runs/{}", at.href(), r.run_id);
                            view! {
                                <tr>
                                    <td><a href=href>{r.display_name.clone()}</a>{r.requeued.then(|| view! { <span class="muted">" (re-queued)"</span> })}</td>
                                    <td><StateBadge state=r.state /></td>
                                    {metric.is_some().then(|| view! { <td class="num">{r.metric.map_or("—".to_owned(), format::number)}</td> })}
                                    {r.values.iter().map(|x| view! { <td class="mono">{value_text(x)}</td> }).collect_view()}
                                    <td class="num">{runtime(&r)}</td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
            {(hidden > 0).then(|| view! {
                <p class="muted">
                    {format!("The best {RUNS_SHOWN} are shown. ")}
                    <button type="button" class="small" on:click=move |_| show_all.set(true)>{format!("Show all {matching}")}</button>
                </p>
            })}
        }
    };
    let agents = v.agents.clone();
    view! {
        <section class="card sweep-head" aria-labelledby="sweep-heading">
            <div class="heading-row">
                <h2 id="sweep-heading">{s.title().to_owned()}</h2>
                <SweepStateBadge state=s.state />
            </div>
            <p class="muted">
                {format!("{} search · {runs_label} · created by {} {} · compute {}",
                    s.method, s.creator, format::ago(s.created_at_ms, now), format::duration(s.compute_seconds))}
                {(v.queued > 0).then(|| format!(" · {} parameter sets queued again", v.queued))}
                {(!best.is_empty()).then(|| format!(" · {best}"))}
                {v.local_controller.then_some(" · local controller")}
                {v.early_terminate.then_some(" · hyperband early stopping")}
            </p>
            {v.description.clone().map(|d| view! { <p>{d}</p> })}
            <p>"Start an agent (on as many machines as you like):"</p>
            <CopyCommand command=v.agent_command.clone() />
            {buttons}
        </section>
        {pc_section}
        {charts}
        <section class="card" aria-labelledby="sweep-runs-heading">
            <h2 id="sweep-runs-heading">"Runs"</h2>
            {runs_table}
            <p>
                <a href=format!("{}/runs?filter={}", v.at.href(), crate::logic::url::encode_segment(&format!("sweep = \"{}\"", s.name)))>
                    "Open these runs in the Runs tab"
                </a>
                " (filter "<code>{format!("sweep = \"{}\"", s.name)}</code>", also in the Workspace's runs sidebar)"
            </p>
        </section>
        <section class="card" aria-labelledby="agents-heading">
            <h2 id="agents-heading">"Agents"</h2>
            {if agents.is_empty() {
                view! { <p class="empty">"No agent has joined yet."</p> }.into_any()
            } else {
                view! {
                    <table class="agents">
                        <thead><tr><th scope="col">"Agent"</th><th scope="col">"Host"</th><th scope="col">"User"</th><th scope="col">"State"</th><th scope="col">"Last heartbeat"</th><th scope="col" class="num">"Runs"</th><th scope="col">"Running"</th></tr></thead>
                        <tbody>
                            {agents.into_iter().map(|a| view! {
                                <tr>
                                    <td>{a.name}</td><td class="mono">{a.host}</td><td>{a.user}</td><td>{a.state.to_lowercase()}</td>
                                    <td>{format::ago(a.heartbeat_at_ms, now)}</td><td class="num">{a.total_runs}</td>
                                    <td class="mono">{a.current_run.unwrap_or_default()}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
        </section>
        <section class="card" aria-labelledby="config-heading">
            <h2 id="config-heading">"Configuration"</h2>
            <pre class="mono sweep-config-view">{v.config.clone()}</pre>
        </section>
    }
}

fn value_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => "—".into(),
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Number(n) => n.as_f64().map_or_else(|| n.to_string(), format::number),
        other => other.to_string(),
    }
}

/// Pause / resume / stop / cancel, and re-queue failed runs.
#[component]
fn SweepButtons(
    at: ProjectRef,
    name: String,
    state: SweepState,
    failed: bool,
    reload: RwSignal<u32>,
    submit: Submit,
) -> impl IntoView {
    let act = move |action: SweepAction| {
        let (at, name) = (at.clone(), name.clone());
        move |_| {
            if action == SweepAction::Cancel
                && !confirmed("Cancel this sweep? Its running runs are stopped now.")
            {
                return;
            }
            submit.run(sweep_act(at.clone(), name.clone(), action), move |_| {
                reload.update(|n| *n += 1);
                None
            });
        }
    };
    let busy = move || submit.busy.get();
    view! {
        <div class="sweep-buttons" role="group" aria-label="Sweep controls">
            {(state == SweepState::Running).then(|| view! { <button type="button" on:click=act(SweepAction::Pause) disabled=busy>"Pause"</button> })}
            {(state == SweepState::Paused).then(|| view! { <button type="button" on:click=act(SweepAction::Resume) disabled=busy>"Resume"</button> })}
            {(!state.is_over()).then(|| view! {
                <button type="button" on:click=act(SweepAction::Stop) disabled=busy title="No new runs; running ones finish">"Stop"</button>
                <button type="button" class="danger" on:click=act(SweepAction::Cancel) disabled=busy title="Stop running runs too">"Cancel"</button>
            })}
            {(failed && state != SweepState::Canceled).then(|| view! {
                <button type="button" on:click=act(SweepAction::Requeue) disabled=busy title="Hand the parameters of failed and crashed runs out again">"Re-queue failed runs"</button>
            })}
            <SubmitStatus submit />
        </div>
    }
}
