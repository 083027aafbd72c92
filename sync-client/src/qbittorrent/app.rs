//! `app/*`: who this is (qBittorrent 5.1's version and Web API version, the ones Sonarr and
//! Radarr know), its preferences as a seeding client reads them (the sync folder as the save
//! path, no ratio or seeding-time limits, no queueing), and tseeder-sync's own health and state.

use super::ApiState;
use crate::client::SyncClient;
use crate::qbittorrent::view;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

pub const APP_VERSION: &str = "v5.1.2";
pub const WEBAPI_VERSION: &str = "2.11.4";

pub async fn version() -> &'static str {
    APP_VERSION
}

pub async fn webapi_version() -> &'static str {
    WEBAPI_VERSION
}

pub async fn build_info() -> Json<Value> {
    Json(json!({
        "qt": "",
        "libtorrent": "",
        "boost": "",
        "openssl": "",
        "zlib": "",
        "bitness": 64,
        "platform": std::env::consts::OS,
        "tseeder_sync": env!("CARGO_PKG_VERSION"),
    }))
}

fn folder_text(client: &SyncClient) -> String {
    let mut folder = client.folder().to_string_lossy().into_owned();
    if !folder.ends_with('/') {
        folder.push('/');
    }
    folder
}

pub async fn default_save_path(State(state): State<ApiState>) -> String {
    folder_text(&state.client)
}

pub async fn preferences(State(state): State<ApiState>) -> Json<Value> {
    let listen = state.client.settings().qbittorrent.listen;
    Json(json!({
        "save_path": folder_text(&state.client),
        "temp_path_enabled": false,
        "temp_path": "",
        "create_subfolder_enabled": true,
        "torrent_content_layout": "Original",
        "auto_tmm_enabled": false,
        "category_changed_tmm_enabled": false,
        "start_paused_enabled": false,
        "add_stopped_enabled": false,
        "max_ratio_enabled": false,
        "max_ratio": -1,
        "max_ratio_act": 0,
        "max_seeding_time_enabled": false,
        "max_seeding_time": -1,
        "max_inactive_seeding_time_enabled": false,
        "max_inactive_seeding_time": -1,
        "queueing_enabled": false,
        "max_active_downloads": -1,
        "max_active_torrents": -1,
        "max_active_uploads": -1,
        "dht": true,
        "pex": true,
        "lsd": true,
        "encryption": 0,
        "web_ui_address": listen.ip().to_string(),
        "web_ui_port": listen.port(),
        "web_ui_username": state.client.settings().qbittorrent.username,
        "locale": "en",
    }))
}

/// Calls a cloud service has no use for: accepted, nothing changes.
pub async fn accepted() -> StatusCode {
    StatusCode::OK
}

/// `GET /health`, open to anyone on the listening address: up, and whether the cloud answers.
pub async fn health(State(state): State<ApiState>) -> Response {
    let connected = state.client.connected();
    let body = Json(json!({
        "status": if connected { "ok" } else { "degraded" },
        "cloud": if connected { "connected" } else { "unreachable" },
    }));
    body.into_response()
}

/// `GET /api/tseeder/state`: the cloud, the folder and every job's local copy.
pub async fn tseeder_state(State(state): State<ApiState>) -> Response {
    let client = &state.client;
    let torrents = match client.torrents().await {
        Ok(torrents) => torrents,
        Err(err) => return super::failure(&err, None),
    };
    let jobs: Vec<Value> = torrents
        .iter()
        .map(|t| {
            json!({
                "jobId": t.job_id,
                "hash": t.hash,
                "name": t.name,
                "category": t.category,
                "cloudStatus": t.cloud.as_ref().map(|c| c.job.status),
                "state": view::state(t),
                "progress": view::progress(t),
                "contentPath": t.content_path,
                "copy": t.copy,
            })
        })
        .collect();
    Json(json!({
        "cloudUrl": client.cloud_url(),
        "connected": client.connected(),
        "folder": client.folder(),
        "jobs": jobs,
    }))
    .into_response()
}
