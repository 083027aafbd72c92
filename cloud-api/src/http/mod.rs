//! The HTTP face of the control plane: the router built from the route table, the access guard,
//! extractors and fallbacks. Each domain's handlers live in its own folder.

pub mod client_address;
mod console_assets;
pub(crate) mod cookies;
pub mod extract;
mod fallback;
pub mod guard;
mod openapi;
pub mod request_id;
pub mod routes;

pub use cookies::SESSION_COOKIE;
pub use guard::{Access, CSRF_HEADER};

use crate::services::Services;
use axum::extract::DefaultBodyLimit;
use axum::middleware::from_fn_with_state;
use axum::Router;
use std::sync::{Arc, OnceLock};
use tower_http::trace::TraceLayer;

/// Method, path and access of every route, for tests and tooling.
pub fn route_table(
    settings: &crate::config::Settings,
) -> Vec<(axum::http::Method, &'static str, Access)> {
    routes::api_routes(settings, Arc::new(OnceLock::new()))
        .into_iter()
        .map(|r| (r.method, r.path, r.access))
        .collect()
}

pub fn router(services: Services) -> Router {
    let openapi = Arc::new(OnceLock::new());
    let routes = routes::api_routes(services.settings(), Arc::clone(&openapi));
    let _ = openapi.set(openapi::document(&routes));
    let json_limit = services.settings().limits.max_json_body_bytes;
    let mut router: Router<Services> = Router::new();
    for route in routes {
        let guard = from_fn_with_state((services.clone(), route.access), guard::guard);
        router = router.route(route.path, route.handler.route_layer(guard));
    }
    // Per route, so each request is counted under its matched template.
    let router = router.route_layer(from_fn_with_state(
        services.clone(),
        crate::observability::measure,
    ));
    let console = Router::new()
        .fallback(console_assets::fallback)
        .with_state(console_assets::Console::new(services.settings()));
    router
        .method_not_allowed_fallback(fallback::method_not_allowed)
        .with_state(services)
        .fallback_service(console)
        .layer(DefaultBodyLimit::max(json_limit))
        .layer(TraceLayer::new_for_http().make_span_with(request_id::RequestSpan))
        .layer(axum::middleware::from_fn(request_id::assign))
}
