use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::session::{signup_enabled, SignUp};
use crate::components::error_view::ErrorView;

/// `/signup`: create an account (when the admin allows it).
#[component]
pub fn SignUpPage() -> impl IntoView {
    let action = ServerAction::<SignUp>::new();
    let enabled = Resource::new(|| (), |_| signup_enabled());
    let error = move || {
        action
            .value()
            .get()
            .and_then(|r| r.err())
            .map(|e| view! { <p class="error-message" role="alert">{e.to_string()}</p> })
    };
    view! {
        <Title text="Create an account" />
        <section class="card narrow">
            <h1>"Create an account"</h1>
            <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                <ErrorBoundary fallback=|errors| view! { <ErrorView errors /> }>
                    {move || Suspend::new(async move {
                        let on = enabled.await?;
                        Ok::<_, crate::api::AppError>(if on {
                            view! {
                                <ActionForm action>
                                    <label>
                                        "Username"
                                        <input type="text" name="username" autocomplete="username" required autofocus
                                            pattern="[A-Za-z0-9_.\\-]{1,64}"
                                            title="1 to 64 letters, digits, '_', '.' or '-'" />
                                    </label>
                                    <label>
                                        "Display name"
                                        <input type="text" name="display_name" autocomplete="name" />
                                    </label>
                                    <label>
                                        "Password (at least 8 characters)"
                                        <input type="password" name="password" autocomplete="new-password" required minlength="8" />
                                    </label>
                                    {error}
                                    <button type="submit" class="primary" disabled=move || action.pending().get()>
                                        {move || if action.pending().get() { "Creating…" } else { "Create account" }}
                                    </button>
                                </ActionForm>
                                <p class="muted">"Already have an account? "<a href="/login">"Sign in"</a></p>
                            }
                            .into_any()
                        } else {
                            view! {
                                <p role="status">"Sign-up is turned off on this server. Ask an admin for an account."</p>
                                <p><a href="/login">"Sign in"</a></p>
                            }
                            .into_any()
                        })
                    })}
                </ErrorBoundary>
            </Suspense>
        </section>
    }
}
