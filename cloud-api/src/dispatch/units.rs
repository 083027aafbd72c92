//! The dispatcher's units of work: a claim, a state report, a completion, a failure, a lease
//! handed back or expired, a replay. Each is one store operation, all or nothing, so a service
//! never holds a transaction; the rules they apply are decided on the rows they lock.

use crate::agents::store as agent_q;
use crate::audit::actor::{Actor, Why};
use crate::dispatch::service::backoff_seconds;
use crate::dispatch::store as q;
use crate::error::{ApiError, ApiResult};
use crate::files::store as object_q;
use crate::files::store::NewObject;
use crate::ids::{AgentId, JobId, LeaseId};
use crate::jobs::store as job_q;
use crate::jobs::store::JobRow;
use crate::plans::quota;
use crate::plans::store as plans;
use crate::store::{to_datetime, DbResult, Store, Tx};
use base64::Engine as _;
use tseeder_protocol::{AgentKind, Assignment, AuditAction, ErrorCode, JobStatus};

type DispatchSettings = crate::config::DispatchSettings;

/// Leases the best queued job the agent may run, with its event, and answers what the agent
/// is told and the job as it is now; nothing when the agent is revoked, full, or should leave
/// the job to a less loaded one.
pub async fn claim(
    store: &Store,
    agent_id: String,
    settings: DispatchSettings,
    now: i64,
) -> DbResult<Option<(Assignment, Option<JobRow>)>> {
    store
        .locking_transaction(move |tx| {
            agent_q::touch_agent(tx, &agent_id, now)?;
            let Some(me) = agent_q::agent_by_id(tx, &agent_id)? else {
                return Ok(None);
            };
            if me.revoked_at.is_some() || !me.has_room() {
                return Ok(None);
            }
            let failover_before = now - settings.failover_after_seconds as i64 * 1000;
            let job = match me.kind {
                AgentKind::Device => q::next_job_for_device(tx, &me.id, now)?,
                AgentKind::Operator => {
                    q::next_job_for_region(tx, &me.region, now, failover_before)?
                }
            };
            let Some(job) = job else {
                return Ok(None);
            };
            if me.kind == AgentKind::Operator
                && defers_to_less_loaded(tx, &me, &job, now, &settings)?
            {
                return Ok(None);
            }
            let lease_id = uuid::Uuid::new_v4().to_string();
            let expires = now + settings.lease_seconds as i64 * 1000;
            if !q::grant_lease(
                tx,
                JobId(&job.id),
                AgentId(&me.id),
                LeaseId(&lease_id),
                expires,
                now,
            )? {
                return Ok(None);
            }
            let attempt = job.attempts + 1;
            let message = format!(
                "agent {} ({}) took it, try {attempt} of {}",
                me.name, me.region, settings.max_attempts
            );
            job_q::insert_job_event(
                tx,
                &job.id,
                "claimed",
                Some(JobStatus::Metadata),
                Some(&message),
                now,
            )?;
            let assignment = assignment(tx, &job, lease_id, expires, attempt)?;
            let updated = job_q::job_by_id(tx, &job.id)?;
            Ok(Some((assignment, updated)))
        })
        .await
}

/// What an agent is told to run: the torrent, the chosen files, and the most it may fetch
/// within the organization's plan.
fn assignment(
    tx: &Tx<'_>,
    job: &JobRow,
    lease_id: String,
    expires: i64,
    attempt: u32,
) -> DbResult<Assignment> {
    let torrent = job_q::torrent_of_job(tx, &job.id)?;
    let files = job_q::files_of_job(tx, &job.id)?;
    let plan = plans::plan_of_org(tx, &job.org_id)?;
    let stored = plans::stored_bytes_of_org(tx, &job.org_id)?;
    let reserved = plans::reserved_bytes(tx, &job.org_id, Some(&job.id))?;
    let room = if job.device_id.is_some() {
        u64::MAX
    } else {
        plan.max_storage_bytes
            .saturating_sub(stored.saturating_add(reserved))
    };
    let selected = (!files.is_empty() && files.iter().any(|f| !f.selected)).then(|| {
        files
            .iter()
            .filter(|f| f.selected)
            .map(|f| f.index)
            .collect()
    });
    Ok(Assignment {
        job_id: job.id.clone(),
        user_id: job.user_id.clone(),
        lease_id,
        lease_expires_at: to_datetime(expires),
        name: job.name.clone(),
        magnet: job.magnet_uri.clone(),
        torrent_base64: torrent.map(|t| base64::engine::general_purpose::STANDARD.encode(t)),
        selected_files: selected,
        attempt,
        max_bytes: Some(plan.max_job_bytes.min(room)),
    })
}

/// How a state report ended.
#[derive(Debug)]
pub enum Recorded {
    Updated(Box<JobRow>),
    /// The chosen files do not fit the plan: the job failed, for this reason.
    Refused(String),
    LeaseLost,
}

/// A running job's new state, as its agent reported it under its lease.
#[derive(Debug)]
pub struct StateReport {
    pub job_id: String,
    pub org_id: String,
    pub lease_id: String,
    pub on_device: bool,
    pub status: JobStatus,
    /// The torrent's files once its metadata is known: index, path, size, chosen.
    pub files: Option<Vec<(u32, String, u64, bool)>>,
    pub name: Option<String>,
    pub downloaded: u64,
    pub total: Option<u64>,
}

/// Records a state report: the file list (failing the job when the chosen files do not fit
/// the plan), the name, the state and its event.
pub async fn record_state(store: &Store, report: StateReport, now: i64) -> DbResult<Recorded> {
    store
        .transaction(move |tx| {
            let jid = &report.job_id;
            if let Some(files) = &report.files {
                if let Some(reason) = files_refusal(tx, &report, files)? {
                    let error = format!("quota exceeded: {reason}");
                    if q::fail_job(tx, jid, &error, false, now)? {
                        job_q::insert_job_event(
                            tx,
                            jid,
                            "failed",
                            Some(JobStatus::Failed),
                            Some(&error),
                            now,
                        )?;
                    }
                    return Ok(Recorded::Refused(error));
                }
                q::delete_job_files(tx, jid)?;
                job_q::insert_job_files(
                    tx,
                    jid,
                    files.iter().map(|(index, path, size, selected)| {
                        (*index, path.as_str(), *size, *selected)
                    }),
                )?;
                if let Some(name) = report.name.as_deref().filter(|n| !n.is_empty()) {
                    q::set_job_name(tx, jid, name)?;
                }
            }
            let status = report.status;
            if !q::record_running_state(
                tx,
                JobId(jid),
                LeaseId(&report.lease_id),
                status,
                report.downloaded,
                report.total,
                now,
            )? {
                return Ok(Recorded::LeaseLost);
            }
            if report.files.is_some() || status != JobStatus::Metadata {
                job_q::insert_job_event(tx, jid, status.as_str(), Some(status), None, now)?;
            }
            Ok(match job_q::job_by_id(tx, jid)? {
                Some(job) => Recorded::Updated(Box::new(job)),
                None => Recorded::LeaseLost,
            })
        })
        .await
}

/// Why the chosen files do not fit the organization's plan, if they do not.
fn files_refusal(
    tx: &Tx<'_>,
    report: &StateReport,
    files: &[(u32, String, u64, bool)],
) -> DbResult<Option<String>> {
    let org = &report.org_id;
    let selected_total: u64 = files.iter().filter(|f| f.3).map(|f| f.2).sum();
    let plan = plans::plan_of_org(tx, org)?;
    let committed = plans::committed_bytes(tx, org, Some(&report.job_id))?;
    Ok(
        quota::refuse_size(&plan, selected_total, committed, !report.on_device)
            .map(|refusal| refusal.message("the chosen files")),
    )
}

/// A manifest entry that passed its checks.
#[derive(Debug)]
pub struct CheckedFile {
    /// The object's key; `None` for a file a device keeps.
    pub key: Option<String>,
    pub index: u32,
    pub path: String,
    pub size: u64,
}

/// Marks the job completed under its lease, records its stored objects and the event; a
/// lease lost meanwhile changes nothing and answers nothing.
pub async fn complete(
    store: &Store,
    job: &JobRow,
    lease_id: &str,
    checked: Vec<CheckedFile>,
    now: i64,
) -> DbResult<Option<JobRow>> {
    let (jid, uid, lease) = (job.id.clone(), job.user_id.clone(), lease_id.to_owned());
    store
        .transaction(move |tx| {
            if !q::complete_job(tx, JobId(&jid), LeaseId(&lease), now)? {
                return Ok(None);
            }
            for file in &checked {
                let Some(key) = &file.key else { continue };
                object_q::insert_object(
                    tx,
                    &NewObject {
                        key,
                        user_id: &uid,
                        job_id: &jid,
                        file_index: file.index,
                        path: &file.path,
                        size: file.size,
                        now,
                    },
                )?;
            }
            job_q::insert_job_event(tx, &jid, "completed", Some(JobStatus::Completed), None, now)?;
            job_q::job_by_id(tx, &jid)
        })
        .await
}

/// A job, its lease and the agent holding it, as an agent names them.
#[derive(Debug, Clone)]
pub struct Held {
    pub job_id: String,
    pub lease_id: String,
    pub agent_id: String,
}

impl Held {
    /// The job, while the lease is still the agent's.
    fn job(&self, tx: &Tx<'_>) -> DbResult<Option<JobRow>> {
        let (job, lease) = (JobId(&self.job_id), LeaseId(&self.lease_id));
        q::job_under_lease(tx, job, lease, AgentId(&self.agent_id))
    }
}

/// A failed try under the agent's lease: requeued after a back-off, or failed for good
/// (true). A job its owner stopped meanwhile only loses its lease. Nothing when the lease is
/// no longer the agent's.
pub async fn fail(
    store: &Store,
    held: Held,
    error: String,
    retryable: bool,
    settings: DispatchSettings,
    now: i64,
) -> DbResult<Option<(JobRow, bool)>> {
    store
        .transaction(move |tx| {
            let (jid, lease) = (&held.job_id, &held.lease_id);
            let Some(job) = held.job(tx)? else {
                return Ok(None);
            };
            if !job.status.is_running() {
                q::clear_lease(tx, JobId(jid), LeaseId(lease))?;
                return Ok(job_q::job_by_id(tx, jid)?.map(|job| (job, false)));
            }
            let ended = settle_failure(tx, &job, &error, retryable, &settings, now)?;
            Ok(job_q::job_by_id(tx, jid)?.map(|job| (job, ended)))
        })
        .await
}

/// A lease handed back: a running job goes back to the queue without spending a try.
/// Nothing when the lease is no longer the agent's.
pub async fn release(store: &Store, held: Held, now: i64) -> DbResult<Option<JobRow>> {
    store
        .transaction(move |tx| {
            let (jid, lease) = (&held.job_id, &held.lease_id);
            let Some(job) = held.job(tx)? else {
                return Ok(None);
            };
            if job.status.is_running() {
                q::release_job(tx, JobId(jid), LeaseId(lease), now)?;
                job_q::insert_job_event(
                    tx,
                    jid,
                    "released",
                    Some(JobStatus::Queued),
                    Some("the agent handed the job back"),
                    now,
                )?;
            } else {
                q::clear_lease(tx, JobId(jid), LeaseId(lease))?;
            }
            job_q::job_by_id(tx, jid)
        })
        .await
}

/// Settles every expired lease as a retryable failure (a stopped job only loses it): the
/// jobs changed, and how many of them failed for good.
pub async fn expire_leases(
    store: &Store,
    settings: DispatchSettings,
    now: i64,
) -> DbResult<(Vec<String>, usize)> {
    store
        .transaction(move |tx| {
            let expired = q::expired_leases(tx, now)?;
            let (mut changed, mut ended) = (Vec::new(), 0usize);
            for (job, lease) in expired {
                if job.status.is_running() {
                    ended += usize::from(settle_failure(
                        tx,
                        &job,
                        "the agent stopped reporting and its lease expired",
                        true,
                        &settings,
                        now,
                    )?);
                } else {
                    q::clear_lease(tx, JobId(&job.id), LeaseId(&lease))?;
                }
                changed.push(job.id);
            }
            Ok((changed, ended))
        })
        .await
}

/// Sends a dead-lettered job through the queue again, with its event and the operator's
/// audit entry.
pub(crate) async fn replay_dead_letter(
    store: &Store,
    who: Actor,
    why: Why,
    job_id: String,
    now: i64,
) -> ApiResult<Option<JobRow>> {
    store
        .transaction_with(move |tx| -> ApiResult<_> {
            let jid = &job_id;
            let Some(job) = job_q::job_by_id(tx, jid)? else {
                return Err(ApiError::NotFound);
            };
            if !(job.dead_lettered && job.status == JobStatus::Failed) {
                return Err(ApiError::conflict(
                    ErrorCode::NotDeadLettered,
                    "only dead-lettered jobs can be replayed",
                ));
            }
            if !job_q::transition_job(tx, jid, &[JobStatus::Failed], JobStatus::Queued, None, now)?
            {
                return Err(ApiError::conflict(
                    ErrorCode::InvalidState,
                    "the job changed state meanwhile",
                ));
            }
            let message = format!("replayed by an operator: {}", why.reason);
            job_q::insert_job_event(
                tx,
                jid,
                "replayed",
                Some(JobStatus::Queued),
                Some(&message),
                now,
            )?;
            who.audit(
                tx,
                AuditAction::JobReplay,
                jid,
                &why,
                serde_json::json!({ "owner": job.user_id, "lastError": job.error }),
            )?;
            Ok(job_q::job_by_id(tx, jid)?)
        })
        .await
}

/// Requeues a failed try with back-off, or fails the job (dead-lettered when retries ran out).
/// True when the job failed for good.
pub(crate) fn settle_failure(
    tx: &Tx<'_>,
    job: &JobRow,
    error: &str,
    retryable: bool,
    settings: &DispatchSettings,
    now: i64,
) -> DbResult<bool> {
    if retryable && job.attempts < settings.max_attempts {
        let wait = backoff_seconds(
            settings.backoff_base_seconds,
            settings.backoff_max_seconds,
            job.attempts,
        );
        let not_before = now + wait as i64 * 1000;
        if q::requeue_job(tx, &job.id, error, not_before, now)? {
            let message = format!("{error}; next try in {wait} s");
            job_q::insert_job_event(
                tx,
                &job.id,
                "retry",
                Some(JobStatus::Queued),
                Some(&message),
                now,
            )?;
        }
        Ok(false)
    } else {
        let dead = retryable;
        let failed = q::fail_job(tx, &job.id, error, dead, now)?;
        if failed {
            let kind = if dead { "dead_lettered" } else { "failed" };
            let message = if dead {
                format!("{error}; gave up after {} tries", job.attempts)
            } else {
                error.to_owned()
            };
            job_q::insert_job_event(
                tx,
                &job.id,
                kind,
                Some(JobStatus::Failed),
                Some(&message),
                now,
            )?;
        }
        Ok(failed)
    }
}

/// Whether a busier agent should leave this fresh job to a less loaded, fresh agent of the
/// same region for a moment.
fn defers_to_less_loaded(
    tx: &Tx<'_>,
    me: &agent_q::AgentRow,
    job: &JobRow,
    now: i64,
    settings: &DispatchSettings,
) -> DbResult<bool> {
    let waited_ms = now - job.updated_at;
    if waited_ms >= settings.load_balance_wait_seconds as i64 * 1000 {
        return Ok(false);
    }
    let fresh_since = now - settings.stale_after_seconds as i64 * 1000;
    let my_load = f64::from(me.active_jobs) / f64::from(me.capacity.max(1));
    let other = agent_q::least_loaded_free_agent(tx, Some(&me.region), &me.id, fresh_since)?;
    Ok(other.is_some_and(|(_, load)| load < my_load))
}

/// The job the agent's lease still holds, with its files; nothing when the lease is not
/// the agent's any more.
pub async fn held_job_with_files(
    store: &Store,
    held: Held,
) -> DbResult<Option<(JobRow, Vec<job_q::JobFileRow>)>> {
    store
        .call(move |conn| {
            let job = held.job(conn)?;
            let files = job_q::files_of_job(conn, &held.job_id)?;
            Ok(job.map(|job| (job, files)))
        })
        .await
}

/// The job the agent's lease holds; a running job's lease is renewed for `lease_ms` once half
/// of it is spent, as a heartbeat would. Nothing when the lease is not the agent's any more.
pub async fn held_job_renewed(
    store: &Store,
    held: Held,
    now: i64,
    lease_ms: i64,
) -> DbResult<Option<JobRow>> {
    store
        .call(move |conn| {
            let job = held.job(conn)?;
            if job.as_ref().is_some_and(|job| job.status.is_running()) {
                q::renew_lease_if_half_spent(
                    conn,
                    JobId(&held.job_id),
                    LeaseId(&held.lease_id),
                    AgentId(&held.agent_id),
                    now + lease_ms,
                    now + lease_ms / 2,
                )?;
            }
            Ok(job)
        })
        .await
}
