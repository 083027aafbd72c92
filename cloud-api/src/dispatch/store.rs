//! Queries of the work queue: which queued job an agent may take, leases, their renewal and
//! expiry, and the outcomes agents report. Every write that acts for an agent names the lease,
//! so a lost lease can never change a job.

use crate::ids::{AgentId, JobId, LeaseId};
use crate::jobs::store::{JobRow, JOB_COLUMNS};
use crate::store::DbResult;
use crate::store::{params, OptionalExtension, Tx};
use crate::store::{Cursor, Keyset, ListQuery, Total};
use tseeder_protocol::JobStatus;

/// States in which an agent works on a job under a lease.
pub const RUNNING: [JobStatus; 3] = [
    JobStatus::Metadata,
    JobStatus::Downloading,
    JobStatus::Uploading,
];

/// Claims are fair across users: among the jobs an agent may take, those of users with fewer
/// jobs running come first, then first tries before retries, then the oldest. One user's
/// backlog or retries never keep another user's fresh job waiting.
const FAIR_ORDER: &str =
    "(SELECT COUNT(*) FROM jobs r WHERE r.user_id = j.user_id AND r.lease_id IS NOT NULL),
                 j.attempts, j.created_at, j.id";

/// The queued job a device may take: only its owner's jobs routed to it.
pub fn next_job_for_device(conn: &Tx<'_>, device_id: &str, now: i64) -> DbResult<Option<JobRow>> {
    conn.query_row(
        &format!(
            "SELECT {JOB_COLUMNS} FROM jobs j
                 WHERE j.status = 'queued' AND j.not_before <= ?2 AND j.device_id = ?1
                 ORDER BY {FAIR_ORDER} LIMIT 1 {}",
            conn.dialect().skip_locked()
        ),
        params![device_id, now],
        crate::jobs::store::job_from_row,
    )
    .optional()
}

/// The job an operator agent of `region` may take: jobs that prefer its region or none first,
/// then jobs of other regions that have waited since `failover_before` (their region had no
/// free agent for that long); in [`FAIR_ORDER`] within each.
///
/// Sorting every queued job by its owner's running count costs as much as the queue is long,
/// so the order is found per user instead: the users with queued jobs are walked one index
/// seek each (`queued_users`), each user's first eligible job is read in index order
/// (`jobs_queued_by_user`), and only those candidates are sorted. Candidates are then taken in
/// order, skipping any another claim holds; when all of them are held (a few users, many
/// claims at once on PostgreSQL) the whole queue is sorted as before.
pub fn next_job_for_region(
    conn: &Tx<'_>,
    region: &str,
    now: i64,
    failover_before: i64,
) -> DbResult<Option<JobRow>> {
    let dialect = conn.dialect();
    let preferred = (
        "(c.region IS NULL OR c.region = ?1)".to_owned(),
        params![region, now],
    );
    let failover = (
        format!(
            "c.region <> ?1 AND {} <= ?3",
            dialect.greatest("c.updated_at", "c.not_before")
        ),
        params![region, now, failover_before],
    );
    let by_user = dialect.through_index("jobs_queued_by_user");
    for (wanted, values) in [preferred, failover] {
        let candidates = conn.query_map(
            &format!(
                "WITH RECURSIVE queued_users(user_id) AS (
                     SELECT MIN(user_id) FROM jobs {by_user} WHERE status = 'queued'
                     UNION ALL
                     SELECT (SELECT MIN(n.user_id) FROM jobs n {by_user}
                             WHERE n.status = 'queued' AND n.user_id > q.user_id)
                     FROM queued_users q WHERE q.user_id IS NOT NULL)
                 SELECT j.id FROM queued_users q
                 JOIN jobs j ON j.id = (
                     SELECT c.id FROM jobs c {by_user}
                     WHERE c.user_id = q.user_id AND c.status = 'queued' AND c.not_before <= ?2
                       AND c.device_id IS NULL AND c.provider = 'agents' AND {wanted}
                     ORDER BY c.attempts, c.created_at, c.id LIMIT 1)
                 ORDER BY {FAIR_ORDER} LIMIT {CANDIDATES}"
            ),
            values,
            |row| row.get::<_, String>(0),
        )?;
        if candidates.is_empty() {
            continue;
        }
        for id in &candidates {
            let free = conn
                .query_row(
                    &format!(
                        "SELECT {JOB_COLUMNS} FROM jobs j WHERE j.id = ?1 AND j.status = 'queued' {}",
                        dialect.skip_locked()
                    ),
                    params![id],
                    crate::jobs::store::job_from_row,
                )
                .optional()?;
            if free.is_some() {
                return Ok(free);
            }
        }
        return whole_queue_for_region(conn, region, now, failover_before);
    }
    Ok(None)
}

/// How many users' first jobs a claim considers before it takes one.
const CANDIDATES: u32 = 64;

/// [`next_job_for_region`] by sorting the whole queue, skipping what other claims hold: the
/// way when they hold every candidate the short way found.
fn whole_queue_for_region(
    conn: &Tx<'_>,
    region: &str,
    now: i64,
    failover_before: i64,
) -> DbResult<Option<JobRow>> {
    conn.query_row(
        &format!(
            "SELECT {JOB_COLUMNS} FROM jobs j
                 WHERE j.status = 'queued' AND j.not_before <= ?2 AND j.device_id IS NULL
                   AND j.provider = 'agents' AND (j.region IS NULL OR j.region = ?1 OR {} <= ?3)
                 ORDER BY (j.region IS NULL OR j.region = ?1) DESC, {FAIR_ORDER}
                 LIMIT 1 {}",
            conn.dialect().greatest("j.updated_at", "j.not_before"),
            conn.dialect().skip_locked()
        ),
        params![region, now, failover_before],
        crate::jobs::store::job_from_row,
    )
    .optional()
}

/// Hands a queued job to an agent; false when another agent got it first.
pub fn grant_lease(
    conn: &Tx<'_>,
    job_id: JobId<'_>,
    agent_id: AgentId<'_>,
    lease_id: LeaseId<'_>,
    expires_at: i64,
    now: i64,
) -> DbResult<bool> {
    let changed = conn.execute(
        "UPDATE jobs SET status = 'metadata', agent_id = ?2, lease_id = ?3, lease_expires_at = ?4,
                         attempts = attempts + 1, error = NULL, updated_at = ?5
         WHERE id = ?1 AND status = 'queued'",
        params![job_id, agent_id, lease_id, expires_at, now],
    )?;
    Ok(changed == 1)
}

/// The job, only while `lease_id` is its current lease and `agent_id` holds it.
pub fn job_under_lease(
    conn: &Tx<'_>,
    job_id: JobId<'_>,
    lease_id: LeaseId<'_>,
    agent_id: AgentId<'_>,
) -> DbResult<Option<JobRow>> {
    conn.query_row(
        &format!(
            "SELECT {JOB_COLUMNS} FROM jobs j
                 WHERE j.id = ?1 AND j.lease_id = ?2 AND j.agent_id = ?3"
        ),
        params![job_id, lease_id, agent_id],
        crate::jobs::store::job_from_row,
    )
    .optional()
}

/// Renews a lease from a progress report, but only once half of it has run: a progress tick
/// every second must not become a write every second.
pub fn renew_lease_if_half_spent(
    conn: &Tx<'_>,
    job_id: JobId<'_>,
    lease_id: LeaseId<'_>,
    agent_id: AgentId<'_>,
    expires_at: i64,
    half_spent_before: i64,
) -> DbResult<()> {
    conn.execute(
        "UPDATE jobs SET lease_expires_at = ?4
         WHERE id = ?1 AND lease_id = ?2 AND agent_id = ?3 AND lease_expires_at < ?5",
        params![job_id, lease_id, agent_id, expires_at, half_spent_before],
    )?;
    Ok(())
}

pub fn renew_lease(
    conn: &Tx<'_>,
    job_id: JobId<'_>,
    lease_id: LeaseId<'_>,
    agent_id: AgentId<'_>,
    expires_at: i64,
) -> DbResult<bool> {
    let changed = conn.execute(
        "UPDATE jobs SET lease_expires_at = ?4
         WHERE id = ?1 AND lease_id = ?2 AND agent_id = ?3",
        params![job_id, lease_id, agent_id, expires_at],
    )?;
    Ok(changed == 1)
}

/// Records a change of running state reported under the lease.
pub fn record_running_state(
    conn: &Tx<'_>,
    job_id: JobId<'_>,
    lease_id: LeaseId<'_>,
    status: JobStatus,
    downloaded_bytes: u64,
    total_bytes: Option<u64>,
    now: i64,
) -> DbResult<bool> {
    let changed = conn.execute(
        "UPDATE jobs SET status = ?3, downloaded_bytes = ?4,
                         total_bytes = COALESCE(?5, total_bytes), updated_at = ?6
         WHERE id = ?1 AND lease_id = ?2 AND status IN ('metadata', 'downloading', 'uploading')",
        params![
            job_id,
            lease_id,
            status.as_str(),
            downloaded_bytes as i64,
            total_bytes.map(|b| b as i64),
            now
        ],
    )?;
    Ok(changed == 1)
}

pub fn set_job_name(conn: &Tx<'_>, job_id: &str, name: &str) -> DbResult<()> {
    conn.execute(
        "UPDATE jobs SET name = ?2 WHERE id = ?1",
        params![job_id, name],
    )?;
    Ok(())
}

pub fn delete_job_files(conn: &Tx<'_>, job_id: &str) -> DbResult<()> {
    conn.execute("DELETE FROM job_files WHERE job_id = ?1", params![job_id])?;
    Ok(())
}

/// Ends a lease: the job is finished, failed, handed back or stopped by its owner.
pub fn clear_lease(conn: &Tx<'_>, job_id: JobId<'_>, lease_id: LeaseId<'_>) -> DbResult<bool> {
    let changed = conn.execute(
        "UPDATE jobs SET lease_id = NULL, lease_expires_at = NULL
         WHERE id = ?1 AND lease_id = ?2",
        params![job_id, lease_id],
    )?;
    Ok(changed == 1)
}

/// A finished job: every byte is stored.
pub fn complete_job(
    conn: &Tx<'_>,
    job_id: JobId<'_>,
    lease_id: LeaseId<'_>,
    now: i64,
) -> DbResult<bool> {
    let changed = conn.execute(
        "UPDATE jobs SET status = 'completed', completed_at = ?3, updated_at = ?3, error = NULL,
                         downloaded_bytes = COALESCE(total_bytes, downloaded_bytes),
                         lease_id = NULL, lease_expires_at = NULL
         WHERE id = ?1 AND lease_id = ?2 AND status IN ('metadata', 'downloading', 'uploading')",
        params![job_id, lease_id, now],
    )?;
    Ok(changed == 1)
}

/// Puts a running job back in the queue to be tried again after `not_before`.
pub fn requeue_job(
    conn: &Tx<'_>,
    job_id: &str,
    error: &str,
    not_before: i64,
    now: i64,
) -> DbResult<bool> {
    let changed = conn.execute(
        "UPDATE jobs SET status = 'queued', error = ?2, not_before = ?3, updated_at = ?4,
                         lease_id = NULL, lease_expires_at = NULL, agent_id = NULL
         WHERE id = ?1 AND status IN ('metadata', 'downloading', 'uploading')",
        params![job_id, error, not_before, now],
    )?;
    Ok(changed == 1)
}

/// Puts a running job back at once without spending its try: the agent handed it back.
pub fn release_job(
    conn: &Tx<'_>,
    job_id: JobId<'_>,
    lease_id: LeaseId<'_>,
    now: i64,
) -> DbResult<bool> {
    let changed = conn.execute(
        &format!(
            "UPDATE jobs SET status = 'queued', updated_at = ?3, not_before = 0,
                             attempts = {},
                             lease_id = NULL, lease_expires_at = NULL, agent_id = NULL
             WHERE id = ?1 AND lease_id = ?2 AND status IN ('metadata', 'downloading', 'uploading')",
            conn.dialect().greatest("attempts - 1", "0")
        ),
        params![job_id, lease_id, now],
    )?;
    Ok(changed == 1)
}

/// Fails a running job, dead-lettered when its last retry is spent.
pub fn fail_job(
    conn: &Tx<'_>,
    job_id: &str,
    error: &str,
    dead_lettered: bool,
    now: i64,
) -> DbResult<bool> {
    let changed = conn.execute(
        "UPDATE jobs SET status = 'failed', error = ?2, dead_lettered = ?3, updated_at = ?4,
                         lease_id = NULL, lease_expires_at = NULL
         WHERE id = ?1 AND status IN ('metadata', 'downloading', 'uploading')",
        params![job_id, error, dead_lettered, now],
    )?;
    Ok(changed == 1)
}

/// Jobs whose lease ran out at `now`, with the lease that ran out.
pub fn expired_leases(conn: &Tx<'_>, now: i64) -> DbResult<Vec<(JobRow, String)>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {JOB_COLUMNS}, j.lease_id AS expired_lease FROM jobs j
         WHERE j.lease_id IS NOT NULL AND j.lease_expires_at < ?1"
    ))?;
    let rows = stmt
        .query_map(params![now], |row| {
            Ok((
                crate::jobs::store::job_from_row(row)?,
                row.get("expired_lease")?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// The leases an agent holds, with each job's status.
pub fn leases_of_agent(conn: &Tx<'_>, agent_id: &str) -> DbResult<Vec<(String, String)>> {
    let mut stmt =
        conn.prepare("SELECT id, lease_id FROM jobs WHERE agent_id = ?1 AND lease_id IS NOT NULL")?;
    let rows = stmt
        .query_map(params![agent_id], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// Ends the unfinished jobs routed to a device that no longer exists for its owner: nothing
/// else may run them, and they must not wait forever.
pub fn fail_jobs_of_device(
    conn: &Tx<'_>,
    device_id: &str,
    reason: &str,
    now: i64,
) -> DbResult<usize> {
    conn.execute(
        "INSERT INTO job_events (job_id, kind, status, message, created_at)
         SELECT id, 'failed', 'failed', CAST(?2 AS TEXT), CAST(?3 AS BIGINT) FROM jobs
         WHERE device_id = ?1 AND status NOT IN ('completed', 'cancelled', 'failed')",
        params![device_id, reason, now],
    )?;
    conn.execute(
        "UPDATE jobs SET status = 'failed', error = ?2, updated_at = ?3, agent_id = NULL,
                         lease_id = NULL, lease_expires_at = NULL
         WHERE device_id = ?1 AND status NOT IN ('completed', 'cancelled', 'failed')",
        params![device_id, reason, now],
    )
}

/// Hands every lease of a revoked agent back: running jobs go back to the queue.
pub fn release_agent_leases(conn: &Tx<'_>, agent_id: &str, now: i64) -> DbResult<usize> {
    let requeued = conn.execute(
        "UPDATE jobs SET status = 'queued', updated_at = ?2, agent_id = NULL,
                         lease_id = NULL, lease_expires_at = NULL
         WHERE agent_id = ?1 AND lease_id IS NOT NULL
           AND status IN ('metadata', 'downloading', 'uploading')",
        params![agent_id, now],
    )?;
    conn.execute(
        "UPDATE jobs SET lease_id = NULL, lease_expires_at = NULL
         WHERE agent_id = ?1 AND lease_id IS NOT NULL",
        params![agent_id],
    )?;
    Ok(requeued)
}

/// Dead-lettered jobs, the latest failure first, each with its owner's email, served by the
/// partial index `jobs_dead_letters`; the total is counted up to the cap.
pub fn dead_letters_query(limit: u32, offset: u64, after: Option<&Cursor>) -> ListQuery {
    let conditions = vec![
        "j.dead_lettered = 1".to_owned(),
        "j.status = 'failed'".to_owned(),
    ];
    ListQuery::keyset(
        Keyset {
            select: &format!(
                "SELECT {JOB_COLUMNS}, u.email AS owner_email FROM jobs j JOIN users u ON u.id = j.user_id"
            ),
            count_from: "jobs j",
            time: "j.updated_at",
            id: "j.id",
        },
        conditions,
        Vec::new(),
        limit,
        offset,
        after,
    )
}

pub fn dead_letters(
    conn: &Tx<'_>,
    limit: u32,
    offset: u64,
    after: Option<&Cursor>,
) -> DbResult<(Vec<(JobRow, String)>, Total)> {
    dead_letters_query(limit, offset, after).run(conn, |row| {
        Ok((
            crate::jobs::store::job_from_row(row)?,
            row.get("owner_email")?,
        ))
    })
}

/// Jobs waiting in the queue (the status page and the fleet view show it).
pub fn queue_depth(conn: &Tx<'_>) -> DbResult<u64> {
    let depth: i64 = conn.query_row(
        "SELECT COUNT(*) FROM jobs WHERE status = 'queued'",
        params![],
        |row| row.get(0),
    )?;
    Ok(depth as u64)
}
