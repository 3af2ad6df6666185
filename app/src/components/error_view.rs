use leptos::prelude::*;

use crate::api::AppError;

/// What an `ErrorBoundary` shows: each error's message, and on the server the
/// matching HTTP status (404 for a missing project, 401 when sign-in is needed).
#[component]
pub fn ErrorView(
    /// The errors caught by the boundary.
    errors: ArcRwSignal<Errors>,
) -> impl IntoView {
    let messages = move || {
        errors
            .get()
            .into_iter()
            .map(|(_, e)| match e.downcast_ref::<AppError>() {
                Some(app) => (app.status(), app.to_string()),
                None => (500, e.to_string()),
            })
            .collect::<Vec<_>>()
    };
    #[cfg(feature = "ssr")]
    {
        if let (Some(response), Some((status, _))) = (
            use_context::<leptos_axum::ResponseOptions>(),
            messages().first().cloned(),
        ) {
            if let Ok(code) = http::StatusCode::from_u16(status) {
                response.set_status(code);
            }
        }
    }
    view! {
        <div class="error-box" role="alert">
            {move || {
                messages()
                    .into_iter()
                    .map(|(status, message)| {
                        let hint = (status == 404 || status == 401)
                            .then(|| view! { <p class="muted">"It may be private: try signing in."</p> });
                        view! {
                            <p class="error-message">{message}</p>
                            {hint}
                        }
                    })
                    .collect_view()
            }}
        </div>
    }
}
