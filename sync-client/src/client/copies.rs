//! The local copies: every finished cloud job is copied into its save path, one job at a time,
//! resuming whatever an earlier run left half done; each job's copy state is kept in memory for
//! the API and rebuilt from the sync records at start. A torrent deleted with its files is first
//! stopped mid-copy, then exactly the files its copy wrote are removed.

use super::{lock, stop_or_wait, ClientResult, SyncClient};
use serde::Serialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;
use tseeder_desktop::db::{self as sync_db, SyncRow};
use tseeder_desktop::sync::{self, job};
use tseeder_protocol::{Job, JobStatus};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CopyState {
    /// Not started, or waiting to try again after a failure that may pass.
    Waiting,
    Syncing,
    /// Every file is in place and verified.
    Done,
    /// Stopped on a failure another try would not fix.
    Failed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LocalCopy {
    pub state: CopyState,
    pub received_bytes: u64,
    pub total_bytes: u64,
    pub error: Option<String>,
    /// The job's top folder, or its one file, once its place is chosen.
    pub content_path: Option<PathBuf>,
}

#[derive(Default)]
pub(super) struct Copies {
    views: Mutex<HashMap<String, LocalCopy>>,
    pub(super) kick: Notify,
    /// Held while a job's files are copied; removing a copy takes it to wait the copy out.
    copying: tokio::sync::Mutex<()>,
    /// The job being copied, and how to stop it.
    current: Mutex<Option<(String, Arc<Notify>)>>,
}

/// The job's top folder or its one file, from where its first file was placed: a file's
/// local path has as many components under the save path as its path in the torrent.
pub fn content_path(rows: &[SyncRow]) -> Option<PathBuf> {
    let row = rows.iter().find(|r| r.local_path.is_some())?;
    let mut path = PathBuf::from(row.local_path.as_deref()?);
    for _ in 1..row.remote_path.split('/').count() {
        path.pop();
    }
    Some(path)
}

fn copy_of(rows: &[SyncRow]) -> LocalCopy {
    let total = rows.iter().map(|r| r.size).sum();
    let failed = rows.iter().find(|r| r.status == sync::FAILED);
    let state = if failed.is_some() {
        CopyState::Failed
    } else if rows.iter().all(|r| r.status == sync::DONE) {
        CopyState::Done
    } else {
        CopyState::Waiting
    };
    LocalCopy {
        state,
        received_bytes: rows
            .iter()
            .map(|r| {
                if r.status == sync::DONE {
                    r.size
                } else {
                    r.received
                }
            })
            .sum(),
        total_bytes: total,
        error: failed.and_then(|r| r.error.clone()),
        content_path: content_path(rows),
    }
}

impl SyncClient {
    pub(super) async fn load_copies(&self) -> ClientResult<()> {
        let rows = self.inner.sync_db.call(|conn| sync_db::syncs(conn)).await?;
        let mut by_job: HashMap<String, Vec<SyncRow>> = HashMap::new();
        for row in rows {
            by_job.entry(row.job_id.clone()).or_default().push(row);
        }
        let mut views = lock(&self.inner.copies.views);
        for (job_id, rows) in by_job {
            views.insert(job_id, copy_of(&rows));
        }
        Ok(())
    }

    /// Where the job's local copy stands; None before it started.
    pub fn local_copy(&self, job_id: &str) -> Option<LocalCopy> {
        lock(&self.inner.copies.views).get(job_id).cloned()
    }

    fn set_copy(&self, job_id: &str, copy: LocalCopy) {
        lock(&self.inner.copies.views).insert(job_id.to_owned(), copy);
    }

    pub(super) fn spawn_sync_loop(&self, mut stopped: watch::Receiver<bool>) -> JoinHandle<()> {
        let client = self.clone();
        tokio::spawn(async move {
            let http = sync::http_client();
            loop {
                tokio::select! {
                    _ = stopped.wait_for(|stop| *stop) => return,
                    _ = client.sync_pass(&http) => {}
                }
                tokio::select! {
                    _ = client.inner.copies.kick.notified() => {}
                    stop = stop_or_wait(&mut stopped, Duration::from_secs(30)) => {
                        if stop { return; }
                    }
                }
            }
        })
    }

    /// One pass over the finished cloud jobs whose copy is not done.
    async fn sync_pass(&self, http: &reqwest::Client) {
        let candidates: Vec<Job> = lock(&self.inner.jobs)
            .values()
            .map(|live| live.job.clone())
            .filter(|job| job.status == JobStatus::Completed && job.device_id.is_none())
            .filter(|job| {
                self.local_copy(&job.id)
                    .is_none_or(|copy| !matches!(copy.state, CopyState::Done | CopyState::Failed))
            })
            .collect();
        for job in candidates {
            if let Err(err) = self.copy_job(http, &job).await {
                tracing::warn!(%err, job = %job.id, "sync stopped");
            }
        }
    }

    async fn copy_job(&self, http: &reqwest::Client, job: &Job) -> Result<(), sync::SyncError> {
        let copies = &self.inner.copies;
        let _copying = copies.copying.lock().await;
        if self.job(&job.id).is_none() {
            return Ok(()); // removed while the previous job copied
        }
        let save_path = self
            .save_path_of(&job.id)
            .await
            .map_err(|err| sync::SyncError::Io(std::io::Error::other(err.to_string())))?;
        tokio::fs::create_dir_all(&save_path).await?;
        let db = &self.inner.sync_db;
        let rows = job::recorded_files(db, &self.inner.cloud, &job.id).await?;
        let mut copy = copy_of(&rows);
        if copy.state != CopyState::Waiting {
            self.set_copy(&job.id, copy);
            return Ok(());
        }
        copy.state = CopyState::Syncing;
        copy.error = None;
        self.set_copy(&job.id, copy.clone());
        let stop = Arc::new(Notify::new());
        *lock(&copies.current) = Some((job.id.clone(), stop.clone()));
        let limit = u64::from(self.inner.settings.sync_limit_kib) * 1024;
        let copied = tokio::select! {
            copied = job::copy_files(db, &self.inner.cloud, http, &rows, &save_path, limit, |on_disk| {
                lock(&copies.views)
                    .entry(job.id.clone())
                    .and_modify(|view| view.received_bytes = on_disk);
            }) => Some(copied),
            _ = stop.notified() => None,
        };
        *lock(&copies.current) = None;
        let id = job.id.clone();
        let rows = db
            .call(move |conn| sync_db::syncs_of_job(conn, &id))
            .await?;
        let mut copy = copy_of(&rows);
        match copied {
            None | Some(Ok(())) => self.set_copy(&job.id, copy),
            Some(Err(failed)) => {
                copy.error = Some(failed.error.to_string());
                self.set_copy(&job.id, copy);
                return Err(failed.error);
            }
        }
        Ok(())
    }

    /// Stops the job's copy if it is running and removes every file it wrote (finished or
    /// partial), then the folders that became empty, up to the save path; forgets the copy.
    pub(super) async fn remove_local_copy(&self, job_id: &str) -> ClientResult<()> {
        let _copying = self.stop_copy(job_id).await;
        let id = job_id.to_owned();
        let rows = self
            .inner
            .sync_db
            .call(move |conn| sync_db::syncs_of_job(conn, &id))
            .await?;
        let top = content_path(&rows);
        for path in rows.iter().filter_map(|r| r.local_path.as_deref()) {
            let path = Path::new(path);
            for file in [path.to_path_buf(), sync::part_path(path)] {
                match tokio::fs::remove_file(&file).await {
                    Ok(()) => {}
                    Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
                    Err(err) => return Err(err.into()),
                }
            }
            if let Some(top) = &top {
                remove_empty_folders(path, top).await;
            }
        }
        let id = job_id.to_owned();
        self.inner
            .sync_db
            .call(move |conn| sync_db::delete_syncs_of_job(conn, &id))
            .await?;
        lock(&self.inner.copies.views).remove(job_id);
        Ok(())
    }

    /// Stops the job's copy if it is the one running, and holds off the next until the guard
    /// is dropped.
    async fn stop_copy(&self, job_id: &str) -> tokio::sync::MutexGuard<'_, ()> {
        let copies = &self.inner.copies;
        if let Some((current, stop)) = lock(&copies.current).as_ref() {
            if current == job_id {
                stop.notify_one();
            }
        }
        copies.copying.lock().await
    }

    /// Forgets the copy's records; its files stay where they are.
    pub(super) async fn forget_local_copy(&self, job_id: &str) -> ClientResult<()> {
        let _copying = self.stop_copy(job_id).await;
        let id = job_id.to_owned();
        self.inner
            .sync_db
            .call(move |conn| sync_db::delete_syncs_of_job(conn, &id))
            .await?;
        lock(&self.inner.copies.views).remove(job_id);
        Ok(())
    }
}

/// Removes `file`'s parent folders while they are empty, up to and including `top` (the job's
/// own folder) and never above it.
async fn remove_empty_folders(file: &Path, top: &Path) {
    let mut folder = file.parent();
    while let Some(dir) = folder {
        if !dir.starts_with(top) || tokio::fs::remove_dir(dir).await.is_err() {
            return;
        }
        if dir == top {
            return;
        }
        folder = dir.parent();
    }
}
