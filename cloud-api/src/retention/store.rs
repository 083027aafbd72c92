//! Queries of the retention sweep: completed jobs whose files expire or soon will, the daily
//! storage snapshots and sweep records, and the age-based pruning of what is kept for a while.

use crate::plans::store::org_plan_id;
use crate::store::{params, DbError, DbResult, OptionalExtension, Row, Tx};
use std::collections::BTreeMap;

const DAY_MS: i64 = 86_400_000;

/// A completed job whose files expire (or soon will), with who to tell.
#[derive(Debug, Clone)]
pub struct ExpiringJob {
    pub id: String,
    pub user_id: String,
    pub email: String,
    pub name: String,
    /// When its files are (or were) due to go.
    pub expires_at: i64,
}

fn expiring_from_row(row: &Row) -> DbResult<ExpiringJob> {
    Ok(ExpiringJob {
        id: row.get("id")?,
        user_id: row.get("user_id")?,
        email: row.get("email")?,
        name: row.get("name")?,
        expires_at: row.get("expires_at")?,
    })
}

/// Completed cloud jobs whose files expire by `until`: the plan of the job's organization keeps
/// them `retention_days` after completion (0: for good).
fn expiring() -> String {
    format!(
        "SELECT j.id, j.user_id, u.email, j.name,
                j.completed_at + p.retention_days * ?1 AS expires_at
         FROM jobs j JOIN users u ON u.id = j.user_id JOIN plans p ON p.id = {}
         WHERE j.status = 'completed' AND j.files_expired_at IS NULL
           AND j.completed_at IS NOT NULL AND j.device_id IS NULL AND p.retention_days > 0
           AND j.completed_at + p.retention_days * ?1 <= ?2",
        org_plan_id("j.org_id")
    )
}

/// Jobs whose files are due to go now, oldest first.
pub fn expired_jobs(conn: &Tx<'_>, now: i64, limit: u32) -> DbResult<Vec<ExpiringJob>> {
    conn.query_map(
        &format!("{} ORDER BY j.completed_at LIMIT ?3", expiring()),
        params![DAY_MS, now, i64::from(limit)],
        expiring_from_row,
    )
}

/// Jobs with stored files that go by `until` and whose owner has not been told yet.
pub fn jobs_to_warn(conn: &Tx<'_>, until: i64, limit: u32) -> DbResult<Vec<ExpiringJob>> {
    conn.query_map(
        &format!(
            "{} AND j.expiry_warned_at IS NULL
               AND EXISTS (SELECT 1 FROM objects o WHERE o.job_id = j.id)
             ORDER BY j.user_id, j.completed_at LIMIT ?3",
            expiring()
        ),
        params![DAY_MS, until, i64::from(limit)],
        expiring_from_row,
    )
}

pub fn mark_warned(conn: &Tx<'_>, job_ids: &[String], now: i64) -> DbResult<()> {
    for id in job_ids {
        conn.execute(
            "UPDATE jobs SET expiry_warned_at = ?1 WHERE id = ?2",
            params![now, id],
        )?;
    }
    Ok(())
}

/// The job's files are gone: recorded on the job and in its history.
pub fn mark_expired(conn: &Tx<'_>, job_id: &str, message: &str, now: i64) -> DbResult<()> {
    conn.execute(
        "UPDATE jobs SET files_expired_at = ?1 WHERE id = ?2",
        params![now, job_id],
    )?;
    crate::jobs::store::insert_job_event(conn, job_id, "files_expired", None, Some(message), now)
}

/// When a completed job's files go, by its organization's plan now; `None` when they are kept.
pub fn files_expire_at(conn: &Tx<'_>, job_id: &str) -> DbResult<Option<i64>> {
    conn.query_row(
        &format!(
            "SELECT j.completed_at + p.retention_days * ?1
             FROM jobs j JOIN plans p ON p.id = {}
             WHERE j.id = ?2 AND j.status = 'completed' AND j.files_expired_at IS NULL
               AND j.completed_at IS NOT NULL AND j.device_id IS NULL AND p.retention_days > 0",
            org_plan_id("j.org_id")
        ),
        params![DAY_MS, job_id],
        |row| row.get::<_, i64>(0),
    )
    .optional()
}

pub fn files_expired_at(conn: &Tx<'_>, job_id: &str) -> DbResult<Option<i64>> {
    Ok(conn
        .query_row(
            "SELECT files_expired_at FROM jobs WHERE id = ?1",
            params![job_id],
            |row| row.get::<_, Option<i64>>(0),
        )
        .optional()?
        .flatten())
}

/// Today's snapshot: what is stored now, plus what this sweep reclaimed.
pub fn record_snapshot(
    conn: &Tx<'_>,
    day: &str,
    deleted_files: u64,
    reclaimed_bytes: u64,
    now: i64,
) -> DbResult<()> {
    conn.execute(
        "INSERT INTO storage_snapshots (day, stored_bytes, objects, users, reclaimed_bytes,
                                        deleted_files, taken_at)
         SELECT ?1, CAST(COALESCE(SUM(size), 0) AS BIGINT), COUNT(*), COUNT(DISTINCT user_id),
                ?2, ?3, ?4
         FROM objects
         -- SQLite reads ON after a bare SELECT … FROM as a join's: WHERE ends the SELECT.
         WHERE true
         ON CONFLICT (day) DO UPDATE SET
             stored_bytes = excluded.stored_bytes,
             objects = excluded.objects,
             users = excluded.users,
             reclaimed_bytes = storage_snapshots.reclaimed_bytes + excluded.reclaimed_bytes,
             deleted_files = storage_snapshots.deleted_files + excluded.deleted_files,
             taken_at = excluded.taken_at",
        params![day, reclaimed_bytes as i64, deleted_files as i64, now],
    )?;
    Ok(())
}

#[derive(Debug, Clone, Default)]
pub struct SnapshotRow {
    pub day: String,
    pub stored_bytes: u64,
    pub objects: u64,
    pub users: u64,
    pub reclaimed_bytes: u64,
    pub deleted_files: u64,
}

/// Snapshots from `since_day` on, oldest first.
pub fn snapshots(conn: &Tx<'_>, since_day: &str) -> DbResult<Vec<SnapshotRow>> {
    conn.query_map(
        "SELECT day, stored_bytes, objects, users, reclaimed_bytes, deleted_files
         FROM storage_snapshots WHERE day >= ?1 ORDER BY day",
        params![since_day],
        |row| {
            Ok(SnapshotRow {
                day: row.get("day")?,
                stored_bytes: row.get::<_, i64>("stored_bytes")?.max(0) as u64,
                objects: row.get::<_, i64>("objects")?.max(0) as u64,
                users: row.get::<_, i64>("users")?.max(0) as u64,
                reclaimed_bytes: row.get::<_, i64>("reclaimed_bytes")?.max(0) as u64,
                deleted_files: row.get::<_, i64>("deleted_files")?.max(0) as u64,
            })
        },
    )
}

#[derive(Debug, Clone, Default)]
pub struct SweepRow {
    pub started_at: i64,
    pub finished_at: i64,
    pub expired_jobs: u64,
    pub deleted_files: u64,
    pub reclaimed_bytes: u64,
    pub warned_users: u64,
    pub pruned: BTreeMap<String, u64>,
}

pub fn insert_sweep(conn: &Tx<'_>, sweep: &SweepRow) -> DbResult<()> {
    let pruned =
        serde_json::to_string(&sweep.pruned).map_err(|err| DbError::Corrupt(err.to_string()))?;
    conn.execute(
        "INSERT INTO retention_sweeps (started_at, finished_at, expired_jobs, deleted_files,
                                       reclaimed_bytes, warned_users, pruned)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            sweep.started_at,
            sweep.finished_at,
            sweep.expired_jobs as i64,
            sweep.deleted_files as i64,
            sweep.reclaimed_bytes as i64,
            sweep.warned_users as i64,
            pruned
        ],
    )?;
    Ok(())
}

pub fn last_sweep(conn: &Tx<'_>) -> DbResult<Option<SweepRow>> {
    conn.query_row(
        "SELECT started_at, finished_at, expired_jobs, deleted_files, reclaimed_bytes,
                warned_users, pruned
         FROM retention_sweeps ORDER BY started_at DESC, id DESC LIMIT 1",
        params![],
        |row| {
            let pruned: String = row.get("pruned")?;
            Ok(SweepRow {
                started_at: row.get("started_at")?,
                finished_at: row.get("finished_at")?,
                expired_jobs: row.get::<_, i64>("expired_jobs")?.max(0) as u64,
                deleted_files: row.get::<_, i64>("deleted_files")?.max(0) as u64,
                reclaimed_bytes: row.get::<_, i64>("reclaimed_bytes")?.max(0) as u64,
                warned_users: row.get::<_, i64>("warned_users")?.max(0) as u64,
                pruned: serde_json::from_str(&pruned)
                    .map_err(|err| DbError::Corrupt(format!("pruned: {err}")))?,
            })
        },
    )
    .optional()
}

/// What is kept for a while, each with the statement that removes rows older than `?1`.
pub const PRUNABLE: &[(&str, &str)] = &[
    (
        "sessions",
        "DELETE FROM sessions WHERE expires_at < ?1 OR (revoked_at IS NOT NULL AND revoked_at < ?1)",
    ),
    (
        "accountTokens",
        "DELETE FROM account_tokens WHERE expires_at < ?1 OR (used_at IS NOT NULL AND used_at < ?1)",
    ),
    (
        "orgInvites",
        "DELETE FROM org_invites WHERE expires_at < ?1
             OR (accepted_at IS NOT NULL AND accepted_at < ?1)
             OR (revoked_at IS NOT NULL AND revoked_at < ?1)",
    ),
    ("securityEvents", "DELETE FROM security_events WHERE created_at < ?1"),
    (
        "jobEvents",
        "DELETE FROM job_events WHERE created_at < ?1 AND job_id IN (
             SELECT id FROM jobs WHERE status IN ('completed', 'cancelled', 'failed')
                AND updated_at < ?1)",
    ),
    (
        "storageSnapshots",
        "DELETE FROM storage_snapshots WHERE taken_at < ?1",
    ),
    ("retentionSweeps", "DELETE FROM retention_sweeps WHERE started_at < ?1"),
    (
        "metricMinutes",
        "DELETE FROM metric_rollups WHERE resolution = 'minute' AND at < ?1",
    ),
    (
        "metricHours",
        "DELETE FROM metric_rollups WHERE resolution = 'hour' AND at < ?1",
    ),
];

/// Removes the rows of `what` (a name in [`PRUNABLE`]) older than `before`.
pub fn prune(conn: &Tx<'_>, what: &str, before: i64) -> DbResult<u64> {
    let Some((_, sql)) = PRUNABLE.iter().find(|(name, _)| *name == what) else {
        return Ok(0);
    };
    Ok(conn.execute(sql, params![before])? as u64)
}
