//! Assembling the whole HTTP surface: `/api/v1`, the wandb protocol, the Leptos pages and server
//! functions (with the storage services in their context), and static files.

use std::sync::Arc;

use axum::response::IntoResponse;
use axum::Router;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};

use app::api::service::Services;
use app::{shell, App};

use crate::service::UiService;
use crate::wandb::WandbState;

/// The full router for one server process.
pub fn router(state: WandbState, leptos_options: LeptosOptions) -> Router {
    let db = state.app.db.clone();
    let state_for_files = state.app.clone();
    let routes = generate_route_list(App);
    let (site_root, site_pkg_dir) = (
        leptos_options.site_root.clone(),
        leptos_options.site_pkg_dir.clone(),
    );
    let services: Services = Arc::new(UiService::new(
        state.app.db.clone(),
        state.app.blobs.clone(),
        state.app.chart_cache.clone(),
        state.app.writer.clone(),
        state.app.delivery(),
    ));
    let context = move || provide_context(services.clone());
    let pages = Router::new()
        .leptos_routes_with_context(&leptos_options, routes, context, {
            let options = leptos_options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler(shell))
        .with_state(leptos_options)
        .layer(axum::middleware::from_fn_with_state(db, redirect_renamed))
        .layer(axum::middleware::from_fn(server_fn_status))
        .layer(axum::middleware::from_fn(server_fn_body_limit))
        .layer(axum::middleware::from_fn(crate::csrf::layer));
    // `/pkg` (the wasm bundle, JS and CSS) must be served before the page routes, whose
    // `/{entity}/{project}` pattern would otherwise claim `/pkg/cairn.js`.
    let pkg_dir = std::path::Path::new(site_root.as_ref()).join(site_pkg_dir.as_ref());
    Router::new()
        .nest("/api/v1", crate::ingest::api_router(state.app.clone()))
        .merge(crate::wandb::wandb_router(state))
        .nest_service(
            "/pkg",
            // `make build` writes each file also brotli- and gzip-compressed at the highest
            // level (`--precompress`); those are sent as they are. A debug build has none,
            // so the compression layer compresses on the fly instead (it leaves answers
            // that already have a Content-Encoding alone).
            tower::ServiceBuilder::new()
                .layer(tower_http::compression::CompressionLayer::new())
                .service(
                    tower_http::services::ServeDir::new(pkg_dir)
                        .precompressed_br()
                        .precompressed_gzip(),
                ),
        )
        // A run's files for the browser, with the session cookie (the run page links
        // them); the same access check as the page.
        .route(
            "/{entity}/{project}/runs/{run}/files/{*name}",
            axum::routing::get(run_file_for_browser).with_state(state_for_files.clone()),
        )
        // An artifact version's files and zips, the same way.
        .route(
            "/{entity}/{project}/artifacts/{type}/{collection}/{version}/files/{*path}",
            axum::routing::get(artifact_file_for_browser).with_state(state_for_files.clone()),
        )
        .route(
            "/{entity}/{project}/artifacts/{type}/{collection}/{version}/zip",
            axum::routing::get(artifact_zip_for_browser).with_state(state_for_files.clone()),
        )
        // A report's exports (`?share=` works as on its page).
        .route(
            "/{entity}/{project}/reports/{report}/export.html",
            axum::routing::get(report_html_export).with_state(state_for_files.clone()),
        )
        .route(
            "/{entity}/{project}/reports/{report}/images/{sha}",
            axum::routing::get(report_image).with_state(state_for_files.clone()),
        )
        .route(
            "/{entity}/{project}/reports/{report}/export.md.zip",
            axum::routing::get(report_markdown_export).with_state(state_for_files.clone()),
        )
        // For load balancers and orchestrators, and for Prometheus.
        .route(
            "/healthz",
            axum::routing::get(healthz).with_state(state_for_files.clone()),
        )
        .route(
            "/metrics",
            axum::routing::get(prometheus_metrics).with_state(state_for_files),
        )
        // Files of `public/` at the root, before the pages: `/{entity}` would claim them.
        .route_service(
            "/favicon.svg",
            tower_http::services::ServeFile::new(
                std::path::Path::new(site_root.as_ref()).join("favicon.svg"),
            ),
        )
        .merge(pages)
        .layer(axum::middleware::from_fn(crate::headers::layer))
        .layer(axum::middleware::from_fn(count_request))
}

/// Count every request for `/metrics`, with the time until its answer's headers.
async fn count_request(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let area = crate::telemetry::area_of(request.uri().path());
    let started = std::time::Instant::now();
    let response = next.run(request).await;
    crate::telemetry::request(
        area,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}

/// `GET /metrics`: this server's counters in the OpenMetrics text format Prometheus
/// scrapes (no names of users, projects or runs: requests are counted by area).
async fn prometheus_metrics(
    axum::extract::State(s): axum::extract::State<crate::state::AppState>,
) -> axum::response::Response {
    let text = crate::telemetry::render(
        s.writer.queue_depth(),
        s.chart_cache.bytes(),
        s.body_budget.total_bytes() - s.body_budget.free_bytes(),
    );
    (
        [(
            axum::http::header::CONTENT_TYPE,
            crate::telemetry::CONTENT_TYPE,
        )],
        text,
    )
        .into_response()
}

/// `GET /healthz`: 200 when the database and the blob store both answer (the database
/// within 5 s, the store within the last second), 503 otherwise; the JSON says which (`"ok"` or `"unavailable"`). Anyone may ask, so the
/// reason (which may name internal hosts) goes to the server's log, not the answer.
async fn healthz(
    axum::extract::State(s): axum::extract::State<crate::state::AppState>,
) -> axum::response::Response {
    // A database that does not answer within seconds is as good as down for a load
    // balancer; the blob store's answer is reused for a second (a listing each time).
    let database = match tokio::time::timeout(std::time::Duration::from_secs(5), s.db.ping()).await
    {
        Ok(answer) => answer.map_err(|e| e.to_string()),
        Err(_) => Err("no answer within 5 s".to_owned()),
    };
    let blobs = s
        .blobs
        .reachable_lately(std::time::Duration::from_secs(1))
        .await;
    let say = |part: &str, result: &Result<(), String>| match result {
        Ok(()) => "ok",
        Err(e) => {
            tracing::warn!(part, error = %e, "health check failed");
            "unavailable"
        }
    };
    let body = serde_json::json!({
        "database": say("database", &database),
        "blobs": say("blob store", &blobs),
    });
    let status = if database.is_ok() && blobs.is_ok() {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::SERVICE_UNAVAILABLE
    };
    (status, axum::Json(body)).into_response()
}

/// `GET /{entity}/{project}/runs/{run}/files/{*name}`: one file of a run, for a
/// signed-in browser (session cookie) or a visitor of a public project. A project
/// the viewer may not read answers 404, as its pages do. Files are sent the one
/// safe way (`headers::file_response`).
async fn run_file_for_browser(
    axum::extract::State(s): axum::extract::State<crate::state::AppState>,
    axum::extract::Path((entity, project, run, name)): axum::extract::Path<(
        String,
        String,
        String,
        String,
    )>,
    headers: axum::http::HeaderMap,
) -> Result<axum::response::Response, crate::error::ApiError> {
    let viewer = browser_viewer(&s, &headers).await?;
    let at = app::model::ProjectRef::new(entity, project);
    let file = crate::service::reads::run_file(
        &s.db,
        &s.blobs,
        viewer.as_ref(),
        &at,
        &app::model::RunId(run),
        &name,
    )
    .await?;
    Ok(crate::headers::streamed_file_response(
        &name,
        file.size,
        file.reader,
    ))
}

/// The signed-in user behind a browser request's session cookie, if any.
async fn browser_viewer(
    s: &crate::state::AppState,
    headers: &axum::http::HeaderMap,
) -> Result<Option<crate::db::entities::user::Model>, crate::error::ApiError> {
    Ok(match crate::csrf::session_cookie(headers) {
        Some(token) => {
            crate::db::repo::users::user_for_session(
                &s.db,
                &crate::auth::credentials::token_hash(&token),
                crate::db::now_ms(),
            )
            .await?
        }
        None => None,
    })
}

/// Path of an artifact version's browser routes.
type VersionPath = (String, String, String, String, String);

fn version_ref(
    (entity, project, type_name, collection, version): VersionPath,
) -> app::model::VersionRef {
    app::model::VersionRef {
        project: app::model::ProjectRef::new(entity, project),
        type_name,
        collection,
        version,
    }
}

/// `GET /{entity}/{project}/artifacts/{type}/{collection}/{version}/files/{*path}`:
/// one file of a version, with the page's access check.
async fn artifact_file_for_browser(
    axum::extract::State(s): axum::extract::State<crate::state::AppState>,
    axum::extract::Path((entity, project, type_name, collection, version, path)): axum::extract::Path<(
        String,
        String,
        String,
        String,
        String,
        String,
    )>,
    headers: axum::http::HeaderMap,
) -> Result<axum::response::Response, crate::error::ApiError> {
    let viewer = browser_viewer(&s, &headers).await?;
    let r = version_ref((entity, project, type_name, collection, version));
    let file =
        crate::service::artifacts::file_bytes(&s.db, &s.blobs, viewer.as_ref(), &r, &path).await?;
    Ok(crate::headers::streamed_file_response(
        &path,
        file.size,
        file.reader,
    ))
}

/// Which folder a zip download holds (`""`: the whole version).
#[derive(serde::Deserialize)]
pub(crate) struct ZipQuery {
    #[serde(default)]
    folder: String,
}

/// `GET .../{version}/zip[?folder=images/]`: a folder or the whole version as a zip,
/// streamed while it is written.
async fn artifact_zip_for_browser(
    axum::extract::State(s): axum::extract::State<crate::state::AppState>,
    axum::extract::Path(path): axum::extract::Path<VersionPath>,
    axum::extract::Query(q): axum::extract::Query<ZipQuery>,
    headers: axum::http::HeaderMap,
) -> Result<axum::response::Response, crate::error::ApiError> {
    let viewer = browser_viewer(&s, &headers).await?;
    let r = version_ref(path);
    let (name, entries) =
        crate::service::artifacts::zip_entries(&s.db, viewer.as_ref(), &r, &q.folder).await?;
    Ok(crate::headers::zip_response(
        &name,
        crate::service::artifacts::zip::stream(s.blobs.clone(), entries),
    ))
}

/// Old URLs of a renamed project (`/{entity}/{old}/...`) answer with a temporary
/// redirect to its new name, for viewers who may read it; everyone else gets the
/// page's usual "not found", so a private project's new name does not leak.
async fn redirect_renamed(
    axum::extract::State(db): axum::extract::State<sea_orm::DatabaseConnection>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    if req.method() != axum::http::Method::GET {
        return next.run(req).await;
    }
    let session = crate::csrf::session_cookie(req.headers());
    let (path, query) = (
        req.uri().path().to_owned(),
        req.uri().query().map(str::to_owned),
    );
    let response = next.run(req).await;
    // Only a page that was not found can be an old name: pages that exist cost nothing.
    if response.status() != axum::http::StatusCode::NOT_FOUND {
        return response;
    }
    match renamed_target(&db, &path, query.as_deref(), session).await {
        Some(to) => {
            // Temporary and uncached: the name may change again, and the redirect
            // depends on who asks.
            let mut r = axum::response::Redirect::temporary(&to).into_response();
            r.headers_mut().insert(
                axum::http::header::CACHE_CONTROL,
                axum::http::HeaderValue::from_static("no-store"),
            );
            r
        }
        None => response,
    }
}

async fn renamed_target(
    db: &sea_orm::DatabaseConnection,
    path: &str,
    query: Option<&str>,
    session: Option<String>,
) -> Option<String> {
    use crate::db::repo::{projects, users};
    use app::logic::url::{decode_segment, encode_segment};
    let mut segs = path.trim_start_matches('/').splitn(3, '/');
    let (e, p) = (segs.next()?, segs.next()?);
    let rest = segs.next();
    let entity = decode_segment(e)?;
    let name = decode_segment(p)?;
    if entity.is_empty() || name.is_empty() || entity == "pkg" {
        return None;
    }
    let owner = projects::find_entity(db, &entity).await.ok()??;
    if projects::find_project(db, owner.id, &name)
        .await
        .ok()?
        .is_some()
    {
        return None;
    }
    let moved = projects::find_alias(db, owner.id, &name).await.ok()??;
    let viewer = match session {
        Some(token) => users::user_for_session(
            db,
            &crate::auth::credentials::token_hash(&token),
            crate::db::now_ms(),
        )
        .await
        .ok()?,
        None => None,
    };
    let access = crate::auth::access::project_access(db, viewer.as_ref(), &moved, &owner)
        .await
        .ok()?;
    if access == crate::auth::access::Access::None {
        return None;
    }
    let mut to = format!("/{e}/{}", encode_segment(&moved.name));
    if let Some(rest) = rest {
        to.push('/');
        to.push_str(rest);
    }
    if let Some(q) = query {
        to.push('?');
        to.push_str(q);
    }
    Some(to)
}

/// Largest body a server function takes (axum's default limit, which leptos would
/// otherwise report as a 500).
pub const MAX_SERVER_FN_BODY: u64 = 2 << 20;

/// A server function call with a body over [`MAX_SERVER_FN_BODY`] answers 413 with
/// an `AppError` the browser can show: at once when `Content-Length` says so, else
/// once the body has been read that far (server function bodies are read whole
/// anyway, so nothing is lost by reading them here).
async fn server_fn_body_limit(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let too_large = |size: Option<u64>| {
        let e = app::api::AppError::TooLarge(match size {
            Some(n) => format!(
                "the request has {n} bytes; at most {} MB are accepted",
                MAX_SERVER_FN_BODY >> 20
            ),
            None => format!(
                "the request is larger than the {} MB accepted",
                MAX_SERVER_FN_BODY >> 20
            ),
        });
        (axum::http::StatusCode::PAYLOAD_TOO_LARGE, axum::Json(e)).into_response()
    };
    if !req.uri().path().starts_with("/api/") || req.method() == axum::http::Method::GET {
        return next.run(req).await;
    }
    let declared = req
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_SERVER_FN_BODY) {
        return too_large(declared);
    }
    let (parts, body) = req.into_parts();
    match axum::body::to_bytes(body, MAX_SERVER_FN_BODY as usize).await {
        Ok(bytes) => {
            next.run(axum::extract::Request::from_parts(
                parts,
                axum::body::Body::from(bytes),
            ))
            .await
        }
        Err(_) => too_large(None),
    }
}

/// Server functions answer every error with 500; give the browser (and logs, and
/// proxies) the status the error means: 404 for a hidden project, 401, 403, 400, 429.
async fn server_fn_status(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let is_server_fn = req.uri().path().starts_with("/api/");
    let response = next.run(req).await;
    if !is_server_fn || response.status() != axum::http::StatusCode::INTERNAL_SERVER_ERROR {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        return axum::http::StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    if let Ok(e) = serde_json::from_slice::<app::api::AppError>(&bytes) {
        if let Ok(status) = axum::http::StatusCode::from_u16(e.status()) {
            parts.status = status;
        }
    }
    axum::response::Response::from_parts(parts, axum::body::Body::from(bytes))
}

/// The report a browser route names: `{slug}--{id}` and an optional `?share=` token.
fn report_ref(
    (entity, project, segment): (String, String, String),
    query: &std::collections::HashMap<String, String>,
) -> Result<app::model::ReportRef, crate::error::ApiError> {
    let at = app::model::ProjectRef::new(entity, project);
    app::model::ReportRef::parse(at, &segment, query.get("share").cloned())
        .ok_or_else(|| crate::error::ApiError::NotFound(format!("no report {segment:?}")))
}

/// `GET /{entity}/{project}/reports/{report}/export.html`: the report as one HTML
/// file that opens offline.
async fn report_html_export(
    axum::extract::State(s): axum::extract::State<crate::state::AppState>,
    axum::extract::Path(path): axum::extract::Path<(String, String, String)>,
    axum::extract::Query(query): axum::extract::Query<std::collections::HashMap<String, String>>,
    headers: axum::http::HeaderMap,
) -> Result<axum::response::Response, crate::error::ApiError> {
    let viewer = browser_viewer(&s, &headers).await?;
    let r = report_ref(path, &query)?;
    let (name, html) =
        crate::service::reports::export::html(&s.db, &s.chart_cache, &s.blobs, viewer.as_ref(), &r)
            .await?;
    Ok(crate::headers::download_response(
        &name,
        "text/html; charset=utf-8",
        html.into_bytes(),
    ))
}

/// `GET /{entity}/{project}/reports/{report}/export.md.zip`: the report as Markdown
/// with its charts as SVG files, zipped.
async fn report_markdown_export(
    axum::extract::State(s): axum::extract::State<crate::state::AppState>,
    axum::extract::Path(path): axum::extract::Path<(String, String, String)>,
    axum::extract::Query(query): axum::extract::Query<std::collections::HashMap<String, String>>,
    headers: axum::http::HeaderMap,
) -> Result<axum::response::Response, crate::error::ApiError> {
    let viewer = browser_viewer(&s, &headers).await?;
    let r = report_ref(path, &query)?;
    let (name, bytes) =
        crate::service::reports::export::markdown_zip(&s.db, &s.chart_cache, viewer.as_ref(), &r)
            .await?;
    Ok(crate::headers::download_response(
        &name,
        "application/zip",
        bytes,
    ))
}

/// `GET /{entity}/{project}/reports/{report}/images/{sha}`: an image uploaded into
/// the report, for whoever may read the report (`?share=` too).
async fn report_image(
    axum::extract::State(s): axum::extract::State<crate::state::AppState>,
    axum::extract::Path((entity, project, segment, sha)): axum::extract::Path<(
        String,
        String,
        String,
        String,
    )>,
    axum::extract::Query(query): axum::extract::Query<std::collections::HashMap<String, String>>,
    headers: axum::http::HeaderMap,
) -> Result<axum::response::Response, crate::error::ApiError> {
    let viewer = browser_viewer(&s, &headers).await?;
    let r = report_ref((entity, project, segment), &query)?;
    let (content_type, bytes) =
        crate::service::reports::images::read(&s.db, &s.blobs, viewer.as_ref(), &r, &sha).await?;
    let ext = content_type.trim_start_matches("image/");
    Ok(crate::headers::file_response(
        &format!("image.{ext}"),
        bytes,
    ))
}
