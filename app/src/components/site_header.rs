use leptos::prelude::*;
use leptos_router::components::A;

use leptos_router::hooks::use_location;

use crate::api::session::{current_user, SignOut};

/// Who is signed in, for the header and for pages that word things differently
/// for a signed-in viewer (an error page does not suggest signing in to them).
#[derive(Clone, Copy)]
pub struct CurrentUser {
    pub user: Resource<Result<Option<crate::model::Viewer>, crate::api::AppError>>,
    pub sign_out: ServerAction<SignOut>,
}

impl CurrentUser {
    /// Whether someone is signed in, as far as is known yet (`false` while loading).
    pub fn signed_in(&self) -> bool {
        self.user
            .get()
            .is_some_and(|r| r.is_ok_and(|v| v.is_some()))
    }
}

/// Provide [`CurrentUser`], asked again after every navigation (signing in ends
/// with one) and every sign-out. Call inside the router.
pub fn provide_current_user() {
    let sign_out = ServerAction::<SignOut>::new();
    let path = use_location().pathname;
    let user = Resource::new(
        move || (path.get(), sign_out.version().get()),
        |_| current_user(),
    );
    provide_context(CurrentUser { user, sign_out });
}

/// The bar across the top: home link and the viewer's sign-in state.
#[component]
pub fn SiteHeader() -> impl IntoView {
    let CurrentUser { user, sign_out } = expect_context::<CurrentUser>();
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
                                <a class="who" href=format!("/{}", viewer.username)>
                                    {if viewer.display_name.is_empty() { viewer.username.clone() } else { viewer.display_name.clone() }}
                                </a>
                                <a href="/settings" class="quiet-link">"Settings"</a>
                                <ActionForm action=sign_out attr:class="inline">
                                    <button type="submit" class="link-button">"Sign out"</button>
                                </ActionForm>
                            }
                            .into_any(),
                            _ => view! {
                                <a href="/signup" class="quiet-link">"Sign up"</a>
                                <a href="/login" class="button">"Sign in"</a>
                            }
                            .into_any(),
                        }
                    })}
                </Transition>
            </nav>
        </header>
    }
}
