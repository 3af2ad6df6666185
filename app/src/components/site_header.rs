use leptos::prelude::*;
use leptos_router::components::A;

use crate::api::session::current_user;
use crate::SessionActions;

/// The bar across the top: home link and the viewer's sign-in state.
#[component]
pub fn SiteHeader() -> impl IntoView {
    let actions = SessionActions::get();
    let sign_out = actions.sign_out;
    let user = Resource::new(
        move || (actions.sign_in.version().get(), sign_out.version().get()),
        |_| current_user(),
    );
    view! {
        <header class="site-header">
            <A href="/" attr:class="brand">
                <img src="/favicon.svg" alt="" width="22" height="22" />
                "Cairn"
            </A>
            <nav class="account" aria-label="Account">
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        match user.await {
                            Ok(Some(viewer)) => view! {
                                <span class="who">{viewer.display_name}</span>
                                <ActionForm action=sign_out attr:class="inline">
                                    <button type="submit" class="link-button">"Sign out"</button>
                                </ActionForm>
                            }
                            .into_any(),
                            _ => view! { <a href="/login" class="button">"Sign in"</a> }.into_any(),
                        }
                    })}
                </Transition>
            </nav>
        </header>
    }
}
