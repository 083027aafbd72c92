//! The agent protocol: how agents (operator machines serving everyone, and users' own devices
//! serving only their owner) register, report health, claim work under a lease and report its
//! outcome. Every call after `register` carries the lease it acts under, so an agent that lost
//! its lease can never overwrite the work of the agent that holds it now.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Bearer tokens of agents start with this, so they are never mistaken for user API keys.
pub const AGENT_TOKEN_PREFIX: &str = "tsa_";

/// Jobs an agent of `capacity` download slots may hold while their metadata is still being
/// fetched (or while they wait for a slot). Fetching metadata costs almost nothing, but a magnet
/// nobody seeds can take the whole metadata timeout: were it to hold a download slot, a few dead
/// magnets would keep everyone else's healthy jobs waiting. Server and agent count the same way.
pub fn metadata_slots(capacity: u32) -> u32 {
    capacity.saturating_mul(4).max(4)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum AgentKind {
    /// Run by operators; serves every user's jobs.
    Operator,
    /// A user's own machine; receives only its owner's jobs routed to it.
    Device,
}

/// Body of `POST /api/v1/agent/register`: what the agent is, sent at every start.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RegisterAgent {
    #[schemars(pattern(crate::fields::LABEL_PATTERN))]
    pub name: String,
    /// An operator agent's region; a device's is fixed and this is not read.
    #[schemars(pattern(crate::fields::LABEL_PATTERN))]
    pub region: String,
    /// Jobs it downloads at once; more may be fetching metadata (see [`metadata_slots`]).
    pub capacity: u32,
    pub version: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AgentRegistered {
    pub agent_id: String,
    pub kind: AgentKind,
    /// How long a lease lasts without a heartbeat or progress report renewing it.
    pub lease_seconds: u64,
    /// How often the agent should send a heartbeat.
    pub heartbeat_seconds: u64,
}

/// Body of `POST /api/v1/agent/heartbeat`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Heartbeat {
    pub cpu_percent: Option<f32>,
    pub memory_bytes: Option<u64>,
    pub disk_free_bytes: Option<u64>,
    pub bandwidth_bps: Option<u64>,
    /// The leases the agent is working under; each is renewed.
    pub leases: Vec<HeldLease>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HeldLease {
    pub job_id: String,
    pub lease_id: String,
}

/// What the agent must do with a job it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum ControlAction {
    /// Keep going.
    Continue,
    /// The user cancelled or deleted the job: stop and remove the data.
    Cancel,
    /// The user paused the job: stop, remove the data, the job waits on the server.
    Pause,
    /// The lease is no longer this agent's (it expired and the job moved on): stop quietly.
    LeaseLost,
    /// The server refused the job (quota, size): stop and remove the data.
    Abort,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct JobControl {
    pub job_id: String,
    /// The attempt it is meant for; an agent may briefly hold two leases on one job.
    #[serde(default)]
    pub lease_id: Option<String>,
    pub action: ControlAction,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HeartbeatReply {
    /// Only the jobs whose action is not `continue`.
    pub controls: Vec<JobControl>,
}

/// Answer of `POST /api/v1/agent/claim`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClaimReply {
    pub assignment: Option<Assignment>,
}

/// One job handed to an agent under a lease.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Assignment {
    pub job_id: String,
    pub user_id: String,
    pub lease_id: String,
    pub lease_expires_at: DateTime<Utc>,
    /// Shown in logs only; files get their names from the torrent, through the sanitizer.
    pub name: String,
    pub magnet: Option<String>,
    /// The .torrent file, base64, for jobs added by upload or URL.
    pub torrent_base64: Option<String>,
    /// Indexes of the files to fetch; all when absent.
    pub selected_files: Option<Vec<u32>>,
    /// 1 for the first try.
    pub attempt: u32,
    /// The largest number of bytes the job may hold (plan's job size and remaining storage).
    pub max_bytes: Option<u64>,
}

/// Where a job stands on the agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum AgentJobStatus {
    Metadata,
    Downloading,
    Uploading,
}

/// A file of the torrent as the engine found it, once the metadata is known.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TorrentFileInfo {
    pub index: u32,
    pub path: String,
    pub size: u64,
    pub selected: bool,
}

/// Body of `POST /api/v1/agent/jobs/{id}/progress`; renews the lease.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProgressReport {
    pub lease_id: String,
    pub status: AgentJobStatus,
    pub downloaded_bytes: u64,
    pub total_bytes: Option<u64>,
    pub uploaded_bytes: u64,
    pub download_speed: u64,
    pub upload_speed: u64,
    pub peers: u32,
    pub eta_seconds: Option<u64>,
    /// Sent once, with the first report after the metadata arrived.
    pub files: Option<Vec<TorrentFileInfo>>,
    pub name: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProgressReply {
    pub action: ControlAction,
    /// Why the job was aborted, when it was.
    pub reason: Option<String>,
}

/// One stored file of a finished job.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct UploadedFile {
    pub index: u32,
    pub path: String,
    pub size: u64,
    pub object_key: String,
}

/// Body of `POST /api/v1/agent/jobs/{id}/complete`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CompleteReport {
    pub lease_id: String,
    pub files: Vec<UploadedFile>,
}

/// Why a try failed, as its owner is told. The agent's own error text can name file-system
/// paths, store endpoints and network error chains: it goes to the logs only.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    NoPeers,
    BadTorrent,
    UnsafeNames,
    Quota,
    Download,
    Storage,
    Refused,
    #[default]
    Other,
}

impl FailureKind {
    pub fn code(self) -> &'static str {
        match self {
            FailureKind::NoPeers => "no_peers",
            FailureKind::BadTorrent => "bad_torrent",
            FailureKind::UnsafeNames => "unsafe_names",
            FailureKind::Quota => "quota",
            FailureKind::Download => "download",
            FailureKind::Storage => "storage",
            FailureKind::Refused => "refused",
            FailureKind::Other => "agent",
        }
    }

    pub fn sentence(self) -> &'static str {
        match self {
            FailureKind::NoPeers => {
                "No peer sent the torrent's details in time; it may have no seeders."
            }
            FailureKind::BadTorrent => "The torrent is damaged or cannot be used.",
            FailureKind::UnsafeNames => {
                "The torrent's file names could write outside its folder, so it was refused."
            }
            FailureKind::Quota => "The chosen files do not fit your plan.",
            FailureKind::Download => "The download failed.",
            FailureKind::Storage => "The finished files could not be stored.",
            FailureKind::Refused => "The service could not accept this torrent's report.",
            FailureKind::Other => "The download agent ran into a problem.",
        }
    }

    /// What the job's owner sees: the category, then the sentence.
    pub fn user_error(self) -> String {
        format!("{}: {}", self.code(), self.sentence())
    }
}

/// Body of `POST /api/v1/agent/jobs/{id}/fail`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FailReport {
    pub lease_id: String,
    #[serde(default)]
    pub kind: FailureKind,
    /// The agent's own account of what happened, for operators' logs.
    pub error: String,
    /// False when another try cannot help (a hostile or broken torrent).
    pub retryable: bool,
}

/// Body of `POST /api/v1/agent/jobs/{id}/release`: hands an unfinished job back at shutdown.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReleaseLease {
    pub lease_id: String,
}

/// An agent as operators see it.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AgentView {
    pub id: String,
    pub name: String,
    pub kind: AgentKind,
    pub owner_email: Option<String>,
    pub region: String,
    pub capacity: u32,
    pub active_jobs: u32,
    pub version: Option<String>,
    pub cpu_percent: Option<f32>,
    pub memory_bytes: Option<u64>,
    pub disk_free_bytes: Option<u64>,
    pub bandwidth_bps: Option<u64>,
    pub last_heartbeat_at: Option<DateTime<Utc>>,
    /// No heartbeat within the configured window: it gets no new work.
    pub stale: bool,
    pub revoked: bool,
    pub created_at: DateTime<Utc>,
}

/// Body of `POST /api/v1/admin/agents`: a new operator agent and its token.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct IssueAgentToken {
    #[schemars(pattern(crate::fields::LABEL_PATTERN))]
    pub name: String,
    #[schemars(pattern(crate::fields::LABEL_PATTERN))]
    pub region: String,
    #[schemars(pattern(crate::fields::REASON_PATTERN))]
    pub reason: String,
    #[schemars(pattern(crate::fields::TICKET_PATTERN))]
    pub ticket_id: String,
}

/// Body of `POST /api/v1/devices`: the user's own machine as an agent.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RegisterDevice {
    #[schemars(pattern(crate::fields::LABEL_PATTERN))]
    pub name: String,
}

/// The token is in this answer only; the server keeps its hash.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct IssuedAgentToken {
    pub agent: AgentView,
    pub token: String,
}
