//! One finished cloud job copied into a folder, file after file. Its file list is asked from the
//! cloud once and recorded, so a later run resumes where this one stopped; each file gets a fresh
//! signed link and the resumable, verified fetch. The desktop app and `tseeder-sync` both sync
//! a job this way, each with its own folder and its own way of showing progress.

use super::{fetch_file, SyncError, DONE, FAILED, PENDING};
use crate::cloud::CloudClient;
use crate::db::{self, Db, SyncRow};
use std::path::Path;

/// The job's files to sync, as recorded; the first time, asked from the cloud and recorded.
pub async fn recorded_files(
    db: &Db,
    client: &CloudClient,
    job_id: &str,
) -> Result<Vec<SyncRow>, SyncError> {
    let id = job_id.to_owned();
    let known = db.call(move |conn| db::syncs_of_job(conn, &id)).await?;
    if !known.is_empty() {
        return Ok(known);
    }
    let files = client
        .files(job_id)
        .await
        .map_err(|err| SyncError::Network(err.to_string()))?;
    let rows: Vec<SyncRow> = files
        .into_iter()
        .map(|file| SyncRow {
            job_id: job_id.to_owned(),
            file_index: file.index,
            remote_path: file.path,
            size: file.size,
            local_path: None,
            received: 0,
            status: PENDING.into(),
            error: None,
        })
        .collect();
    let recorded = rows.clone();
    db.call(move |conn| {
        for row in &recorded {
            db::insert_sync(conn, row)?;
        }
        Ok(())
    })
    .await?;
    Ok(rows)
}

/// Bytes of `rows` already copied and verified.
pub fn done_bytes(rows: &[SyncRow]) -> u64 {
    rows.iter()
        .filter(|r| r.status == DONE)
        .map(|r| r.size)
        .sum()
}

/// A file that stopped a job's sync, and why.
#[derive(Debug)]
pub struct FileFailed {
    pub row: SyncRow,
    pub error: SyncError,
}

/// Copies every file of `rows` not done yet into `sync_dir`; `on_progress` hears the job's bytes
/// on disk. A failure another try would not fix marks its file failed before it is answered.
pub async fn copy_files(
    db: &Db,
    client: &CloudClient,
    http: &reqwest::Client,
    rows: &[SyncRow],
    sync_dir: &Path,
    limit_bps: u64,
    mut on_progress: impl FnMut(u64),
) -> Result<(), FileFailed> {
    let mut done = done_bytes(rows);
    for row in rows.iter().filter(|r| r.status != DONE) {
        let base = done;
        let fetched = copy_file(db, client, http, row, sync_dir, limit_bps, |received| {
            on_progress(base + received)
        })
        .await;
        if let Err(error) = fetched {
            if !error.is_transient() {
                let mut failed = row.clone();
                failed.status = FAILED.into();
                failed.error = Some(error.to_string());
                let stored = failed.clone();
                if let Err(err) = db.call(move |conn| db::update_sync(conn, &stored)).await {
                    tracing::error!(%err, "could not record a failed sync");
                }
            }
            return Err(FileFailed {
                row: row.clone(),
                error,
            });
        }
        done += row.size;
        on_progress(done);
    }
    Ok(())
}

/// One file: a fresh download link from the cloud, then the resumable, verified fetch.
async fn copy_file(
    db: &Db,
    client: &CloudClient,
    http: &reqwest::Client,
    row: &SyncRow,
    sync_dir: &Path,
    limit_bps: u64,
    progress: impl FnMut(u64),
) -> Result<(), SyncError> {
    let link = client
        .file_link(&row.job_id, row.file_index)
        .await
        .map_err(|err| match err.status() {
            0 | 429 | 500.. => SyncError::Network(err.to_string()),
            status => SyncError::Status(status),
        })?;
    fetch_file(db, http, row, &link.url, sync_dir, limit_bps, progress).await?;
    Ok(())
}
