//! Live job updates: agents' progress ticks are kept in memory (never written to the database
//! one by one), and every change is serialized once and fanned out to all listening streams.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::broadcast;
use tseeder_protocol::{Job, JobLive, LiveProgress};

/// One update, already serialized: every subscriber sends the same bytes.
#[derive(Debug, Clone)]
pub struct LiveEvent {
    pub user_id: Arc<str>,
    pub job_id: Arc<str>,
    /// The SSE event name: `job` or `removed`.
    pub kind: &'static str,
    pub data: Arc<str>,
}

#[derive(Debug)]
pub struct LiveHub {
    sender: broadcast::Sender<LiveEvent>,
    progress: Mutex<HashMap<String, LiveProgress>>,
}

/// The kind of the hub's internal revocation notice.
pub const REVOKED: &str = "revoked";

/// Events buffered per subscriber before it lags and gets a fresh snapshot instead.
const CHANNEL_CAPACITY: usize = 1024;

impl Default for LiveHub {
    fn default() -> Self {
        LiveHub {
            sender: broadcast::channel(CHANNEL_CAPACITY).0,
            progress: Mutex::new(HashMap::new()),
        }
    }
}

impl LiveHub {
    pub fn subscribe(&self) -> broadcast::Receiver<LiveEvent> {
        self.sender.subscribe()
    }

    fn progress_map(&self) -> std::sync::MutexGuard<'_, HashMap<String, LiveProgress>> {
        self.progress
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn set_progress(&self, job_id: &str, progress: LiveProgress) {
        self.progress_map().insert(job_id.to_owned(), progress);
    }

    pub fn clear_progress(&self, job_id: &str) {
        self.progress_map().remove(job_id);
    }

    pub fn progress_of(&self, job_id: &str) -> Option<LiveProgress> {
        self.progress_map().get(job_id).cloned()
    }

    /// The job with its progress, when it is running.
    pub fn with_progress(&self, job: Job) -> JobLive {
        let progress = if job.status.is_terminal() {
            None
        } else {
            self.progress_of(&job.id)
        };
        JobLive { job, progress }
    }

    pub fn publish_job(&self, user_id: &str, job: Job) {
        if !job.status.is_running() {
            self.clear_progress(&job.id);
        }
        let job_id: Arc<str> = Arc::from(job.id.as_str());
        let live = self.with_progress(job);
        match serde_json::to_string(&live) {
            Ok(data) => self.send(user_id, job_id, "job", data),
            Err(err) => tracing::error!(%err, "could not serialize a job update"),
        }
    }

    /// Tells the user's open streams that some of the user's credentials were revoked: each
    /// checks its own and ends when it is gone. Never sent to clients.
    pub fn publish_revoked(&self, user_id: &str) {
        self.send(user_id, Arc::from(""), REVOKED, String::new());
    }

    pub fn publish_removed(&self, user_id: &str, job_id: &str) {
        self.clear_progress(job_id);
        let data = serde_json::json!({ "id": job_id }).to_string();
        self.send(user_id, Arc::from(job_id), "removed", data);
    }

    fn send(&self, user_id: &str, job_id: Arc<str>, kind: &'static str, data: String) {
        // No subscriber is not an error: nobody is watching.
        let _ = self.sender.send(LiveEvent {
            user_id: Arc::from(user_id),
            job_id,
            kind,
            data: Arc::from(data),
        });
    }
}
