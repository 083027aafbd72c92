//! Queries of the providers: the jobs each one holds, and how far each Seedr job has got there.

use crate::jobs::store::{job_from_row, JobRow, JOB_COLUMNS};
use crate::store::{params, DbResult, OptionalExtension, Tx};
use tseeder_protocol::{JobStatus, ProviderKind};

/// Jobs waiting or running, by provider.
pub fn in_flight(conn: &Tx<'_>) -> DbResult<Vec<(String, u64)>> {
    conn.query_map(
        "SELECT provider, COUNT(*) AS jobs FROM jobs
         WHERE status IN ('queued', 'metadata', 'downloading', 'uploading', 'paused')
         GROUP BY provider",
        params![],
        |row| {
            Ok((
                row.get::<_, String>("provider")?,
                row.get::<_, i64>("jobs")?.max(0) as u64,
            ))
        },
    )
}

/// A provider's jobs that wait or run, oldest first.
pub fn live_jobs(conn: &Tx<'_>, provider: ProviderKind, limit: u32) -> DbResult<Vec<JobRow>> {
    conn.query_map(
        &format!(
            "SELECT {JOB_COLUMNS} FROM jobs j
             WHERE j.provider = ?1 AND j.status IN ('queued', 'metadata', 'downloading', 'uploading')
             ORDER BY j.created_at, j.id LIMIT {limit}"
        ),
        params![provider.as_str()],
        job_from_row,
    )
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferRow {
    pub job_id: String,
    pub transfer_id: i64,
    pub title: String,
    pub folder_id: Option<i64>,
    pub added_at: i64,
}

fn transfer_from_row(row: &crate::store::Row) -> DbResult<TransferRow> {
    Ok(TransferRow {
        job_id: row.get("job_id")?,
        transfer_id: row.get("transfer_id")?,
        title: row.get("title")?,
        folder_id: row.get("folder_id")?,
        added_at: row.get("added_at")?,
    })
}

pub fn transfer(conn: &Tx<'_>, job_id: &str) -> DbResult<Option<TransferRow>> {
    conn.query_row(
        "SELECT job_id, transfer_id, title, folder_id, added_at FROM seedr_transfers
         WHERE job_id = ?1",
        params![job_id],
        transfer_from_row,
    )
    .optional()
}

/// Transfers whose job stopped waiting or running (cancelled, paused, failed, deleted with its
/// files on Seedr): what is left there is removed.
pub fn abandoned_transfers(conn: &Tx<'_>) -> DbResult<Vec<TransferRow>> {
    conn.query_map(
        "SELECT t.job_id, t.transfer_id, t.title, t.folder_id, t.added_at
         FROM seedr_transfers t LEFT JOIN jobs j ON j.id = t.job_id
         WHERE j.id IS NULL OR j.status NOT IN ('queued', 'metadata', 'downloading', 'uploading')",
        params![],
        transfer_from_row,
    )
}

/// The transfer was added on Seedr: the job starts there.
pub fn start_transfer(
    conn: &Tx<'_>,
    job_id: &str,
    transfer_id: i64,
    title: &str,
    now: i64,
) -> DbResult<bool> {
    let started = conn.execute(
        "UPDATE jobs SET status = 'metadata', attempts = attempts + 1, error = NULL, updated_at = ?2
         WHERE id = ?1 AND provider = 'seedr' AND status = 'queued'",
        params![job_id, now],
    )?;
    if started == 1 {
        conn.execute(
            "INSERT INTO seedr_transfers (job_id, transfer_id, title, added_at)
             VALUES (?1, ?2, ?3, ?4)",
            params![job_id, transfer_id, title, now],
        )?;
    }
    Ok(started == 1)
}

pub fn set_folder(conn: &Tx<'_>, job_id: &str, folder_id: i64) -> DbResult<()> {
    conn.execute(
        "UPDATE seedr_transfers SET folder_id = ?2 WHERE job_id = ?1",
        params![job_id, folder_id],
    )?;
    Ok(())
}

pub fn forget_transfer(conn: &Tx<'_>, job_id: &str) -> DbResult<()> {
    conn.execute(
        "DELETE FROM seedr_transfers WHERE job_id = ?1",
        params![job_id],
    )?;
    Ok(())
}

/// A Seedr job's new running state; true when the job was still running.
pub fn set_running(
    conn: &Tx<'_>,
    job_id: &str,
    status: JobStatus,
    downloaded_bytes: u64,
    total_bytes: Option<u64>,
    now: i64,
) -> DbResult<bool> {
    let changed = conn.execute(
        "UPDATE jobs SET status = ?2, downloaded_bytes = ?3,
                         total_bytes = COALESCE(?4, total_bytes), updated_at = ?5
         WHERE id = ?1 AND provider = 'seedr'
           AND status IN ('metadata', 'downloading', 'uploading')",
        params![
            job_id,
            status.as_str(),
            downloaded_bytes as i64,
            total_bytes.map(|b| b as i64),
            now
        ],
    )?;
    Ok(changed == 1)
}

/// Every chosen file is stored: the job is complete.
pub fn complete(conn: &Tx<'_>, job_id: &str, now: i64) -> DbResult<bool> {
    let changed = conn.execute(
        "UPDATE jobs SET status = 'completed', completed_at = ?2, updated_at = ?2, error = NULL,
                         downloaded_bytes = COALESCE(total_bytes, downloaded_bytes)
         WHERE id = ?1 AND provider = 'seedr'
           AND status IN ('metadata', 'downloading', 'uploading')",
        params![job_id, now],
    )?;
    Ok(changed == 1)
}

/// Fails a Seedr job that waits or runs (one that never reached Seedr fails as it stands).
pub fn fail(conn: &Tx<'_>, job_id: &str, error: &str, now: i64) -> DbResult<bool> {
    let changed = conn.execute(
        "UPDATE jobs SET status = 'failed', error = ?2, updated_at = ?3
         WHERE id = ?1 AND provider = 'seedr'
           AND status IN ('queued', 'metadata', 'downloading', 'uploading')",
        params![job_id, error, now],
    )?;
    Ok(changed == 1)
}
