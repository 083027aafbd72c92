//! Jobs: one torrent a user asked tseeder to fetch, and its history.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum JobStatus {
    Submitted,
    Queued,
    Metadata,
    Downloading,
    Uploading,
    Completed,
    Paused,
    Cancelled,
    Failed,
}

impl JobStatus {
    pub const ALL: [JobStatus; 9] = [
        JobStatus::Submitted,
        JobStatus::Queued,
        JobStatus::Metadata,
        JobStatus::Downloading,
        JobStatus::Uploading,
        JobStatus::Completed,
        JobStatus::Paused,
        JobStatus::Cancelled,
        JobStatus::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Submitted => "submitted",
            JobStatus::Queued => "queued",
            JobStatus::Metadata => "metadata",
            JobStatus::Downloading => "downloading",
            JobStatus::Uploading => "uploading",
            JobStatus::Completed => "completed",
            JobStatus::Paused => "paused",
            JobStatus::Cancelled => "cancelled",
            JobStatus::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Option<JobStatus> {
        JobStatus::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// An agent works on the job under a lease.
    pub fn is_running(self) -> bool {
        matches!(
            self,
            JobStatus::Metadata | JobStatus::Downloading | JobStatus::Uploading
        )
    }

    /// Terminal states hold no slot of the plan's active-jobs limit.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            JobStatus::Completed | JobStatus::Cancelled | JobStatus::Failed
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum JobSource {
    Magnet,
    TorrentFile,
    TorrentUrl,
}

/// Body of `POST /jobs`: exactly one of `magnet` or `torrentUrl`. A magnet needs a BitTorrent
/// info hash (`xt=urn:btih:` 40 hex or 32 base32 characters, or `urn:btmh:1220` and 64 hex); a
/// torrent URL is http(s) without credentials, and is fetched by the server.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("oneOf" = [
    { "required": ["magnet"], "properties": {
        "magnet": { "type": "string", "pattern": "^\\s*[mM][aA][gG][nN][eE][tT]:\\?" },
        "torrentUrl": { "type": "null" }
    } },
    { "required": ["torrentUrl"], "properties": {
        "torrentUrl": { "type": "string", "format": "uri", "pattern": "^\\s*[hH][tT][tT][pP][sS]?://" },
        "magnet": { "type": "null" }
    } }
]))]
pub struct CreateJob {
    #[serde(default)]
    pub magnet: Option<String>,
    #[serde(default)]
    pub torrent_url: Option<String>,
    /// Indexes of the files to download; all files when absent.
    #[serde(default)]
    pub selected_files: Option<Vec<u32>>,
    /// Preferred region of the agent; any region when absent.
    #[serde(default)]
    #[schemars(pattern(crate::fields::REGION_PATTERN))]
    pub region: Option<String>,
    /// Run on one of the user's own devices instead of a cloud agent.
    #[serde(default)]
    pub device_id: Option<String>,
    /// Told once when the job completes, fails or is dead-lettered, signed with the account's
    /// callback secret (as put.io's `callback_url`); https, like webhook endpoints.
    #[serde(default)]
    #[schemars(pattern(r"^\s*[hH][tT][tT][pP][sS]://"), length(max = 2048))]
    pub callback_url: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct JobFile {
    pub index: u32,
    /// Path inside the job's folder, `/`-separated, already checked to stay inside it.
    pub path: String,
    pub size: u64,
    pub selected: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Job {
    pub id: String,
    pub name: String,
    /// The organization the job belongs to (its plan and quotas count it).
    #[serde(default)]
    pub org_id: String,
    /// Who submitted it; owners and admins of the organization see everyone's.
    #[serde(default)]
    pub owner_id: String,
    pub status: JobStatus,
    /// True once the last retry failed and the job waits in the dead-letter queue.
    pub dead_lettered: bool,
    pub source: JobSource,
    pub info_hash_v1: Option<String>,
    pub info_hash_v2: Option<String>,
    pub magnet: Option<String>,
    /// Bytes of the selected files; unknown for a magnet until its metadata arrives.
    pub total_bytes: Option<u64>,
    pub downloaded_bytes: u64,
    pub error: Option<String>,
    pub attempts: u32,
    pub region: Option<String>,
    pub device_id: Option<String>,
    #[serde(serialize_with = "crate::timestamps::serialize")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "crate::timestamps::serialize")]
    pub updated_at: DateTime<Utc>,
    #[serde(serialize_with = "crate::timestamps::serialize_option")]
    pub completed_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct JobDetail {
    pub job: Job,
    pub files: Vec<JobFile>,
    /// When the stored files will be deleted: the plan's retention days after completion.
    /// Absent while the job runs, when the plan keeps files, or once they are gone.
    pub files_expire_at: Option<DateTime<Utc>>,
    /// When the retention sweep deleted the stored files.
    pub files_expired_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct JobEvent {
    pub id: i64,
    pub kind: String,
    pub status: Option<JobStatus>,
    pub message: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// What an agent last reported about a running job; kept in memory, never stored tick by tick.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LiveProgress {
    pub downloaded_bytes: u64,
    pub total_bytes: Option<u64>,
    pub uploaded_bytes: u64,
    /// Bytes per second.
    pub download_speed: u64,
    pub upload_speed: u64,
    pub peers: u32,
    pub eta_seconds: Option<u64>,
}

/// A job with its live progress, as the live streams send it.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct JobLive {
    pub job: Job,
    pub progress: Option<LiveProgress>,
}

/// A finished file kept in storage.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StoredFile {
    pub index: u32,
    pub path: String,
    pub size: u64,
}

/// A short-lived download link; it honours HTTP Range.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FileLink {
    pub url: String,
    pub expires_at: DateTime<Utc>,
}
