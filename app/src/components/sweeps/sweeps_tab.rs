use leptos::prelude::*;

use crate::api::sweeps::{create_sweep, get_sweeps};
use crate::components::error_view::ErrorView;
use crate::components::submit::{Submit, SubmitStatus};
use crate::logic::format;
use crate::logic::sweeps::config;
use crate::model::{sweep_href, ProjectRef, SweepCreated, SweepSummary};

use super::{CopyCommand, SweepStateBadge};

/// What the new-sweep box starts with: a working example to edit.
const EXAMPLE: &str = "program: train.py
method: bayes
metric:
  name: loss
  goal: minimize
parameters:
  lr:
    distribution: log_uniform_values
    min: 0.0001
    max: 0.1
  batch_size:
    values: [16, 32, 64]
run_cap: 20
";

/// The Sweeps tab: every sweep of the project with state, method, creator, age,
/// runs (and how many are expected), the best metric value and compute time; and,
/// for writers, a sweep made from YAML or JSON checked as it is typed.
#[component]
pub fn SweepsTab(
    /// The project whose sweeps are listed.
    project: ProjectRef,
) -> impl IntoView {
    let reload = RwSignal::new(0u32);
    // The form's state lives here: the list above it reloads after a create.
    let form = NewSweepState {
        text: RwSignal::new(EXAMPLE.to_owned()),
        name: RwSignal::new(String::new()),
        created: RwSignal::new(None),
    };
    let index = Resource::new(
        {
            let project = project.clone();
            move || (project.clone(), reload.get())
        },
        |(p, _)| get_sweeps(p),
    );
    view! {
        <Transition fallback=|| view! { <p class="loading">"Loading sweeps…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorView errors /> }>
                {
                    let project = project.clone();
                    move || {
                        let project = project.clone();
                        Suspend::new(async move {
                            let idx = index.await?;
                            let list = if idx.sweeps.is_empty() {
                                view! {
                                    <div class="empty">
                                        <p>"No sweeps yet."</p>
                                        <p class="muted">"A sweep tries many parameter sets for a training script: describe the search in YAML, then run "<code>"wandb agent"</code>" on as many machines as you like. Cairn decides each run."</p>
                                    </div>
                                }
                                .into_any()
                            } else {
                                view! { <SweepsTable project=project.clone() sweeps=idx.sweeps.clone() /> }.into_any()
                            };
                            let form = idx.can_write.then(|| view! { <NewSweep project=project.clone() reload state=form /> });
                            Ok::<_, crate::api::AppError>(view! {
                                <section class="card sweeps-card" aria-labelledby="sweeps-heading">
                                    <h2 id="sweeps-heading">"Sweeps"</h2>
                                    {list}
                                </section>
                                {form}
                            })
                        })
                    }
                }
            </ErrorBoundary>
        </Transition>
    }
}

#[component]
fn SweepsTable(project: ProjectRef, sweeps: Vec<SweepSummary>) -> impl IntoView {
    let now = crate::pages::now_ms();
    view! {
        <div class="table-scroll">
            <table class="sweeps-table">
                <thead>
                    <tr>
                        <th scope="col">"Sweep"</th>
                        <th scope="col">"State"</th>
                        <th scope="col">"Method"</th>
                        <th scope="col">"Creator"</th>
                        <th scope="col">"Created"</th>
                        <th scope="col" class="num">"Runs"</th>
                        <th scope="col" class="num">"Best"</th>
                        <th scope="col" class="num">"Compute"</th>
                    </tr>
                </thead>
                <tbody>
                    {sweeps
                        .into_iter()
                        .map(|s| {
                            let href = sweep_href(&project, &s.name);
                            let runs = match s.expected_runs {
                                Some(n) => format!("{} / {n}", s.run_count),
                                None => s.run_count.to_string(),
                            };
                            let best = match (&s.metric, s.best) {
                                (Some(m), Some(b)) => format!("{} {m} {}", if s.maximize { "max" } else { "min" }, format::number(b)),
                                (Some(m), None) => format!("{m}: —"),
                                (None, _) => "—".to_owned(),
                            };
                            view! {
                                <tr>
                                    <td>
                                        <a href=href>{s.title().to_owned()}</a>
                                        {s.display_name.is_some().then(|| view! { <span class="muted mono">" "{s.name.clone()}</span> })}
                                    </td>
                                    <td><SweepStateBadge state=s.state /></td>
                                    <td>{s.method.clone()}</td>
                                    <td>{s.creator.clone()}</td>
                                    <td title=format::iso_utc_seconds(s.created_at_ms)>{format::ago(s.created_at_ms, now)}</td>
                                    <td class="num">{runs}</td>
                                    <td class="num">{best}</td>
                                    <td class="num">{format::duration(s.compute_seconds)}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
}

/// What the configuration typed so far amounts to: a summary, or the error with
/// its line.
fn check_text(text: &str) -> Result<String, String> {
    let cfg = config::parse(text).map_err(|e| e.to_string())?;
    let leaves = cfg.leaves().len();
    let size = match (cfg.method, cfg.expected_runs()) {
        (_, Some(n)) => format!(", {n} runs"),
        (_, None) => ", no run cap (runs until stopped)".to_owned(),
    };
    let warn = if cfg.warnings.is_empty() {
        String::new()
    } else {
        format!(" Note: {}", cfg.warnings.join("; "))
    };
    Ok(format!(
        "Valid: {} search over {leaves} parameter{}{size}.{warn}",
        cfg.method.as_str(),
        if leaves == 1 { "" } else { "s" }
    ))
}

/// What the new-sweep form holds (kept by the tab across reloads of its list).
#[derive(Clone, Copy)]
struct NewSweepState {
    text: RwSignal<String>,
    name: RwSignal<String>,
    created: RwSignal<Option<SweepCreated>>,
}

/// A sweep from YAML or JSON, checked as it is typed; once made, the command that
/// starts an agent on it.
#[component]
fn NewSweep(project: ProjectRef, reload: RwSignal<u32>, state: NewSweepState) -> impl IntoView {
    let NewSweepState {
        text,
        name,
        created,
    } = state;
    let checked = Memo::new(move |_| text.with(|t| check_text(t)));
    let submit = Submit::new();
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if checked.with_untracked(|c| c.is_err()) {
            return;
        }
        let n = name.get_untracked();
        submit.run(
            create_sweep(
                project.clone(),
                text.get_untracked(),
                (!n.trim().is_empty()).then_some(n),
            ),
            move |c| {
                created.set(Some(c));
                reload.update(|n| *n += 1);
                None
            },
        );
    };
    view! {
        <section class="card new-sweep" aria-labelledby="new-sweep-heading">
            <h2 id="new-sweep-heading">"New sweep"</h2>
            <form on:submit=create>
                <label class="field">
                    "Name (optional)"
                    <input type="text" maxlength="200" prop:value=move || name.get()
                        on:input=move |ev| name.set(event_target_value(&ev)) />
                </label>
                <label class="field">
                    <span>"Configuration (YAML or JSON, as for "<code>"wandb sweep"</code>")"</span>
                    <textarea class="mono sweep-config" rows="16" spellcheck="false" aria-describedby="sweep-check"
                        prop:value=move || text.get()
                        on:input=move |ev| text.set(event_target_value(&ev))></textarea>
                </label>
                {move || match checked.get() {
                    Ok(msg) => view! { <p id="sweep-check" class="check-ok" role="status">{msg}</p> }.into_any(),
                    // A polite live region: typing announces the outcome once it settles,
                    // not an alarm per keystroke.
                    Err(e) => view! { <p id="sweep-check" class="error-message" role="status">{e}</p> }.into_any(),
                }}
                <button type="submit" disabled=move || submit.busy.get() || checked.with(|c| c.is_err())>"Create sweep"</button>
                <SubmitStatus submit />
            </form>
            {move || created.get().map(|c| view! {
                <div class="sweep-created" role="status">
                    <p>"Sweep "<a href=c.url.clone()>{c.name.clone()}</a>" is ready. Start an agent where your script lives:"</p>
                    <CopyCommand command=c.agent_command.clone() />
                </div>
            })}
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_is_valid_and_errors_name_their_line() {
        assert!(check_text(EXAMPLE)
            .unwrap()
            .starts_with("Valid: bayes search over 2 parameters, 20 runs."));
        let e = check_text("method: grid\nparameters:\n  lr:\n    min: 0.1\n    max: 0.5\n")
            .unwrap_err();
        assert!(
            e.starts_with("line 3: parameters.lr: grid search needs discrete values"),
            "{e}"
        );
    }
}
