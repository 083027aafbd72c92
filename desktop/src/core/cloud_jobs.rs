//! The signed-in account's cloud jobs: followed live over the cloud's event stream (a snapshot on
//! every reconnection), announced when they finish or fail, and synced into the sync folder when
//! they complete, one job at a time, resuming whatever an earlier run left half done.

use super::{lock, Desktop, DesktopJob, JobPlace, SyncState, SyncView};
use crate::cloud::{CloudClient, LiveMessage};
use crate::db::{self, SyncRow};
use crate::sync::{self, SyncError};
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;
use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;
use tseeder_protocol::{Job, JobLive, JobStatus};

/// Per-job sync progress shown in the list, jobs the user opted out of, and the nudge that
/// starts the next sync pass.
#[derive(Default)]
pub(super) struct SyncTracker {
    views: Mutex<HashMap<String, SyncView>>,
    opted_out: Mutex<HashSet<String>>,
    kick: Notify,
}

impl Desktop {
    pub(super) fn remember_cloud_job(&self, job: Job) {
        lock(&self.inner.cloud_jobs).insert(
            job.id.clone(),
            JobLive {
                job,
                progress: None,
            },
        );
        self.jobs_changed();
    }

    fn place_of(&self, job: &Job) -> JobPlace {
        let mine = self.device_id();
        match (&job.device_id, mine) {
            (Some(device), Some(mine)) if *device == mine => JobPlace::ThisDevice,
            _ => JobPlace::Cloud,
        }
    }

    pub(super) fn cloud_views(&self) -> Vec<DesktopJob> {
        let views = lock(&self.inner.sync.views).clone();
        let opted_out = lock(&self.inner.sync.opted_out).clone();
        let sync_on = self.settings().sync_enabled;
        lock(&self.inner.cloud_jobs)
            .values()
            .map(|live| {
                let place = self.place_of(&live.job);
                let sync = match place {
                    JobPlace::Cloud if !sync_on || opted_out.contains(&live.job.id) => {
                        Some(SyncView {
                            state: SyncState::Off,
                            received_bytes: 0,
                            total_bytes: 0,
                            error: None,
                            folder: None,
                        })
                    }
                    JobPlace::Cloud => views.get(&live.job.id).cloned(),
                    _ => None,
                };
                DesktopJob::from_cloud(live, place, sync)
            })
            .collect()
    }

    /// Turns a cloud job's sync on or off (it is on by default).
    pub async fn set_job_sync(&self, key: &str, enabled: bool) -> super::DesktopResult<()> {
        let (_, id) = super::parse_key(key)?;
        let job = id.to_owned();
        self.inner
            .db
            .call(move |conn| db::opt_out_of_sync(conn, &job, !enabled))
            .await?;
        if enabled {
            lock(&self.inner.sync.opted_out).remove(id);
            self.inner.sync.kick.notify_one();
        } else {
            lock(&self.inner.sync.opted_out).insert(id.to_owned());
        }
        self.jobs_changed();
        Ok(())
    }

    pub(super) fn spawn_live_follower(
        &self,
        client: CloudClient,
        stopped: watch::Receiver<bool>,
    ) -> JoinHandle<()> {
        let desktop = self.clone();
        tokio::spawn(async move {
            crate::cloud::follow_live_until_stopped(
                &client,
                stopped,
                |message| desktop.apply_live(message),
                || {},
            )
            .await;
        })
    }

    fn apply_live(&self, message: LiveMessage) {
        match message {
            LiveMessage::Snapshot(list) => {
                let mut jobs = lock(&self.inner.cloud_jobs);
                jobs.clear();
                jobs.extend(list.into_iter().map(|live| (live.job.id.clone(), live)));
                drop(jobs);
                self.inner.sync.kick.notify_one();
            }
            LiveMessage::Job(live) => {
                let live = *live;
                let before = lock(&self.inner.cloud_jobs)
                    .insert(live.job.id.clone(), live.clone())
                    .map(|old| old.job.status);
                if before != Some(live.job.status) {
                    self.announce(&live.job);
                }
            }
            LiveMessage::Removed(id) => {
                lock(&self.inner.cloud_jobs).remove(&id);
            }
        }
        self.jobs_changed();
    }

    fn announce(&self, job: &Job) {
        let place = self.place_of(job);
        let key = Some(format!("cloud:{}", job.id));
        match job.status {
            JobStatus::Completed if place == JobPlace::ThisDevice => self.notify(
                format!("Downloaded {}", job.name),
                "Sent to this computer and finished.".into(),
                Some(self.settings().download_dir),
                key,
            ),
            JobStatus::Completed => {
                self.notify(
                    format!("Finished in the cloud: {}", job.name),
                    if self.settings().sync_enabled {
                        "Copying it to this computer.".into()
                    } else {
                        "Ready to download.".into()
                    },
                    None,
                    key,
                );
                self.inner.sync.kick.notify_one();
            }
            JobStatus::Failed => self.notify(
                format!("Download failed: {}", job.name),
                job.error
                    .clone()
                    .unwrap_or_else(|| "The cloud gave up on it.".into()),
                None,
                key,
            ),
            _ => {}
        }
    }

    pub(super) fn spawn_sync_loop(
        &self,
        client: CloudClient,
        mut stopped: watch::Receiver<bool>,
    ) -> JoinHandle<()> {
        let desktop = self.clone();
        tokio::spawn(async move {
            match desktop.inner.db.call(|conn| db::sync_opt_outs(conn)).await {
                Ok(out) => *lock(&desktop.inner.sync.opted_out) = out.into_iter().collect(),
                Err(err) => tracing::error!(%err, "could not read the sync choices"),
            }
            let http = sync::http_client();
            loop {
                if desktop.settings().sync_enabled {
                    tokio::select! {
                        _ = stopped.wait_for(|stop| *stop) => return,
                        _ = desktop.sync_pass(&client, &http) => {}
                    }
                }
                tokio::select! {
                    _ = stopped.wait_for(|stop| *stop) => return,
                    _ = desktop.inner.sync.kick.notified() => {}
                    _ = tokio::time::sleep(Duration::from_secs(30)) => {}
                }
            }
        })
    }

    /// One pass over the finished cloud jobs that still need copying.
    async fn sync_pass(&self, client: &CloudClient, http: &reqwest::Client) {
        let opted_out = lock(&self.inner.sync.opted_out).clone();
        let candidates: Vec<Job> = lock(&self.inner.cloud_jobs)
            .values()
            .map(|live| live.job.clone())
            .filter(|job| job.status == JobStatus::Completed && !opted_out.contains(&job.id))
            .filter(|job| self.place_of(job) == JobPlace::Cloud)
            .filter(|job| {
                lock(&self.inner.sync.views)
                    .get(&job.id)
                    .is_none_or(|view| !matches!(view.state, SyncState::Done | SyncState::Failed))
            })
            .collect();
        for job in candidates {
            if let Err(err) = self.sync_job(client, http, &job).await {
                tracing::warn!(%err, job = %job.id, "sync stopped");
            }
        }
    }

    async fn sync_job(
        &self,
        client: &CloudClient,
        http: &reqwest::Client,
        job: &Job,
    ) -> Result<(), SyncError> {
        let settings = self.settings();
        let job_id = job.id.clone();
        let db = &self.inner.db;
        let rows = sync::job::recorded_files(db, client, &job_id).await?;
        if rows.is_empty() {
            return Ok(());
        }
        let total: u64 = rows.iter().map(|r| r.size).sum();
        let done = sync::job::done_bytes(&rows);
        let folder = first_folder(&settings.sync_dir, &rows);
        if rows.iter().all(|r| r.status == sync::DONE) {
            // Synced in an earlier run: say so quietly.
            self.set_sync_view(&job_id, SyncState::Done, total, total, None, folder);
            return Ok(());
        }
        self.set_sync_view(
            &job_id,
            SyncState::Syncing,
            done,
            total,
            None,
            folder.clone(),
        );
        let limit = u64::from(settings.sync_limit_kib) * 1024;
        let mut last_shown = std::time::Instant::now();
        let mut shown = done;
        let copied = sync::job::copy_files(
            db,
            client,
            http,
            &rows,
            &settings.sync_dir,
            limit,
            |on_disk| {
                shown = on_disk;
                if last_shown.elapsed() >= Duration::from_millis(250) {
                    last_shown = std::time::Instant::now();
                    self.set_sync_view(
                        &job_id,
                        SyncState::Syncing,
                        on_disk,
                        total,
                        None,
                        folder.clone(),
                    );
                }
            },
        )
        .await;
        if let Err(failed) = copied {
            let err = failed.error;
            let state = if err.is_transient() {
                SyncState::Waiting
            } else {
                SyncState::Failed
            };
            let message = Some(err.to_string());
            self.set_sync_view(&job_id, state, shown, total, message, folder.clone());
            if !err.is_transient() {
                self.notify(
                    format!("Sync failed: {}", job.name),
                    err.to_string(),
                    None,
                    Some(format!("cloud:{job_id}")),
                );
            }
            return Err(err);
        }
        self.set_sync_view(&job_id, SyncState::Done, total, total, None, folder.clone());
        self.notify(
            format!("Synced {}", job.name),
            format!("Copied to {}", settings.sync_dir.display()),
            Some(folder.map_or(settings.sync_dir.clone(), PathBuf::from)),
            Some(format!("cloud:{job_id}")),
        );
        if settings.delete_cloud_after_sync {
            for row in &rows {
                if let Err(err) = client.delete_file(&row.job_id, row.file_index).await {
                    tracing::warn!(%err, "could not delete the cloud copy after the sync");
                }
            }
        }
        Ok(())
    }

    fn set_sync_view(
        &self,
        job_id: &str,
        state: SyncState,
        received: u64,
        total: u64,
        error: Option<String>,
        folder: Option<String>,
    ) {
        lock(&self.inner.sync.views).insert(
            job_id.to_owned(),
            SyncView {
                state,
                received_bytes: received,
                total_bytes: total,
                error,
                folder,
            },
        );
        self.jobs_changed();
    }
}

/// The folder that holds a synced job: its top folder for a multi-file torrent.
fn first_folder(sync_dir: &std::path::Path, rows: &[SyncRow]) -> Option<String> {
    let first = rows.first()?;
    let top = first.remote_path.split('/').next()?;
    let path = if first.remote_path.contains('/') {
        sync_dir.join(top)
    } else {
        sync_dir.to_path_buf()
    };
    Some(path.to_string_lossy().into_owned())
}
