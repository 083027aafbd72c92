//! `torrents/*`: the calls a download client's user makes, each a thin shell over the
//! [`SyncClient`]'s torrent operations.

use super::params::{Missing, Params};
use super::{failure, view, ApiState};
use crate::client::{AddOptions, AddSource, ClientError, Selection};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{Map, Value};

/// `torrents/info`: filtered by `category`, `hashes` and `filter`, sorted and paged as asked.
pub async fn info(State(state): State<ApiState>, params: Params) -> Response {
    let torrents = match state.client.torrents().await {
        Ok(torrents) => torrents,
        Err(err) => return failure(&err, None),
    };
    let hashes = params.get("hashes").map(Selection::parse);
    let category = params.get("category");
    let filter = params.text("filter");
    let mut shown: Vec<Value> = torrents
        .iter()
        .filter(|t| hashes.as_ref().is_none_or(|h| h.contains(&t.hash)))
        .filter(|t| category.is_none_or(|c| t.category == c))
        .filter(|t| matches_filter(view::state(t), filter))
        .map(|t| serde_json::to_value(view::info(t)).unwrap_or_default())
        .collect();
    if let Some(key) = params.get("sort") {
        shown.sort_by(|a, b| compare(&a[key], &b[key]));
        if params.flag("reverse") {
            shown.reverse();
        }
    }
    let offset = params
        .get("offset")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(0);
    let limit = params
        .get("limit")
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|l| *l > 0)
        .unwrap_or(usize::MAX);
    Json(Value::Array(
        shown.into_iter().skip(offset).take(limit).collect(),
    ))
    .into_response()
}

fn compare(a: &Value, b: &Value) -> std::cmp::Ordering {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x.total_cmp(&y),
        _ => a
            .as_str()
            .unwrap_or_default()
            .cmp(b.as_str().unwrap_or_default()),
    }
}

/// qBittorrent's status filters, over the states this client shows.
fn matches_filter(state: &str, filter: &str) -> bool {
    let complete = state == "pausedUP";
    match filter {
        "" | "all" => true,
        "downloading" => !complete && state != "error",
        "completed" | "seeding" => complete,
        "paused" | "stopped" => state.starts_with("paused"),
        "resumed" | "running" | "active" => !state.starts_with("paused"),
        "stalled" | "stalled_uploading" | "stalled_downloading" | "checking" | "moving" => false,
        "errored" => state == "error" || state == "missingFiles",
        "inactive" => state.starts_with("paused") || state == "error",
        _ => true,
    }
}

pub async fn properties(State(state): State<ApiState>, params: Params) -> Response {
    let hash = match params.required("hash") {
        Ok(hash) => hash,
        Err(missing) => return missing.into_response(),
    };
    match state.client.torrent(hash).await {
        Ok(torrent) => Json(view::properties(&torrent)).into_response(),
        Err(err) => failure(&err, None),
    }
}

pub async fn files(State(state): State<ApiState>, params: Params) -> Response {
    let hash = match params.required("hash") {
        Ok(hash) => hash,
        Err(missing) => return missing.into_response(),
    };
    match state.client.files(hash).await {
        Ok((torrent, files)) => Json(view::files(&torrent, &files)).into_response(),
        Err(err) => failure(&err, None),
    }
}

/// `torrents/add`: each link in `urls` (one a line) and each `torrents` file becomes a cloud
/// job. Clients read `Ok.` or `Fails.`; why it failed travels in `X-Tseeder-Error`.
pub async fn add(State(state): State<ApiState>, params: Params) -> Response {
    let options = AddOptions {
        category: params.text("category").trim().to_owned(),
        save_path: params.get("savepath").map(str::to_owned),
        paused: params.flag("paused") || params.flag("stopped"),
    };
    let mut sources: Vec<AddSource> = params
        .text("urls")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| AddSource::Link(l.to_owned()))
        .collect();
    sources.extend(params.files.iter().cloned().map(AddSource::File));
    if sources.is_empty() {
        return failure(
            &ClientError::Invalid("give a link in `urls` or a file in `torrents`".into()),
            Some("Fails."),
        );
    }
    for source in sources {
        if let Err(err) = state.client.add(source, options.clone()).await {
            tracing::warn!(%err, "a torrent was not added");
            let mut response = failure(&err, Some("Fails."));
            if matches!(err, ClientError::Invalid(_)) {
                *response.status_mut() = StatusCode::UNSUPPORTED_MEDIA_TYPE;
            }
            return response;
        }
    }
    "Ok.".into_response()
}

fn selection(params: &Params) -> Result<Selection, Missing> {
    params.required("hashes").map(Selection::parse)
}

pub async fn delete(State(state): State<ApiState>, params: Params) -> Response {
    let selection = match selection(&params) {
        Ok(selection) => selection,
        Err(missing) => return missing.into_response(),
    };
    match state
        .client
        .delete(&selection, params.flag("deleteFiles"))
        .await
    {
        Ok(()) => StatusCode::OK.into_response(),
        Err(err) => failure(&err, None),
    }
}

async fn set_paused(state: ApiState, params: Params, paused: bool) -> Response {
    let selection = match selection(&params) {
        Ok(selection) => selection,
        Err(missing) => return missing.into_response(),
    };
    match state.client.set_paused(&selection, paused).await {
        Ok(()) => StatusCode::OK.into_response(),
        Err(err) => failure(&err, None),
    }
}

pub async fn pause(State(state): State<ApiState>, params: Params) -> Response {
    set_paused(state, params, true).await
}

pub async fn resume(State(state): State<ApiState>, params: Params) -> Response {
    set_paused(state, params, false).await
}

pub async fn categories(State(state): State<ApiState>) -> Response {
    match state.client.categories().await {
        Ok(categories) => {
            let map: Map<String, Value> = categories
                .into_iter()
                .map(|(name, path)| {
                    let entry = serde_json::json!({
                        "name": name,
                        "savePath": path.to_string_lossy(),
                    });
                    (name, entry)
                })
                .collect();
            Json(Value::Object(map)).into_response()
        }
        Err(err) => failure(&err, None),
    }
}

pub async fn create_category(State(state): State<ApiState>, params: Params) -> Response {
    let name = match params.required("category") {
        Ok(name) => name,
        Err(missing) => return missing.into_response(),
    };
    match state
        .client
        .create_category(name.trim(), params.text("savePath"))
        .await
    {
        Ok(()) => StatusCode::OK.into_response(),
        Err(err) => failure(&err, None),
    }
}

pub async fn edit_category(State(state): State<ApiState>, params: Params) -> Response {
    let name = match params.required("category") {
        Ok(name) => name,
        Err(missing) => return missing.into_response(),
    };
    match state
        .client
        .edit_category(name.trim(), params.text("savePath"))
        .await
    {
        Ok(()) => StatusCode::OK.into_response(),
        Err(err) => failure(&err, None),
    }
}

pub async fn remove_categories(State(state): State<ApiState>, params: Params) -> Response {
    let names = params
        .text("categories")
        .lines()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_owned)
        .collect();
    match state.client.remove_categories(names).await {
        Ok(()) => StatusCode::OK.into_response(),
        Err(err) => failure(&err, None),
    }
}

pub async fn set_category(State(state): State<ApiState>, params: Params) -> Response {
    let selection = match selection(&params) {
        Ok(selection) => selection,
        Err(missing) => return missing.into_response(),
    };
    match state
        .client
        .set_category(&selection, params.text("category").trim())
        .await
    {
        Ok(()) => StatusCode::OK.into_response(),
        Err(err) => failure(&err, None),
    }
}

/// Tags are not kept: none exist.
pub async fn tags() -> Json<Value> {
    Json(Value::Array(Vec::new()))
}
