//! The dispatcher: jobs wait in the SQLite queue; agents claim them under leases chosen by
//! region preference, load and heartbeat freshness; reports are accepted only under the current
//! lease; failures back off and end in the dead-letter queue; expired leases put jobs back.

use crate::agents::service::{stop_action, AgentPrincipal};
use crate::agents::store as agent_q;
use crate::audit::actor::{check_justification, Actor};
use crate::dispatch::store as q;
use crate::error::{ApiError, ApiResult};
use crate::files::store as object_q;
use crate::files::store::NewObject;
use crate::ids::{AgentId, JobId, LeaseId};
use crate::jobs::service::job_view;
use crate::jobs::store as job_q;
use crate::jobs::store::JobRow;
use crate::observability::JobOutcome;
use crate::plans::store as plans;
use crate::services::{Paging, Principal, RequestMeta, Services};
use crate::store as db;
use crate::store::Tx;
use crate::store::{to_datetime, DbResult};
use base64::Engine as _;
use tseeder_protocol::{
    names, AdminJob, AgentJobStatus, AgentKind, Assignment, AuditAction, ClaimReply,
    CompleteReport, ControlAction, ErrorCode, FailReport, Job, JobStatus, Justification,
    LiveProgress, Page, ProgressReply, ProgressReport, ReleaseLease,
};
use tseeder_storage::ObjectKey;

fn lease_lost() -> ApiError {
    ApiError::conflict(
        ErrorCode::LeaseLost,
        "this lease is no longer yours: the job moved on or was removed",
    )
}

/// Seconds to wait before try `attempt + 1`: base × 2^(attempt−1), capped.
pub fn backoff_seconds(base: u64, max: u64, attempt: u32) -> u64 {
    let factor = 1u64
        .checked_shl(attempt.saturating_sub(1))
        .unwrap_or(u64::MAX);
    base.saturating_mul(factor).min(max)
}

fn running_status(status: AgentJobStatus) -> JobStatus {
    match status {
        AgentJobStatus::Metadata => JobStatus::Metadata,
        AgentJobStatus::Downloading => JobStatus::Downloading,
        AgentJobStatus::Uploading => JobStatus::Uploading,
    }
}

enum Recorded {
    Updated(Box<JobRow>),
    Refused(String),
    LeaseLost,
}

fn reply(action: ControlAction, reason: Option<String>) -> ProgressReply {
    ProgressReply { action, reason }
}

/// Requeues a failed try with back-off, or fails the job (dead-lettered when retries ran out).
/// True when the job failed for good.
fn settle_failure(
    tx: &Tx<'_>,
    job: &JobRow,
    error: &str,
    retryable: bool,
    settings: &crate::config::DispatchSettings,
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
    settings: &crate::config::DispatchSettings,
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

/// A manifest entry that passed its checks.
#[derive(Debug)]
struct CheckedFile {
    /// The object's key; `None` for a file a device keeps.
    key: Option<String>,
    index: u32,
    path: String,
    size: u64,
}

/// The queue, leases and agent reports.
#[derive(Debug, Clone, Copy)]
pub struct Dispatch<'a> {
    pub(crate) services: &'a Services,
}

impl<'a> Dispatch<'a> {
    pub(crate) fn new(services: &'a Services) -> Self {
        Dispatch { services }
    }
}

impl Dispatch<'_> {
    fn publish(&self, job: Option<&JobRow>) {
        if let Some(job) = job {
            self.services.live().publish_job(job_view(job));
        }
    }

    pub(crate) async fn publish_job_id(&self, job_id: &str) {
        let id = job_id.to_owned();
        match self
            .services
            .db()
            .call(move |conn| job_q::job_by_id(conn, &id))
            .await
        {
            Ok(Some(job)) => self.services.live().publish_job(job_view(&job)),
            Ok(None) => {}
            Err(err) => tracing::error!(%err, "could not read a job to publish"),
        }
    }

    /// Gives the agent the best queued job it may run, or nothing.
    pub async fn claim(&self, agent: &AgentPrincipal) -> ApiResult<ClaimReply> {
        let settings = self.services.runtime().dispatch.clone();
        let agent_id = agent.agent.id.clone();
        let now = db::now_ms();
        let granted = self
            .services
            .db()
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
                let selected =
                    (!files.is_empty() && files.iter().any(|f| !f.selected)).then(|| {
                        files
                            .iter()
                            .filter(|f| f.selected)
                            .map(|f| f.index)
                            .collect()
                    });
                let assignment = Assignment {
                    job_id: job.id.clone(),
                    user_id: job.user_id.clone(),
                    lease_id,
                    lease_expires_at: to_datetime(expires),
                    name: job.name.clone(),
                    magnet: job.magnet_uri.clone(),
                    torrent_base64: torrent
                        .map(|t| base64::engine::general_purpose::STANDARD.encode(t)),
                    selected_files: selected,
                    attempt,
                    max_bytes: Some(plan.max_job_bytes.min(room)),
                };
                let updated = job_q::job_by_id(tx, &job.id)?;
                Ok(Some((assignment, updated)))
            })
            .await?;
        let Some((assignment, job)) = granted else {
            return Ok(ClaimReply::default());
        };
        self.services.live().clear_progress(&assignment.job_id);
        self.publish(job.as_ref());
        Ok(ClaimReply {
            assignment: Some(assignment),
        })
    }

    /// A progress tick: kept in memory and fanned out; only a change of state, the file list or
    /// a quota refusal touches the database.
    pub async fn report_progress(
        &self,
        agent: &AgentPrincipal,
        job_id: &str,
        report: ProgressReport,
    ) -> ApiResult<ProgressReply> {
        let (agent_id, jid, now) = (agent.agent.id.clone(), job_id.to_owned(), db::now_ms());
        let lease = report.lease_id.clone();
        // A progress report renews the lease as a heartbeat does, so a job whose agent's
        // heartbeats are late (a slow claim, a busy loop) keeps its lease while it reports.
        let lease_ms = self.services.runtime().dispatch.lease_seconds as i64 * 1000;
        let job = self
            .services
            .db()
            .call(move |conn| {
                let job =
                    q::job_under_lease(conn, JobId(&jid), LeaseId(&lease), AgentId(&agent_id))?;
                if job.as_ref().is_some_and(|job| job.status.is_running()) {
                    q::renew_lease_if_half_spent(
                        conn,
                        JobId(&jid),
                        LeaseId(&lease),
                        AgentId(&agent_id),
                        now + lease_ms,
                        now + lease_ms / 2,
                    )?;
                }
                Ok(job)
            })
            .await?;
        let Some(job) = job else {
            return Ok(reply(ControlAction::LeaseLost, None));
        };
        if !job.status.is_running() {
            return Ok(reply(stop_action(job.status), None));
        }
        let status = running_status(report.status);
        let needs_write = status != job.status || report.files.is_some();
        let mut current = job;
        if needs_write {
            let outcome = self.record_state(&current, &report, status, now).await?;
            match outcome {
                Recorded::Refused(reason) => {
                    self.services.metrics().job_finished(JobOutcome::Failed);
                    self.publish_job_id(&current.id).await;
                    return Ok(reply(ControlAction::Abort, Some(reason)));
                }
                Recorded::LeaseLost => return Ok(reply(ControlAction::LeaseLost, None)),
                Recorded::Updated(job) => current = *job,
            }
        }
        if let Some(previous) = self.services.live().progress_of(&current.id) {
            self.services.metrics().agent_moved(
                report
                    .downloaded_bytes
                    .saturating_sub(previous.downloaded_bytes),
                report
                    .uploaded_bytes
                    .saturating_sub(previous.uploaded_bytes),
            );
        }
        self.services.live().set_progress(
            &current.id,
            LiveProgress {
                downloaded_bytes: report.downloaded_bytes,
                total_bytes: report.total_bytes.or(current.total_bytes.map(|b| b as u64)),
                uploaded_bytes: report.uploaded_bytes,
                download_speed: report.download_speed,
                upload_speed: report.upload_speed,
                peers: report.peers,
                eta_seconds: report.eta_seconds,
            },
        );
        self.services.live().publish_job(job_view(&current));
        Ok(reply(ControlAction::Continue, None))
    }

    async fn record_state(
        &self,
        job: &JobRow,
        report: &ProgressReport,
        status: JobStatus,
        now: i64,
    ) -> ApiResult<Recorded> {
        let files = match &report.files {
            Some(files) => Some(
                files
                    .iter()
                    .map(|f| {
                        let path = names::relative_path(f.path.split('/').map(str::as_bytes))
                            .map_err(|err| {
                                ApiError::bad_request(ErrorCode::InvalidFile, err.to_string())
                            })?;
                        Ok((f.index, path, f.size, f.selected))
                    })
                    .collect::<ApiResult<Vec<_>>>()?,
            ),
            None => None,
        };
        let name = report.name.as_deref().map(names::display_name);
        let (jid, org, lease) = (job.id.clone(), job.org_id.clone(), report.lease_id.clone());
        let on_device = job.device_id.is_some();
        let downloaded = report.downloaded_bytes;
        let total = report.total_bytes;
        let outcome = self
            .services.db()
            .transaction(move |tx| {
                if let Some(files) = &files {
                    let selected_total: u64 = files.iter().filter(|f| f.3).map(|f| f.2).sum();
                    let plan = plans::plan_of_org(tx, &org)?;
                    let committed = plans::stored_bytes_of_org(tx, &org)?
                        .saturating_add(plans::reserved_bytes(tx, &org, Some(&jid))?);
                    let refusal = if selected_total > plan.max_job_bytes {
                        Some(format!(
                            "the chosen files take {selected_total} bytes; the {} plan allows {} bytes per job",
                            plan.name, plan.max_job_bytes
                        ))
                    } else if !on_device
                        && committed.saturating_add(selected_total) > plan.max_storage_bytes
                    {
                        Some(format!(
                            "the chosen files ({selected_total} bytes) with your other unfinished jobs would take your storage past the {} plan's {} bytes",
                            plan.name, plan.max_storage_bytes
                        ))
                    } else {
                        None
                    };
                    if let Some(reason) = refusal {
                        let error = format!("quota exceeded: {reason}");
                        if q::fail_job(tx, &jid, &error, false, now)? {
                            job_q::insert_job_event(
                                tx,
                                &jid,
                                "failed",
                                Some(JobStatus::Failed),
                                Some(&error),
                                now,
                            )?;
                        }
                        return Ok(Recorded::Refused(error));
                    }
                    q::delete_job_files(tx, &jid)?;
                    job_q::insert_job_files(
                        tx,
                        &jid,
                        files.iter().map(|(index, path, size, selected)| {
                            (*index, path.as_str(), *size, *selected)
                        }),
                    )?;
                    if let Some(name) = name.as_deref().filter(|n| !n.is_empty()) {
                        q::set_job_name(tx, &jid, name)?;
                    }
                }
                if !q::record_running_state(tx, JobId(&jid), LeaseId(&lease), status, downloaded, total, now)? {
                    return Ok(Recorded::LeaseLost);
                }
                if files.is_some() || status != JobStatus::Metadata {
                    job_q::insert_job_event(tx, &jid, status.as_str(), Some(status), None, now)?;
                }
                Ok(match job_q::job_by_id(tx, &jid)? {
                    Some(job) => Recorded::Updated(Box::new(job)),
                    None => Recorded::LeaseLost,
                })
            })
            .await?;
        Ok(outcome)
    }

    /// The agent delivered every file: the manifest is checked against the job, and against the
    /// store for a cloud agent. A user's own device keeps the files on that machine: its manifest
    /// names no object keys and nothing is stored or counted against the quota.
    pub async fn complete(
        &self,
        agent: &AgentPrincipal,
        job_id: &str,
        report: CompleteReport,
    ) -> ApiResult<Job> {
        let (job, files) = self
            .running_job_with_files(agent, job_id, &report.lease_id)
            .await?;
        let kept_on_device = agent.agent.kind == AgentKind::Device;
        let mut checked = Vec::with_capacity(report.files.len());
        for file in &report.files {
            checked.push(
                self.check_reported_file(&job, &files, file, kept_on_device)
                    .await?,
            );
        }
        if files
            .iter()
            .any(|f| f.selected && !checked.iter().any(|c| c.index == f.index))
        {
            return Err(ApiError::bad_request(
                ErrorCode::InvalidManifest,
                "the manifest leaves out chosen files",
            ));
        }
        let done = self
            .record_completion(&job, &report.lease_id, checked)
            .await?;
        self.services.metrics().job_finished(JobOutcome::Completed);
        self.services.live().clear_progress(&done.id);
        self.services.live().publish_job(job_view(&done));
        Ok(job_view(&done))
    }

    /// The job this agent's lease still holds, with its files, while it is still meant to run.
    async fn running_job_with_files(
        &self,
        agent: &AgentPrincipal,
        job_id: &str,
        lease_id: &str,
    ) -> ApiResult<(JobRow, Vec<job_q::JobFileRow>)> {
        let (jid, lease, agent_id) = (
            job_id.to_owned(),
            lease_id.to_owned(),
            agent.agent.id.clone(),
        );
        let found = self
            .services
            .db()
            .call(move |conn| {
                let job =
                    q::job_under_lease(conn, JobId(&jid), LeaseId(&lease), AgentId(&agent_id))?;
                let files = job_q::files_of_job(conn, &jid)?;
                Ok(job.map(|job| (job, files)))
            })
            .await?;
        let Some((job, files)) = found else {
            return Err(lease_lost());
        };
        if !job.status.is_running() {
            // Still this agent's lease, but its owner cancelled or paused the job: what was
            // uploaded is nobody's, and the agent must delete it (after a lost lease it must not).
            return Err(ApiError::conflict(
                ErrorCode::JobStopped,
                format!(
                    "the job was {} while it ran; delete what was uploaded",
                    job.status.as_str()
                ),
            ));
        }
        Ok((job, files))
    }

    /// One file of an agent's manifest, checked against the torrent's chosen files and, for
    /// the cloud, against what the object store really holds under the key it must use. A
    /// device keeps its files: it names no key and stores nothing.
    async fn check_reported_file(
        &self,
        job: &JobRow,
        files: &[job_q::JobFileRow],
        file: &tseeder_protocol::UploadedFile,
        kept_on_device: bool,
    ) -> ApiResult<CheckedFile> {
        let known = files.iter().find(|f| f.index == file.index && f.selected);
        let refuse = |message: String| ApiError::bad_request(ErrorCode::InvalidManifest, message);
        if kept_on_device {
            return match known {
                Some(known) if file.object_key.is_empty() && file.size == known.size.max(0) as u64 => {
                    Ok(CheckedFile {
                        key: None,
                        index: file.index,
                        path: known.path.clone(),
                        size: file.size,
                    })
                }
                _ => Err(refuse(format!(
                    "file {} is not a chosen file of this job with that size, or names an object key",
                    file.index
                ))),
            };
        }
        let expected = ObjectKey::job_file(&job.user_id, &job.id, file.index)
            .map_err(|err| refuse(err.to_string()))?;
        if file.object_key != expected.as_str() {
            return Err(refuse(format!(
                "file {} must be stored at {expected}",
                file.index
            )));
        }
        let Some(known) = known else {
            return Err(refuse(format!(
                "file {} is not a chosen file of this job",
                file.index
            )));
        };
        let stored = self.services.store().head(&expected).await.map_err(|err| {
            tracing::error!(%err, key = %expected, "could not check a stored object");
            ApiError::Upstream {
                code: ErrorCode::StorageUnavailable,
                message: "the object store did not answer; report again".into(),
            }
        })?;
        let size = stored.map(|s| s.size);
        if size != Some(file.size) || file.size != known.size.max(0) as u64 {
            return Err(refuse(format!(
                "file {} is {:?} bytes in storage; the torrent says {}",
                file.index, size, known.size
            )));
        }
        Ok(CheckedFile {
            key: Some(expected.to_string()),
            index: file.index,
            path: known.path.clone(),
            size: file.size,
        })
    }

    /// Marks the job completed under its lease, records its stored objects and the event, in
    /// one transaction; a lease lost meanwhile changes nothing.
    async fn record_completion(
        &self,
        job: &JobRow,
        lease_id: &str,
        checked: Vec<CheckedFile>,
    ) -> ApiResult<JobRow> {
        let (jid, uid, lease, now) = (
            job.id.clone(),
            job.user_id.clone(),
            lease_id.to_owned(),
            db::now_ms(),
        );
        self.services
            .db()
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
                job_q::insert_job_event(
                    tx,
                    &jid,
                    "completed",
                    Some(JobStatus::Completed),
                    None,
                    now,
                )?;
                job_q::job_by_id(tx, &jid)
            })
            .await?
            .ok_or_else(lease_lost)
    }

    /// A failed try: retried after a back-off, or dead-lettered after the last one.
    pub async fn fail(
        &self,
        agent: &AgentPrincipal,
        job_id: &str,
        report: FailReport,
    ) -> ApiResult<Job> {
        let (jid, lease, agent_id) = (
            job_id.to_owned(),
            report.lease_id.clone(),
            agent.agent.id.clone(),
        );
        let settings = self.services.runtime().dispatch.clone();
        let detail: String = report
            .error
            .chars()
            .filter(|c| !c.is_control())
            .take(2000)
            .collect();
        tracing::warn!(job = %job_id, agent = %agent.agent.id, kind = report.kind.code(), %detail, "a try failed");
        let error = report.kind.user_error();
        let now = db::now_ms();
        let job = self
            .services
            .db()
            .transaction(move |tx| {
                let Some(job) =
                    q::job_under_lease(tx, JobId(&jid), LeaseId(&lease), AgentId(&agent_id))?
                else {
                    return Ok(None);
                };
                if !job.status.is_running() {
                    q::clear_lease(tx, JobId(&jid), LeaseId(&lease))?;
                    return Ok(job_q::job_by_id(tx, &jid)?.map(|job| (job, false)));
                }
                let ended = settle_failure(tx, &job, &error, report.retryable, &settings, now)?;
                Ok(job_q::job_by_id(tx, &jid)?.map(|job| (job, ended)))
            })
            .await?
            .ok_or_else(lease_lost)?;
        let (job, ended) = job;
        if ended {
            self.services.metrics().job_finished(JobOutcome::Failed);
        }
        self.services.live().publish_job(job_view(&job));
        Ok(job_view(&job))
    }

    /// Hands a lease back (the agent shuts down, or stopped a job its owner paused or
    /// cancelled); a running job goes back to the queue without spending a try.
    pub async fn release_lease(
        &self,
        agent: &AgentPrincipal,
        job_id: &str,
        req: ReleaseLease,
    ) -> ApiResult<Job> {
        let (jid, lease, agent_id, now) = (
            job_id.to_owned(),
            req.lease_id,
            agent.agent.id.clone(),
            db::now_ms(),
        );
        let job = self
            .services
            .db()
            .transaction(move |tx| {
                let Some(job) =
                    q::job_under_lease(tx, JobId(&jid), LeaseId(&lease), AgentId(&agent_id))?
                else {
                    return Ok(None);
                };
                if job.status.is_running() {
                    q::release_job(tx, JobId(&jid), LeaseId(&lease), now)?;
                    job_q::insert_job_event(
                        tx,
                        &jid,
                        "released",
                        Some(JobStatus::Queued),
                        Some("the agent handed the job back"),
                        now,
                    )?;
                } else {
                    q::clear_lease(tx, JobId(&jid), LeaseId(&lease))?;
                }
                job_q::job_by_id(tx, &jid)
            })
            .await?
            .ok_or_else(lease_lost)?;
        self.services.live().publish_job(job_view(&job));
        Ok(job_view(&job))
    }

    /// Puts the jobs of agents that stopped answering back in the queue (or the dead-letter
    /// queue when that was their last try). Returns how many leases expired.
    pub async fn sweep_expired_leases(&self) -> ApiResult<usize> {
        // Lease expiry is not the job's fault: the next agent may take it at once.
        let mut settings = self.services.runtime().dispatch.clone();
        settings.backoff_base_seconds = 0;
        let now = db::now_ms();
        let (changed, ended) = self
            .services
            .db()
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
            .await?;
        for _ in 0..ended {
            self.services.metrics().job_finished(JobOutcome::Failed);
        }
        for id in &changed {
            self.publish_job_id(id).await;
        }
        Ok(changed.len())
    }

    pub async fn dead_letters(
        &self,
        paging: Paging,
        after: Option<&str>,
    ) -> ApiResult<Page<AdminJob>> {
        let after = crate::services::decode_after(after)?;
        let (rows, total) = self
            .services
            .db()
            .call(move |conn| {
                q::dead_letters(conn, paging.per_page, paging.offset(), after.as_ref())
            })
            .await?;
        Ok(paging.wrap_keyset(
            rows,
            total,
            |(job, _)| crate::store::Cursor {
                at: job.updated_at,
                id: job.id.clone(),
            },
            |(job, email)| AdminJob {
                job: job_view(&job),
                user_id: job.user_id.clone(),
                user_email: email,
            },
        ))
    }

    /// An operator sends a dead-lettered job through the queue again, with a fresh set of tries.
    pub async fn replay_dead_letter(
        &self,
        actor: &Principal,
        meta: &RequestMeta,
        job_id: &str,
        req: Justification,
    ) -> ApiResult<Job> {
        let why = check_justification(&req.reason, &req.ticket_id)?;
        let who = Actor::of(actor, meta);
        let (jid, now) = (job_id.to_owned(), db::now_ms());
        let job = self
            .services
            .db()
            .transaction_with(move |tx| -> ApiResult<_> {
                let Some(job) = job_q::job_by_id(tx, &jid)? else {
                    return Err(ApiError::NotFound);
                };
                if !(job.dead_lettered && job.status == JobStatus::Failed) {
                    return Err(ApiError::conflict(
                        ErrorCode::NotDeadLettered,
                        "only dead-lettered jobs can be replayed",
                    ));
                }
                if !job_q::transition_job(
                    tx,
                    &jid,
                    &[JobStatus::Failed],
                    JobStatus::Queued,
                    None,
                    now,
                )? {
                    return Err(ApiError::conflict(
                        ErrorCode::InvalidState,
                        "the job changed state meanwhile",
                    ));
                }
                let message = format!("replayed by an operator: {}", why.reason);
                job_q::insert_job_event(
                    tx,
                    &jid,
                    "replayed",
                    Some(JobStatus::Queued),
                    Some(&message),
                    now,
                )?;
                who.audit(
                    tx,
                    AuditAction::JobReplay,
                    &jid,
                    &why,
                    serde_json::json!({ "owner": job.user_id, "lastError": job.error }),
                )?;
                Ok(job_q::job_by_id(tx, &jid)?)
            })
            .await
            .map_err(|err| {
                err.unique_means(
                    ErrorCode::JobExists,
                    "the job's organization already has an active job for this torrent",
                )
            })?
            .ok_or(ApiError::NotFound)?;
        self.services.live().publish_job(job_view(&job));
        Ok(job_view(&job))
    }
}

#[cfg(test)]
mod tests {
    use super::backoff_seconds;

    #[test]
    fn backoff_doubles_and_stops_at_the_cap() {
        assert_eq!(backoff_seconds(30, 3600, 1), 30);
        assert_eq!(backoff_seconds(30, 3600, 2), 60);
        assert_eq!(backoff_seconds(30, 3600, 3), 120);
        assert_eq!(backoff_seconds(30, 3600, 10), 3600);
        assert_eq!(backoff_seconds(30, 3600, 200), 3600);
        assert_eq!(backoff_seconds(0, 3600, 4), 0);
    }
}
