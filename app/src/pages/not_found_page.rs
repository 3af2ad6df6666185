use leptos::prelude::*;

/// Shown for any URL no route matches, with a 404 status.
#[component]
pub fn NotFoundPage() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <section class="card narrow">
            <h1>"Page not found"</h1>
            <p>"Nothing lives at this address. "<a href="/">"Back to your projects"</a></p>
        </section>
    }
}
