//! The agent side of the agent protocol: typed calls to `/api/v1/agent/…` with the agent's token.

use reqwest::StatusCode;
use serde::de::DeserializeOwned;
use serde::Serialize;
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
    base: String,
    token: String,
}

impl std::fmt::Debug for AgentClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AgentClient")
            .field("base", &self.base)
            .field("token", &"[redacted]")
            .finish()
    }
}

impl AgentClient {
    pub fn new(cloud_url: &str, token: &str) -> Result<AgentClient, ClientError> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .connect_timeout(Duration::from_secs(10))
            .build()
            .map_err(|err| ClientError::Network(err.to_string()))?;
        Ok(AgentClient {
            http,
            base: format!("{}/api/v1/agent", cloud_url.trim_end_matches('/')),
            token: token.to_owned(),
        })
    }

    async fn post<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, ClientError> {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .json(body)
            .send()
            .await
            .map_err(|err| ClientError::Network(err.to_string()))?;
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
