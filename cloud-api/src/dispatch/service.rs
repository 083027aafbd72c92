//! The dispatcher: jobs wait in the SQLite queue; agents claim them under leases chosen by
//! region preference, load and heartbeat freshness; reports are accepted only under the current
//! lease; failures back off and end in the dead-letter queue; expired leases put jobs back.

use crate::agents::service::{stop_action, AgentPrincipal};
use crate::audit::actor::{check_justification, Actor};
use crate::dispatch::store as q;
use crate::dispatch::units::{self, CheckedFile, Recorded};
use crate::error::{ApiError, ApiResult};
use crate::jobs::service::job_view;
use crate::jobs::store as job_q;
use crate::jobs::store::JobRow;
use crate::observability::JobOutcome;
use crate::services::{Paging, Principal, RequestMeta, Services};
use crate::store as db;
use tseeder_protocol::{
    names, AdminJob, AgentJobStatus, AgentKind, ClaimReply, CompleteReport, ControlAction,
    ErrorCode, FailReport, Job, JobStatus, Justification, LiveProgress, Page, ProgressReply,
    ProgressReport, ReleaseLease,
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

fn reply(action: ControlAction, reason: Option<String>) -> ProgressReply {
    ProgressReply { action, reason }
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
        let granted = units::claim(
            self.services.db(),
            agent.agent.id.clone(),
            settings,
            db::now_ms(),
        )
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
        let now = db::now_ms();
        let held = units::Held {
            job_id: job_id.to_owned(),
            lease_id: report.lease_id.clone(),
            agent_id: agent.agent.id.clone(),
        };
        // A progress report renews the lease as a heartbeat does, so a job whose agent's
        // heartbeats are late (a slow claim, a busy loop) keeps its lease while it reports.
        let lease_ms = self.services.runtime().dispatch.lease_seconds as i64 * 1000;
        let job = units::held_job_renewed(self.services.db(), held, now, lease_ms).await?;
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
        let state = units::StateReport {
            job_id: job.id.clone(),
            org_id: job.org_id.clone(),
            lease_id: report.lease_id.clone(),
            on_device: job.device_id.is_some(),
            status,
            files,
            name: report.name.as_deref().map(names::display_name),
            downloaded: report.downloaded_bytes,
            total: report.total_bytes,
        };
        Ok(units::record_state(self.services.db(), state, now).await?)
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
        let held = units::Held {
            job_id: job_id.to_owned(),
            lease_id: lease_id.to_owned(),
            agent_id: agent.agent.id.clone(),
        };
        let found = units::held_job_with_files(self.services.db(), held).await?;
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
        units::complete(self.services.db(), job, lease_id, checked, db::now_ms())
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
        let held = units::Held {
            job_id: job_id.to_owned(),
            lease_id: report.lease_id.clone(),
            agent_id: agent.agent.id.clone(),
        };
        let settings = self.services.runtime().dispatch.clone();
        let detail: String = report
            .error
            .chars()
            .filter(|c| !c.is_control())
            .take(2000)
            .collect();
        tracing::warn!(job = %job_id, agent = %agent.agent.id, kind = report.kind.code(), %detail, "a try failed");
        let error = report.kind.user_error();
        let (job, ended) = units::fail(
            self.services.db(),
            held,
            error,
            report.retryable,
            settings,
            db::now_ms(),
        )
        .await?
        .ok_or_else(lease_lost)?;
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
        let held = units::Held {
            job_id: job_id.to_owned(),
            lease_id: req.lease_id,
            agent_id: agent.agent.id.clone(),
        };
        let job = units::release(self.services.db(), held, db::now_ms())
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
        let (changed, ended) =
            units::expire_leases(self.services.db(), settings, db::now_ms()).await?;
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
        let job = units::replay_dead_letter(
            self.services.db(),
            who,
            why,
            job_id.to_owned(),
            db::now_ms(),
        )
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
