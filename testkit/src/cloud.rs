//! Test harness: a real server on 127.0.0.1:0 over a temporary SQLite file, and HTTP clients
//! that sign in the way a browser or a script would.

use reqwest::StatusCode;
use serde_json::Value;
use std::path::PathBuf;
use tempfile::TempDir;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tseeder_cloud::config::Rate;
use tseeder_cloud::config::Secret;
use tseeder_cloud::services::Services;
use tseeder_cloud::store::Value as StoreValue;
use tseeder_cloud::{server, Settings};
use tseeder_protocol::Role;

use crate::engine::loopback_engine;

pub const PASSWORD: &str = "correct horse battery";

#[derive(Debug)]
pub struct TestServer {
    pub base: String,
    pub services: Services,
    pub dir: TempDir,
    pub settings: Settings,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Limits high enough that only the rate-limit tests ever meet them.
pub fn roomy_rate_limits(settings: &mut Settings) {
    let roomy = Rate::new(100_000, 60);
    let limits = &mut settings.rate_limits;
    for rate in [
        &mut limits.register_per_ip,
        &mut limits.login_per_ip,
        &mut limits.login_per_account,
        &mut limits.reset_per_ip,
        &mut limits.reset_per_account,
        &mut limits.jobs_per_ip,
        &mut limits.jobs_per_account,
        &mut limits.password_change_per_account,
    ] {
        *rate = roomy;
    }
}

impl TestServer {
    pub async fn start() -> TestServer {
        TestServer::start_with(|_| {}).await
    }

    /// Starts with test defaults, then lets the test adjust settings.
    pub async fn start_with(adjust: impl FnOnce(&mut Settings)) -> TestServer {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut settings = Settings {
            data_dir: dir.path().join("data"),
            ..Settings::default()
        };
        settings.torrent_network.allow_private_addresses = true;
        // Tests that want the in-process agent turn it on; it never leaves loopback.
        settings.embedded_agent.enabled = false;
        settings.embedded_agent.engine = loopback_engine();
        roomy_rate_limits(&mut settings);
        if let Some(url) = crate::postgres::shared_fresh_database().await {
            settings.database.url = Some(Secret::new(url));
        }
        adjust(&mut settings);
        TestServer::serve_in(dir, settings).await
    }

    async fn serve_in(dir: TempDir, mut settings: Settings) -> TestServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let base = format!("http://{addr}");
        settings.listen = addr;
        settings.public_url = Some(base.clone());
        let services = server::start_services(settings.clone())
            .await
            .expect("services");
        let (stop, stopped) = oneshot::channel::<()>();
        let serving = services.clone();
        let task = tokio::spawn(async move {
            server::serve(serving, listener, async move {
                let _ = stopped.await;
            })
            .await
            .expect("serve");
        });
        TestServer {
            base,
            services,
            dir,
            settings,
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// Stops the server gracefully (the embedded agent hands its jobs back) and waits for it.
    pub async fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.expect("server task");
        }
    }

    /// Stops and starts again on the same data folder, at a new port.
    pub async fn restart(mut self) -> TestServer {
        self.stop().await;
        let dir = tempfile::tempdir().expect("placeholder");
        let data = std::mem::replace(&mut self.dir, dir);
        let settings = self.settings.clone();
        TestServer::serve_in(data, settings).await
    }

    /// Runs one statement straight on the server's store (either backend), for a test that
    /// sets up a state the API cannot reach quickly (an aged session, an operator's plan edit).
    pub async fn execute_sql(&self, sql: &'static str, params: Vec<StoreValue>) -> usize {
        self.services
            .db()
            .call(move |conn| conn.execute(sql, &params))
            .await
            .expect("statement")
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    pub fn anon(&self) -> Client {
        Client::new(&self.base)
    }

    /// A verified account with `role`, signed in with a session cookie.
    pub async fn user(&self, role: Role) -> Client {
        let email = format!(
            "{}-{}@example.org",
            role.as_str(),
            uuid::Uuid::new_v4().simple()
        );
        self.services
            .admin()
            .create_user_directly(&email, PASSWORD.to_owned(), role)
            .await
            .expect("create user");
        let mut client = self.anon();
        client.login(&email, PASSWORD).await;
        client
    }

    /// Every mail in the outbox, decoded, oldest first, once the queue has been delivered
    /// (by this call or by the server's own delivery loop).
    pub async fn outbox(&self) -> Vec<String> {
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
        while self.services.mail().pending_mail().await > 0
            && tokio::time::Instant::now() < deadline
        {
            self.services.mail().deliver_queued().await;
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        let dir = self.data_dir().join("outbox");
        let Ok(entries) = std::fs::read_dir(&dir) else {
            return Vec::new();
        };
        let mut files: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "eml"))
            .collect();
        files.sort();
        files
            .iter()
            .map(|p| decode_quoted_printable(&std::fs::read_to_string(p).expect("read mail")))
            .collect()
    }

    /// The token in the newest mail to `email` whose link contains `path`.
    pub async fn mailed_token(&self, email: &str, path: &str) -> String {
        let mail = self
            .outbox()
            .await
            .into_iter()
            .rev()
            .find(|m| m.contains(&format!("To: {email}")) && m.contains(path))
            .unwrap_or_else(|| panic!("no mail to {email} with {path}"));
        token_after(&mail, &format!("{path}?token="))
    }
}

pub fn token_after(text: &str, marker: &str) -> String {
    let start = text.find(marker).expect("marker in mail") + marker.len();
    text[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

/// Undoes quoted-printable: soft line breaks and `=XX` escapes.
pub fn decode_quoted_printable(text: &str) -> String {
    let joined = text.replace("=\r\n", "").replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' && i + 2 < bytes.len() {
            if let Ok(byte) = u8::from_str_radix(&joined[i + 1..i + 3], 16) {
                out.push(byte);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// An API caller: a cookie jar (with its CSRF token) or a bearer API key.
#[derive(Clone, Debug)]
pub struct Client {
    pub http: reqwest::Client,
    pub base: String,
    pub csrf: Option<String>,
    pub bearer: Option<String>,
    pub user_id: String,
    pub email: String,
}

pub struct Answer {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Answer {
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }
}

impl std::fmt::Debug for Answer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status, self.body)
    }
}

impl Client {
    pub fn new(base: &str) -> Client {
        Client {
            http: reqwest::Client::builder()
                .cookie_store(true)
                .build()
                .expect("client"),
            base: base.to_owned(),
            csrf: None,
            bearer: None,
            user_id: String::new(),
            email: String::new(),
        }
    }

    /// The same client against a server that moved (a restart binds a new port); cookies are
    /// per host, so the session goes along.
    pub fn rebased(&self, base: &str) -> Client {
        Client {
            base: base.to_owned(),
            ..self.clone()
        }
    }

    /// The same account through an API key instead of the cookie.
    pub fn with_key(&self, key: &str) -> Client {
        Client {
            bearer: Some(key.to_owned()),
            csrf: None,
            http: reqwest::Client::new(),
            ..self.clone()
        }
    }

    pub async fn login(&mut self, email: &str, password: &str) -> Answer {
        let answer = self
            .post(
                "/api/v1/auth/login",
                serde_json::json!({ "email": email, "password": password }),
            )
            .await;
        if answer.status == StatusCode::OK {
            self.csrf = answer.body["csrfToken"].as_str().map(str::to_owned);
            self.user_id = answer.body["user"]["id"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            self.email = email.to_owned();
        }
        answer
    }

    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let mut req = self.http.request(method, format!("{}{}", self.base, path));
        if let Some(csrf) = &self.csrf {
            req = req.header("x-csrf-token", csrf);
        }
        if let Some(key) = &self.bearer {
            req = req.bearer_auth(key);
        }
        req
    }

    /// Like [`Client::send`], but a 200 answer's body (an endless stream) is not read.
    pub async fn send_status_only(&self, req: reqwest::RequestBuilder) -> Answer {
        let response = req.send().await.expect("request");
        if response.status() != StatusCode::OK {
            let status = response.status();
            let headers = response.headers().clone();
            let text = response.text().await.expect("body");
            return Answer {
                status,
                headers,
                body: serde_json::from_str(&text).unwrap_or(Value::String(text)),
            };
        }
        Answer {
            status: response.status(),
            headers: response.headers().clone(),
            body: Value::Null,
        }
    }

    pub async fn send(&self, req: reqwest::RequestBuilder) -> Answer {
        let response = req.send().await.expect("request");
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.expect("body");
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        Answer {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.send(self.request(reqwest::Method::GET, path)).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Answer {
        self.send(self.request(reqwest::Method::POST, path).json(&body))
            .await
    }

    pub async fn patch(&self, path: &str, body: Value) -> Answer {
        self.send(self.request(reqwest::Method::PATCH, path).json(&body))
            .await
    }

    pub async fn delete(&self, path: &str) -> Answer {
        self.send(self.request(reqwest::Method::DELETE, path)).await
    }

    pub async fn create_key(&self, name: &str) -> (String, String) {
        let answer = self
            .post(
                "/api/v1/api-keys",
                serde_json::json!({ "name": name, "currentPassword": PASSWORD }),
            )
            .await;
        assert_eq!(answer.status, StatusCode::CREATED, "{answer:?}");
        (
            answer.body["key"]["id"].as_str().expect("id").to_owned(),
            answer.body["secret"].as_str().expect("secret").to_owned(),
        )
    }
}

/// A magnet link with a fresh random info hash.
pub fn random_magnet(name: &str) -> String {
    let hash = format!("{:032x}", uuid::Uuid::new_v4().as_u128());
    format!("magnet:?xt=urn:btih:{hash}{}&dn={name}", &hash[..8])
}

/// Uploads `torrent` as multipart, with an optional `selectedFiles` JSON array.
pub async fn upload(client: &Client, torrent: Vec<u8>, selected: Option<&str>) -> Answer {
    let mut form = reqwest::multipart::Form::new().part(
        "torrent",
        reqwest::multipart::Part::bytes(torrent).file_name("x.torrent"),
    );
    if let Some(selected) = selected {
        form = form.text("selectedFiles", selected.to_owned());
    }
    client
        .send(
            client
                .request(reqwest::Method::POST, "/api/v1/jobs/torrent")
                .multipart(form),
        )
        .await
}

/// A Server-Sent Events stream read event by event.
#[derive(Debug)]
pub struct LiveStream {
    response: reqwest::Response,
    buffer: String,
}

impl LiveStream {
    pub async fn open(client: &Client, path: &str) -> LiveStream {
        let response = client
            .request(reqwest::Method::GET, path)
            .send()
            .await
            .expect("stream");
        assert_eq!(response.status(), StatusCode::OK, "stream {path}");
        // A browser's EventSource refuses any other type, and a cache must not keep the stream.
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned)
        };
        assert_eq!(
            header("content-type").as_deref(),
            Some("text/event-stream"),
            "stream {path}"
        );
        assert_eq!(
            header("cache-control").as_deref(),
            Some("no-cache"),
            "stream {path}"
        );
        LiveStream {
            response,
            buffer: String::new(),
        }
    }

    /// True when the server ends the stream within `within` (events before the end are
    /// skipped); false when it is still open then.
    pub async fn ends_within(&mut self, within: std::time::Duration) -> bool {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            match tokio::time::timeout_at(deadline, self.response.chunk()).await {
                Err(_) => return false,
                Ok(Ok(Some(_))) => continue,
                Ok(Ok(None) | Err(_)) => return true,
            }
        }
    }

    /// Follows the stream until the job completes (at most two minutes between its changes);
    /// returns the statuses seen, and fails the test if the job fails.
    pub async fn until_completed(&mut self, job_id: &str) -> Vec<String> {
        let mut seen = Vec::new();
        loop {
            let (event, data) = self.next(std::time::Duration::from_secs(120)).await;
            if event != "job" || data["job"]["id"] != job_id {
                continue;
            }
            let status = data["job"]["status"].as_str().expect("status").to_owned();
            assert_ne!(status, "failed", "the job failed: {data}");
            if seen.last() != Some(&status) {
                seen.push(status.clone());
            }
            if status == "completed" {
                return seen;
            }
        }
    }

    /// The next event's name and JSON data; keep-alive comments are skipped.
    pub async fn next(&mut self, within: std::time::Duration) -> (String, Value) {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let mut name = String::from("message");
                let mut data = String::new();
                for line in block.lines() {
                    if let Some(value) = line.strip_prefix("event:") {
                        name = value.trim().to_owned();
                    } else if let Some(value) = line.strip_prefix("data:") {
                        data.push_str(value.trim_start());
                    }
                }
                if data.is_empty() {
                    continue;
                }
                return (name, serde_json::from_str(&data).expect("event JSON"));
            }
            let chunk = tokio::time::timeout_at(deadline, self.response.chunk())
                .await
                .expect("no event in time")
                .expect("stream read")
                .expect("stream ended");
            self.buffer.push_str(&String::from_utf8_lossy(&chunk));
        }
    }
}

/// An operator issues an agent token, justified as tests do; answers the token.
pub async fn issue_agent_token(admin: &Client, name: &str, region: &str) -> String {
    let issued = admin
        .post(
            "/api/v1/admin/agents",
            serde_json::json!({ "name": name, "region": region, "reason": "capacity for the tests", "ticketId": "OPS-1" }),
        )
        .await;
    assert_eq!(issued.status, StatusCode::CREATED, "{issued:?}");
    issued.body["token"].as_str().expect("token").to_owned()
}

/// A pretend agent: it speaks the protocol and does no work.
#[derive(Debug)]
pub struct SimAgent {
    pub http: reqwest::Client,
    pub base: String,
    pub token: String,
}

impl SimAgent {
    pub async fn issued(
        server: &TestServer,
        admin: &Client,
        name: &str,
        region: &str,
        capacity: u32,
    ) -> SimAgent {
        let token = issue_agent_token(admin, name, region).await;
        let agent = SimAgent::with_token(server, &token);
        agent.register(name, region, capacity).await;
        agent
    }

    pub fn with_token(server: &TestServer, token: &str) -> SimAgent {
        SimAgent {
            http: reqwest::Client::new(),
            base: server.base.clone(),
            token: token.to_owned(),
        }
    }

    pub async fn call(&self, path: &str, body: Value) -> (StatusCode, Value) {
        let response = self
            .http
            .post(format!("{}/api/v1/agent{path}", self.base))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .expect("agent call");
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    pub async fn register(&self, name: &str, region: &str, capacity: u32) -> Value {
        let (status, body) = self
            .call(
                "/register",
                serde_json::json!({ "name": name, "region": region, "capacity": capacity, "version": "sim" }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }

    /// The job id and lease of the claimed job, if any.
    pub async fn claim(&self) -> Option<(String, String)> {
        let (status, body) = self.call("/claim", serde_json::json!({})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let assignment = &body["assignment"];
        assignment["jobId"].as_str().map(|id| {
            (
                id.to_owned(),
                assignment["leaseId"].as_str().expect("lease").to_owned(),
            )
        })
    }

    pub async fn progress(&self, job: &str, lease: &str) -> (StatusCode, Value) {
        self.call(
            &format!("/jobs/{job}/progress"),
            serde_json::json!({ "leaseId": lease, "status": "downloading", "downloadedBytes": 10,
                    "totalBytes": 100, "uploadedBytes": 0, "downloadSpeed": 5,
                    "uploadSpeed": 0, "peers": 1 }),
        )
        .await
    }

    /// Delivers a claimed job as a cloud agent does: its one file `name` of `bytes` reported,
    /// put into the server's store, and the job completed with it.
    pub async fn deliver(
        &self,
        server: &TestServer,
        user_id: &str,
        job: &str,
        lease: &str,
        name: &str,
        bytes: &[u8],
    ) {
        let size = bytes.len();
        let path = format!("{name}.bin");
        let (status, body) = self
            .call(
                &format!("/jobs/{job}/progress"),
                serde_json::json!({ "leaseId": lease, "status": "downloading", "downloadedBytes": size,
                    "totalBytes": size, "uploadedBytes": 0, "downloadSpeed": 0, "uploadSpeed": 0,
                    "peers": 1, "name": name, "files": [
                        { "index": 0, "path": path, "size": size, "selected": true }] }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let key = tseeder_storage::ObjectKey::job_file(user_id, job, 0).expect("key");
        let file = tempfile::NamedTempFile::new().expect("temp");
        std::fs::write(file.path(), bytes).expect("write");
        server
            .services
            .store()
            .put_file(&key, file.path())
            .await
            .expect("put");
        let (status, body) = self
            .call(
                &format!("/jobs/{job}/complete"),
                serde_json::json!({ "leaseId": lease, "files": [
                    { "index": 0, "path": path, "size": size, "objectKey": key.as_str() }] }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }

    pub async fn fail(&self, job: &str, lease: &str, retryable: bool) -> (StatusCode, Value) {
        self.call(
            &format!("/jobs/{job}/fail"),
            serde_json::json!({ "leaseId": lease, "kind": "no_peers", "retryable": retryable,
                                "error": "tracker unreachable: connect 10.0.0.7:6969 from /var/lib/agent/jobs/x" }),
        )
        .await
    }
}
