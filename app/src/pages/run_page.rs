use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::runs::get_run_detail;
use crate::components::artifacts::RunArtifacts;
use crate::components::console_view::ConsoleView;
use crate::components::error_view::ErrorView;
use crate::components::key_value_table::KeyValueTable;
use crate::components::run_plot::RunPlot;
use crate::components::state_badge::StateBadge;
use crate::logic::format;
use crate::model::{ProjectRef, RunDetail, RunId};

/// `/{entity}/{project}/runs/{run_id}`: one run.
#[component]
pub fn RunPage() -> impl IntoView {
    let entity = super::route_param("entity");
    let project_name = super::route_param("project");
    let run_id = super::route_param("run_id");
    let key = Memo::new(move |_| {
        (
            ProjectRef::new(entity.get(), project_name.get()),
            RunId(run_id.get()),
        )
    });
    let detail = Resource::new(move || key.get(), |(p, r)| get_run_detail(p, r));
    view! {
        <Transition fallback=|| view! { <p class="loading">"Loading run…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorView errors /> }>
                {move || Suspend::new(async move {
                    let d = detail.await?;
                    Ok::<_, crate::api::AppError>(view! { <RunView detail=d /> })
                })}
            </ErrorBoundary>
        </Transition>
    }
}

#[component]
fn RunView(
    /// Everything about the run but its metric data.
    detail: RunDetail,
) -> impl IntoView {
    let d = detail;
    let now = super::now_ms();
    let finished = d
        .finished_at_ms
        .map(format::timestamp)
        .unwrap_or_else(|| "–".to_owned());
    // System metrics (CPU, memory, disk, network; `system/*`, as the wandb client
    // samples them) are many and rarely looked at: they sit behind a toggle and are
    // fetched only once shown.
    let (system_keys, metric_keys): (Vec<String>, Vec<String>) = d
        .metric_keys
        .iter()
        .cloned()
        .partition(|k| k.starts_with("system/"));
    // The run's colour, the same as in the Workspace and the Runs tab.
    let color = d
        .color
        .as_deref()
        .and_then(crate::logic::workspace::parse_hex_color)
        .unwrap_or_else(|| {
            let c = crate::charts::run_id_color(&d.id.0);
            (c.0, c.1, c.2)
        });
    let panels = {
        let (project, run, name) = (d.project.clone(), d.id.clone(), d.display_name.clone());
        move |keys: Vec<String>| {
            let (project, run, name) = (project.clone(), run.clone(), name.clone());
            view! {
                <div class="panel-grid">
                    {keys
                        .into_iter()
                        .map(|key| view! {
                            <RunPlot project=project.clone() run=run.clone() run_name=name.clone() color key />
                        })
                        .collect_view()}
                </div>
            }
        }
    };
    let charts = if metric_keys.is_empty() {
        view! { <p class="empty">"No metrics were logged."</p> }.into_any()
    } else {
        panels(metric_keys).into_any()
    };
    let system = (!system_keys.is_empty()).then(|| {
        let shown = RwSignal::new(false);
        let count = system_keys.len();
        view! {
            <section class="card" aria-labelledby="system-heading">
                <h2 id="system-heading">"System"</h2>
                <button
                    type="button"
                    class="secondary"
                    aria-expanded=move || shown.get().to_string()
                    aria-controls="system-panels"
                    on:click=move |_| shown.update(|s| *s = !*s)
                >
                    {move || if shown.get() { "Hide system metrics".to_owned() } else { format!("Show {count} system metrics") }}
                </button>
                <div id="system-panels">
                    {move || shown.get().then(|| panels(system_keys.clone()))}
                </div>
            </section>
        }
    });
    view! {
        <Title text=d.display_name.clone() />
        <div class="project-head">
            <p class="crumbs">
                <span>{d.project.entity.clone()}</span>" / "
                <a href=d.project.href()>{d.project.project.clone()}</a>" / runs"
            </p>
            <h1>{d.display_name.clone()}" "<StateBadge state=d.state /></h1>
        </div>
        <section class="card">
            <dl class="facts">
                <div><dt>"Run id"</dt><dd data-fact="run-id">{d.id.0.clone()}</dd></div>
                <div><dt>"User"</dt><dd>{d.user.clone()}</dd></div>
                <div><dt>"Created"</dt><dd>{format::timestamp(d.created_at_ms)}</dd></div>
                <div><dt>"Last heartbeat"</dt><dd>{format::ago(d.heartbeat_at_ms, now)}</dd></div>
                <div><dt>"Finished"</dt><dd>{finished}</dd></div>
                <div><dt>"Runtime"</dt><dd data-fact="runtime">{format::duration(d.runtime_seconds)}</dd></div>
                <div><dt>"Exit code"</dt><dd>{d.exit_code.map(|c| c.to_string()).unwrap_or_else(|| "–".into())}</dd></div>
                <div><dt>"Group"</dt><dd>{d.group.clone().unwrap_or_else(|| "–".into())}</dd></div>
                <div><dt>"Job type"</dt><dd>{d.job_type.clone().unwrap_or_else(|| "–".into())}</dd></div>
                <div><dt>"Host"</dt><dd>{d.host.clone().unwrap_or_else(|| "–".into())}</dd></div>
                <div><dt>"Git commit"</dt><dd>{d.git_commit.clone().unwrap_or_else(|| "–".into())}</dd></div>
                <div><dt>"Tags"</dt><dd>{d.tags.iter().map(|t| view! { <span class="tag">{t.clone()}</span> }).collect_view()}</dd></div>
            </dl>
            {(!d.notes.is_empty()).then(|| view! { <p class="description">{d.notes.clone()}</p> })}
        </section>
        <section class="card" aria-labelledby="charts-heading">
            <h2 id="charts-heading">"Charts"</h2>
            {charts}
        </section>
        {system}
        <div class="two-col">
            <section class="card" aria-labelledby="config-heading">
                <h2 id="config-heading">"Config"</h2>
                <KeyValueTable value=d.config.clone() label="Config" empty="No config was logged." />
            </section>
            <section class="card" aria-labelledby="summary-heading">
                <h2 id="summary-heading">"Summary"</h2>
                <KeyValueTable value=d.summary.clone() label="Summary" empty="No summary yet." />
            </section>
        </div>
        <section class="card" aria-labelledby="files-heading">
            <h2 id="files-heading">"Files"</h2>
            {if d.files.is_empty() {
                view! { <p class="empty">"No files were uploaded."</p> }.into_any()
            } else {
                let base = format!("{}/files", d.project.run_href(&d.id));
                view! {
                    <table class="list" aria-label="Files">
                        <thead><tr><th scope="col">"Name"</th><th scope="col" class="num">"Size"</th><th scope="col">"Uploaded"</th><th scope="col">"MD5"</th></tr></thead>
                        <tbody>
                            {d.files.iter().map(|f| {
                                let href = format!(
                                    "{base}/{}",
                                    f.name.split('/').map(crate::logic::url::encode_segment).collect::<Vec<_>>().join("/")
                                );
                                view! {
                                    <tr>
                                        <td><a href=href download=f.name.rsplit('/').next().unwrap_or_default().to_owned() rel="external">{f.name.clone()}</a></td>
                                        <td class="num">{format::bytes(f.size)}</td>
                                        <td>{format::timestamp(f.uploaded_ms)}</td>
                                        <td class="mono small">{f.md5.clone()}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
        </section>
        <RunArtifacts project=d.project.clone() run=d.id.clone() />
        <section class="card" aria-labelledby="console-heading">
            <h2 id="console-heading">"Console"</h2>
            <ConsoleView lines=d.console.clone() total=d.console_total />
        </section>
    }
}
