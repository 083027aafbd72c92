//! One assignment from claim to report: resolve and check the metadata, download, deliver every
//! chosen file (uploaded under a key made from ids, or kept in the device owner's folder), report
//! the manifest, and clean the agent's own disk whatever happens.

use super::{ClientError, Delivery, Shared, Stop};
use crate::torrent::path_in;
use crate::{Download, EngineError, Resolved, TorrentSource};
use base64::Engine as _;
use std::path::PathBuf;
use std::time::Duration;
use tokio::sync::watch;
use tseeder_protocol::{
    AgentJobStatus, Assignment, CompleteReport, ControlAction, FailReport, FailureKind,
    ProgressReport, ReleaseLease, TorrentFileInfo, UploadedFile,
};
use tseeder_storage::{ObjectKey, ObjectStore};

/// How a job ended on this agent.
enum Outcome {
    Completed,
    /// `error` is the detail for the agent's and the cloud's logs; users see `kind`.
    Failed {
        kind: FailureKind,
        error: String,
        retryable: bool,
    },
    Stopped(Stop),
}

struct Job<'a> {
    shared: &'a Shared,
    assignment: Assignment,
    folder: PathBuf,
    stop: watch::Receiver<Stop>,
    uploaded: Vec<ObjectKey>,
}

pub(crate) async fn run(shared: &Shared, assignment: Assignment, stop: watch::Receiver<Stop>) {
    // Under the lease, so an earlier attempt still cleaning up never removes this one's files.
    let folder = match &shared.delivery {
        Delivery::Upload(_) => shared
            .config
            .work_dir
            .join("jobs")
            .join(&assignment.lease_id),
        Delivery::KeepIn(folder) => folder.clone(),
    };
    tracing::info!(job = %assignment.job_id, attempt = assignment.attempt, "job claimed");
    let mut job = Job {
        shared,
        assignment,
        folder,
        stop,
        uploaded: Vec::new(),
    };
    let outcome = job.work().await;
    job.finish(outcome).await;
}

impl Job<'_> {
    async fn work(&mut self) -> Outcome {
        let source = match self.source() {
            Ok(source) => source,
            Err(error) => {
                return Outcome::Failed {
                    kind: FailureKind::BadTorrent,
                    error,
                    retryable: false,
                }
            }
        };
        if let Some(outcome) = self.send(&self.report(AgentJobStatus::Metadata)).await {
            return outcome;
        }
        let engine = self.shared.engine.clone();
        let resolved = tokio::select! {
            resolved = engine.resolve(&source) => resolved,
            stop = wait_for_stop(self.stop.clone()) => return Outcome::Stopped(stop),
        };
        let resolved = match resolved {
            Ok(resolved) => resolved,
            Err(err) => return engine_failure(err),
        };
        let selected = self.assignment.selected_files.clone();
        let total = resolved.selected_bytes(selected.as_deref());
        if let Some(max) = self.assignment.max_bytes {
            if total > max {
                return Outcome::Failed {
                    kind: FailureKind::Quota,
                    error: format!("the chosen files take {total} bytes; the plan allows {max}"),
                    retryable: false,
                };
            }
        }
        // A download slot, before the server hears the job is downloading: both count a job as
        // fetching metadata until then.
        let slots = self.shared.download_slots.clone();
        let _slot = tokio::select! {
            slot = slots.acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => return Outcome::Stopped(Stop::Shutdown),
            },
            stop = wait_for_stop(self.stop.clone()) => return Outcome::Stopped(stop),
        };
        self.shared.mark_transferring(&self.assignment.lease_id);
        if let Some(outcome) = self.report_metadata(&resolved, total).await {
            return outcome;
        }
        let download = match engine
            .download(&resolved, &self.folder, selected.as_deref())
            .await
        {
            Ok(download) => download,
            Err(err) => return engine_failure(err),
        };
        let outcome = self.follow_download(&download, total).await;
        // Out of the session either way: agents do not seed, and the files stay for delivery.
        if let Err(err) = download.remove(false).await {
            tracing::warn!(%err, "could not remove the torrent from the session");
        }
        if let Some(outcome) = outcome {
            return outcome;
        }
        match self.shared.delivery.clone() {
            Delivery::Upload(store) => self.upload(&store, &resolved, total).await,
            Delivery::KeepIn(_) => self.keep(&resolved).await,
        }
    }

    fn source(&self) -> Result<TorrentSource, String> {
        if let Some(encoded) = &self.assignment.torrent_base64 {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(encoded)
                .map_err(|err| format!("the assignment's .torrent is not base64: {err}"))?;
            return Ok(TorrentSource::Torrent(bytes.into()));
        }
        match &self.assignment.magnet {
            Some(magnet) => Ok(TorrentSource::Magnet(magnet.clone())),
            None => Err("the assignment has neither a magnet nor a .torrent".into()),
        }
    }

    /// Reports until the download finishes; `Some` when it ends any other way.
    async fn follow_download(&mut self, download: &Download, total: u64) -> Option<Outcome> {
        let every = Duration::from_millis(self.shared.config.progress_interval_ms.max(100));
        loop {
            let progress = download.progress();
            if let Some(error) = progress.error {
                return Some(Outcome::Failed {
                    kind: FailureKind::Download,
                    error: format!("download failed: {error}"),
                    retryable: true,
                });
            }
            self.shared.record_speed(
                &self.assignment.lease_id,
                progress.downloaded_bytes,
                progress.download_speed,
            );
            let report = ProgressReport {
                downloaded_bytes: progress.downloaded_bytes.min(total),
                total_bytes: Some(total),
                download_speed: progress.download_speed,
                upload_speed: progress.upload_speed,
                peers: progress.peers,
                eta_seconds: progress.eta_seconds,
                ..self.report(AgentJobStatus::Downloading)
            };
            if let Some(outcome) = self.send(&report).await {
                return Some(outcome);
            }
            if progress.finished {
                return None;
            }
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                stop = wait_for_stop(self.stop.clone()) => return Some(Outcome::Stopped(stop)),
            }
        }
    }

    fn chosen_files(&self, resolved: &Resolved) -> Vec<crate::TorrentFile> {
        let selected = self.assignment.selected_files.as_ref();
        resolved
            .files
            .iter()
            .filter(|f| !f.padding && selected.is_none_or(|s| s.contains(&f.index)))
            .cloned()
            .collect()
    }

    /// A device keeps the files where the engine wrote them: the manifest names them with no
    /// object key, and the cloud records the job as done on this device.
    async fn keep(&mut self, resolved: &Resolved) -> Outcome {
        let mut manifest = Vec::new();
        for file in self.chosen_files(resolved) {
            let size = match tokio::fs::metadata(path_in(&self.folder, &file)).await {
                Ok(meta) => meta.len(),
                Err(err) => {
                    return Outcome::Failed {
                        kind: FailureKind::Download,
                        error: format!("{} is missing after the download: {err}", file.path),
                        retryable: true,
                    }
                }
            };
            manifest.push(UploadedFile {
                index: file.index,
                path: file.path.clone(),
                size,
                object_key: String::new(),
            });
        }
        self.report_complete(manifest).await
    }

    async fn upload(&mut self, store: &ObjectStore, resolved: &Resolved, total: u64) -> Outcome {
        let files = self.chosen_files(resolved);
        let mut manifest = Vec::with_capacity(files.len());
        let mut uploaded_bytes = 0u64;
        for file in files {
            // A stop signalled between files ends the select below at once.
            if let Some(outcome) = self.report_upload(total, uploaded_bytes).await {
                return outcome;
            }
            let key = match ObjectKey::job_file(
                &self.assignment.user_id,
                &self.assignment.job_id,
                file.index,
            ) {
                Ok(key) => key,
                Err(err) => {
                    return Outcome::Failed {
                        kind: FailureKind::Storage,
                        error: err.to_string(),
                        retryable: false,
                    }
                }
            };
            let path = path_in(&self.folder, &file);
            let stored = tokio::select! {
                stored = store.put_file(&key, &path) => stored,
                stop = wait_for_stop(self.stop.clone()) => return Outcome::Stopped(stop),
            };
            match stored {
                Ok(size) => {
                    self.uploaded.push(key.clone());
                    uploaded_bytes += size;
                    manifest.push(UploadedFile {
                        index: file.index,
                        path: file.path.clone(),
                        size,
                        object_key: key.to_string(),
                    });
                }
                Err(err) => {
                    return Outcome::Failed {
                        kind: FailureKind::Storage,
                        error: format!("upload of {} failed: {err}", file.path),
                        retryable: true,
                    }
                }
            }
        }
        self.report_complete(manifest).await
    }

    async fn report_complete(&self, manifest: Vec<UploadedFile>) -> Outcome {
        let report = CompleteReport {
            lease_id: self.assignment.lease_id.clone(),
            files: manifest,
        };
        match self
            .shared
            .client
            .complete(&self.assignment.job_id, &report)
            .await
        {
            Ok(()) => Outcome::Completed,
            Err(ClientError::LeaseLost) => Outcome::Stopped(Stop::Server(ControlAction::LeaseLost)),
            Err(ClientError::JobStopped) => Outcome::Stopped(Stop::Server(ControlAction::Cancel)),
            Err(err @ ClientError::Refused { .. }) if !err.is_transient() => Outcome::Failed {
                kind: FailureKind::Refused,
                error: format!("the cloud refused the completion report: {err}"),
                retryable: false,
            },
            Err(err) => Outcome::Failed {
                kind: FailureKind::Other,
                error: format!("could not report completion: {err}"),
                retryable: true,
            },
        }
    }

    /// A report under this job's lease with nothing measured yet.
    fn report(&self, status: AgentJobStatus) -> ProgressReport {
        ProgressReport {
            lease_id: self.assignment.lease_id.clone(),
            status,
            downloaded_bytes: 0,
            total_bytes: None,
            uploaded_bytes: 0,
            download_speed: 0,
            upload_speed: 0,
            peers: 0,
            eta_seconds: None,
            files: None,
            name: None,
        }
    }

    async fn report_metadata(&self, resolved: &Resolved, total: u64) -> Option<Outcome> {
        let selected = self.assignment.selected_files.as_deref();
        let files = resolved
            .files
            .iter()
            .filter(|f| !f.padding)
            .map(|f| TorrentFileInfo {
                index: f.index,
                path: f.path.clone(),
                size: f.size,
                selected: selected.is_none_or(|s| s.contains(&f.index)),
            })
            .collect();
        let report = ProgressReport {
            total_bytes: Some(total),
            files: Some(files),
            name: Some(resolved.name.clone()),
            ..self.report(AgentJobStatus::Downloading)
        };
        self.send(&report).await
    }

    async fn report_upload(&self, total: u64, uploaded: u64) -> Option<Outcome> {
        let report = ProgressReport {
            downloaded_bytes: total,
            total_bytes: Some(total),
            uploaded_bytes: uploaded,
            ..self.report(AgentJobStatus::Uploading)
        };
        self.send(&report).await
    }

    /// Sends a report; `Some` when the job must end. A passing network problem is logged and
    /// the work goes on: the lease outlives a few missed reports. A refusal (4xx) would refuse
    /// every later report too, so the try fails with the cloud's reason.
    async fn send(&self, report: &ProgressReport) -> Option<Outcome> {
        match self
            .shared
            .client
            .progress(&self.assignment.job_id, report)
            .await
        {
            Ok(reply) if reply.action == ControlAction::Continue => None,
            Ok(reply) => {
                if let Some(reason) = reply.reason {
                    tracing::info!(job = %self.assignment.job_id, %reason, "job stopped by the server");
                }
                Some(Outcome::Stopped(Stop::Server(reply.action)))
            }
            Err(ClientError::LeaseLost) => {
                Some(Outcome::Stopped(Stop::Server(ControlAction::LeaseLost)))
            }
            Err(err @ ClientError::Refused { .. }) if !err.is_transient() => {
                Some(Outcome::Failed {
                    kind: FailureKind::Refused,
                    error: format!("the cloud refused a progress report: {err}"),
                    retryable: false,
                })
            }
            Err(err) => {
                tracing::warn!(%err, job = %self.assignment.job_id, "progress report failed");
                None
            }
        }
    }

    async fn finish(self, outcome: Outcome) {
        let client = &self.shared.client;
        let job_id = &self.assignment.job_id;
        let lease_id = self.assignment.lease_id.clone();
        match outcome {
            Outcome::Completed => tracing::info!(job = %job_id, "job completed"),
            Outcome::Failed {
                kind,
                error,
                retryable,
            } => {
                tracing::warn!(job = %job_id, %error, retryable, "job failed");
                self.delete_uploaded().await;
                let report = FailReport {
                    lease_id,
                    kind,
                    error,
                    retryable,
                };
                if let Err(err) = client.fail(job_id, &report).await {
                    tracing::warn!(%err, job = %job_id, "could not report the failure");
                }
            }
            Outcome::Stopped(stop) => {
                tracing::info!(job = %job_id, ?stop, "job stopped");
                // After a lost lease another agent may be writing the same keys: leave them.
                if stop != Stop::Server(ControlAction::LeaseLost) {
                    self.delete_uploaded().await;
                }
                if matches!(
                    stop,
                    Stop::Shutdown | Stop::Server(ControlAction::Cancel | ControlAction::Pause)
                ) {
                    if let Err(err) = client.release(job_id, &ReleaseLease { lease_id }).await {
                        tracing::warn!(%err, job = %job_id, "could not hand the lease back");
                    }
                }
            }
        }
        // A device's folder is the owner's: what is in it stays, as in any torrent client.
        if let Delivery::Upload(_) = self.shared.delivery {
            match tokio::fs::remove_dir_all(&self.folder).await {
                Err(err) if err.kind() != std::io::ErrorKind::NotFound => {
                    tracing::warn!(%err, folder = %self.folder.display(), "could not clean the job folder");
                }
                _ => {}
            }
        }
    }

    async fn delete_uploaded(&self) {
        let Delivery::Upload(store) = &self.shared.delivery else {
            return;
        };
        for key in &self.uploaded {
            if let Err(err) = store.delete(key).await {
                tracing::warn!(%err, %key, "could not delete an uploaded object");
            }
        }
    }
}

fn engine_failure(err: EngineError) -> Outcome {
    let kind = match &err {
        EngineError::MetadataTimeout(_) | EngineError::NoPeerSource => FailureKind::NoPeers,
        EngineError::BadSource(_) | EngineError::BadSelection(_) => FailureKind::BadTorrent,
        EngineError::UnsafeNames(_) => FailureKind::UnsafeNames,
        EngineError::Torrent(_) | EngineError::Io(_) => FailureKind::Download,
        EngineError::Start(_) => FailureKind::Other,
    };
    Outcome::Failed {
        kind,
        retryable: err.is_retryable(),
        error: err.to_string(),
    }
}

async fn wait_for_stop(mut stop: watch::Receiver<Stop>) -> Stop {
    loop {
        let current = *stop.borrow_and_update();
        if current != Stop::None {
            return current;
        }
        if stop.changed().await.is_err() {
            // The worker is gone: treat as shutdown.
            return Stop::Shutdown;
        }
    }
}
