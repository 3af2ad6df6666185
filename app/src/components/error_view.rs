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
                        let signed_in = use_context::<crate::components::site_header::CurrentUser>()
                            .is_some_and(|u| u.signed_in());
                        let hint = match (status, signed_in) {
                            (404 | 401, false) => Some(view! {
                                <p class="muted">"It may be private: "<a href="/login">"sign in"</a>" to see it."</p>
                            }.into_any()),
                            (404, true) => Some(view! {
                                <p class="muted">"It may be private, or its name changed: "<a href="/">"your projects"</a>"."</p>
                            }.into_any()),
                            _ => None,
                        };
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
