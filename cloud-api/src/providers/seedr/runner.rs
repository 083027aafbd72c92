//! The Seedr runner: one replica at a time walks the Seedr jobs every
//! `providers.seedr.poll_interval_seconds`. A queued job's transfer is added (magnet or
//! .torrent); a running one follows Seedr's progress until its folder appears; a finished
//! folder is copied into our store (`files_at_once` files at a time) and the job completes;
//! then the folder is deleted on Seedr.
//! What a job has reached is kept in the store, so a restart resumes from Seedr's state.
//! Seedr being unreachable or failing is retried with back-off for `outage_minutes`; bad
//! credentials, a full account or a failed transfer fail the job with that reason.

use super::client::{Folder, SeedrClient, SeedrError};
use super::copy::{download, list_files, same_file, SeedrFile};
use crate::error::ApiResult;
use crate::jobs::service::job_view;
use crate::jobs::store::{self as job_q, JobRow};
use crate::observability::JobOutcome;
use crate::providers::store::{self as q, TransferRow};
use crate::providers::units;
use crate::services::Services;
use crate::store as db;
use crate::store::{DbResult, Tx};
use futures_util::{StreamExt, TryStreamExt};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use tseeder_protocol::{JobSource, JobStatus, LiveProgress, ProviderKind};
use tseeder_storage::ObjectKey;

/// Jobs looked at per pass.
const PER_PASS: u32 = 50;
/// The longest wait between tries while Seedr fails.
const MAX_BACKOFF_MS: i64 = 5 * 60_000;

#[derive(Debug, Clone, Copy)]
struct Failing {
    since: i64,
    next_try: i64,
    tries: u32,
}

/// Drives the Seedr jobs; kept for the life of the process (it remembers back-offs).
#[derive(Debug)]
pub struct SeedrRunner {
    services: Services,
    failing: Mutex<HashMap<String, Failing>>,
}

/// A file to copy: where it goes in the job and where it is on Seedr.
struct Wanted {
    index: u32,
    path: String,
    file: SeedrFile,
}

impl SeedrRunner {
    pub fn new(services: Services) -> SeedrRunner {
        SeedrRunner {
            services,
            failing: Mutex::new(HashMap::new()),
        }
    }

    fn failing(&self) -> std::sync::MutexGuard<'_, HashMap<String, Failing>> {
        self.failing
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A read of the store for a Seedr step.
    async fn read<T, F>(&self, work: F) -> Result<T, SeedrError>
    where
        T: Send + 'static,
        F: FnMut(&Tx<'_>) -> DbResult<T> + Send + 'static,
    {
        self.services.db().call(work).await.map_err(store_error)
    }

    /// One walk over the Seedr jobs and what is left on Seedr of ended ones.
    pub async fn pass(&self) -> ApiResult<()> {
        let settings = &self.services.settings().providers.seedr;
        let jobs = self
            .services
            .db()
            .call(|conn| q::live_jobs(conn, ProviderKind::Seedr, PER_PASS))
            .await?;
        let client = match SeedrClient::new(settings) {
            Ok(client) => client,
            Err(err) => {
                for job in jobs {
                    self.fail(&job, &err.to_string()).await?;
                }
                return Ok(());
            }
        };
        self.clean_up(&client).await?;
        let now = db::now_ms();
        let mut root = None;
        for job in jobs {
            if self
                .failing()
                .get(&job.id)
                .is_some_and(|failing| failing.next_try > now)
            {
                continue;
            }
            match self.advance(&client, &job, &mut root).await {
                Ok(()) => {
                    self.failing().remove(&job.id);
                }
                Err(err) if err.is_transient() => self.retry_later(&job, &err, now).await?,
                Err(err) => {
                    self.failing().remove(&job.id);
                    self.fail(&job, &err.to_string()).await?;
                }
            }
        }
        Ok(())
    }

    /// Backs off after a transient failure; fails the job once Seedr failed for too long.
    async fn retry_later(&self, job: &JobRow, err: &SeedrError, now: i64) -> ApiResult<()> {
        let settings = &self.services.settings().providers.seedr;
        let poll_ms = settings.poll_interval_seconds.max(1) as i64 * 1000;
        let outage_ms = settings.outage_minutes as i64 * 60_000;
        let failing = {
            let mut failing = self.failing();
            let entry = failing.entry(job.id.clone()).or_insert(Failing {
                since: now,
                next_try: now,
                tries: 0,
            });
            entry.tries += 1;
            let wait = (poll_ms << (entry.tries - 1).min(16)).min(MAX_BACKOFF_MS);
            entry.next_try = now + wait;
            *entry
        };
        tracing::warn!(job = %job.id, tries = failing.tries, %err, "Seedr failed; trying again later");
        if now - failing.since >= outage_ms {
            self.failing().remove(&job.id);
            self.fail(
                job,
                &format!("{err}, for more than {} minutes", settings.outage_minutes),
            )
            .await?;
        }
        Ok(())
    }

    async fn advance(
        &self,
        client: &SeedrClient,
        job: &JobRow,
        root: &mut Option<Folder>,
    ) -> Result<(), SeedrError> {
        let id = job.id.clone();
        let transfer = self.read(move |conn| q::transfer(conn, &id)).await?;
        match transfer {
            None if job.status == JobStatus::Queued => self.add(client, job).await,
            Some(transfer) if job.status == JobStatus::Queued => {
                // Paused and resumed before the clean-up removed it: it starts over.
                remove_from_seedr(client, &transfer).await?;
                let id = job.id.clone();
                self.read(move |conn| q::forget_transfer(conn, &id)).await?;
                self.add(client, job).await
            }
            None => Err(SeedrError::Protocol(
                "the job runs on Seedr but its transfer is not known".into(),
            )),
            Some(transfer) if transfer.folder_id.is_none() => {
                if root.is_none() {
                    *root = Some(client.root().await?);
                }
                let root = root
                    .as_ref()
                    .ok_or_else(|| SeedrError::Protocol("no root".into()))?;
                self.follow(job, &transfer, root).await
            }
            Some(transfer) => self.copy(client, job, &transfer).await,
        }
    }

    async fn add(&self, client: &SeedrClient, job: &JobRow) -> Result<(), SeedrError> {
        let added = match (job.source, job.magnet_uri.as_deref()) {
            (JobSource::Magnet, Some(magnet)) => client.add_magnet(magnet).await?,
            _ => {
                let id = job.id.clone();
                let torrent = self
                    .read(move |conn| job_q::torrent_of_job(conn, &id))
                    .await?
                    .ok_or_else(|| SeedrError::Protocol("the job has no torrent to send".into()))?;
                client.add_torrent(torrent).await?
            }
        };
        let (id, now) = (job.id.clone(), db::now_ms());
        let title = added.title.clone();
        let started =
            units::start_transfer(self.services.db(), id, added.user_torrent_id, title, now)
                .await
                .map_err(store_error)?;
        if !started {
            // Cancelled while being added: nothing of it may stay on Seedr.
            client.delete_torrent(added.user_torrent_id).await?;
        }
        self.publish(&job.id).await;
        Ok(())
    }

    /// Follows the transfer's progress until Seedr turns it into a folder.
    async fn follow(
        &self,
        job: &JobRow,
        transfer: &TransferRow,
        root: &Folder,
    ) -> Result<(), SeedrError> {
        let settings = &self.services.settings().providers.seedr;
        let now = db::now_ms();
        if let Some(torrent) = root.torrents.iter().find(|t| t.id == transfer.transfer_id) {
            if torrent.stopped != 0.0
                && torrent
                    .warnings
                    .as_deref()
                    .is_some_and(|w| !w.trim().is_empty())
            {
                return Err(SeedrError::Refused(format!(
                    "the transfer failed on Seedr: {}",
                    torrent.warnings.as_deref().unwrap_or_default().trim()
                )));
            }
            let total = torrent.size.max(0.0) as u64;
            let done = (total as f64 * torrent.progress.clamp(0.0, 100.0) / 100.0) as u64;
            if job.status != JobStatus::Downloading {
                self.set_running(job, JobStatus::Downloading, done, Some(total), None)
                    .await?;
            }
            self.services.live().set_progress(
                &job.id,
                LiveProgress {
                    downloaded_bytes: done,
                    total_bytes: Some(total),
                    uploaded_bytes: 0,
                    download_speed: torrent.download_rate.max(0.0) as u64,
                    upload_speed: 0,
                    peers: 0,
                    eta_seconds: None,
                },
            );
            self.publish(&job.id).await;
        } else if let Some(folder) = root.folders.iter().find(|f| f.name == transfer.title) {
            let (id, folder_id) = (job.id.clone(), folder.id);
            self.read(move |conn| q::set_folder(conn, &id, folder_id))
                .await?;
            let size = folder.size.max(0.0) as u64;
            self.set_running(
                job,
                JobStatus::Uploading,
                size,
                Some(size),
                Some("Seedr finished; copying the files"),
            )
            .await?;
            self.publish(&job.id).await;
            return Ok(());
        }
        if now - transfer.added_at > settings.transfer_timeout_minutes as i64 * 60_000 {
            return Err(SeedrError::Refused(format!(
                "Seedr's folder for the transfer did not appear within {} minutes",
                settings.transfer_timeout_minutes
            )));
        }
        Ok(())
    }

    /// Copies the chosen files of the finished folder into our store, then completes the job
    /// and deletes the folder on Seedr.
    async fn copy(
        &self,
        client: &SeedrClient,
        job: &JobRow,
        transfer: &TransferRow,
    ) -> Result<(), SeedrError> {
        let folder_id = transfer
            .folder_id
            .ok_or_else(|| SeedrError::Protocol("no folder".into()))?;
        let listed = list_files(client, folder_id).await?;
        let id = job.id.clone();
        let known = self
            .read(move |conn| job_q::files_of_job(conn, &id))
            .await?;
        let wanted = wanted_files(&known, listed)?;
        let total: u64 = wanted.iter().map(|w| w.file.size).sum();
        if let Some(refusal) = self.quota_refusal(job, total).await? {
            return Err(SeedrError::Refused(refusal));
        }
        let staging = self
            .services
            .settings()
            .data_dir
            .join("seedr")
            .join(&job.id);
        tokio::fs::create_dir_all(&staging)
            .await
            .map_err(|err| SeedrError::Protocol(format!("staging folder: {err}")))?;
        // Several files at once: one Seedr download is often slower than our link and store.
        // Each is staged whole before it goes to the store, so the staging folder holds up to
        // this many files. The first failure stops the others; their partial files stay for
        // the next pass to resume.
        let at_once = self
            .services
            .settings()
            .providers
            .seedr
            .files_at_once
            .max(1);
        let copied = AtomicU64::new(0);
        // The copies are made up front (none runs until polled): a stream that maps each file
        // to its copy is not provably `Send` for the spawned runner.
        let copies: Vec<_> = wanted
            .iter()
            .map(|want| self.copy_file(client, job, want, &staging, &copied, total))
            .collect();
        futures_util::stream::iter(copies)
            .buffer_unordered(at_once)
            .try_collect::<Vec<()>>()
            .await?;
        let completed = self.record_completion(job, &known, &wanted, total).await?;
        let _ = tokio::fs::remove_dir_all(&staging).await;
        if completed {
            self.services.metrics().job_finished(JobOutcome::Completed);
        }
        self.services.live().clear_progress(&job.id);
        self.publish(&job.id).await;
        // The folder goes now; if Seedr does not answer, the clean-up of ended jobs retries.
        if client.delete_folder(folder_id).await.is_ok() {
            let id = job.id.clone();
            self.read(move |conn| q::forget_transfer(conn, &id)).await?;
        }
        Ok(())
    }

    /// Copies one file into our store unless it is there already, then counts it in the
    /// job's live progress.
    async fn copy_file(
        &self,
        client: &SeedrClient,
        job: &JobRow,
        want: &Wanted,
        staging: &std::path::Path,
        copied: &AtomicU64,
        total: u64,
    ) -> Result<(), SeedrError> {
        let store = self.services.store();
        let key = ObjectKey::job_file(&job.user_id, &job.id, want.index)
            .map_err(|err| SeedrError::Protocol(err.to_string()))?;
        let stored = store
            .head(&key)
            .await
            .map_err(|err| SeedrError::Unavailable(format!("our store: {err}")))?;
        if stored.is_none_or(|info| info.size != want.file.size) {
            let partial = staging.join(format!("{}.part", want.index));
            download(client, &want.file, &partial).await?;
            store
                .put_file(&key, &partial)
                .await
                .map_err(|err| SeedrError::Unavailable(format!("our store: {err}")))?;
            let _ = tokio::fs::remove_file(&partial).await;
        }
        let uploaded_bytes = copied.fetch_add(want.file.size, Ordering::Relaxed) + want.file.size;
        self.services.live().set_progress(
            &job.id,
            LiveProgress {
                downloaded_bytes: total,
                total_bytes: Some(total),
                uploaded_bytes,
                download_speed: 0,
                upload_speed: 0,
                peers: 0,
                eta_seconds: None,
            },
        );
        Ok(())
    }

    async fn quota_refusal(&self, job: &JobRow, total: u64) -> Result<Option<String>, SeedrError> {
        let (org, id) = (job.org_id.clone(), job.id.clone());
        self.read(move |conn| {
            let plan = crate::plans::store::plan_of_org(conn, &org)?;
            let committed = crate::plans::store::committed_bytes(conn, &org, Some(&id))?;
            Ok(
                crate::plans::quota::refuse_size(&plan, total, committed, true)
                    .map(|refusal| format!("quota exceeded: {}", refusal.message("the files"))),
            )
        })
        .await
    }

    async fn record_completion(
        &self,
        job: &JobRow,
        known: &[job_q::JobFileRow],
        wanted: &[Wanted],
        total: u64,
    ) -> Result<bool, SeedrError> {
        let (id, user, now) = (job.id.clone(), job.user_id.clone(), db::now_ms());
        let list_files = known.is_empty();
        let files: Vec<(u32, String, u64)> = wanted
            .iter()
            .map(|w| (w.index, w.path.clone(), w.file.size))
            .collect();
        units::complete(self.services.db(), id, user, files, list_files, total, now)
            .await
            .map_err(store_error)
    }

    async fn set_running(
        &self,
        job: &JobRow,
        status: JobStatus,
        downloaded: u64,
        total: Option<u64>,
        message: Option<&'static str>,
    ) -> Result<(), SeedrError> {
        let (id, now) = (job.id.clone(), db::now_ms());
        units::set_running(
            self.services.db(),
            id,
            status,
            downloaded,
            total,
            message,
            now,
        )
        .await
        .map_err(store_error)
    }

    async fn fail(&self, job: &JobRow, error: &str) -> ApiResult<()> {
        let (id, error, now) = (job.id.clone(), error.to_owned(), db::now_ms());
        let failed = units::fail(self.services.db(), id, error, now).await?;
        if failed {
            tracing::warn!(job = %job.id, "a Seedr job failed");
            self.services.metrics().job_finished(JobOutcome::Failed);
            self.services.live().clear_progress(&job.id);
        }
        self.publish(&job.id).await;
        Ok(())
    }

    /// Removes from Seedr what ended jobs left there (cancelled, paused, failed, deleted, or
    /// completed while Seedr did not answer the deletion).
    async fn clean_up(&self, client: &SeedrClient) -> ApiResult<()> {
        let abandoned = self.services.db().call(q::abandoned_transfers).await?;
        for transfer in abandoned {
            match remove_from_seedr(client, &transfer).await {
                Err(err) if err.is_transient() || matches!(err, SeedrError::Unauthorized) => {
                    tracing::warn!(job = %transfer.job_id, %err, "could not remove an ended job's transfer from Seedr yet");
                }
                _ => {
                    let id = transfer.job_id.clone();
                    self.services
                        .db()
                        .call(move |conn| q::forget_transfer(conn, &id))
                        .await?;
                }
            }
        }
        Ok(())
    }

    async fn publish(&self, job_id: &str) {
        let id = job_id.to_owned();
        if let Ok(Some(job)) = self
            .services
            .db()
            .call(move |conn| job_q::job_by_id(conn, &id))
            .await
        {
            self.services.live().publish_job(job_view(&job));
        }
    }
}

/// Deletes what a transfer left on Seedr: its folder, or the transfer itself while it runs.
/// Already gone counts as done.
async fn remove_from_seedr(client: &SeedrClient, transfer: &TransferRow) -> Result<(), SeedrError> {
    let removed = match transfer.folder_id {
        Some(folder) => client.delete_folder(folder).await,
        None => client.delete_torrent(transfer.transfer_id).await,
    };
    match removed {
        Err(SeedrError::Refused(_)) | Ok(()) => Ok(()),
        Err(err) => Err(err),
    }
}

fn store_error(err: impl std::fmt::Display) -> SeedrError {
    // The database not answering is as passing as Seedr not answering.
    SeedrError::Unavailable(format!("the store: {err}"))
}

/// The files to copy: the job's chosen files when it knows its list (a .torrent upload, or a
/// selection), else everything Seedr holds, with names made safe.
fn wanted_files(
    known: &[job_q::JobFileRow],
    listed: Vec<SeedrFile>,
) -> Result<Vec<Wanted>, SeedrError> {
    if known.is_empty() {
        return listed
            .into_iter()
            .enumerate()
            .map(|(index, file)| {
                let path =
                    tseeder_protocol::names::relative_path(file.path.split('/').map(str::as_bytes))
                        .map_err(|err| SeedrError::Protocol(format!("{}: {err}", file.path)))?;
                Ok(Wanted {
                    index: index as u32,
                    path,
                    file,
                })
            })
            .collect();
    }
    known
        .iter()
        .filter(|f| f.selected)
        .map(|f| {
            let file = listed
                .iter()
                .find(|s| same_file(&f.path, &s.path))
                .ok_or_else(|| {
                    SeedrError::Refused(format!("Seedr's folder lacks the chosen file {}", f.path))
                })?;
            if file.size != f.size.max(0) as u64 {
                return Err(SeedrError::Refused(format!(
                    "Seedr holds {} bytes of {}, the torrent says {}",
                    file.size, f.path, f.size
                )));
            }
            Ok(Wanted {
                index: f.index,
                path: f.path.clone(),
                file: file.clone(),
            })
        })
        .collect()
}
