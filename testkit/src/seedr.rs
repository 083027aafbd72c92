//! A local Seedr.cc for the suite, following Seedr's public REST API v1 as tseeder uses it:
//! HTTP Basic auth on every call, `GET /rest/folder[/{id}]` with the account's space, folders,
//! files and running transfers, `POST /rest/transfer/magnet` (form field `magnet`) and
//! `POST /rest/transfer/file` (multipart field `file`) answering `result` and
//! `user_torrent_id`, `GET /rest/file/{id}` with `Range`, `DELETE /rest/folder/{id}` and
//! `DELETE /rest/torrent/{id}`. Transfers advance each time the root folder is read, then
//! become a folder named after the torrent. It records what it receives, and can be told to
//! misbehave: wrong credentials, 5xx for a while, a full account, a failed transfer, a download
//! cut short, downloads that pause halfway (counting how many overlap).

use axum::extract::{Multipart, Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Form, Json, Router};
use base64::Engine as _;
use futures_util::StreamExt;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

pub const EMAIL: &str = "operator@seedr.test";
pub const PASSWORD: &str = "seedr account password";

/// What Seedr will have once a transfer of this torrent finishes.
#[derive(Debug, Clone)]
pub struct Content {
    pub name: String,
    /// Paths below the torrent's folder (`a/b.bin` makes a subfolder), with their bytes.
    pub files: Vec<(String, Vec<u8>)>,
}

/// A request as the stand-in received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub authorized: bool,
    pub range: Option<String>,
}

#[derive(Debug, Default)]
struct Faults {
    wrong_password: bool,
    server_errors: u32,
    full: bool,
    fail_transfers: bool,
    cut_downloads: u32,
}

#[derive(Debug)]
struct Transfer {
    id: i64,
    content: Content,
    progress: u32,
    /// Root reads before it advances (slow transfers).
    step: u32,
    failed: bool,
}

#[derive(Debug)]
struct Folder {
    name: String,
    size: u64,
    folders: Vec<i64>,
    files: Vec<i64>,
}

#[derive(Debug, Default)]
struct Sim {
    next_id: i64,
    space_max: u64,
    by_hash: HashMap<String, Content>,
    by_torrent: Vec<(Vec<u8>, Content)>,
    transfers: Vec<Transfer>,
    root: Vec<i64>,
    folders: BTreeMap<i64, Folder>,
    files: BTreeMap<i64, (String, Vec<u8>)>,
    seen: Vec<Seen>,
    magnets: Vec<String>,
    uploads: Vec<Vec<u8>>,
    deleted_folders: Vec<i64>,
    faults: Faults,
    progress_step: u32,
    /// Each download sends half its bytes, waits this long, then sends the rest.
    download_pause: Option<std::time::Duration>,
    downloads_now: usize,
    most_downloads_at_once: usize,
}

impl Sim {
    fn id(&mut self) -> i64 {
        self.next_id += 1;
        self.next_id
    }

    fn used(&self) -> u64 {
        self.files.values().map(|(_, b)| b.len() as u64).sum()
    }

    fn add(&mut self, content: Content) -> Value {
        if self.faults.full {
            return json!({ "result": "not_enough_space_added_to_wishlist", "code": 413 });
        }
        let id = self.id();
        let name = content.name.clone();
        self.transfers.push(Transfer {
            id,
            content,
            progress: 0,
            step: self.progress_step,
            failed: self.faults.fail_transfers,
        });
        json!({ "result": true, "code": 200, "user_torrent_id": id, "title": name,
                "torrent_hash": "" })
    }

    /// Transfers advance by half each read of the root; finished ones become folders.
    fn advance(&mut self) {
        let mut finished = Vec::new();
        for transfer in &mut self.transfers {
            if transfer.failed {
                continue;
            }
            transfer.progress = (transfer.progress + transfer.step).min(100);
            if transfer.progress >= 100 {
                finished.push(transfer.id);
            }
        }
        for id in finished {
            let at = self
                .transfers
                .iter()
                .position(|t| t.id == id)
                .expect("transfer");
            let transfer = self.transfers.remove(at);
            let folder = self.make_folder(&transfer.content);
            self.root.push(folder);
        }
    }

    fn make_folder(&mut self, content: &Content) -> i64 {
        let top = self.id();
        self.folders.insert(
            top,
            Folder {
                name: content.name.clone(),
                size: content.files.iter().map(|(_, b)| b.len() as u64).sum(),
                folders: Vec::new(),
                files: Vec::new(),
            },
        );
        for (path, bytes) in &content.files {
            let mut parent = top;
            let parts: Vec<&str> = path.split('/').collect();
            for dir in &parts[..parts.len() - 1] {
                let existing = self.folders[&parent]
                    .folders
                    .iter()
                    .copied()
                    .find(|f| self.folders[f].name == *dir);
                parent = match existing {
                    Some(id) => id,
                    None => {
                        let id = self.id();
                        self.folders.insert(
                            id,
                            Folder {
                                name: (*dir).to_owned(),
                                size: 0,
                                folders: Vec::new(),
                                files: Vec::new(),
                            },
                        );
                        self.folders
                            .get_mut(&parent)
                            .expect("parent")
                            .folders
                            .push(id);
                        id
                    }
                };
            }
            let file = self.id();
            self.files
                .insert(file, (parts[parts.len() - 1].to_owned(), bytes.clone()));
            self.folders
                .get_mut(&parent)
                .expect("parent")
                .files
                .push(file);
        }
        top
    }

    fn folder_json(&self, id: i64) -> Value {
        let folder = &self.folders[&id];
        json!({
            "id": id, "name": folder.name, "space_max": self.space_max, "space_used": self.used(),
            "folders": folder.folders.iter().map(|f| json!({
                "id": f, "name": self.folders[f].name, "size": self.folders[f].size })).collect::<Vec<_>>(),
            "files": folder.files.iter().map(|f| json!({
                "folder_file_id": f, "name": self.files[f].0,
                "size": self.files[f].1.len(), "hash": "" })).collect::<Vec<_>>(),
            "torrents": [],
        })
    }

    fn root_json(&self) -> Value {
        json!({
            "id": 0, "name": "", "space_max": self.space_max, "space_used": self.used(),
            "folders": self.root.iter().map(|f| json!({
                "id": f, "name": self.folders[f].name, "size": self.folders[f].size,
                "last_update": "2026-11-30 00:00:00" })).collect::<Vec<_>>(),
            "files": [],
            "torrents": self.transfers.iter().map(|t| json!({
                "id": t.id, "name": t.content.name,
                "size": t.content.files.iter().map(|(_, b)| b.len()).sum::<usize>(),
                "hash": "", "progress": t.progress.to_string(), "download_rate": 1_000_000,
                "warnings": if t.failed { "[\"Tracker: torrent not registered\"]" } else { "" },
                "stopped": u8::from(t.failed) })).collect::<Vec<_>>(),
        })
    }

    fn remove_folder(&mut self, id: i64) -> bool {
        let Some(folder) = self.folders.remove(&id) else {
            return false;
        };
        for file in folder.files {
            self.files.remove(&file);
        }
        for sub in folder.folders {
            self.remove_folder(sub);
        }
        self.root.retain(|f| *f != id);
        true
    }
}

type Shared = Arc<Mutex<Sim>>;

/// The stand-in, serving on 127.0.0.1 until dropped.
#[derive(Debug)]
pub struct SeedrSim {
    pub base: String,
    sim: Shared,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for SeedrSim {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn lock(sim: &Shared) -> std::sync::MutexGuard<'_, Sim> {
    sim.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl SeedrSim {
    pub async fn start() -> SeedrSim {
        let sim: Shared = Arc::new(Mutex::new(Sim {
            space_max: 5 << 30,
            progress_step: 50,
            ..Sim::default()
        }));
        let app = Router::new()
            .route("/rest/folder", get(root))
            .route("/rest/folder/{id}", get(folder).delete(delete_folder))
            .route("/rest/transfer/magnet", post(add_magnet))
            .route("/rest/transfer/file", post(add_file))
            .route("/rest/file/{id}", get(file))
            .route("/rest/torrent/{id}", delete(delete_torrent))
            .route("/rest/user", get(user))
            .layer(axum::middleware::from_fn_with_state(sim.clone(), guard))
            .with_state(sim.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("seedr stand-in");
        });
        SeedrSim { base, sim, task }
    }

    /// A magnet of this info hash (hex, any case) finishes as `content`.
    pub fn offer_magnet(&self, info_hash: &str, content: Content) {
        lock(&self.sim)
            .by_hash
            .insert(info_hash.to_ascii_lowercase(), content);
    }

    /// An upload of exactly these .torrent bytes finishes as `content`.
    pub fn offer_torrent(&self, torrent: Vec<u8>, content: Content) {
        lock(&self.sim).by_torrent.push((torrent, content));
    }

    /// Percent a transfer advances per read of the root (50 by default).
    pub fn set_progress_step(&self, step: u32) {
        lock(&self.sim).progress_step = step;
    }

    pub fn set_wrong_password(&self, on: bool) {
        lock(&self.sim).faults.wrong_password = on;
    }

    /// The next `n` requests answer 503.
    pub fn fail_next(&self, n: u32) {
        lock(&self.sim).faults.server_errors = n;
    }

    pub fn set_full(&self, on: bool) {
        lock(&self.sim).faults.full = on;
    }

    pub fn set_failing_transfers(&self, on: bool) {
        lock(&self.sim).faults.fail_transfers = on;
    }

    /// The next `n` downloads stop halfway.
    pub fn cut_downloads(&self, n: u32) {
        lock(&self.sim).faults.cut_downloads = n;
    }

    /// Every download from now on pauses halfway for `pause`, so downloads overlap.
    pub fn slow_downloads(&self, pause: std::time::Duration) {
        lock(&self.sim).download_pause = Some(pause);
    }

    /// The most downloads that were being sent at the same moment.
    pub fn most_downloads_at_once(&self) -> usize {
        lock(&self.sim).most_downloads_at_once
    }

    pub fn seen(&self) -> Vec<Seen> {
        lock(&self.sim).seen.clone()
    }

    pub fn magnets(&self) -> Vec<String> {
        lock(&self.sim).magnets.clone()
    }

    pub fn uploads(&self) -> Vec<Vec<u8>> {
        lock(&self.sim).uploads.clone()
    }

    pub fn deleted_folders(&self) -> Vec<i64> {
        lock(&self.sim).deleted_folders.clone()
    }

    /// Folders, files and transfers left on the account.
    pub fn leftovers(&self) -> (usize, usize, usize) {
        let sim = lock(&self.sim);
        (sim.root.len(), sim.files.len(), sim.transfers.len())
    }
}

/// Every call needs the account's Basic credentials; some are made to fail on purpose.
async fn guard(
    State(sim): State<Shared>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{EMAIL}:{PASSWORD}"))
    );
    let given = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let refusal = {
        let mut sim = lock(&sim);
        let authorized = given == expected && !sim.faults.wrong_password;
        sim.seen.push(Seen {
            method: request.method().to_string(),
            path: request.uri().path().to_owned(),
            authorized,
            range: request
                .headers()
                .get(header::RANGE)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
        });
        if sim.faults.server_errors > 0 {
            sim.faults.server_errors -= 1;
            Some((
                StatusCode::SERVICE_UNAVAILABLE,
                json!({ "error": "maintenance" }),
            ))
        } else if !authorized {
            Some((
                StatusCode::UNAUTHORIZED,
                json!({ "error": "invalid_grant", "error_description": "Invalid username and password combination" }),
            ))
        } else {
            None
        }
    };
    match refusal {
        Some((status, body)) => (status, Json(body)).into_response(),
        None => next.run(request).await,
    }
}

async fn root(State(sim): State<Shared>) -> Json<Value> {
    let mut sim = lock(&sim);
    sim.advance();
    Json(sim.root_json())
}

async fn folder(State(sim): State<Shared>, Path(id): Path<i64>) -> Response {
    let sim = lock(&sim);
    if !sim.folders.contains_key(&id) {
        return (
            StatusCode::NOT_FOUND,
            Json(json!({ "result": false, "code": 404 })),
        )
            .into_response();
    }
    Json(sim.folder_json(id)).into_response()
}

#[derive(serde::Deserialize)]
struct MagnetForm {
    magnet: String,
}

async fn add_magnet(State(sim): State<Shared>, Form(form): Form<MagnetForm>) -> Json<Value> {
    let mut sim = lock(&sim);
    sim.magnets.push(form.magnet.clone());
    let hash = form
        .magnet
        .split(['?', '&'])
        .find_map(|part| part.strip_prefix("xt=urn:btih:"))
        .unwrap_or_default()
        .to_ascii_lowercase();
    match sim.by_hash.get(&hash).cloned() {
        Some(content) => Json(sim.add(content)),
        None => Json(json!({ "result": "parsing_error", "code": 400 })),
    }
}

async fn add_file(State(sim): State<Shared>, mut form: Multipart) -> Response {
    let mut torrent = None;
    while let Ok(Some(field)) = form.next_field().await {
        if field.name() == Some("file") {
            torrent = field.bytes().await.ok().map(|b| b.to_vec());
        }
    }
    let Some(torrent) = torrent else {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({ "result": "no_file", "code": 400 })),
        )
            .into_response();
    };
    let mut sim = lock(&sim);
    sim.uploads.push(torrent.clone());
    let content = sim
        .by_torrent
        .iter()
        .find(|(bytes, _)| *bytes == torrent)
        .map(|(_, c)| c.clone());
    match content {
        Some(content) => Json(sim.add(content)).into_response(),
        None => Json(json!({ "result": "parsing_error", "code": 400 })).into_response(),
    }
}

/// The file's bytes; `Range: bytes=N-` answers 206 from N.
async fn file(State(shared): State<Shared>, Path(id): Path<i64>, headers: HeaderMap) -> Response {
    let mut sim = lock(&shared);
    let Some((name, bytes)) = sim.files.get(&id).cloned() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let from = headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("bytes="))
        .and_then(|v| v.strip_suffix('-'))
        .and_then(|v| v.parse::<usize>().ok());
    let start = from.unwrap_or(0).min(bytes.len());
    let mut end = bytes.len();
    if sim.faults.cut_downloads > 0 {
        sim.faults.cut_downloads -= 1;
        end = start + (end - start) / 2;
    }
    let status = if from.is_some() {
        StatusCode::PARTIAL_CONTENT
    } else {
        StatusCode::OK
    };
    let disposition = format!("attachment; filename=\"{name}\"");
    let headers = [
        (header::CONTENT_TYPE, "application/octet-stream".to_owned()),
        (header::CONTENT_DISPOSITION, disposition),
    ];
    let body = bytes[start..end].to_vec();
    let Some(pause) = sim.download_pause else {
        return (status, headers, body).into_response();
    };
    sim.downloads_now += 1;
    sim.most_downloads_at_once = sim.most_downloads_at_once.max(sim.downloads_now);
    drop(sim);
    let sending = Sending(shared.clone());
    let body = axum::body::Bytes::from(body);
    let half = body.len() / 2;
    let halves = [
        (body.slice(..half), None),
        (body.slice(half..), Some(pause)),
    ];
    let parts = futures_util::stream::iter(halves).then(move |(part, wait)| {
        // The stream owns the count, so it ends when the body is sent or dropped.
        let _sending = &sending;
        async move {
            if let Some(wait) = wait {
                tokio::time::sleep(wait).await;
            }
            Ok::<_, std::convert::Infallible>(part)
        }
    });
    (status, headers, axum::body::Body::from_stream(parts)).into_response()
}

/// A download being sent; counted off when its body is done or dropped.
struct Sending(Shared);

impl Drop for Sending {
    fn drop(&mut self) {
        lock(&self.0).downloads_now -= 1;
    }
}

async fn delete_folder(State(sim): State<Shared>, Path(id): Path<i64>) -> Response {
    let mut sim = lock(&sim);
    if sim.remove_folder(id) {
        sim.deleted_folders.push(id);
        Json(json!({ "result": true, "code": 200 })).into_response()
    } else {
        (
            StatusCode::NOT_FOUND,
            Json(json!({ "result": false, "code": 404 })),
        )
            .into_response()
    }
}

async fn delete_torrent(State(sim): State<Shared>, Path(id): Path<i64>) -> Response {
    let mut sim = lock(&sim);
    let before = sim.transfers.len();
    sim.transfers.retain(|t| t.id != id);
    if sim.transfers.len() < before {
        Json(json!({ "result": true, "code": 200 })).into_response()
    } else {
        (
            StatusCode::NOT_FOUND,
            Json(json!({ "result": false, "code": 404 })),
        )
            .into_response()
    }
}

async fn user(State(sim): State<Shared>) -> Json<Value> {
    let sim = lock(&sim);
    Json(json!({ "result": true, "code": 200, "account": {
        "username": "operator", "email": EMAIL, "premium": 1,
        "space_max": sim.space_max, "space_used": sim.used() } }))
}
