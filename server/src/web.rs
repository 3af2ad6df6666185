//! Assembling the whole HTTP surface: `/api/v1`, the wandb protocol, the Leptos pages and server
//! functions (with the storage services in their context), and static files.

use std::sync::Arc;

use axum::Router;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};

use app::api::service::Services;
use app::{shell, App};

use crate::service::UiService;
use crate::wandb::WandbState;

/// The full router for one server process.
pub fn router(state: WandbState, leptos_options: LeptosOptions) -> Router {
    let routes = generate_route_list(App);
    let (site_root, site_pkg_dir) = (
        leptos_options.site_root.clone(),
        leptos_options.site_pkg_dir.clone(),
    );
    let services: Services = Arc::new(UiService::new(
        state.api.db.clone(),
        state.api.chart_cache.clone(),
        state.api.writer.clone(),
    ));
    let context = move || provide_context(services.clone());
    let pages = Router::new()
        .leptos_routes_with_context(&leptos_options, routes, context, {
            let options = leptos_options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler(shell))
        .with_state(leptos_options);
    // `/pkg` (the wasm bundle, JS and CSS) must be served before the page routes, whose
    // `/{entity}/{project}` pattern would otherwise claim `/pkg/cairn.js`.
    let pkg_dir = std::path::Path::new(site_root.as_ref()).join(site_pkg_dir.as_ref());
    Router::new()
        .nest("/api/v1", crate::ingest::api_router(state.api.clone()))
        .merge(crate::wandb::wandb_router(state))
        .nest_service(
            "/pkg",
            // The wasm bundle is about 3.1 MB raw and 1.05 MB with brotli (release, `make build`).
            tower::ServiceBuilder::new()
                .layer(tower_http::compression::CompressionLayer::new())
                .service(tower_http::services::ServeDir::new(pkg_dir)),
        )
        .merge(pages)
}
