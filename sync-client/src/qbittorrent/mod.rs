//! The qBittorrent WebUI API v2, the subset Sonarr, Radarr and Prowlarr use, over a
//! [`SyncClient`]: sign-in, version and preferences, and torrents (add, list, properties,
//! files, categories, pause, resume, delete). Calls a cloud service has no use for (share
//! limits, priorities, force start, tags) are accepted and do nothing, as a client expects.

mod app;
mod auth;
mod params;
mod torrents;
pub mod view;

pub use auth::Auth;

use crate::client::{ClientError, SyncClient};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, post, MethodRouter};
use axum::Router;
use std::sync::Arc;

/// What the handlers share.
#[derive(Clone, Debug)]
pub struct ApiState {
    pub client: SyncClient,
    pub auth: Arc<Auth>,
}

impl axum::extract::FromRef<ApiState> for Arc<Auth> {
    fn from_ref(state: &ApiState) -> Arc<Auth> {
        state.auth.clone()
    }
}

/// The calls that change nothing here but must succeed.
const ACCEPTED: &[&str] = &[
    "torrents/setShareLimits",
    "torrents/increasePrio",
    "torrents/decreasePrio",
    "torrents/topPrio",
    "torrents/bottomPrio",
    "torrents/setForceStart",
    "torrents/setSuperSeeding",
    "torrents/setAutoManagement",
    "torrents/setDownloadLimit",
    "torrents/setUploadLimit",
    "torrents/filePrio",
    "torrents/addTags",
    "torrents/removeTags",
    "torrents/createTags",
    "torrents/deleteTags",
    "torrents/recheck",
    "torrents/reannounce",
];

/// Reads answer to GET and POST alike (clients use both); `any` keeps it one line a route.
fn call<H, T>(handler: H) -> MethodRouter<ApiState>
where
    H: axum::handler::Handler<T, ApiState>,
    T: 'static,
{
    any(handler)
}

/// Every route that needs a signed-in caller.
pub fn routes(state: ApiState) -> Router {
    let mut guarded = Router::new()
        .route("/api/v2/app/version", call(app::version))
        .route("/api/v2/app/webapiVersion", call(app::webapi_version))
        .route("/api/v2/app/buildInfo", call(app::build_info))
        .route("/api/v2/app/preferences", call(app::preferences))
        .route("/api/v2/app/setPreferences", call(app::accepted))
        .route("/api/v2/app/defaultSavePath", call(app::default_save_path))
        .route("/api/v2/torrents/info", call(torrents::info))
        .route("/api/v2/torrents/properties", call(torrents::properties))
        .route("/api/v2/torrents/files", call(torrents::files))
        .route("/api/v2/torrents/add", post(torrents::add))
        .route("/api/v2/torrents/delete", post(torrents::delete))
        .route("/api/v2/torrents/pause", post(torrents::pause))
        .route("/api/v2/torrents/stop", post(torrents::pause))
        .route("/api/v2/torrents/resume", post(torrents::resume))
        .route("/api/v2/torrents/start", post(torrents::resume))
        .route("/api/v2/torrents/categories", call(torrents::categories))
        .route(
            "/api/v2/torrents/createCategory",
            post(torrents::create_category),
        )
        .route(
            "/api/v2/torrents/editCategory",
            post(torrents::edit_category),
        )
        .route(
            "/api/v2/torrents/removeCategories",
            post(torrents::remove_categories),
        )
        .route("/api/v2/torrents/setCategory", post(torrents::set_category))
        .route("/api/v2/torrents/tags", call(torrents::tags))
        .route("/api/tseeder/state", call(app::tseeder_state));
    for path in ACCEPTED {
        guarded = guarded.route(&format!("/api/v2/{path}"), post(app::accepted));
    }
    let guarded = guarded.route_layer(axum::middleware::from_fn_with_state(
        state.auth.clone(),
        auth::require,
    ));
    Router::new()
        .route("/api/v2/auth/login", post(auth::login))
        .route("/api/v2/auth/logout", post(auth::logout))
        .route("/health", call(app::health))
        .merge(guarded)
        .layer(axum::extract::DefaultBodyLimit::max(
            4 * params::MAX_TORRENT_FILE_BYTES,
        ))
        .with_state(state)
}

/// A failure as qBittorrent answers it: a status and a short text. `body` replaces the text
/// where clients look for an exact word (`Fails.`); the reason then travels in
/// `X-Tseeder-Error`, so nothing is lost.
pub fn failure(err: &ClientError, body: Option<&'static str>) -> Response {
    let status = match err {
        ClientError::Invalid(_) => StatusCode::BAD_REQUEST,
        ClientError::UnknownHash(_) => StatusCode::NOT_FOUND,
        ClientError::CategoryExists(_) | ClientError::UnknownCategory(_) => StatusCode::CONFLICT,
        ClientError::Cloud(cloud) => match cloud.status() {
            0 => StatusCode::SERVICE_UNAVAILABLE,
            401 | 403 => StatusCode::BAD_GATEWAY,
            status @ 400..=499 => StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
            _ => StatusCode::BAD_GATEWAY,
        },
        ClientError::Db(_) | ClientError::Io(_) => StatusCode::INTERNAL_SERVER_ERROR,
    };
    let message = if status == StatusCode::INTERNAL_SERVER_ERROR {
        tracing::error!(%err, "a call failed");
        "internal error".to_owned()
    } else {
        err.to_string()
    };
    let text = match (body, err) {
        (Some(body), _) => body.to_owned(),
        (None, ClientError::UnknownHash(_)) => "Not Found".to_owned(),
        (None, _) => message.clone(),
    };
    let mut response = (status, text).into_response();
    if let Ok(value) = HeaderValue::from_str(&message.replace(['\r', '\n'], " ")) {
        response.headers_mut().insert("x-tseeder-error", value);
    }
    response
}
