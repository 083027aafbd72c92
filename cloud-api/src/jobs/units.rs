//! Jobs' units of work: a submission and a user's action on a job, each one store operation
//! (the change, its event), so a service never holds a transaction; and the reads of a job
//! that take several queries, each one store call. Their refusals (the plan
//! is full, the job moved on) are decided on the rows they read, and are the API's own errors.

use crate::error::{ApiError, ApiResult};
use crate::files::store::ObjectRow;
use crate::ids::JobId;
use crate::jobs::store::{
    self as q, insert_job, insert_job_event, insert_job_files, job_in_scope, set_provider,
    transition_job, JobEventRow, JobFileRow, JobRow, JobScope, NewJob,
};
use crate::plans::quota;
use crate::plans::store as plans;
use crate::store::{DbError, DbResult, Store, Tx};
use tseeder_protocol::{ErrorCode, JobSource, JobStatus};

/// A validated job as the service hands it over to be stored.
#[derive(Debug)]
pub struct Submission {
    pub id: String,
    pub user_id: String,
    pub org_id: String,
    pub name: String,
    pub source: JobSource,
    pub magnet_uri: Option<String>,
    pub torrent: Option<Vec<u8>>,
    pub source_url: Option<String>,
    pub info_hash_v1: Option<String>,
    pub info_hash_v2: Option<String>,
    /// Index (the engine's numbering), path, size, chosen.
    pub files: Vec<(u32, String, u64, bool)>,
    pub total_bytes: Option<u64>,
    pub region: Option<String>,
    pub device_id: Option<String>,
    pub callback_url: Option<String>,
    pub provider: tseeder_protocol::ProviderKind,
    pub now: i64,
}

/// Stores a submitted job, queued, with its files, callback and first events, once the device
/// it names is the submitter's and the organization's plan has room for it.
pub async fn submit(store: &Store, job: Submission) -> ApiResult<()> {
    store
        .transaction_with(move |tx| -> ApiResult<_> {
            if let Some(device) = &job.device_id {
                let owned = crate::agents::store::agent_by_id(tx, device)?.is_some_and(|a| {
                    a.owner_user_id.as_deref() == Some(job.user_id.as_str())
                        && a.revoked_at.is_none()
                });
                if !owned {
                    return Err(ApiError::unprocessable(
                        ErrorCode::UnknownDevice,
                        "deviceId is not one of your registered devices",
                    ));
                }
            }
            let on_device = job.device_id.is_some();
            if let Some(refusal) = plan_refusal(tx, &job.org_id, job.total_bytes, None, on_device)?
            {
                return Err(refusal);
            }
            insert_job(
                tx,
                &NewJob {
                    id: &job.id,
                    user_id: &job.user_id,
                    org_id: &job.org_id,
                    name: &job.name,
                    source: job.source,
                    magnet_uri: job.magnet_uri.as_deref(),
                    torrent: job.torrent.as_deref(),
                    source_url: job.source_url.as_deref(),
                    info_hash_v1: job.info_hash_v1.as_deref(),
                    info_hash_v2: job.info_hash_v2.as_deref(),
                    status: JobStatus::Queued,
                    total_bytes: job.total_bytes.map(|b| b as i64),
                    region: job.region.as_deref(),
                    device_id: job.device_id.as_deref(),
                    provider: job.provider,
                    now: job.now,
                },
            )?;
            insert_job_files(
                tx,
                &job.id,
                job.files
                    .iter()
                    .map(|(index, path, size, selected)| (*index, path.as_str(), *size, *selected)),
            )?;
            if let Some(url) = &job.callback_url {
                crate::webhooks::store::insert_callback(tx, &job.id, url)?;
            }
            let now = job.now;
            insert_job_event(
                tx,
                &job.id,
                "submitted",
                Some(JobStatus::Submitted),
                None,
                now,
            )?;
            insert_job_event(tx, &job.id, "queued", Some(JobStatus::Queued), None, now)?;
            Ok(())
        })
        .await
}

/// A user's action on a job: the states it applies to, the one it leads to, the event it
/// records, and whether it takes an active-job slot again.
#[derive(Debug, Clone, Copy)]
pub struct Transition {
    pub from: &'static [JobStatus],
    pub to: JobStatus,
    pub kind: &'static str,
    pub takes_slot: bool,
    /// Where the job runs from now on, when the action starts a new run.
    pub provider: Option<tseeder_protocol::ProviderKind>,
}

/// Moves a job in `scope` along `transition`, with its event; answers the job as it is now.
pub async fn transition(
    store: &Store,
    scope: JobScope,
    job_id: String,
    change: Transition,
    now: i64,
) -> ApiResult<Option<JobRow>> {
    store
        .transaction_with(move |tx| -> ApiResult<_> {
            let Some(job) = job_in_scope(tx, &scope, JobId(&job_id))? else {
                return Err(ApiError::NotFound);
            };
            if !change.from.contains(&job.status) {
                return Err(ApiError::conflict(
                    ErrorCode::InvalidState,
                    format!("a {} job cannot be {}", job.status.as_str(), change.kind),
                ));
            }
            if change.takes_slot {
                let size = job.total_bytes.map(|b| b.max(0) as u64);
                let on_device = job.device_id.is_some();
                if let Some(refusal) =
                    plan_refusal(tx, &job.org_id, size, Some(&job_id), on_device)?
                {
                    return Err(refusal);
                }
            }
            if !transition_job(tx, &job_id, change.from, change.to, None, now)? {
                return Err(ApiError::conflict(
                    ErrorCode::InvalidState,
                    "the job changed state meanwhile; reload and try again",
                ));
            }
            if let (Some(provider), None) = (change.provider, &job.device_id) {
                set_provider(tx, &job_id, provider)?;
            }
            insert_job_event(tx, &job_id, change.kind, Some(change.to), None, now)?;
            Ok(job_in_scope(tx, &scope, JobId(&job_id))?)
        })
        .await
}

/// Why the organization's plan does not allow one more active job of `size` bytes (besides
/// `except_job`, when the job itself is counted already), if it does not: every member's jobs
/// share it. A job kept on one of the user's devices takes no cloud storage.
fn plan_refusal(
    conn: &Tx<'_>,
    org_id: &str,
    size: Option<u64>,
    except_job: Option<&str>,
    on_device: bool,
) -> Result<Option<ApiError>, DbError> {
    let plan = plans::plan_of_org(conn, org_id)?;
    let usage = plans::usage_of_org(conn, org_id)?;
    let refuse = |message: String| Some(ApiError::forbidden(ErrorCode::QuotaExceeded, message));
    if usage.active_jobs >= plan.max_active_jobs {
        return Ok(refuse(format!(
            "the {} plan allows {} active jobs at a time; wait for one to finish or cancel one",
            plan.name, plan.max_active_jobs
        )));
    }
    if let Some(size) = size {
        // `plans::committed_bytes`, with the stored bytes the usage above already read.
        let committed = usage
            .storage_bytes
            .saturating_add(plans::reserved_bytes(conn, org_id, except_job)?);
        if let Some(refusal) = quota::refuse_size(&plan, size, committed, !on_device) {
            return Ok(refuse(refusal.message("the torrent's files")));
        }
    }
    Ok(None)
}

/// A job in scope with its stored objects: what deleting it removes.
pub async fn job_with_objects(
    store: &Store,
    scope: JobScope,
    jid: String,
) -> DbResult<Option<(JobRow, Vec<ObjectRow>)>> {
    store
        .call(move |conn| {
            let Some(job) = q::job_in_scope(conn, &scope, JobId(&jid))? else {
                return Ok(None);
            };
            let objects = crate::files::store::objects_of_job(conn, &jid)?;
            Ok(Some((job, objects)))
        })
        .await
}

/// A job's history, when the job is in scope.
pub async fn events(
    store: &Store,
    scope: JobScope,
    jid: String,
) -> DbResult<Option<Vec<JobEventRow>>> {
    store
        .call(move |conn| {
            if q::job_in_scope(conn, &scope, JobId(&jid))?.is_none() {
                return Ok(None);
            }
            q::events_of_job(conn, &jid).map(Some)
        })
        .await
}

/// A job in scope with its files, and when its stored files expire (or expired).
pub async fn detail(
    store: &Store,
    scope: JobScope,
    jid: String,
) -> DbResult<Option<(JobRow, Vec<JobFileRow>, (Option<i64>, Option<i64>))>> {
    store
        .call(move |conn| {
            let Some(job) = q::job_in_scope(conn, &scope, JobId(&jid))? else {
                return Ok(None);
            };
            let files = q::files_of_job(conn, &jid)?;
            let expiry = (
                crate::retention::store::files_expire_at(conn, &jid)?,
                crate::retention::store::files_expired_at(conn, &jid)?,
            );
            Ok(Some((job, files, expiry)))
        })
        .await
}

/// Folds the pending job-count changes into the counts (PostgreSQL), with the deletion of the
/// counts that reached zero in the same unit.
pub async fn fold_job_counts(store: &Store) -> DbResult<u64> {
    // SQLite's triggers count directly: nothing is pending, and its write lock is not taken
    // for nothing.
    if store.dialect() == crate::store::Dialect::Sqlite {
        return Ok(0);
    }
    store.transaction(q::fold_job_counts).await
}
