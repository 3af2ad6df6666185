use leptos::prelude::*;

use crate::logic::quick_start::{artifact_curl_snippet, artifact_use_snippet};
use crate::model::ArtifactVersion;

/// How to fetch a version (the `wandb` client, `curl`), the run that logged it and
/// every run that used it.
#[component]
pub fn VersionUsage(
    /// The version.
    version: ArtifactVersion,
) -> impl IntoView {
    let origin = crate::components::quick_start::server_origin();
    let wandb = artifact_use_snippet(&origin, &version.project, &version.qualified_name());
    let curl = artifact_curl_snippet(&origin, &version.version_ref());
    let producer = version.row.created_by.clone();
    let consumers = version.consumers.clone();
    view! {
        <section class="card" aria-labelledby="usage-heading">
            <h2 id="usage-heading">"Use this version"</h2>
            <p>"With the "<code>"wandb"</code>" client (the run records that it used it):"</p>
            <pre class="snippet" aria-label="wandb usage snippet"><code>{wandb}</code></pre>
            <p>"With "<code>"curl"</code>" against "<code>"/api/v1"</code>":"</p>
            <pre class="snippet" aria-label="curl usage snippet"><code>{curl}</code></pre>
        </section>
        <section class="card" aria-labelledby="runs-heading">
            <h2 id="runs-heading">"Runs"</h2>
            <h3>"Logged by"</h3>
            {match producer {
                Some(l) => view! { <p><a href=l.href() data-role="producer">{l.name.clone()}</a>" "<span class="muted">{l.project.project.clone()}</span></p> }.into_any(),
                None => view! { <p class="empty">"No run that you may see logged it."</p> }.into_any(),
            }}
            <h3>{format!("Used by ({})", consumers.len())}</h3>
            {if consumers.is_empty() {
                view! { <p class="empty">"No run has used this version yet."</p> }.into_any()
            } else {
                view! {
                    <ul class="run-links" aria-label="Consumers">
                        {consumers
                            .into_iter()
                            .map(|l| view! { <li><a href=l.href() data-role="consumer">{l.name.clone()}</a>" "<span class="muted">{format!("{}/{}", l.project.entity, l.project.project)}</span></li> })
                            .collect_view()}
                    </ul>
                }
                .into_any()
            }}
        </section>
    }
}
