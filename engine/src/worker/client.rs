//! The agent side of the agent protocol: typed calls to `/api/v1/agent/…` with the agent's token.
//! The control plane may be several replicas named one by one: a call that cannot reach one
//! (or meets a proxy's 502/503/504) goes to the next, and the one that answered is used first
//! from then on.

use reqwest::StatusCode;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tseeder_protocol::{
    AgentRegistered, ClaimReply, CompleteReport, FailReport, Heartbeat, HeartbeatReply,
    ProgressReply, ProgressReport, RegisterAgent, ReleaseLease,
};

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("cannot reach the cloud API: {0}")]
    Network(String),
    /// The lease is no longer ours: the job moved on or was removed.
    #[error("the lease is no longer held")]
    LeaseLost,
    /// Still our lease, but the job was cancelled or paused meanwhile: what we stored for it
    /// must go.
    #[error("the job was stopped by its owner")]
    JobStopped,
    #[error("the cloud API answered {status} {code}: {message}")]
    Refused {
        status: u16,
        code: String,
        message: String,
    },
}

impl ClientError {
    pub fn is_transient(&self) -> bool {
        match self {
            ClientError::Network(_) => true,
            ClientError::Refused { status, .. } => *status >= 500 || *status == 429,
            ClientError::LeaseLost | ClientError::JobStopped => false,
        }
    }
}

#[derive(Clone)]
pub struct AgentClient {
    http: reqwest::Client,
    /// Each control-plane URL's agent API, in the order given.
    bases: Arc<[String]>,
    /// The base that answered last.
    current: Arc<AtomicUsize>,
    token: String,
}

impl std::fmt::Debug for AgentClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AgentClient")
            .field("bases", &self.bases)
            .field("token", &"[redacted]")
            .finish()
    }
}

/// Answers a load balancer or proxy gives when the replica behind it is gone.
fn replica_unavailable(status: StatusCode) -> bool {
    matches!(
        status,
        StatusCode::BAD_GATEWAY | StatusCode::SERVICE_UNAVAILABLE | StatusCode::GATEWAY_TIMEOUT
    )
}

impl AgentClient {
    /// `cloud_url` is one URL, or several separated by commas (replicas to fail over between).
    pub fn new(cloud_url: &str, token: &str) -> Result<AgentClient, ClientError> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .connect_timeout(Duration::from_secs(5))
            .build()
            .map_err(|err| ClientError::Network(err.to_string()))?;
        let bases: Arc<[String]> = cloud_url
            .split(',')
            .map(str::trim)
            .filter(|url| !url.is_empty())
            .map(|url| format!("{}/api/v1/agent", url.trim_end_matches('/')))
            .collect();
        if bases.is_empty() {
            return Err(ClientError::Network(
                "no control-plane URL is configured".into(),
            ));
        }
        Ok(AgentClient {
            http,
            bases,
            current: Arc::new(AtomicUsize::new(0)),
            token: token.to_owned(),
        })
    }

    /// The control-plane URL calls go to first.
    pub fn current_url(&self) -> &str {
        let base = &self.bases[self.current.load(Ordering::Relaxed) % self.bases.len()];
        base.trim_end_matches("/api/v1/agent")
    }

    /// Sends the call to the replica that answered last, then to each other one in turn while
    /// they cannot be reached.
    async fn send<B: Serialize>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<reqwest::Response, ClientError> {
        let first = self.current.load(Ordering::Relaxed);
        let mut last_error = None;
        for step in 0..self.bases.len() {
            let index = (first + step) % self.bases.len();
            let sent = self
                .http
                .post(format!("{}{path}", self.bases[index]))
                .bearer_auth(&self.token)
                .json(body)
                .send()
                .await;
            match sent {
                Ok(response)
                    if !replica_unavailable(response.status()) || step + 1 == self.bases.len() =>
                {
                    self.current.store(index, Ordering::Relaxed);
                    return Ok(response);
                }
                Ok(response) => {
                    last_error = Some(format!(
                        "{} answered {}",
                        self.bases[index],
                        response.status()
                    ))
                }
                Err(err) => last_error = Some(err.to_string()),
            }
        }
        Err(ClientError::Network(last_error.unwrap_or_default()))
    }

    async fn post<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, ClientError> {
        let response = self.send(path, body).await?;
        let status = response.status();
        if status.is_success() {
            return response
                .json()
                .await
                .map_err(|err| ClientError::Network(err.to_string()));
        }
        let body: serde_json::Value = response.json().await.unwrap_or_default();
        let code = body["error"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        if status == StatusCode::CONFLICT && code == "lease_lost" {
            return Err(ClientError::LeaseLost);
        }
        if status == StatusCode::CONFLICT && code == "job_stopped" {
            return Err(ClientError::JobStopped);
        }
        Err(ClientError::Refused {
            status: status.as_u16(),
            code,
            message: body["error"]["message"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        })
    }

    pub async fn register(&self, body: &RegisterAgent) -> Result<AgentRegistered, ClientError> {
        self.post("/register", body).await
    }

    pub async fn heartbeat(&self, body: &Heartbeat) -> Result<HeartbeatReply, ClientError> {
        self.post("/heartbeat", body).await
    }

    pub async fn claim(&self) -> Result<ClaimReply, ClientError> {
        self.post("/claim", &serde_json::json!({})).await
    }

    pub async fn progress(
        &self,
        job_id: &str,
        body: &ProgressReport,
    ) -> Result<ProgressReply, ClientError> {
        self.post(&format!("/jobs/{job_id}/progress"), body).await
    }

    pub async fn complete(&self, job_id: &str, body: &CompleteReport) -> Result<(), ClientError> {
        self.post::<_, serde_json::Value>(&format!("/jobs/{job_id}/complete"), body)
            .await
            .map(drop)
    }

    pub async fn fail(&self, job_id: &str, body: &FailReport) -> Result<(), ClientError> {
        self.post::<_, serde_json::Value>(&format!("/jobs/{job_id}/fail"), body)
            .await
            .map(drop)
    }

    pub async fn release(&self, job_id: &str, body: &ReleaseLease) -> Result<(), ClientError> {
        self.post::<_, serde_json::Value>(&format!("/jobs/{job_id}/release"), body)
            .await
            .map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    /// A replica stand-in on loopback answering every request with `status` and `{"from":name}`;
    /// counts the requests it got.
    async fn replica(status: u16, name: &'static str) -> (String, Arc<AtomicUsize>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let served = Arc::new(AtomicUsize::new(0));
        let count = Arc::clone(&served);
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                count.fetch_add(1, Ordering::SeqCst);
                let mut request = vec![0u8; 8192];
                let _ = socket.read(&mut request).await;
                let body = format!("{{\"from\":\"{name}\"}}");
                let answer = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(answer.as_bytes()).await;
            }
        });
        (url, served)
    }

    fn closed_port_url() -> String {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        drop(listener);
        url
    }

    async fn answered_by(client: &AgentClient) -> String {
        let reply: serde_json::Value = client
            .post("/heartbeat", &serde_json::json!({}))
            .await
            .expect("a replica answered");
        reply["from"].as_str().expect("from").to_owned()
    }

    #[tokio::test]
    async fn a_call_goes_on_to_the_next_replica_and_stays_with_the_one_that_answered() {
        let gone = closed_port_url();
        let (behind_proxy, proxied) = replica(503, "proxy").await;
        let (live, served) = replica(200, "live").await;
        let client =
            AgentClient::new(&format!("{gone}, {behind_proxy},{live}/"), "tsa_x").expect("client");
        assert_eq!(answered_by(&client).await, "live");
        assert_eq!(client.current_url(), live);
        assert_eq!(answered_by(&client).await, "live");
        assert_eq!(served.load(Ordering::SeqCst), 2);
        assert_eq!(
            proxied.load(Ordering::SeqCst),
            1,
            "the replica that answered is asked first from then on"
        );
    }

    #[tokio::test]
    async fn no_replica_reachable_is_a_network_error_the_worker_retries() {
        let client = AgentClient::new(&format!("{},{}", closed_port_url(), closed_port_url()), "t")
            .expect("client");
        let err = client
            .post::<_, serde_json::Value>("/heartbeat", &serde_json::json!({}))
            .await
            .expect_err("nobody answers");
        assert!(err.is_transient(), "{err}");
        assert!(
            AgentClient::new(" , ", "t").is_err(),
            "a list of nothing is refused"
        );
    }
}
