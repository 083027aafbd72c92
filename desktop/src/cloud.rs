//! The tseeder cloud API as the desktop app uses it, with the account's API key: signing in
//! (email and password become an API key for this device), jobs, files and their signed links,
//! devices, and the live job stream (Server-Sent Events, reconnecting with a fresh snapshot).
//! The cloud is one URL (a load balancer's) or several replicas' URLs: a request that cannot
//! connect to one goes to the next, as does a read answered by a gateway that has no server
//! behind it (502, 503, 504), and the one that answered is tried first from then on.

use crate::secrets::Secret;
use futures_util::StreamExt;
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tseeder_protocol::{
    ApiKeyView, CreateApiKey, CreateJob, CreatedApiKey, FileLink, IssuedAgentToken, Job, JobAction,
    JobDetail, JobLive, LoginRequest, Page, RegisterDevice, SessionInfo, StoredFile,
};

#[derive(Debug, Clone, thiserror::Error)]
pub enum CloudError {
    #[error("the cloud at {0} cannot be reached")]
    Network(String),
    #[error("{message}")]
    Api {
        status: u16,
        code: String,
        message: String,
    },
    #[error("the cloud sent an answer this app does not understand: {0}")]
    Protocol(String),
}

impl CloudError {
    pub fn status(&self) -> u16 {
        match self {
            CloudError::Api { status, .. } => *status,
            _ => 0,
        }
    }
    pub fn is_unauthorized(&self) -> bool {
        self.status() == 401
    }
}

/// One cloud, with or without an account's key.
#[derive(Clone)]
pub struct CloudClient {
    /// The control plane's URLs in the order given; usually one.
    bases: Arc<[String]>,
    /// The URL that answered last, shared by every clone so a failover sticks.
    active: Arc<AtomicUsize>,
    key: Option<Secret>,
    http: reqwest::Client,
}

impl std::fmt::Debug for CloudClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CloudClient")
            .field("bases", &self.bases)
            .field("signed_in", &self.key.is_some())
            .finish()
    }
}

/// An answer passed through as it came (the UI's typed client reads it).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RawAnswer {
    pub status: u16,
    pub body: String,
    pub retry_after: Option<String>,
}

/// What a load balancer or reverse proxy answers when the server behind it is down or slow.
fn gateway_failed(status: StatusCode) -> bool {
    matches!(
        status,
        StatusCode::BAD_GATEWAY | StatusCode::SERVICE_UNAVAILABLE | StatusCode::GATEWAY_TIMEOUT
    )
}

fn http_client(cookies: bool) -> Result<reqwest::Client, CloudError> {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .cookie_store(cookies)
        .user_agent(concat!("tseeder-desktop/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|err| CloudError::Protocol(err.to_string()))
}

/// `https://a.example.org, https://b.example.org/` → each URL without its trailing slash.
fn parse_bases(urls: &str) -> Arc<[String]> {
    urls.split(',')
        .map(|url| url.trim().trim_end_matches('/').to_owned())
        .filter(|url| !url.is_empty())
        .collect()
}

impl CloudClient {
    /// A client for `urls`: one control-plane URL, or several separated by commas.
    pub fn new(urls: &str, key: Option<Secret>) -> Result<CloudClient, CloudError> {
        CloudClient::with_http(urls, key, http_client(false)?)
    }

    fn with_http(
        urls: &str,
        key: Option<Secret>,
        http: reqwest::Client,
    ) -> Result<CloudClient, CloudError> {
        let bases = parse_bases(urls);
        if bases.is_empty() {
            return Err(CloudError::Protocol("no cloud URL is set".into()));
        }
        Ok(CloudClient {
            bases,
            active: Arc::new(AtomicUsize::new(0)),
            key,
            http,
        })
    }

    /// The URL requests go to first: the one that answered last.
    pub fn base(&self) -> &str {
        &self.bases[self.active.load(Ordering::Relaxed) % self.bases.len()]
    }

    /// Every URL, as the settings hold them (the personal agent fails over between them too).
    pub fn cloud_url(&self) -> String {
        self.bases.join(",")
    }

    pub fn signed_in(&self) -> bool {
        self.key.is_some()
    }

    /// Sends the request `build` makes for a base, starting with the active one. A request
    /// that could not connect moves on to the next URL: it never reached a server, so even a
    /// POST is safe to send again. A read (GET, HEAD) also moves on when a gateway in front of
    /// that URL answers that nothing serves behind it (502, 503, 504); a write is not sent
    /// twice, since the gateway may have passed it on before failing.
    async fn send(
        &self,
        build: impl Fn(&str) -> reqwest::RequestBuilder,
    ) -> Result<(reqwest::Response, &str), CloudError> {
        let first = self.active.load(Ordering::Relaxed);
        let count = self.bases.len();
        for step in 0..count {
            let index = (first + step) % count;
            let base = self.bases[index].as_str();
            let last = step + 1 == count;
            let request = build(base)
                .build()
                .map_err(|err| CloudError::Protocol(err.to_string()))?;
            let is_read = matches!(*request.method(), Method::GET | Method::HEAD);
            match self.http.execute(request).await {
                Ok(response) if is_read && !last && gateway_failed(response.status()) => {
                    tracing::info!(%base, status = %response.status(), "no server behind this URL; trying the next");
                }
                Ok(response) => {
                    self.active.store(index, Ordering::Relaxed);
                    return Ok((response, base));
                }
                Err(err) if err.is_connect() && !last => {
                    tracing::info!(%base, "cloud unreachable; trying the next URL");
                }
                Err(_) => return Err(CloudError::Network(self.cloud_url())),
            }
        }
        Err(CloudError::Network(self.cloud_url()))
    }

    /// Email and password open a short session whose only use is to create an API key named
    /// after this device; the session is closed again and the password is not kept.
    pub async fn sign_in(
        urls: &str,
        email: &str,
        password: &str,
        device_name: &str,
    ) -> Result<(SessionInfo, Secret), CloudError> {
        let session = CloudClient::with_http(urls, None, http_client(true)?)?;
        let login_body = LoginRequest {
            email: email.to_owned(),
            password: password.to_owned(),
        };
        let (answer, base) = session
            .send(|base| {
                session
                    .http
                    .post(format!("{base}/api/v1/auth/login"))
                    .json(&login_body)
            })
            .await?;
        let login: SessionInfo = decode(base, Ok(answer)).await?;
        let csrf = login.csrf_token.clone().unwrap_or_default();
        let key_body = CreateApiKey {
            name: device_name.chars().take(100).collect(),
            current_password: password.to_owned(),
        };
        let created: Result<CreatedApiKey, CloudError> = match session
            .send(|base| {
                session
                    .http
                    .post(format!("{base}/api/v1/api-keys"))
                    .header("x-csrf-token", &csrf)
                    .json(&key_body)
            })
            .await
        {
            Ok((answer, base)) => decode(base, Ok(answer)).await,
            Err(err) => Err(err),
        };
        let _ = session
            .send(|base| {
                session
                    .http
                    .post(format!("{base}/api/v1/auth/logout"))
                    .header("x-csrf-token", &csrf)
            })
            .await;
        Ok((login, Secret::new(created?.secret)))
    }

    fn request(&self, base: &str, method: Method, path: &str) -> reqwest::RequestBuilder {
        let builder = self.http.request(method, format!("{base}{path}"));
        match &self.key {
            Some(key) => builder.bearer_auth(key.expose()),
            None => builder,
        }
    }

    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&(impl Serialize + ?Sized)>,
    ) -> Result<T, CloudError> {
        let (response, base) = self
            .send(|base| {
                let builder = self
                    .request(base, method.clone(), path)
                    .timeout(Duration::from_secs(60));
                match body {
                    Some(body) => builder.json(body),
                    None => builder,
                }
            })
            .await?;
        decode(base, Ok(response)).await
    }

    async fn call_empty(&self, method: Method, path: &str) -> Result<(), CloudError> {
        let (response, _) = self
            .send(|base| {
                self.request(base, method.clone(), path)
                    .timeout(Duration::from_secs(60))
            })
            .await?;
        if response.status().is_success() {
            Ok(())
        } else {
            Err(api_error(response).await)
        }
    }

    pub async fn me(&self) -> Result<SessionInfo, CloudError> {
        self.call(Method::GET, "/api/v1/auth/me", None::<&()>).await
    }

    /// The newest jobs (the app lists at most this many cloud jobs).
    pub async fn jobs(&self) -> Result<Vec<Job>, CloudError> {
        let page: Page<Job> = self
            .call(Method::GET, "/api/v1/jobs?perPage=100", None::<&()>)
            .await?;
        Ok(page.items)
    }

    /// One job with its files (known once its metadata has arrived).
    pub async fn job(&self, id: &str) -> Result<JobDetail, CloudError> {
        let path = format!("/api/v1/jobs/{}", segment(id));
        self.call(Method::GET, &path, None::<&()>).await
    }

    pub async fn create_job(&self, job: &CreateJob) -> Result<JobDetail, CloudError> {
        self.call(Method::POST, "/api/v1/jobs", Some(job)).await
    }

    pub async fn upload_torrent(
        &self,
        torrent: Vec<u8>,
        selected: Option<&[u32]>,
    ) -> Result<JobDetail, CloudError> {
        let selected = selected.map(|s| serde_json::to_string(s).unwrap_or_default());
        let form = || {
            let part = reqwest::multipart::Part::bytes(torrent.clone())
                .file_name("upload.torrent")
                .mime_str("application/x-bittorrent");
            part.map(|part| {
                let form = reqwest::multipart::Form::new().part("torrent", part);
                match &selected {
                    Some(selected) => form.text("selectedFiles", selected.clone()),
                    None => form,
                }
            })
        };
        // The form is checked once here; each try below builds its own copy.
        form().map_err(|err| CloudError::Protocol(err.to_string()))?;
        let (response, base) = self
            .send(|base| {
                let request = self.request(base, Method::POST, "/api/v1/jobs/torrent");
                match form() {
                    Ok(form) => request.multipart(form),
                    Err(_) => request,
                }
            })
            .await?;
        decode(base, Ok(response)).await
    }

    pub async fn job_action(&self, id: &str, action: JobAction) -> Result<Job, CloudError> {
        let path = format!("/api/v1/jobs/{}/{}", segment(id), action.as_str());
        self.call(Method::POST, &path, Some(&serde_json::json!({})))
            .await
    }

    pub async fn delete_job(&self, id: &str) -> Result<(), CloudError> {
        self.call_empty(Method::DELETE, &format!("/api/v1/jobs/{}", segment(id)))
            .await
    }

    pub async fn files(&self, id: &str) -> Result<Vec<StoredFile>, CloudError> {
        let path = format!("/api/v1/jobs/{}/files", segment(id));
        self.call(Method::GET, &path, None::<&()>).await
    }

    /// Whether `other` speaks for the same account (same cloud, same key).
    pub fn same_account(&self, other: &CloudClient) -> bool {
        self.bases == other.bases
            && self.key.as_ref().map(Secret::expose) == other.key.as_ref().map(Secret::expose)
    }

    pub async fn file_link(&self, id: &str, index: u32) -> Result<FileLink, CloudError> {
        let path = format!("/api/v1/jobs/{}/files/{index}/link", segment(id));
        self.call(Method::POST, &path, None::<&()>).await
    }

    pub async fn delete_file(&self, id: &str, index: u32) -> Result<(), CloudError> {
        let path = format!("/api/v1/jobs/{}/files/{index}", segment(id));
        self.call_empty(Method::DELETE, &path).await
    }

    /// Revokes the key this client signs with, found by its visible prefix; nothing is revoked
    /// unless exactly one key matches.
    pub async fn revoke_own_key(&self) -> Result<(), CloudError> {
        let Some(key) = &self.key else { return Ok(()) };
        let keys: Vec<ApiKeyView> = self
            .call(Method::GET, "/api/v1/api-keys", None::<&()>)
            .await?;
        let mine: Vec<_> = keys
            .iter()
            .filter(|k| !k.prefix.is_empty() && key.expose().starts_with(&k.prefix))
            .collect();
        if let [only] = mine.as_slice() {
            let path = format!("/api/v1/api-keys/{}", segment(&only.id));
            self.call_empty(Method::DELETE, &path).await?;
        }
        Ok(())
    }

    pub async fn register_device(&self, name: &str) -> Result<IssuedAgentToken, CloudError> {
        let body = RegisterDevice {
            name: name.chars().take(100).collect(),
        };
        self.call(Method::POST, "/api/v1/devices", Some(&body))
            .await
    }

    /// The URL a pass-through path really requests, if it is one of the user API's. The check is
    /// made on the URL as it will be sent (dot segments resolved, `%2e` and `\\` read the way the
    /// URL parser reads them) and on its percent-decoded path, never on the text the screens
    /// sent: `/api/v1/./agent/claim` and `/api/v1/%61gent/claim` are the agent protocol too.
    fn api_url(base: &str, path: &str) -> Option<url::Url> {
        if !path.starts_with('/')
            || path.starts_with("//")
            || path.len() > 2048
            || path.chars().any(|c| c.is_control() || c.is_whitespace())
        {
            return None;
        }
        let url = url::Url::parse(&format!("{base}{path}")).ok()?;
        let base = url::Url::parse(base).ok()?;
        if url.origin() != base.origin() || url.fragment().is_some() {
            return None;
        }
        let decoded = percent_encoding::percent_decode_str(url.path())
            .decode_utf8()
            .ok()?;
        let root = base.path().trim_end_matches('/');
        let api = format!("{root}/api/v1/");
        let agent = format!("{root}/api/v1/agent/");
        let plain = decoded.starts_with(&api)
            && !decoded
                .to_ascii_lowercase()
                .starts_with(&agent.to_ascii_lowercase())
            && !decoded.contains("..")
            && !decoded.contains("//")
            && !decoded.contains('\\');
        plain.then_some(url)
    }

    /// Passes one request of the UI's typed client through, with this account's key. Only the
    /// public and user API is reachable: never the agent protocol, never another origin.
    pub async fn raw(
        &self,
        method: &str,
        path: &str,
        body: Option<String>,
    ) -> Result<RawAnswer, CloudError> {
        let method = match method {
            "GET" => Method::GET,
            "POST" => Method::POST,
            "PUT" => Method::PUT,
            "PATCH" => Method::PATCH,
            "DELETE" => Method::DELETE,
            _ => return Err(refused("unsupported_method", "that method is not allowed")),
        };
        // Every URL must take the path as the user API, whichever answers.
        let urls: Vec<url::Url> = self
            .bases
            .iter()
            .map(|base| CloudClient::api_url(base, path))
            .collect::<Option<_>>()
            .ok_or_else(|| refused("forbidden_path", "that path is not part of the API"))?;
        let (response, _) = self
            .send(|base| {
                let index = self.bases.iter().position(|b| b == base).unwrap_or(0);
                let mut builder = self.http.request(method.clone(), urls[index].clone());
                if let Some(key) = &self.key {
                    builder = builder.bearer_auth(key.expose());
                }
                let builder = builder
                    .timeout(Duration::from_secs(60))
                    .header("accept", "application/json");
                match &body {
                    Some(body) => builder
                        .header("content-type", "application/json")
                        .body(body.clone()),
                    None => builder,
                }
            })
            .await?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = response
            .text()
            .await
            .map_err(|_| CloudError::Network(self.base().to_owned()))?;
        Ok(RawAnswer {
            status,
            body,
            retry_after,
        })
    }

    /// Follows the user's live job stream until `on_event` returns false or the stream ends;
    /// a `snapshot` comes first on every (re)connection.
    pub async fn follow_live(
        &self,
        mut on_event: impl FnMut(LiveMessage) -> bool,
    ) -> Result<(), CloudError> {
        let (response, base) = self
            .send(|base| {
                self.request(base, Method::GET, "/api/v1/jobs/live")
                    .header("accept", "text/event-stream")
            })
            .await?;
        let base = base.to_owned();
        if !response.status().is_success() {
            return Err(api_error(response).await);
        }
        let mut stream = response.bytes_stream();
        let mut parser = SseParser::default();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|_| CloudError::Network(base.clone()))?;
            for (event, data) in parser.push(&chunk) {
                let message = match event.as_str() {
                    "snapshot" => serde_json::from_str(&data).map(LiveMessage::Snapshot),
                    "job" => {
                        serde_json::from_str(&data).map(|live| LiveMessage::Job(Box::new(live)))
                    }
                    "removed" => serde_json::from_str::<serde_json::Value>(&data).map(|v| {
                        LiveMessage::Removed(v["id"].as_str().unwrap_or_default().to_owned())
                    }),
                    _ => continue,
                };
                let message = message.map_err(|err| CloudError::Protocol(err.to_string()))?;
                if !on_event(message) {
                    return Ok(());
                }
            }
        }
        Ok(())
    }
}

/// Follows the live stream until `stopped` turns true, reconnecting after a drop with back-off
/// (1 s, doubling up to 30 s; back to 1 s after a clean end). Every message goes to
/// `on_message`; `on_drop` hears each time the stream ends, before the wait.
pub async fn follow_live_until_stopped(
    client: &CloudClient,
    mut stopped: tokio::sync::watch::Receiver<bool>,
    mut on_message: impl FnMut(LiveMessage),
    mut on_drop: impl FnMut(),
) {
    let mut backoff = Duration::from_secs(1);
    loop {
        let followed = tokio::select! {
            _ = stopped.wait_for(|stop| *stop) => return,
            followed = client.follow_live(|message| {
                on_message(message);
                true
            }) => followed,
        };
        on_drop();
        match followed {
            Ok(()) => backoff = Duration::from_secs(1),
            Err(err) => {
                tracing::warn!(%err, "the live job stream dropped; reconnecting");
                backoff = (backoff * 2).min(Duration::from_secs(30));
            }
        }
        let stop = tokio::select! {
            _ = stopped.wait_for(|stop| *stop) => true,
            _ = tokio::time::sleep(backoff) => false,
        };
        if stop || *stopped.borrow() {
            return;
        }
    }
}

/// One message of the live stream.
#[derive(Debug, Clone)]
pub enum LiveMessage {
    Snapshot(Vec<JobLive>),
    Job(Box<JobLive>),
    Removed(String),
}

/// Splits a Server-Sent Events byte stream into (event, data) pairs; comments (keep-alives)
/// and unknown fields are skipped.
#[derive(Debug, Default)]
pub struct SseParser {
    buffer: Vec<u8>,
    event: String,
    data: Vec<String>,
}

impl SseParser {
    pub fn push(&mut self, bytes: &[u8]) -> Vec<(String, String)> {
        self.buffer.extend_from_slice(bytes);
        let mut out = Vec::new();
        while let Some(end) = self.buffer.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = self.buffer.drain(..=end).collect();
            let line = String::from_utf8_lossy(&line);
            let line = line.trim_end_matches(['\n', '\r']);
            if line.is_empty() {
                if !self.data.is_empty() {
                    let event = std::mem::take(&mut self.event);
                    let event = if event.is_empty() {
                        "message".into()
                    } else {
                        event
                    };
                    out.push((event, self.data.join("\n")));
                    self.data.clear();
                }
                self.event.clear();
                continue;
            }
            if line.starts_with(':') {
                continue;
            }
            let (field, value) = line.split_once(':').unwrap_or((line, ""));
            let value = value.strip_prefix(' ').unwrap_or(value);
            match field {
                "event" => self.event = value.to_owned(),
                "data" => self.data.push(value.to_owned()),
                _ => {}
            }
        }
        out
    }
}

fn segment(id: &str) -> String {
    percent_encoding::utf8_percent_encode(id, percent_encoding::NON_ALPHANUMERIC).to_string()
}

fn refused(code: &str, message: &str) -> CloudError {
    CloudError::Api {
        status: 400,
        code: code.into(),
        message: message.into(),
    }
}

async fn decode<T: DeserializeOwned>(
    base: &str,
    sent: Result<reqwest::Response, reqwest::Error>,
) -> Result<T, CloudError> {
    let response = sent.map_err(|_| CloudError::Network(base.to_owned()))?;
    if !response.status().is_success() {
        return Err(api_error(response).await);
    }
    response
        .json()
        .await
        .map_err(|err| CloudError::Protocol(err.to_string()))
}

async fn api_error(response: reqwest::Response) -> CloudError {
    let status = response.status();
    let body: serde_json::Value = response.json().await.unwrap_or_default();
    let code = body["error"]["code"]
        .as_str()
        .map(str::to_owned)
        .unwrap_or_else(|| format!("http_{}", status.as_u16()));
    let message = body["error"]["message"]
        .as_str()
        .map(str::to_owned)
        .unwrap_or_else(|| match status {
            StatusCode::UNAUTHORIZED => {
                "The cloud no longer accepts this device's key; sign in again.".into()
            }
            _ => format!("The cloud answered {status}"),
        });
    CloudError::Api {
        status: status.as_u16(),
        code,
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sse_events_split_across_chunks_and_keep_alives_are_skipped() {
        let mut parser = SseParser::default();
        assert!(parser.push(b": keep-alive\n\nevent: snap").is_empty());
        let events = parser.push(b"shot\ndata: [1,\ndata: 2]\n\nevent: job\r\ndata: {}\r\n\r\n");
        assert_eq!(
            events,
            vec![
                ("snapshot".to_owned(), "[1,\n2]".to_owned()),
                ("job".to_owned(), "{}".to_owned())
            ]
        );
    }

    /// A server on loopback answering every request with `status` and counting them.
    async fn answering(status: u16) -> (String, Arc<AtomicUsize>) {
        let hits = Arc::new(AtomicUsize::new(0));
        let counted = hits.clone();
        let app = axum::Router::new().fallback(move || {
            let counted = counted.clone();
            async move {
                counted.fetch_add(1, Ordering::Relaxed);
                (
                    axum::http::StatusCode::from_u16(status).expect("status"),
                    "{\"items\":[]}",
                )
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        tokio::spawn(async move { axum::serve(listener, app).await });
        (base, hits)
    }

    #[tokio::test]
    async fn a_read_goes_past_a_gateway_with_nothing_behind_it_and_a_write_does_not() {
        let (gateway, gateway_hits) = answering(503).await;
        let (replica, replica_hits) = answering(200).await;
        let client = CloudClient::new(&format!("{gateway},{replica}"), None).expect("client");

        // A write answered 503 may have reached a server: it is not sent again.
        let write = client
            .raw("POST", "/api/v1/jobs", Some("{}".into()))
            .await
            .expect("answer");
        assert_eq!(write.status, 503);
        assert_eq!(replica_hits.load(Ordering::Relaxed), 0);

        let read = client
            .raw("GET", "/api/v1/jobs", None)
            .await
            .expect("answer");
        assert_eq!(read.status, 200);
        assert_eq!(
            client.base(),
            replica,
            "the replica is tried first from then on"
        );
        let again = client
            .raw("GET", "/api/v1/jobs", None)
            .await
            .expect("answer");
        assert_eq!(again.status, 200);
        assert_eq!(gateway_hits.load(Ordering::Relaxed), 2);
        assert_eq!(replica_hits.load(Ordering::Relaxed), 2);

        // The last URL's answer is the answer, whatever it is.
        let only = CloudClient::new(&gateway, None).expect("client");
        let read = only.raw("GET", "/api/v1/jobs", None).await.expect("answer");
        assert_eq!(read.status, 503);
    }

    #[tokio::test]
    async fn the_pass_through_refuses_the_agent_protocol_and_other_origins() {
        let client = CloudClient::new("http://127.0.0.1:9", None).expect("client");
        for path in [
            "/api/v1/agent/claim",
            "https://evil.example/api/v1/jobs",
            "/api/v1/../agent/claim",
            "//evil.example/api/v1/jobs",
            "/health",
            "/api/v1/jobs\n",
            // The same protocol spelt so a text check misses it but the URL parser does not.
            "/api/v1/./agent/claim",
            "/api/v1/%2e/agent/claim",
            "/api/v1/%2E%2E/v1/agent/claim",
            "/api/v1\\agent/claim",
            "/api/v1/%61gent/claim",
            "/api/v1/AGENT/claim",
            "/api/v1/jobs%2f..%2f..%2fhealth",
            "/api/v1/jobs#x",
            "@evil.example/api/v1/jobs",
        ] {
            let err = client.raw("GET", path, None).await.expect_err(path);
            assert_eq!(err.status(), 400, "{path}");
        }
        // What the screens really send still goes through, to the same origin.
        for path in [
            "/api/v1/jobs?page=2&q=a%20b",
            "/api/v1/jobs/0190-ab/files",
            "/api/v1/auth/me",
        ] {
            let url = CloudClient::api_url(client.base(), path).expect(path);
            assert_eq!(
                url.origin(),
                url::Url::parse("http://127.0.0.1:9")
                    .expect("base")
                    .origin()
            );
        }
        let err = client
            .raw("TRACE", "/api/v1/jobs", None)
            .await
            .expect_err("method");
        assert_eq!(err.status(), 400);
    }
}
