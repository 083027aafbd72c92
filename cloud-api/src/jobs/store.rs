//! Queries on jobs, their files and their event history.

use crate::ids::JobId;
use crate::store::{params, Dialect, OptionalExtension, Row, ToValue, Tx, Value};
use crate::store::{DbError, DbResult};
use tseeder_protocol::{JobSource, JobStatus};

#[derive(Debug, Clone)]
pub struct JobRow {
    pub id: String,
    pub user_id: String,
    /// The organization whose plan counts the job.
    pub org_id: String,
    pub name: String,
    pub source: JobSource,
    pub magnet_uri: Option<String>,
    pub source_url: Option<String>,
    pub info_hash_v1: Option<String>,
    pub info_hash_v2: Option<String>,
    pub status: JobStatus,
    pub dead_lettered: bool,
    pub total_bytes: Option<i64>,
    pub downloaded_bytes: i64,
    pub error: Option<String>,
    pub attempts: u32,
    pub region: Option<String>,
    pub device_id: Option<String>,
    /// The agent holding (or last holding) the job's lease.
    pub agent_id: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub completed_at: Option<i64>,
}

pub(crate) const JOB_COLUMNS: &str = "j.id, j.user_id, j.org_id, j.name, j.source, j.magnet_uri, j.source_url, \
     j.info_hash_v1, j.info_hash_v2, j.status, j.dead_lettered, j.total_bytes, \
     j.downloaded_bytes, j.error, j.attempts, j.region, j.device_id, j.agent_id, j.created_at, j.updated_at, \
     j.completed_at";

pub fn source_str(source: JobSource) -> &'static str {
    match source {
        JobSource::Magnet => "magnet",
        JobSource::TorrentFile => "torrentFile",
        JobSource::TorrentUrl => "torrentUrl",
    }
}

pub(crate) fn job_from_row(row: &Row) -> DbResult<JobRow> {
    // Read in JOB_COLUMNS' order, so each name is found where the last one ended.
    let id = row.get("id")?;
    let user_id = row.get("user_id")?;
    let org_id = row.get("org_id")?;
    let name = row.get("name")?;
    let source: String = row.get("source")?;
    let source = match source.as_str() {
        "magnet" => JobSource::Magnet,
        "torrentFile" => JobSource::TorrentFile,
        "torrentUrl" => JobSource::TorrentUrl,
        other => return Err(DbError::Corrupt(format!("unknown source {other}"))),
    };
    let magnet_uri = row.get("magnet_uri")?;
    let source_url = row.get("source_url")?;
    let info_hash_v1 = row.get("info_hash_v1")?;
    let info_hash_v2 = row.get("info_hash_v2")?;
    let status: String = row.get("status")?;
    Ok(JobRow {
        id,
        user_id,
        org_id,
        name,
        source,
        magnet_uri,
        source_url,
        info_hash_v1,
        info_hash_v2,
        status: JobStatus::parse(&status)
            .ok_or_else(|| DbError::Corrupt(format!("unknown status {status}")))?,
        dead_lettered: row.get("dead_lettered")?,
        total_bytes: row.get("total_bytes")?,
        downloaded_bytes: row.get("downloaded_bytes")?,
        error: row.get("error")?,
        attempts: row.get("attempts")?,
        region: row.get("region")?,
        device_id: row.get("device_id")?,
        agent_id: row.get("agent_id")?,
        created_at: row.get("created_at")?,
        updated_at: row.get("updated_at")?,
        completed_at: row.get("completed_at")?,
    })
}

#[derive(Debug)]
pub struct NewJob<'a> {
    pub id: &'a str,
    pub user_id: &'a str,
    pub org_id: &'a str,
    pub name: &'a str,
    pub source: JobSource,
    pub magnet_uri: Option<&'a str>,
    pub torrent: Option<&'a [u8]>,
    pub source_url: Option<&'a str>,
    pub info_hash_v1: Option<&'a str>,
    pub info_hash_v2: Option<&'a str>,
    pub status: JobStatus,
    pub total_bytes: Option<i64>,
    pub region: Option<&'a str>,
    pub device_id: Option<&'a str>,
    /// Who runs it; a job for a user's device is always the agents'.
    pub provider: tseeder_protocol::ProviderKind,
    pub now: i64,
}

pub fn insert_job(conn: &Tx<'_>, job: &NewJob<'_>) -> DbResult<()> {
    let info_hash = job
        .info_hash_v1
        .or(job.info_hash_v2)
        .ok_or_else(|| DbError::Corrupt("a job needs an info hash".into()))?;
    conn.execute(
        "INSERT INTO jobs (id, user_id, name, source, magnet_uri, torrent, source_url,
                           info_hash_v1, info_hash_v2, info_hash, status, total_bytes,
                           region, device_id, created_at, updated_at, provider, org_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?15, ?16, ?17)",
        params![
            job.id,
            job.user_id,
            job.name,
            source_str(job.source),
            job.magnet_uri,
            job.torrent,
            job.source_url,
            job.info_hash_v1,
            job.info_hash_v2,
            info_hash,
            job.status.as_str(),
            job.total_bytes,
            job.region,
            job.device_id,
            job.now,
            job.provider.as_str(),
            job.org_id
        ],
    )?;
    Ok(())
}

/// Rows per statement when a file list is written: few round trips for a torrent of
/// thousands of files, and well under either backend's limit of parameters.
const FILE_ROWS_PER_STATEMENT: usize = 400;

/// Writes a job's file list (`index`, `path`, `size`, `selected`), in few statements.
pub fn insert_job_files<'f>(
    conn: &Tx<'_>,
    job_id: &str,
    files: impl IntoIterator<Item = (u32, &'f str, u64, bool)>,
) -> DbResult<()> {
    let files: Vec<_> = files.into_iter().collect();
    for chunk in files.chunks(FILE_ROWS_PER_STATEMENT) {
        let mut values = vec![job_id.to_value()];
        let rows: Vec<String> = chunk
            .iter()
            .map(|(index, path, size, selected)| {
                let first = values.len() + 1;
                values.extend([
                    index.to_value(),
                    path.to_value(),
                    (*size as i64).to_value(),
                    selected.to_value(),
                ]);
                format!(
                    "(?1, ?{first}, ?{}, ?{}, ?{})",
                    first + 1,
                    first + 2,
                    first + 3
                )
            })
            .collect();
        conn.execute(
            &format!(
                "INSERT INTO job_files (job_id, idx, path, size, selected) VALUES {}",
                rows.join(", ")
            ),
            &values,
        )?;
    }
    Ok(())
}

pub fn insert_job_event(
    conn: &Tx<'_>,
    job_id: &str,
    kind: &str,
    status: Option<JobStatus>,
    message: Option<&str>,
    now: i64,
) -> DbResult<()> {
    conn.execute(
        "INSERT INTO job_events (job_id, kind, status, message, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![job_id, kind, status.map(JobStatus::as_str), message, now],
    )?;
    Ok(())
}

/// The jobs a caller may see and act on: an organization's, and within it only the caller's
/// own unless they are one of its owners or admins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobScope {
    pub org_id: String,
    /// Set for members, who see only what they submitted.
    pub user_id: Option<String>,
}

/// The job, only when it is in `scope`.
pub fn job_in_scope(
    conn: &Tx<'_>,
    scope: &JobScope,
    job_id: JobId<'_>,
) -> DbResult<Option<JobRow>> {
    conn.query_row(
        &format!(
            "SELECT {JOB_COLUMNS} FROM jobs j
             WHERE j.id = ?1 AND j.org_id = ?2 AND j.user_id = COALESCE(?3, j.user_id)"
        ),
        params![job_id, scope.org_id, scope.user_id],
        job_from_row,
    )
    .optional()
}

pub fn job_by_id(conn: &Tx<'_>, job_id: &str) -> DbResult<Option<JobRow>> {
    conn.query_row(
        &format!("SELECT {JOB_COLUMNS} FROM jobs j WHERE j.id = ?1"),
        params![job_id],
        job_from_row,
    )
    .optional()
}

/// Filters shared by the user's and the operator's job lists.
#[derive(Debug, Default, Clone)]
pub struct JobFilter {
    /// An organization's jobs (an operator's list leaves it out).
    pub org_id: Option<String>,
    pub user_id: Option<String>,
    pub status: Option<JobStatus>,
    /// Matches job names, and for operators also owner emails.
    pub search: Option<String>,
    pub limit: u32,
    pub offset: u64,
    /// Start after this job (its `created_at` and id) instead of skipping `offset` rows.
    pub after: Option<Cursor>,
}

pub use crate::store::TOTAL_CAP;
use crate::store::{Cursor, Keyset, ListQuery, Total};

/// Only the filters given become conditions, so the planner can use the index that serves
/// them (`jobs_by_org_page` for an organization's list, `jobs_by_user_page` for a member's own,
/// `jobs_by_created` for everyone's), newest
/// first with the id breaking ties, so that a cursor is exact. With `owners`, each row also
/// has its owner's email (`owner_email`), joined from users.
pub fn list_jobs_query(dialect: Dialect, filter: &JobFilter, owners: bool) -> ListQuery {
    let pattern = filter
        .search
        .as_deref()
        .map(|text| format!("%{}%", crate::accounts::store::escape_like(text)));
    let mut conditions = Vec::new();
    let mut values = Vec::new();
    let mut needs_owner = false;
    if let Some(org_id) = &filter.org_id {
        values.push(org_id.to_value());
        conditions.push(format!("j.org_id = ?{}", values.len()));
    }
    if let Some(user_id) = &filter.user_id {
        values.push(user_id.to_value());
        conditions.push(format!("j.user_id = ?{}", values.len()));
    }
    if let Some(status) = filter.status {
        values.push(status.as_str().to_value());
        conditions.push(format!("j.status = ?{}", values.len()));
    }
    if let Some(pattern) = &pattern {
        values.push(pattern.to_value());
        let placeholder = format!("?{}", values.len());
        let by_name = dialect.like_ci("j.name", &placeholder);
        conditions.push(match filter.user_id.as_ref().or(filter.org_id.as_ref()) {
            Some(_) => by_name,
            None => {
                needs_owner = true;
                format!(
                    "({by_name} OR {})",
                    dialect.like_ci("u.email", &placeholder)
                )
            }
        });
    }
    let counted_from = if needs_owner {
        "jobs j JOIN users u ON u.id = j.user_id"
    } else {
        "jobs j"
    };
    let select = if owners {
        format!(
            "SELECT {JOB_COLUMNS}, u.email AS owner_email FROM jobs j JOIN users u ON u.id = j.user_id"
        )
    } else {
        format!("SELECT {JOB_COLUMNS} FROM {counted_from}")
    };
    ListQuery::keyset(
        Keyset {
            select: &select,
            count_from: counted_from,
            time: "j.created_at",
            id: "j.id",
        },
        conditions,
        values,
        filter.limit,
        filter.offset,
        filter.after.as_ref(),
    )
}

/// A page of jobs newest first, and the total: exact for an organization's list without a
/// search (from the counts the database keeps), otherwise counted ten pages ahead.
pub fn list_jobs(conn: &Tx<'_>, filter: &JobFilter) -> DbResult<(Vec<JobRow>, Total)> {
    let query = list_jobs_query(conn.dialect(), filter, false);
    match (&filter.org_id, &filter.search) {
        (Some(org_id), None) => {
            let total = counted_jobs(conn, org_id, filter.user_id.as_deref(), filter.status)?;
            Ok((query.page(conn, job_from_row)?, Total::Exact(total)))
        }
        _ => query.run(conn, job_from_row),
    }
}

/// How many jobs an organization has (only `user_id`'s, only in `status`, when given), read
/// from `job_counts` by its key instead of counted (migration 0026, PostgreSQL's 0022), with
/// PostgreSQL's changes not yet folded in.
pub fn counted_jobs(
    conn: &Tx<'_>,
    org_id: &str,
    user_id: Option<&str>,
    status: Option<JobStatus>,
) -> DbResult<u64> {
    let (sql, values) = counted_jobs_query(conn.dialect(), org_id, user_id, status);
    let total: i64 = conn.query_row(&sql, &values, |row| row.get(0))?;
    Ok(total.max(0) as u64)
}

/// [`counted_jobs`]' statement and parameters, built per filter so the key serves each.
pub fn counted_jobs_query(
    dialect: Dialect,
    org_id: &str,
    user_id: Option<&str>,
    status: Option<JobStatus>,
) -> (String, Vec<Value>) {
    let mut conditions = vec!["org_id = ?1".to_owned()];
    let mut values = vec![org_id.to_value()];
    if let Some(user_id) = user_id {
        values.push(user_id.to_value());
        conditions.push(format!("user_id = ?{}", values.len()));
    }
    if let Some(status) = status {
        values.push(status.as_str().to_value());
        conditions.push(format!("status = ?{}", values.len()));
    }
    let filtered = conditions.join(" AND ");
    let sql = match dialect {
        Dialect::Sqlite => format!(
            "SELECT CAST(COALESCE(SUM(jobs), 0) AS BIGINT) FROM job_counts WHERE {filtered}"
        ),
        Dialect::Postgres => format!(
            "SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM (
                 SELECT jobs AS n FROM job_counts WHERE {filtered}
                 UNION ALL SELECT change FROM job_count_changes WHERE {filtered}) AS counted"
        ),
    };
    (sql, values)
}

/// Folds PostgreSQL's pending count changes into `job_counts`, dropping counts that reached
/// zero, and answers how many counts changed. PostgreSQL's alone: SQLite's triggers count
/// directly and it has no `job_count_changes`. Safe to run beside writers and another fold:
/// each change is deleted, and so added, once.
pub fn fold_job_counts(tx: &Tx<'_>) -> DbResult<u64> {
    let folded = tx.query(
        "WITH folded AS (
             DELETE FROM job_count_changes RETURNING org_id, user_id, status, change),
         summed AS (
             SELECT org_id, user_id, status, SUM(change) AS change FROM folded GROUP BY org_id, user_id, status)
         INSERT INTO job_counts (org_id, user_id, status, jobs)
         SELECT org_id, user_id, status, change FROM summed
         ORDER BY org_id, user_id, status
         ON CONFLICT (org_id, user_id, status) DO UPDATE SET jobs = job_counts.jobs + EXCLUDED.jobs
         RETURNING org_id, user_id, status, jobs",
        &[],
    )?;
    for row in &folded {
        if row.get::<_, i64>("jobs")? == 0 {
            tx.execute(
                "DELETE FROM job_counts
                 WHERE org_id = ?1 AND user_id = ?2 AND status = ?3 AND jobs = 0",
                params![
                    row.get::<_, String>("org_id")?,
                    row.get::<_, String>("user_id")?,
                    row.get::<_, String>("status")?
                ],
            )?;
        }
    }
    Ok(folded.len() as u64)
}

/// [`list_jobs`] with each job's owner's email, as operators see everyone's jobs.
pub fn list_jobs_with_owners(
    conn: &Tx<'_>,
    filter: &JobFilter,
) -> DbResult<(Vec<(JobRow, String)>, Total)> {
    list_jobs_query(conn.dialect(), filter, true).run(conn, |row| {
        Ok((job_from_row(row)?, row.get("owner_email")?))
    })
}

#[derive(Debug, Clone)]
pub struct JobFileRow {
    pub index: u32,
    pub path: String,
    pub size: i64,
    pub selected: bool,
}

pub fn files_of_job(conn: &Tx<'_>, job_id: &str) -> DbResult<Vec<JobFileRow>> {
    let mut stmt = conn.prepare(
        "SELECT idx, path, size, selected FROM job_files WHERE job_id = ?1 ORDER BY idx",
    )?;
    let rows = stmt
        .query_map(params![job_id], |row| {
            Ok(JobFileRow {
                index: row.get(0)?,
                path: row.get(1)?,
                size: row.get(2)?,
                selected: row.get(3)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

#[derive(Debug, Clone)]
pub struct JobEventRow {
    pub id: i64,
    pub kind: String,
    pub status: Option<String>,
    pub message: Option<String>,
    pub created_at: i64,
}

pub fn events_of_job(conn: &Tx<'_>, job_id: &str) -> DbResult<Vec<JobEventRow>> {
    let mut stmt = conn.prepare(
        "SELECT id, kind, status, message, created_at FROM job_events
         WHERE job_id = ?1 ORDER BY id",
    )?;
    let rows = stmt
        .query_map(params![job_id], |row| {
            Ok(JobEventRow {
                id: row.get(0)?,
                kind: row.get(1)?,
                status: row.get(2)?,
                message: row.get(3)?,
                created_at: row.get(4)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// Moves the job to `to` only if it is currently in one of `from`, so two racing requests
/// cannot both win. Re-queueing clears the error, the dead-letter mark, the back-off and any old
/// lease (the agent that held it learns so at its next report).
/// Who runs the job from now on.
pub fn set_provider(
    conn: &Tx<'_>,
    job_id: &str,
    provider: tseeder_protocol::ProviderKind,
) -> DbResult<()> {
    conn.execute(
        "UPDATE jobs SET provider = ?2 WHERE id = ?1",
        params![job_id, provider.as_str()],
    )?;
    Ok(())
}

pub fn transition_job(
    conn: &Tx<'_>,
    job_id: &str,
    from: &[JobStatus],
    to: JobStatus,
    error: Option<&str>,
    now: i64,
) -> DbResult<bool> {
    if from.is_empty() {
        return Ok(false);
    }
    // Statuses are the protocol's own names, never user input, so they are written inline.
    let from = from
        .iter()
        .map(|status| format!("'{}'", status.as_str()))
        .collect::<Vec<_>>()
        .join(", ");
    let changed = conn.execute(
        &format!(
            "UPDATE jobs SET status = ?2, error = ?3, updated_at = ?4,
                         dead_lettered = CASE WHEN ?2 = 'queued' THEN 0 ELSE dead_lettered END,
                         attempts = CASE WHEN ?2 = 'queued' AND status = 'failed' THEN 0 ELSE attempts END,
                         not_before = CASE WHEN ?2 = 'queued' THEN 0 ELSE not_before END,
                         lease_id = CASE WHEN ?2 = 'queued' THEN NULL ELSE lease_id END,
                         lease_expires_at = CASE WHEN ?2 = 'queued' THEN NULL ELSE lease_expires_at END
             WHERE id = ?1 AND status IN ({from})"
        ),
        params![job_id, to.as_str(), error, now],
    )?;
    Ok(changed == 1)
}

pub fn delete_job(conn: &Tx<'_>, scope: &JobScope, job_id: JobId<'_>) -> DbResult<bool> {
    let changed = conn.execute(
        "DELETE FROM jobs WHERE id = ?1 AND org_id = ?2 AND user_id = COALESCE(?3, user_id)",
        params![job_id, scope.org_id, scope.user_id],
    )?;
    Ok(changed == 1)
}

/// The stored .torrent of a job added by upload or URL.
pub fn torrent_of_job(conn: &Tx<'_>, job_id: &str) -> DbResult<Option<Vec<u8>>> {
    Ok(conn
        .query_row(
            "SELECT torrent FROM jobs WHERE id = ?1",
            params![job_id],
            |row| row.get(0),
        )
        .optional()?
        .flatten())
}
