use leptos::prelude::*;

use crate::logic::quick_start::{curl_snippet, wandb_snippet};
use crate::model::ProjectRef;

/// The address people reach this server at: `CAIRN_PUBLIC_URL` or the request's
/// own host on the server, the page's origin in the browser.
pub(crate) fn server_origin() -> String {
    #[cfg(feature = "ssr")]
    {
        if let Some(u) = crate::api::service::public_url() {
            return u.to_owned();
        }
        let parts = use_context::<http::request::Parts>();
        let header = |name: &str| {
            parts
                .as_ref()
                .and_then(|p| p.headers.get(name))
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let scheme = match header("x-forwarded-proto").as_deref() {
            Some("https") => "https",
            _ => "http",
        };
        let host = header("host").unwrap_or_else(|| "127.0.0.1:3000".to_owned());
        format!("{scheme}://{host}")
    }
    #[cfg(not(feature = "ssr"))]
    {
        window().location().origin().unwrap_or_default()
    }
}

/// How to log a first run into an empty project: the `wandb` client and `curl`,
/// with this server's address and the project's name filled in.
#[component]
pub fn QuickStart(
    /// The empty project.
    project: ProjectRef,
) -> impl IntoView {
    let origin = server_origin();
    let wandb = wandb_snippet(&origin, &project);
    let curl = curl_snippet(&origin, &project);
    view! {
        <section class="quick-start" aria-label="Log your first run">
            <h2>"Log your first run"</h2>
            <p>"With the official "<code>"wandb"</code>" client, unchanged, pointed at this server:"</p>
            <pre class="snippet" aria-label="wandb snippet"><code>{wandb}</code></pre>
            <p>"Or with plain HTTP (keys are made in "<a href="/settings">"Settings"</a>"):"</p>
            <pre class="snippet" aria-label="curl snippet"><code>{curl}</code></pre>
        </section>
    }
}
