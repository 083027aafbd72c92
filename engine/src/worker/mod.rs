//! The agent work loop: register, heartbeat, claim jobs up to capacity, and run each one
//! (download with the engine, deliver the files, report). A shutdown hands every unfinished
//! lease back so another agent can take the job at once.

mod client;
mod job;
mod vitals;

pub use client::{AgentClient, ClientError};

use crate::Engine;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tseeder_protocol::{AgentRegistered, ControlAction, Heartbeat, HeldLease, RegisterAgent};
use tseeder_storage::ObjectStore;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct WorkerConfig {
    pub name: String,
    pub region: String,
    /// Jobs downloaded at once. More jobs may be fetching their metadata meanwhile
    /// (`tseeder_protocol::metadata_slots`), so magnets nobody seeds do not hold these slots.
    pub capacity: u32,
    /// Downloads live here until they are uploaded; each job has its own folder.
    pub work_dir: PathBuf,
    /// Pause between claims when there is no work.
    pub poll_interval_ms: u64,
    /// Pause between progress reports of a running job.
    pub progress_interval_ms: u64,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        WorkerConfig {
            name: "agent".to_owned(),
            region: "local".to_owned(),
            capacity: 2,
            work_dir: PathBuf::from("agent-work"),
            poll_interval_ms: 2000,
            progress_interval_ms: 1000,
        }
    }
}

/// Where a finished job's files go.
#[derive(Debug, Clone)]
pub enum Delivery {
    /// Uploaded to the object store under keys made from ids: a cloud agent, which keeps nothing.
    Upload(ObjectStore),
    /// Kept in this folder of the owner's machine: a user's own device (the desktop app). The
    /// files land there as any torrent client would put them and are never uploaded.
    KeepIn(PathBuf),
}

/// Why a job must stop before it is done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stop {
    /// Keep going.
    None,
    /// The server said so (cancel, pause, abort, lease lost).
    Server(ControlAction),
    /// This agent is shutting down: hand the lease back.
    Shutdown,
}

/// One attempt at a job, kept under its lease id: a job paused and resumed on this agent has
/// two attempts for a moment (the old one still cleaning up), which must never touch each other.
#[derive(Debug)]
struct Running {
    job_id: String,
    /// Still fetching metadata (or waiting for a download slot): holds no download slot.
    resolving: bool,
    stop: watch::Sender<Stop>,
    downloaded: u64,
    speed: u64,
}

/// What `/health` of the agent shows.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkerStatus {
    pub agent_id: Option<String>,
    pub registered: bool,
    pub active_jobs: Vec<String>,
    pub last_error: Option<String>,
    /// Bytes per second the running downloads receive, together.
    pub download_speed: u64,
    /// Bytes the running downloads have received so far, together.
    pub downloaded_bytes: u64,
}

#[derive(Debug, Clone)]
pub(crate) struct Shared {
    pub client: AgentClient,
    pub engine: Engine,
    pub delivery: Delivery,
    pub config: Arc<WorkerConfig>,
    /// One permit per download slot, taken once a job's metadata is known.
    pub download_slots: Arc<tokio::sync::Semaphore>,
    /// Attempts by lease id.
    running: Arc<Mutex<HashMap<String, Running>>>,
    status: Arc<Mutex<WorkerStatus>>,
}

impl Shared {
    fn running(&self) -> std::sync::MutexGuard<'_, HashMap<String, Running>> {
        self.running
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn status(&self) -> std::sync::MutexGuard<'_, WorkerStatus> {
        self.status
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn record_speed(&self, lease_id: &str, downloaded: u64, speed: u64) {
        if let Some(running) = self.running().get_mut(lease_id) {
            running.downloaded = downloaded;
            running.speed = speed;
        }
    }

    /// The job's metadata is known and it holds a download slot now.
    pub(crate) fn mark_transferring(&self, lease_id: &str) {
        if let Some(running) = self.running().get_mut(lease_id) {
            running.resolving = false;
        }
    }

    /// Whether one more job may be claimed: counted as the server counts.
    fn has_room(&self) -> bool {
        let running = self.running();
        let resolving = running.values().filter(|r| r.resolving).count() as u32;
        let transferring = running.len() as u32 - resolving;
        transferring < self.config.capacity
            && resolving < tseeder_protocol::metadata_slots(self.config.capacity)
    }

    /// Stops the attempt under `lease_id`, or every attempt at `job_id` when the server named
    /// no lease.
    fn signal(&self, job_id: &str, lease_id: Option<&str>, stop: Stop) {
        for (lease, running) in self.running().iter() {
            let addressed = match lease_id {
                Some(lease_id) => lease == lease_id,
                None => running.job_id == job_id,
            };
            if addressed {
                let _ = running.stop.send(stop);
            }
        }
    }
}

/// One agent: cloud client, engine and where files go.
#[derive(Debug, Clone)]
pub struct Worker {
    shared: Shared,
}

impl Worker {
    pub fn new(
        client: AgentClient,
        engine: Engine,
        delivery: Delivery,
        config: WorkerConfig,
    ) -> Worker {
        Worker {
            shared: Shared {
                client,
                engine,
                delivery,
                download_slots: Arc::new(tokio::sync::Semaphore::new(config.capacity as usize)),
                config: Arc::new(config),
                running: Arc::default(),
                status: Arc::default(),
            },
        }
    }

    pub fn status(&self) -> WorkerStatus {
        let mut status = self.shared.status().clone();
        let running = self.shared.running();
        status.active_jobs = running.values().map(|r| r.job_id.clone()).collect();
        status.download_speed = running.values().map(|r| r.speed).sum();
        status.downloaded_bytes = running.values().map(|r| r.downloaded).sum();
        status
    }

    /// Runs until `shutdown` turns true, then hands back every unfinished lease and returns.
    pub async fn run(&self, mut shutdown: watch::Receiver<bool>) {
        let shared = &self.shared;
        self.clean_old_jobs().await;
        let Some(registered) = self.register(&mut shutdown).await else {
            return;
        };
        let heartbeat_every = Duration::from_secs(registered.heartbeat_seconds.max(1));
        let poll = Duration::from_millis(shared.config.poll_interval_ms.max(50));
        let mut jobs = JoinSet::new();
        let mut vitals = vitals::Vitals::new(&shared.config.work_dir);
        let mut next_heartbeat = tokio::time::Instant::now();
        loop {
            while jobs.try_join_next().is_some() {}
            if tokio::time::Instant::now() >= next_heartbeat {
                self.heartbeat(&mut vitals).await;
                next_heartbeat = tokio::time::Instant::now() + heartbeat_every;
            }
            let claimed = shared.has_room() && self.claim_one(&mut jobs).await;
            if !claimed && wait_or_shutdown(&mut shutdown, poll.min(heartbeat_every)).await {
                break;
            }
            if *shutdown.borrow() {
                break;
            }
        }
        tracing::info!("shutting down: handing unfinished jobs back");
        for running in shared.running().values() {
            let _ = running.stop.send(Stop::Shutdown);
        }
        while jobs.join_next().await.is_some() {}
    }

    /// Whatever an earlier run left behind is from jobs this agent no longer holds.
    async fn clean_old_jobs(&self) {
        let jobs_dir = self.shared.config.work_dir.join("jobs");
        if let Err(err) = tokio::fs::remove_dir_all(&jobs_dir).await {
            if err.kind() != std::io::ErrorKind::NotFound {
                tracing::warn!(%err, "could not clean the old job folders");
            }
        }
    }

    /// Registers with the cloud API, retrying every 2 s; `None` when shut down first.
    async fn register(&self, shutdown: &mut watch::Receiver<bool>) -> Option<AgentRegistered> {
        let shared = &self.shared;
        let registered = loop {
            let request = RegisterAgent {
                name: shared.config.name.clone(),
                region: shared.config.region.clone(),
                capacity: shared.config.capacity,
                version: env!("CARGO_PKG_VERSION").to_owned(),
            };
            match shared.client.register(&request).await {
                Ok(registered) => break registered,
                Err(err) => {
                    tracing::warn!(%err, "could not register with the cloud API; retrying");
                    shared.status().last_error = Some(err.to_string());
                }
            }
            if wait_or_shutdown(shutdown, Duration::from_secs(2)).await {
                return None;
            }
        };
        {
            let mut status = shared.status();
            status.agent_id = Some(registered.agent_id.clone());
            status.registered = true;
            status.last_error = None;
        }
        tracing::info!(agent = %registered.agent_id, "registered with the cloud API");
        Some(registered)
    }

    /// Asks for one job and starts it; true when one was given.
    async fn claim_one(&self, jobs: &mut JoinSet<()>) -> bool {
        let shared = &self.shared;
        let assignment = match shared.client.claim().await {
            Ok(reply) => reply.assignment,
            Err(err) => {
                tracing::warn!(%err, "claim failed");
                shared.status().last_error = Some(err.to_string());
                return false;
            }
        };
        let Some(assignment) = assignment else {
            return false;
        };
        let (stop, stop_rx) = watch::channel(Stop::None);
        shared.running().insert(
            assignment.lease_id.clone(),
            Running {
                job_id: assignment.job_id.clone(),
                resolving: true,
                stop,
                downloaded: 0,
                speed: 0,
            },
        );
        let job_shared = shared.clone();
        jobs.spawn(async move {
            let lease_id = assignment.lease_id.clone();
            job::run(&job_shared, assignment, stop_rx).await;
            job_shared.running().remove(&lease_id);
        });
        true
    }

    async fn heartbeat(&self, vitals: &mut vitals::Vitals) {
        let shared = &self.shared;
        let (leases, bandwidth) = {
            let running = shared.running();
            (
                running
                    .iter()
                    .map(|(lease_id, r)| HeldLease {
                        job_id: r.job_id.clone(),
                        lease_id: lease_id.clone(),
                    })
                    .collect::<Vec<_>>(),
                running.values().map(|r| r.speed).sum::<u64>(),
            )
        };
        let sample = vitals.sample();
        let beat = Heartbeat {
            cpu_percent: Some(sample.cpu_percent),
            memory_bytes: Some(sample.memory_bytes),
            disk_free_bytes: sample.disk_free_bytes,
            bandwidth_bps: Some(bandwidth),
            leases,
        };
        match shared.client.heartbeat(&beat).await {
            Ok(reply) => {
                for control in reply.controls {
                    let lease = control.lease_id.as_deref();
                    shared.signal(&control.job_id, lease, Stop::Server(control.action));
                }
            }
            Err(err) => {
                tracing::warn!(%err, "heartbeat failed");
                shared.status().last_error = Some(err.to_string());
            }
        }
    }
}

/// Sleeps for `duration`; true when shutdown was asked meanwhile.
async fn wait_or_shutdown(shutdown: &mut watch::Receiver<bool>, duration: Duration) -> bool {
    if *shutdown.borrow() {
        return true;
    }
    tokio::select! {
        _ = tokio::time::sleep(duration) => *shutdown.borrow(),
        changed = shutdown.changed() => changed.is_err() || *shutdown.borrow(),
    }
}
