use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::session::SignIn;

/// `/login`: sign in with a username and password.
#[component]
pub fn SignInPage() -> impl IntoView {
    // Created here, inside <Routes>: a form posted without JavaScript comes back with
    // its error in the URL, and only actions created under <Routes> pick it up.
    let action = ServerAction::<SignIn>::new();
    let query = use_query_map();
    let next = move || query.with(|q| q.get("next").unwrap_or_else(|| "/".to_owned()));
    let error = move || {
        action
            .value()
            .get()
            .and_then(|r| r.err())
            .map(|e| view! { <p class="error-message" role="alert">{e.to_string()}</p> })
    };
    view! {
        <Title text="Sign in" />
        <section class="card narrow">
            <h1>"Sign in to Cairn"</h1>
            <ActionForm action>
                <input type="hidden" name="next" value=next />
                <label>
                    "Username"
                    <input type="text" name="username" autocomplete="username" required autofocus />
                </label>
                <label>
                    "Password"
                    <input type="password" name="password" autocomplete="current-password" required />
                </label>
                {error}
                <button type="submit" class="primary" disabled=move || action.pending().get()>
                    {move || if action.pending().get() { "Signing in…" } else { "Sign in" }}
                </button>
            </ActionForm>
            <p class="muted">"New here? "<a href="/signup">"Create an account"</a></p>
        </section>
    }
}
