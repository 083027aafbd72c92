//! Metrics as Prometheus reads them: `/metrics` answers only with `metrics.token` (or, without
//! one, only on the private `metrics.listen` address); Debian's Prometheus, started on
//! 127.0.0.1 for the test, scrapes tseeder-cloud and a real agent, and a query through its HTTP
//! API returns exactly the requests the test made.

use reqwest::StatusCode;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use tseeder_cloud::config::Secret;
use tseeder_protocol::Role;
use tseeder_testkit::agent::{agent_command, AgentProcess};
use tseeder_testkit::cloud::{issue_agent_token, TestServer};
use tseeder_testkit::free_port;

const BIN: &str = env!("CARGO_BIN_EXE_tseeder-cloud");
const TOKEN: &str = "scrape-token-for-the-metrics-test";
const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

fn agent_binary() -> PathBuf {
    let path = Path::new(BIN).with_file_name("tseeder-agent");
    assert!(
        path.exists(),
        "{} is missing: build the workspace",
        path.display()
    );
    path
}

/// Prometheus on 127.0.0.1, killed when dropped.
struct Prometheus {
    child: Child,
    base: String,
    _dir: tempfile::TempDir,
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Prometheus {
    fn start(config: &str) -> Prometheus {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("prometheus.yml");
        std::fs::write(&file, config).expect("config");
        let port = free_port();
        let child = Command::new("prometheus")
            .arg(format!("--config.file={}", file.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("prometheus (Debian's package, installed by scripts/setup)");
        Prometheus {
            child,
            base: format!("http://127.0.0.1:{port}"),
            _dir: dir,
        }
    }

    /// The value of `query`'s only sample once there is one, within 30 s.
    async fn value(&self, query: &str) -> String {
        let http = reqwest::Client::new();
        for _ in 0..150 {
            let answer = http
                .get(format!("{}/api/v1/query", self.base))
                .query(&[("query", query)])
                .send()
                .await;
            if let Ok(answer) = answer {
                let body: Value = answer.json().await.unwrap_or_default();
                if let Some(value) = body["data"]["result"][0]["value"][1].as_str() {
                    return value.to_owned();
                }
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        panic!("Prometheus never answered {query}");
    }
}

async fn get(url: &str, token: Option<&str>) -> reqwest::Response {
    let mut request = reqwest::Client::new().get(url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.expect("request")
}

#[tokio::test]
async fn prometheus_scrapes_the_cloud_and_an_agent_and_counts_what_was_asked() {
    let server = TestServer::start_with(|s| s.metrics.token = Some(Secret::new(TOKEN))).await;
    let metrics = format!("{}/metrics", server.base);
    assert_eq!(get(&metrics, None).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        get(&metrics, Some("not-the-token")).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let scraped = get(&metrics, Some(TOKEN)).await;
    assert_eq!(scraped.status(), StatusCode::OK);
    assert_eq!(scraped.headers()["content-type"], OPENMETRICS);
    let text = scraped.text().await.expect("text");
    for family in [
        "tseeder_queue_depth",
        "tseeder_fleet_capacity",
        "tseeder_jobs{status=\"queued\"}",
        "tseeder_storage_bytes",
        "tseeder_jobs_finished_total{outcome=\"completed\"} 0",
        "tseeder_agent_bytes_total{direction=\"in\"} 0",
    ] {
        assert!(text.contains(family), "{family} missing from:\n{text}");
    }

    // Three requests to one route, one with an id in its path.
    let anon = server.anon();
    for _ in 0..3 {
        assert_eq!(anon.get("/api/v1/plans").await.status, StatusCode::OK);
    }
    let missing = anon.get("/api/v1/blog/no-such-post").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);

    // A real agent, registered, with its own /metrics.
    let admin = server.user(Role::Admin).await;
    let token = issue_agent_token(&admin, "metrics-agent", "eu").await;
    let scratch = tempfile::tempdir().expect("tempdir");
    let agent_port = free_port();
    let mut command = agent_command(
        &agent_binary(),
        &server.base,
        &token,
        "metrics-agent",
        scratch.path(),
    );
    command
        .env(
            "TSEEDER_AGENT_HEALTH_LISTEN",
            format!("127.0.0.1:{agent_port}"),
        )
        .env(
            "TSEEDER_AGENT_STORAGE__LOCAL_DIR",
            scratch.path().join("objects"),
        )
        .env("TSEEDER_AGENT_CAPACITY", "3");
    let _agent = AgentProcess(command.spawn().expect("start tseeder-agent"));

    let prometheus = Prometheus::start(&format!(
        "global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: tseeder
    authorization:
      type: Bearer
      credentials: {TOKEN}
    static_configs:
      - targets: ['{}']
  - job_name: agent
    static_configs:
      - targets: ['127.0.0.1:{agent_port}']
",
        server.base.trim_start_matches("http://")
    ));
    assert_eq!(prometheus.value("up{job=\"tseeder\"}").await, "1");
    assert_eq!(
        prometheus
            .value("tseeder_http_requests_total{route=\"/api/v1/plans\",method=\"GET\",status_class=\"2xx\"}")
            .await,
        "3"
    );
    assert_eq!(
        prometheus
            .value(
                "tseeder_http_requests_total{route=\"/api/v1/blog/{slug}\",status_class=\"4xx\"}"
            )
            .await,
        "1",
        "counted under the route template, not the path asked for"
    );
    assert_eq!(
        prometheus
            .value("tseeder_http_request_duration_seconds_count{route=\"/api/v1/plans\"}")
            .await,
        "3"
    );
    assert_eq!(
        prometheus
            .value("tseeder_agent_registered{job=\"agent\"} == 1")
            .await,
        "1"
    );
    assert_eq!(
        prometheus
            .value("tseeder_agent_capacity{job=\"agent\"}")
            .await,
        "3"
    );
    // The cloud sees the agent too: the fleet's capacity is the agent's.
    assert_eq!(
        prometheus
            .value("tseeder_fleet_capacity{job=\"tseeder\"} == 3")
            .await,
        "3"
    );
}

#[tokio::test]
async fn without_a_token_metrics_are_served_only_on_the_private_address() {
    let private = format!("127.0.0.1:{}", free_port());
    let address = private.parse().expect("address");
    let server = TestServer::start_with(|s| s.metrics.listen = Some(address)).await;
    let public = get(&format!("{}/metrics", server.base), Some(TOKEN)).await;
    assert_eq!(
        public.status(),
        StatusCode::UNAUTHORIZED,
        "no token is good without metrics.token"
    );
    let scraped = get(&format!("http://{private}/metrics"), None).await;
    assert_eq!(scraped.status(), StatusCode::OK);
    assert!(scraped
        .text()
        .await
        .expect("text")
        .contains("tseeder_http_requests_total{"));
}
