//! Jobs: validated submission (magnet, .torrent upload, .torrent URL), the user's own list, and
//! state changes with their history.

use crate::accounts::service::ip_key;
use crate::error::{ApiError, ApiResult};
use crate::ids::JobId;
use crate::jobs::store as q;
use crate::jobs::store::{JobFilter, JobRow};
use crate::jobs::units;
use crate::ratelimit::LimitedAction;
use crate::services::{decode_after, Paging, Principal, RequestMeta, Services};
use crate::store as db;
use crate::store::to_datetime;
use crate::store::Cursor;
use crate::torrent::{magnet, metainfo};
use tseeder_engine::fetch::FetchError;
use tseeder_protocol::{
    ErrorCode, Job, JobAction, JobDetail, JobEvent, JobFile, JobLive, JobSource, JobStatus, Page,
};

/// Where a new job's torrent comes from.
#[derive(Debug)]
pub enum JobInput {
    Magnet(String),
    TorrentFile(Vec<u8>),
    TorrentUrl(String),
}

/// Where the user wants a job to run, and where its end is reported.
#[derive(Debug, Default, Clone)]
pub struct Routing {
    /// Preferred agent region; any when absent.
    pub region: Option<String>,
    /// One of the user's own devices instead of a cloud agent.
    pub device_id: Option<String>,
    /// Told once when the job ends (a webhook for this job alone).
    pub callback_url: Option<String>,
}

impl Routing {
    fn checked(self) -> ApiResult<Routing> {
        // A region is an identifier, not free text: taken as sent.
        let region = self.region.filter(|r| !r.is_empty());
        if let Some(region) = &region {
            if !tseeder_protocol::fields::region(region) {
                return Err(ApiError::bad_request(
                    ErrorCode::InvalidRegion,
                    "a region is up to 64 letters, digits, '-', '_' or '.'",
                ));
            }
        }
        Ok(Routing {
            region,
            device_id: self.device_id.filter(|d| !d.trim().is_empty()),
            callback_url: self.callback_url.filter(|u| !u.trim().is_empty()),
        })
    }
}

/// What an action does to a job: the states it applies to, the one it leads to, and the
/// event it records.
fn transition(action: JobAction) -> (&'static [JobStatus], JobStatus, &'static str) {
    use JobStatus::*;
    match action {
        JobAction::Pause => (
            &[Submitted, Queued, Metadata, Downloading],
            Paused,
            "paused",
        ),
        JobAction::Resume => (&[Paused], Queued, "resumed"),
        JobAction::Cancel => (
            &[Submitted, Queued, Metadata, Downloading, Uploading, Paused],
            Cancelled,
            "cancelled",
        ),
        JobAction::Retry => (&[Failed, Cancelled], Queued, "retried"),
    }
}

/// Retrying takes an active-job slot again, so the plan is checked once more.
fn takes_slot(action: JobAction) -> bool {
    action == JobAction::Retry
}

/// A job ready to be stored.
#[derive(Debug)]
struct Validated {
    name: String,
    source: JobSource,
    magnet_uri: Option<String>,
    torrent: Option<Vec<u8>>,
    source_url: Option<String>,
    info_hash_v1: Option<String>,
    info_hash_v2: Option<String>,
    /// Index (the engine's numbering), path, size, chosen.
    files: Vec<(u32, String, u64, bool)>,
    total_bytes: Option<u64>,
}

pub fn job_view(row: &JobRow) -> Job {
    into_job(row.clone())
}

/// [`job_view`] of a row no longer needed, moving its text instead of copying it.
pub fn into_job(row: JobRow) -> Job {
    Job {
        id: row.id,
        name: row.name,
        org_id: row.org_id,
        owner_id: row.user_id,
        status: row.status,
        dead_lettered: row.dead_lettered,
        source: row.source,
        info_hash_v1: row.info_hash_v1,
        info_hash_v2: row.info_hash_v2,
        magnet: row.magnet_uri,
        total_bytes: row.total_bytes.map(|b| b as u64),
        downloaded_bytes: row.downloaded_bytes.max(0) as u64,
        error: row.error,
        attempts: row.attempts,
        region: row.region,
        device_id: row.device_id,
        created_at: to_datetime(row.created_at),
        updated_at: to_datetime(row.updated_at),
        completed_at: row.completed_at.map(to_datetime),
    }
}

fn bad_torrent(err: impl std::fmt::Display) -> ApiError {
    ApiError::unprocessable(
        ErrorCode::InvalidTorrent,
        format!("this .torrent file is not usable: {err}"),
    )
}

/// Which of the files (by their indexes) to fetch: all when no selection is given; otherwise
/// the listed indexes, which must name files (not padding) and at least one.
fn selection(indexes: &[u32], selected: Option<Vec<u32>>) -> ApiResult<Vec<bool>> {
    let Some(wanted) = selected else {
        return Ok(vec![true; indexes.len()]);
    };
    let mut chosen = vec![false; indexes.len()];
    for index in wanted {
        let position = indexes.iter().position(|i| *i == index).ok_or_else(|| {
            ApiError::unprocessable(
                ErrorCode::InvalidSelection,
                format!("the torrent has no file {index}"),
            )
        })?;
        chosen[position] = true;
    }
    if !chosen.contains(&true) {
        return Err(ApiError::unprocessable(
            ErrorCode::InvalidSelection,
            "choose at least one file",
        ));
    }
    Ok(chosen)
}

/// Users' jobs: submission, listing, state changes and history.
#[derive(Debug, Clone, Copy)]
pub struct Jobs<'a> {
    pub(crate) services: &'a Services,
}

impl<'a> Jobs<'a> {
    pub(crate) fn new(services: &'a Services) -> Self {
        Jobs { services }
    }
}

impl Jobs<'_> {
    pub async fn create(
        &self,
        principal: &Principal,
        meta: &RequestMeta,
        input: JobInput,
        selected_files: Option<Vec<u32>>,
        routing: Routing,
    ) -> ApiResult<JobDetail> {
        let mut routing = routing.checked()?;
        if let Some(url) = &routing.callback_url {
            routing.callback_url = Some(self.services.webhooks().checked_target(url)?);
        }
        let limits = &self.services.settings().rate_limits;
        self.services
            .rate_limit(LimitedAction::Jobs, &ip_key(meta), limits.jobs_per_ip, meta)
            .await?;
        self.services
            .rate_limit(
                LimitedAction::Jobs,
                &format!("user:{}", principal.user.id),
                limits.jobs_per_account,
                meta,
            )
            .await?;
        let validated = self.validate_input(input, selected_files).await?;
        let job_id = uuid::Uuid::now_v7().to_string();
        let provider = if routing.device_id.is_some() {
            tseeder_protocol::ProviderKind::Agents
        } else {
            self.services.runtime().providers.active
        };
        let submission = units::Submission {
            id: job_id.clone(),
            user_id: principal.user.id.clone(),
            org_id: principal.org.id.clone(),
            name: validated.name,
            source: validated.source,
            magnet_uri: validated.magnet_uri,
            torrent: validated.torrent,
            source_url: validated.source_url,
            info_hash_v1: validated.info_hash_v1,
            info_hash_v2: validated.info_hash_v2,
            files: validated.files,
            total_bytes: validated.total_bytes,
            region: routing.region,
            device_id: routing.device_id,
            callback_url: routing.callback_url,
            provider,
            now: db::now_ms(),
        };
        units::submit(self.services.db(), submission)
            .await
            .map_err(|err| {
                err.unique_means(
                    ErrorCode::JobExists,
                    "this organization already has an active job for this torrent",
                )
            })?;
        let detail = self.detail(principal, &job_id).await?;
        self.services.live().publish_job(detail.job.clone());
        Ok(detail)
    }

    async fn validate_input(
        &self,
        input: JobInput,
        selected_files: Option<Vec<u32>>,
    ) -> ApiResult<Validated> {
        let limits = &self.services.settings().limits;
        let (bytes, source, source_url) = match input {
            JobInput::Magnet(text) => {
                if selected_files.is_some() {
                    return Err(ApiError::unprocessable(
                        ErrorCode::SelectionNeedsMetadata,
                        "files of a magnet link can be chosen once its metadata is known",
                    ));
                }
                let parsed = magnet::parse(&text, limits.max_magnet_length).map_err(|err| {
                    ApiError::unprocessable(ErrorCode::InvalidMagnet, err.to_string())
                })?;
                let name = parsed.display_name.clone().unwrap_or_else(|| {
                    parsed
                        .info_hash_v1
                        .clone()
                        .or_else(|| parsed.info_hash_v2.clone())
                        .unwrap_or_default()
                });
                return Ok(Validated {
                    name,
                    source: JobSource::Magnet,
                    magnet_uri: Some(parsed.to_uri()),
                    torrent: None,
                    source_url: None,
                    info_hash_v1: parsed.info_hash_v1,
                    info_hash_v2: parsed.info_hash_v2,
                    files: Vec::new(),
                    total_bytes: None,
                });
            }
            JobInput::TorrentFile(bytes) => (bytes, JobSource::TorrentFile, None),
            JobInput::TorrentUrl(url) => {
                let bytes = self
                    .services
                    .fetcher()
                    .fetch(&url)
                    .await
                    .map_err(|err| match err {
                        FetchError::TooLarge(limit) => ApiError::PayloadTooLarge { limit },
                        FetchError::InvalidUrl(_) | FetchError::Blocked => {
                            ApiError::unprocessable(ErrorCode::InvalidUrl, err.to_string())
                        }
                        // The user's URL did not give a file: their input is unusable, and a
                        // dead link is no server failure on the operator's error rate.
                        FetchError::Status(_) | FetchError::Network(_) => {
                            ApiError::unprocessable(ErrorCode::FetchFailed, err.to_string())
                        }
                    })?;
                (bytes, JobSource::TorrentUrl, Some(url.trim().to_owned()))
            }
        };
        if bytes.len() > limits.max_torrent_bytes {
            return Err(ApiError::PayloadTooLarge {
                limit: limits.max_torrent_bytes,
            });
        }
        let max_files = limits.max_torrent_files;
        let (parsed, bytes) =
            tokio::task::spawn_blocking(move || (metainfo::parse(&bytes, max_files), bytes))
                .await
                .map_err(ApiError::internal)?;
        let parsed = parsed.map_err(bad_torrent)?;
        let indexes: Vec<u32> = parsed.files.iter().map(|f| f.index).collect();
        let selected = selection(&indexes, selected_files)?;
        let files: Vec<(u32, String, u64, bool)> = parsed
            .files
            .into_iter()
            .zip(selected)
            .map(|(file, chosen)| (file.index, file.path, file.size, chosen))
            .collect();
        let total = files.iter().filter(|f| f.3).map(|f| f.2).sum();
        let magnet = magnet::Magnet {
            info_hash_v1: parsed.info_hash_v1.clone(),
            info_hash_v2: parsed.info_hash_v2.clone(),
            display_name: Some(parsed.name.clone()),
            trackers: parsed.trackers,
            peers: Vec::new(),
        };
        Ok(Validated {
            name: parsed.name,
            source,
            magnet_uri: Some(magnet.to_uri()),
            torrent: Some(bytes),
            source_url,
            info_hash_v1: parsed.info_hash_v1,
            info_hash_v2: parsed.info_hash_v2,
            files,
            total_bytes: Some(total),
        })
    }

    pub async fn list(
        &self,
        principal: &Principal,
        status: Option<JobStatus>,
        search: Option<String>,
        paging: Paging,
        after: Option<&str>,
    ) -> ApiResult<Page<Job>> {
        let scope = principal.job_scope();
        let filter = JobFilter {
            org_id: Some(scope.org_id),
            user_id: scope.user_id,
            status,
            search: search.filter(|s| !s.trim().is_empty()),
            limit: paging.per_page,
            offset: paging.offset(),
            after: decode_after(after)?,
        };
        let (rows, total) = self
            .services
            .db()
            .call(move |conn| q::list_jobs(conn, &filter))
            .await?;
        Ok(paging.wrap_keyset(rows, total, job_position, into_job))
    }

    pub async fn detail(&self, principal: &Principal, job_id: &str) -> ApiResult<JobDetail> {
        let (scope, jid) = (principal.job_scope(), job_id.to_owned());
        let found = units::detail(self.services.db(), scope, jid).await?;
        let (job, files, (expire_at, expired_at)) = found.ok_or(ApiError::NotFound)?;
        let deleting = self.services.runtime().retention.delete_expired_files;
        Ok(JobDetail {
            job: job_view(&job),
            files_expire_at: expire_at.filter(|_| deleting).map(db::to_datetime),
            files_expired_at: expired_at.map(db::to_datetime),
            files: files
                .into_iter()
                .map(|f| JobFile {
                    index: f.index,
                    path: f.path,
                    size: f.size.max(0) as u64,
                    selected: f.selected,
                })
                .collect(),
        })
    }

    pub async fn events(&self, principal: &Principal, job_id: &str) -> ApiResult<Vec<JobEvent>> {
        let (scope, jid) = (principal.job_scope(), job_id.to_owned());
        let events = units::events(self.services.db(), scope, jid)
            .await?
            .ok_or(ApiError::NotFound)?;
        Ok(events
            .into_iter()
            .map(|e| JobEvent {
                id: e.id,
                kind: e.kind,
                status: e.status.as_deref().and_then(JobStatus::parse),
                message: e.message,
                created_at: to_datetime(e.created_at),
            })
            .collect())
    }

    pub async fn act(
        &self,
        principal: &Principal,
        job_id: &str,
        action: JobAction,
    ) -> ApiResult<Job> {
        let (from, to, kind) = transition(action);
        let change = units::Transition {
            from,
            to,
            kind,
            takes_slot: takes_slot(action),
            // A retry is a new run: it goes where new jobs go now.
            provider: (action == JobAction::Retry)
                .then(|| self.services.runtime().providers.active),
        };
        let outcome = units::transition(
            self.services.db(),
            principal.job_scope(),
            job_id.to_owned(),
            change,
            db::now_ms(),
        )
        .await
        .map_err(|err| {
            err.unique_means(
                ErrorCode::JobExists,
                "another active job of this organization already fetches this torrent",
            )
        })?;
        let job = outcome.as_ref().map(job_view).ok_or(ApiError::NotFound)?;
        self.services.live().publish_job(job.clone());
        Ok(job)
    }

    /// Deletes the job with its stored files; an agent still working on it learns so at its
    /// next report and cleans up.
    pub async fn delete(&self, principal: &Principal, job_id: &str) -> ApiResult<()> {
        let (scope, jid) = (principal.job_scope(), job_id.to_owned());
        let (job, objects) = units::job_with_objects(self.services.db(), scope, jid)
            .await?
            .ok_or(ApiError::NotFound)?;
        self.services.files().delete_objects(objects).await?;
        let (scope, jid) = (principal.job_scope(), job_id.to_owned());
        let deleted = self
            .services
            .db()
            .call(move |conn| q::delete_job(conn, &scope, JobId(&jid)))
            .await?;
        if !deleted {
            return Err(ApiError::NotFound);
        }
        self.services
            .live()
            .publish_removed(&job.org_id, &job.user_id, job_id);
        Ok(())
    }

    /// Folds pending job-count changes into the counts that list totals read (PostgreSQL).
    pub async fn fold_counts(&self) -> ApiResult<u64> {
        Ok(units::fold_job_counts(self.services.db()).await?)
    }

    /// The jobs the caller sees in their organization (unfinished and the newest finished
    /// ones) with live progress: what a live stream sends first and after falling behind.
    pub async fn live_snapshot(&self, principal: &Principal) -> ApiResult<Vec<JobLive>> {
        let scope = principal.job_scope();
        let filter = JobFilter {
            org_id: Some(scope.org_id),
            user_id: scope.user_id,
            status: None,
            search: None,
            limit: 200,
            offset: 0,
            after: None,
        };
        let (rows, _) = self
            .services
            .db()
            .call(move |conn| q::list_jobs(conn, &filter))
            .await?;
        Ok(rows
            .into_iter()
            .map(|row| self.services.live().with_progress(into_job(row)))
            .collect())
    }
}

/// A job's place in a job list (newest first).
pub(crate) fn job_position(row: &JobRow) -> Cursor {
    Cursor {
        at: row.created_at,
        id: row.id.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selection_defaults_to_all_and_checks_indexes() {
        assert_eq!(
            selection(&[0, 1, 2], None).expect("all"),
            vec![true, true, true]
        );
        assert_eq!(
            selection(&[0, 1, 2], Some(vec![2, 0])).expect("some"),
            vec![true, false, true]
        );
        assert!(selection(&[0, 1, 2], Some(vec![3])).is_err());
        assert!(selection(&[0, 1, 2], Some(vec![])).is_err());
        // A padding file's number (1 here) is not a file one can choose.
        assert_eq!(
            selection(&[0, 2], Some(vec![2])).expect("after padding"),
            vec![false, true]
        );
        assert!(selection(&[0, 2], Some(vec![1])).is_err());
    }
}
