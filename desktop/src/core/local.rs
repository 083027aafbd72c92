//! Downloads on this computer with the in-process engine. Each is a row in the app's database
//! with its checked metadata, so after a restart it is added again at once and librqbit picks up
//! the pieces already on disk. A ticker publishes progress and settles finished downloads.

use super::{lock, Desktop, DesktopError, DesktopJob, DesktopResult, JobPlace};
use crate::db::{self, LocalJobRow};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;
use tseeder_engine::{Download, Progress, Resolved, TorrentSource};
use tseeder_protocol::{JobAction, JobStatus};

const DOWNLOADING: &str = "downloading";
const PAUSED: &str = "paused";
const COMPLETED: &str = "completed";
const FAILED: &str = "failed";
const CANCELLED: &str = "cancelled";

#[derive(Default)]
pub(super) struct LocalJobs {
    rows: Mutex<HashMap<String, LocalJobRow>>,
    running: Mutex<HashMap<String, std::sync::Arc<Download>>>,
    progress: Mutex<HashMap<String, Progress>>,
}

fn status_of(text: &str) -> JobStatus {
    match text {
        DOWNLOADING => JobStatus::Downloading,
        PAUSED => JobStatus::Paused,
        COMPLETED => JobStatus::Completed,
        CANCELLED => JobStatus::Cancelled,
        _ => JobStatus::Failed,
    }
}

/// The torrent's own file or folder inside `folder`.
/// Makes the download's own folder in `downloads`: `<name>`, or `<name> (2)`, `(3)`… when that
/// is taken by anything (a file, a folder, the sync folder, another download). `create_dir`
/// either makes the folder or fails, so two downloads can never be handed the same one and an
/// existing file or folder is never reused.
fn reserve_own_folder(downloads: &Path, name: &str) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(downloads)?;
    for n in 1..=1000u32 {
        let candidate = if n == 1 {
            downloads.join(name)
        } else {
            downloads.join(format!("{name} ({n})"))
        };
        match std::fs::create_dir(&candidate) {
            Ok(()) => return Ok(candidate),
            Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(err) => return Err(err),
        }
    }
    Err(std::io::Error::other(format!(
        "no free folder name for {name} in {}",
        downloads.display()
    )))
}

/// Where the engine is pointed for a download whose own folder is `own`: a single file goes
/// into it; a multi-file torrent's top folder *is* it (renamed to it when it had to differ).
fn engine_target(own: &Path, resolved: &Resolved) -> (PathBuf, Resolved) {
    let folder_name = own
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if resolved.is_multi_file() {
        let parent = own.parent().map(Path::to_path_buf).unwrap_or_default();
        (parent, resolved.clone().stored_as(&folder_name))
    } else {
        (own.to_path_buf(), resolved.clone())
    }
}

impl Desktop {
    /// Starts downloading a resolved torrent into the download folder.
    pub(super) async fn add_local(
        &self,
        resolved: &Resolved,
        selected: Option<Vec<u32>>,
        magnet: Option<String>,
    ) -> DesktopResult<String> {
        let settings = self.settings();
        let (downloads, name) = (settings.download_dir.clone(), resolved.name.clone());
        let own = tokio::task::spawn_blocking(move || reserve_own_folder(&downloads, &name))
            .await
            .map_err(|err| DesktopError::Invalid(err.to_string()))??;
        let (folder, _) = engine_target(&own, resolved);
        let row = LocalJobRow {
            id: uuid::Uuid::now_v7().to_string(),
            name: resolved.name.clone(),
            info_hash: resolved.info_hash.clone(),
            magnet,
            torrent: resolved.torrent_bytes().to_vec(),
            folder: folder.to_string_lossy().into_owned(),
            content_path: own.to_string_lossy().into_owned(),
            selected_files: selected.clone(),
            total_bytes: resolved.selected_bytes(selected.as_deref()),
            status: DOWNLOADING.into(),
            error: None,
            created_at: db::now_ms(),
            completed_at: None,
        };
        let stored = row.clone();
        let inserted = self
            .inner
            .db
            .call(move |conn| db::insert_local_job(conn, &stored))
            .await;
        if let Err(err) = inserted {
            // The folder was made for this job a moment ago and is still empty.
            let _ = tokio::fs::remove_dir(&own).await;
            return Err(if err.is_unique_violation() {
                DesktopError::Invalid(format!("{} is already downloading here.", row.name))
            } else {
                err.into()
            });
        }
        lock(&self.inner.local.rows).insert(row.id.clone(), row.clone());
        if let Err(err) = self.start_download(&row, resolved).await {
            self.settle_local(&row.id, FAILED, Some(err.to_string()))
                .await;
            return Err(err);
        }
        self.jobs_changed();
        Ok(row.id)
    }

    async fn start_download(&self, row: &LocalJobRow, resolved: &Resolved) -> DesktopResult<()> {
        // A multi-file torrent whose own folder took another name keeps that name on resume.
        let resolved = match Path::new(&row.content_path).file_name() {
            Some(own) if resolved.is_multi_file() => {
                resolved.clone().stored_as(&own.to_string_lossy())
            }
            _ => resolved.clone(),
        };
        let download = self
            .inner
            .engine
            .download(
                &resolved,
                Path::new(&row.folder),
                row.selected_files.as_deref(),
            )
            .await?;
        lock(&self.inner.local.running).insert(row.id.clone(), std::sync::Arc::new(download));
        Ok(())
    }

    /// At start: every unfinished download goes back into the engine from its saved metadata.
    /// Lists every local job at once; unfinished ones restart in the background, because the
    /// engine checks the pieces already on disk first and the window must not wait for that.
    pub(super) async fn resume_local_jobs(&self) -> DesktopResult<()> {
        let rows = self.inner.db.call(|conn| db::local_jobs(conn)).await?;
        let mut unfinished = Vec::new();
        for row in rows {
            lock(&self.inner.local.rows).insert(row.id.clone(), row.clone());
            if row.status == DOWNLOADING || row.status == PAUSED {
                unfinished.push(row);
            }
        }
        let desktop = self.clone();
        tokio::spawn(async move {
            for row in unfinished {
                if let Err(err) = desktop.restart_download(&row).await {
                    tracing::warn!(%err, job = %row.id, "could not resume a download");
                    desktop
                        .settle_local(&row.id, FAILED, Some(err.to_string()))
                        .await;
                }
            }
        });
        Ok(())
    }

    async fn restart_download(&self, row: &LocalJobRow) -> DesktopResult<()> {
        let source = TorrentSource::Torrent(row.torrent.clone().into());
        let mut resolved = self.inner.engine.resolve(&source).await?;
        if let Some(magnet) = &row.magnet {
            resolved = resolved.with_hints(magnet);
        }
        self.start_download(row, &resolved).await
    }

    pub(super) fn local_ids(&self) -> Vec<String> {
        lock(&self.inner.local.rows).keys().cloned().collect()
    }

    pub(super) async fn local_folder(&self, id: &str) -> DesktopResult<PathBuf> {
        // The download's own folder; a download from before every one had its own shows the
        // folder its file is in.
        let row = lock(&self.inner.local.rows)
            .get(id)
            .cloned()
            .ok_or_else(|| DesktopError::NotFound("that download".into()))?;
        let own = PathBuf::from(&row.content_path);
        Ok(if own.is_dir() {
            own
        } else {
            PathBuf::from(&row.folder)
        })
    }

    pub(super) async fn local_action(&self, id: &str, action: JobAction) -> DesktopResult<()> {
        let row = lock(&self.inner.local.rows)
            .get(id)
            .cloned()
            .ok_or_else(|| DesktopError::NotFound("that download".into()))?;
        let running = lock(&self.inner.local.running).get(id).cloned();
        match (action, row.status.as_str(), running) {
            (JobAction::Pause, DOWNLOADING, Some(download)) => {
                self.set_local_status(id, PAUSED, None).await?;
                download.pause().await?;
            }
            (JobAction::Resume, PAUSED, Some(download)) => {
                self.set_local_status(id, DOWNLOADING, None).await?;
                download.resume().await?;
            }
            (JobAction::Cancel, DOWNLOADING | PAUSED, _) => {
                self.remove_from_engine(id).await;
                self.set_local_status(id, CANCELLED, None).await?;
            }
            (JobAction::Retry, FAILED | CANCELLED, _) | (JobAction::Resume, PAUSED, None) => {
                self.remove_from_engine(id).await;
                self.set_local_status(id, DOWNLOADING, None).await?;
                if let Err(err) = self.restart_download(&row).await {
                    self.settle_local(id, FAILED, Some(err.to_string())).await;
                    return Err(err);
                }
            }
            (action, status, _) => {
                return Err(DesktopError::Invalid(format!(
                    "a {status} download cannot be told to {}",
                    action.as_str()
                )))
            }
        }
        Ok(())
    }

    /// The name of the local download whose own folder holds `path`, if any.
    pub(super) fn local_job_holding(&self, path: &Path) -> Option<String> {
        lock(&self.inner.local.rows)
            .values()
            .find(|row| super::is_inside(path, Path::new(&row.content_path)))
            .map(|row| row.name.clone())
    }

    pub(super) async fn delete_local(&self, id: &str, delete_files: bool) -> DesktopResult<()> {
        let row = lock(&self.inner.local.rows)
            .get(id)
            .cloned()
            .ok_or_else(|| DesktopError::NotFound("that download".into()))?;
        self.remove_from_engine(id).await;
        let key = id.to_owned();
        self.inner
            .db
            .call(move |conn| db::delete_local_job(conn, &key))
            .await?;
        lock(&self.inner.local.rows).remove(id);
        lock(&self.inner.local.progress).remove(id);
        if delete_files {
            // Only what the job created: its own folder (or, for downloads made before every
            // download had one, the torrent's own file or folder inside the download folder).
            let content = PathBuf::from(&row.content_path);
            let folder = Path::new(&row.folder);
            let sync_dir = self.settings().sync_dir;
            if super::is_inside(&sync_dir, &content) {
                return Err(DesktopError::Invalid(format!(
                    "The sync folder {} is inside this download's folder: move it before \
                     deleting the download with its files.",
                    sync_dir.display()
                )));
            }
            if super::is_inside(&content, folder) {
                let removed = if content.is_dir() {
                    tokio::fs::remove_dir_all(&content).await
                } else {
                    tokio::fs::remove_file(&content).await
                };
                match removed {
                    Err(err) if err.kind() != std::io::ErrorKind::NotFound => {
                        return Err(err.into())
                    }
                    _ => {}
                }
            }
        }
        Ok(())
    }

    async fn remove_from_engine(&self, id: &str) {
        let running = lock(&self.inner.local.running).remove(id);
        if let Some(download) = running {
            match std::sync::Arc::try_unwrap(download) {
                Ok(download) => {
                    if let Err(err) = download.remove(false).await {
                        tracing::warn!(%err, "could not take a torrent out of the engine");
                    }
                }
                Err(shared) => {
                    // A progress read holds it for a moment; pausing stops the transfer now.
                    let _ = shared.pause().await;
                }
            }
        }
    }

    async fn set_local_status(
        &self,
        id: &str,
        status: &str,
        error: Option<String>,
    ) -> DesktopResult<()> {
        let completed_at = (status == COMPLETED).then(db::now_ms);
        let (key, text, err) = (id.to_owned(), status.to_owned(), error.clone());
        self.inner
            .db
            .call(move |conn| {
                db::set_local_job_status(conn, &key, &text, err.as_deref(), completed_at)
            })
            .await?;
        if let Some(row) = lock(&self.inner.local.rows).get_mut(id) {
            row.status = status.to_owned();
            row.error = error;
            row.completed_at = completed_at.or(row.completed_at);
        }
        self.jobs_changed();
        Ok(())
    }

    async fn settle_local(&self, id: &str, status: &str, error: Option<String>) {
        if let Err(err) = self.set_local_status(id, status, error).await {
            tracing::error!(%err, "could not record a download's state");
        }
    }

    pub(super) fn spawn_local_ticker(&self) {
        let weak = std::sync::Arc::downgrade(&self.inner);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_millis(500)).await;
                let Some(inner) = weak.upgrade() else { return };
                Desktop { inner }.tick_local().await;
            }
        });
    }

    async fn tick_local(&self) {
        let running: Vec<_> = lock(&self.inner.local.running)
            .iter()
            .map(|(id, d)| (id.clone(), d.clone()))
            .collect();
        if running.is_empty() {
            return;
        }
        for (id, download) in running {
            let progress = download.progress();
            let Some(row) = lock(&self.inner.local.rows).get(&id).cloned() else {
                continue;
            };
            lock(&self.inner.local.progress).insert(id.clone(), progress.clone());
            if let Some(error) = &progress.error {
                if row.status == DOWNLOADING {
                    self.settle_local(&id, FAILED, Some(error.clone())).await;
                    self.notify(
                        format!("Download failed: {}", row.name),
                        error.clone(),
                        None,
                        Some(format!("local:{id}")),
                    );
                }
                continue;
            }
            if progress.finished && row.status == DOWNLOADING {
                self.settle_local(&id, COMPLETED, None).await;
                self.notify(
                    format!("Downloaded {}", row.name),
                    "Finished on this computer.".into(),
                    Some(PathBuf::from(&row.folder)),
                    Some(format!("local:{id}")),
                );
                continue;
            }
            // The engine ignores a pause or resume while a torrent initialises: insist.
            if row.status == PAUSED && !progress.paused && !progress.finished {
                let _ = download.pause().await;
            } else if row.status == DOWNLOADING && progress.paused {
                let _ = download.resume().await;
            }
        }
        self.jobs_changed();
    }

    pub(super) fn local_views(&self) -> Vec<DesktopJob> {
        let progress = lock(&self.inner.local.progress).clone();
        lock(&self.inner.local.rows)
            .values()
            .map(|row| {
                let p = progress.get(&row.id);
                let active = row.status == DOWNLOADING;
                let downloaded = match (row.status.as_str(), p) {
                    (COMPLETED, _) => row.total_bytes,
                    (_, Some(p)) => p.downloaded_bytes.min(row.total_bytes),
                    _ => 0,
                };
                DesktopJob {
                    key: format!("local:{}", row.id),
                    id: row.id.clone(),
                    place: JobPlace::Local,
                    name: row.name.clone(),
                    status: status_of(&row.status),
                    total_bytes: Some(row.total_bytes),
                    downloaded_bytes: downloaded,
                    download_speed: p.filter(|_| active).map_or(0, |p| p.download_speed),
                    upload_speed: p.map_or(0, |p| p.upload_speed),
                    peers: p.filter(|_| active).map_or(0, |p| p.peers),
                    eta_seconds: p.filter(|_| active).and_then(|p| p.eta_seconds),
                    error: row.error.clone(),
                    created_at: row.created_at,
                    sync: None,
                }
            })
            .collect()
    }
}
