//! What the screens show: cloud and local jobs in one list, each with its live progress and,
//! for cloud jobs, where its sync stands. Built fresh from the core's state on every change.

use crate::destination::Decision;
use serde::Serialize;
use tseeder_protocol::{JobLive, JobStatus};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum JobPlace {
    /// In the cloud, on a cloud agent.
    Cloud,
    /// Sent through the cloud to this computer (the personal agent).
    ThisDevice,
    /// Added here and downloaded here.
    Local,
}

/// Where a cloud job's copy in the sync folder stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SyncState {
    /// Not started yet, or waiting to try again after a failure that may pass.
    Waiting,
    Syncing,
    Done,
    /// Stopped on a failure that another try would not fix.
    Failed,
    /// Sync is turned off for this job or for every job.
    Off,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncView {
    pub state: SyncState,
    pub received_bytes: u64,
    pub total_bytes: u64,
    pub error: Option<String>,
    pub folder: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DesktopJob {
    /// `cloud:<id>` or `local:<id>`: unique across both lists.
    pub key: String,
    pub id: String,
    pub place: JobPlace,
    pub name: String,
    pub status: JobStatus,
    pub total_bytes: Option<u64>,
    pub downloaded_bytes: u64,
    pub download_speed: u64,
    pub upload_speed: u64,
    pub peers: u32,
    pub eta_seconds: Option<u64>,
    pub error: Option<String>,
    pub created_at: i64,
    pub sync: Option<SyncView>,
}

impl DesktopJob {
    pub fn from_cloud(live: &JobLive, place: JobPlace, sync: Option<SyncView>) -> DesktopJob {
        let job = &live.job;
        let progress = live.progress.clone().unwrap_or_default();
        DesktopJob {
            key: format!("cloud:{}", job.id),
            id: job.id.clone(),
            place,
            name: job.name.clone(),
            status: job.status,
            total_bytes: job.total_bytes.or(progress.total_bytes),
            downloaded_bytes: job.downloaded_bytes.max(progress.downloaded_bytes),
            download_speed: progress.download_speed,
            upload_speed: progress.upload_speed,
            peers: progress.peers,
            eta_seconds: progress.eta_seconds,
            error: job.error.clone(),
            created_at: job.created_at.timestamp_millis(),
            sync,
        }
    }
}

/// A torrent on its way in: the link was accepted, metadata is being fetched or is here, and
/// the user may still have to choose files and a destination.
/// Where an Add dialog's torrent stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AddState {
    /// Its metadata (name, files) is being fetched.
    Resolving,
    /// Its files are known; the user may choose and confirm.
    Ready,
    /// The metadata could not be fetched; `error` says why.
    Failed,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PendingAdd {
    pub id: String,
    /// What arrived, for people: the magnet's name, the URL or the file name.
    pub label: String,
    pub state: AddState,
    pub name: Option<String>,
    pub total_bytes: Option<u64>,
    pub files: Vec<PendingFile>,
    pub decision: Decision,
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PendingFile {
    pub index: u32,
    pub path: String,
    pub size: u64,
}

/// What the core tells the shell and the screens.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase", tag = "type")]
pub enum DesktopEvent {
    /// The whole job list, after any change (at most a few times a second).
    Jobs { jobs: Vec<DesktopJob> },
    /// A link arrived or an add moved on: bring the window up and show it.
    Pending { add: PendingAdd },
    /// An add finished or was dismissed.
    PendingGone { id: String },
    /// Something the user should hear about even with the window closed.
    Notify {
        title: String,
        body: String,
        /// A folder to open on click, else the job to show.
        folder: Option<String>,
        job_key: Option<String>,
    },
    /// Sign-in state or settings changed.
    State,
}
