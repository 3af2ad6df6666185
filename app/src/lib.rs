#![recursion_limit = "256"]
//! Cairn's shared crate: typed models, pure logic, server functions, pages,
//! components and charts. Compiled natively (feature `ssr`) for the server and to
//! WASM (feature `hydrate`) for the browser.

pub mod api;
pub mod charts;
pub mod components;
pub mod logic;
pub mod model;
pub mod pages;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, MetaTags, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{path, SsrMode};

use components::site_header::SiteHeader;
use pages::{
    ArtifactPage, AutomationPage, EntityPage, HomePage, NotFoundPage, ProjectPage, ProjectTab,
    ReportHistoryPage, ReportPage, RunPage, SettingsPage, SignInPage, SignUpPage, SweepPage,
};

/// The HTML document around the app, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    send_page_policy();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <link rel="icon" type="image/svg+xml" href="/favicon.svg" />
                <AutoReload options=options.clone() />
                <HashedStylesheet id="leptos" options=options.clone() />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// Send this page's content security policy, naming the nonce that Leptos gives its
/// inline scripts (hydration, serialised resources) for this one response.
#[cfg(feature = "ssr")]
fn send_page_policy() {
    let nonce = leptos::nonce::use_nonce();
    let response = use_context::<leptos_axum::ResponseOptions>();
    if let (Some(nonce), Some(response)) = (nonce, response) {
        if let Ok(v) = http::HeaderValue::from_str(&logic::html::page_policy(&nonce)) {
            response.insert_header(http::header::CONTENT_SECURITY_POLICY, v);
        }
    }
}

/// The app: header and routes.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    components::menus::provide_menus();
    // Effects run only in the browser, once hydration is done: mark the page so tests
    // (and anyone curious) can tell a hydrated page from the server-rendered HTML.
    #[cfg(feature = "hydrate")]
    Effect::new(|_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
    view! {
        <Title formatter=logic::html::document_title />
        <Router>
            <Frame />
        </Router>
    }
}

/// Everything inside the router: who is signed in, the header and the routes.
#[component]
fn Frame() -> impl IntoView {
    components::site_header::provide_current_user();
    // Whether the page was asked for without the app's chrome (`?embed=1`).
    let query = leptos_router::hooks::use_query_map();
    let embedded = Memo::new(move |_| query.with(|q| q.get("embed").is_some_and(|v| v == "1")));
    view! {
            // `?embed=1` (a report in an `<iframe>`): the page without the app's chrome.
            {move || (!embedded.get()).then(|| view! { <SiteHeader /> })}
            <main class=move || if embedded.get() { "page embed" } else { "page" }>
                <Routes fallback=NotFoundPage>
                    // Every page waits for its data before sending HTML (SsrMode::Async):
                    // pages are small, and they then read fully without JavaScript.
                    <Route path=path!("/") view=HomePage ssr=SsrMode::Async />
                    <Route path=path!("/login") view=SignInPage ssr=SsrMode::Async />
                    <Route path=path!("/signup") view=SignUpPage ssr=SsrMode::Async />
                    <Route path=path!("/settings") view=SettingsPage ssr=SsrMode::Async />
                    <Route path=path!("/:entity") view=EntityPage ssr=SsrMode::Async />
                    <Route
                        path=path!("/:entity/:project")
                        view=|| view! { <ProjectPage tab=ProjectTab::Workspace /> }
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=path!("/:entity/:project/overview")
                        view=|| view! { <ProjectPage tab=ProjectTab::Overview /> }
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=path!("/:entity/:project/workspace")
                        view=|| view! { <ProjectPage tab=ProjectTab::Workspace /> }
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=path!("/:entity/:project/runs")
                        view=|| view! { <ProjectPage tab=ProjectTab::Runs /> }
                        ssr=SsrMode::Async
                    />
                    <Route path=path!("/:entity/:project/runs/:run_id") view=RunPage ssr=SsrMode::Async />
                    <Route
                        path=path!("/:entity/:project/artifacts")
                        view=|| view! { <ProjectPage tab=ProjectTab::Artifacts /> }
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=path!("/:entity/:project/artifacts/:type/:collection")
                        view=|| view! { <ProjectPage tab=ProjectTab::Artifacts /> }
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=path!("/:entity/:project/artifacts/:type/:collection/:version")
                        view=ArtifactPage
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=path!("/:entity/:project/automations")
                        view=|| view! { <ProjectPage tab=ProjectTab::Automations /> }
                        ssr=SsrMode::Async
                    />
                    <Route path=path!("/:entity/:project/automations/:automation") view=AutomationPage ssr=SsrMode::Async />
                    <Route
                        path=path!("/:entity/:project/sweeps")
                        view=|| view! { <ProjectPage tab=ProjectTab::Sweeps /> }
                        ssr=SsrMode::Async
                    />
                    <Route path=path!("/:entity/:project/sweeps/:sweep") view=SweepPage ssr=SsrMode::Async />
                    <Route
                        path=path!("/:entity/:project/reports")
                        view=|| view! { <ProjectPage tab=ProjectTab::Reports /> }
                        ssr=SsrMode::Async
                    />
                    <Route path=path!("/:entity/:project/reports/:report") view=ReportPage ssr=SsrMode::Async />
                    <Route
                        path=path!("/:entity/:project/reports/:report/edit")
                        view=components::reports::ReportEditPage
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=path!("/:entity/:project/reports/:report/history")
                        view=ReportHistoryPage
                        ssr=SsrMode::Async
                    />
                </Routes>
            </main>
    }
}
