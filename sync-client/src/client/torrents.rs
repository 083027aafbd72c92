//! The account's jobs as a torrent client shows them: each found by its info hash, with its
//! category and the place its files land in, added from a link or a `.torrent` file, paused,
//! resumed, recategorized and deleted (with or without the local copy). Every folder a caller
//! names must lie inside the sync folder.

use super::{lock, ClientError, ClientResult, LocalCopy, SyncClient};
use crate::store::{self, CategoryRow, TorrentRow};
use std::path::{Component, Path, PathBuf};
use tseeder_protocol::{names, CreateJob, Job, JobAction, JobFile, JobLive};

/// What `add` was given.
#[derive(Debug, Clone)]
pub enum AddSource {
    /// A magnet link, or an http(s) URL of a `.torrent` file (the cloud fetches it).
    Link(String),
    /// A `.torrent` file's bytes.
    File(Vec<u8>),
}

#[derive(Debug, Clone, Default)]
pub struct AddOptions {
    pub category: String,
    /// A folder inside the sync folder, instead of the category's.
    pub save_path: Option<String>,
    pub paused: bool,
}

/// One job as a torrent client shows it.
#[derive(Debug, Clone)]
pub struct Torrent {
    /// The v1 info hash in lowercase hex (a v2-only torrent's truncated v2 hash).
    pub hash: String,
    pub job_id: String,
    pub name: String,
    pub category: String,
    /// The folder that holds `content_path`.
    pub save_path: PathBuf,
    /// The job's top folder, or its one file.
    pub content_path: PathBuf,
    /// The cloud's side; None once the cloud job is gone but the local copy stays listed.
    pub cloud: Option<JobLive>,
    pub copy: Option<LocalCopy>,
    /// Seconds since the epoch.
    pub added_on: i64,
}

/// `hashes` as qBittorrent takes it: `h1|h2|…`, or `all`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    All,
    Hashes(Vec<String>),
}

impl Selection {
    pub fn parse(hashes: &str) -> Selection {
        if hashes.trim() == "all" {
            return Selection::All;
        }
        Selection::Hashes(
            hashes
                .split('|')
                .map(|h| h.trim().to_ascii_lowercase())
                .filter(|h| !h.is_empty())
                .collect(),
        )
    }

    pub fn contains(&self, hash: &str) -> bool {
        match self {
            Selection::All => true,
            Selection::Hashes(hashes) => hashes.iter().any(|h| h == hash),
        }
    }
}

fn hash_of(job: &Job) -> Option<String> {
    job.info_hash_v1
        .clone()
        .or_else(|| {
            job.info_hash_v2
                .as_ref()
                .map(|h| h.chars().take(40).collect())
        })
        .map(|h| h.to_ascii_lowercase())
}

/// A category name as qBittorrent allows it (`tv`, `tv/hd`), checked like a torrent's paths:
/// no empty, `.` or `..` parts, nothing a file system would misread.
pub fn check_category(name: &str) -> ClientResult<()> {
    if name.is_empty() {
        return Ok(());
    }
    names::relative_path(name.split('/').map(str::as_bytes))
        .ok()
        .filter(|checked| checked == name)
        .map(|_| ())
        .ok_or_else(|| ClientError::Invalid(format!("{name:?} is not a valid category name")))
}

impl SyncClient {
    /// `path` (absolute, or relative to the sync folder) if it stays inside the sync folder.
    fn inside_folder(&self, path: &str) -> ClientResult<PathBuf> {
        let path = Path::new(path.trim());
        let outside = || {
            ClientError::Invalid(format!(
                "{} is outside the sync folder {}",
                path.display(),
                self.folder().display()
            ))
        };
        if path
            .components()
            .any(|c| matches!(c, Component::ParentDir | Component::CurDir))
        {
            return Err(outside());
        }
        let full = if path.is_absolute() {
            path.to_path_buf()
        } else {
            self.folder().join(path)
        };
        if full.starts_with(self.folder()) {
            Ok(full)
        } else {
            Err(outside())
        }
    }

    /// Creates the cloud job and records it here before answering, so the torrent is listed
    /// (and its properties answer) as soon as the add returns.
    pub async fn add(&self, source: AddSource, options: AddOptions) -> ClientResult<Torrent> {
        check_category(&options.category)?;
        let save_path = match options
            .save_path
            .as_deref()
            .filter(|p| !p.trim().is_empty())
        {
            Some(path) => Some(self.inside_folder(path)?),
            None => None,
        };
        let detail = match source {
            AddSource::Link(link) => {
                let link = link.trim().to_owned();
                let lower = link.to_ascii_lowercase();
                let job = if lower.starts_with("magnet:") {
                    CreateJob {
                        magnet: Some(link),
                        ..CreateJob::default()
                    }
                } else if lower.starts_with("http://") || lower.starts_with("https://") {
                    CreateJob {
                        torrent_url: Some(link),
                        ..CreateJob::default()
                    }
                } else {
                    return Err(ClientError::Invalid(
                        "a link is a magnet or an http(s) URL of a .torrent file".into(),
                    ));
                };
                self.inner.cloud.create_job(&job).await?
            }
            AddSource::File(bytes) => self.inner.cloud.upload_torrent(bytes, None).await?,
        };
        let mut job = detail.job;
        let hash = hash_of(&job).ok_or_else(|| {
            ClientError::Invalid("the cloud created the job without an info hash".into())
        })?;
        if !options.category.is_empty() {
            let category = CategoryRow {
                name: options.category.clone(),
                save_path: None,
            };
            self.inner
                .db
                .call(move |conn| store::create_category(conn, &category))
                .await?;
        }
        let row = TorrentRow {
            job_id: job.id.clone(),
            info_hash: hash,
            category: options.category,
            save_path: save_path.map(|p| p.to_string_lossy().into_owned()),
            added_on: store::now_ms(),
        };
        let stored = row.clone();
        self.inner
            .db
            .call(move |conn| store::insert_torrent(conn, &stored))
            .await?;
        if options.paused {
            match self.inner.cloud.job_action(&job.id, JobAction::Pause).await {
                Ok(paused) => job = paused,
                Err(err) => tracing::warn!(%err, job = %job.id, "could not pause the new job"),
            }
        }
        let id = job.id.clone();
        lock(&self.inner.jobs).entry(id.clone()).or_insert(JobLive {
            job,
            progress: None,
        });
        self.torrent_of_job(&id).await
    }

    /// Every job with an info hash, and jobs added here whose cloud job is gone while their
    /// local copy stays; oldest first.
    pub async fn torrents(&self) -> ClientResult<Vec<Torrent>> {
        let (rows, categories) = self
            .inner
            .db
            .call(|conn| Ok((store::torrents(conn)?, store::categories(conn)?)))
            .await?;
        let jobs: Vec<JobLive> = lock(&self.inner.jobs)
            .values()
            .filter(|live| live.job.device_id.is_none())
            .cloned()
            .collect();
        let mut torrents: Vec<Torrent> = jobs
            .into_iter()
            .filter_map(|live| {
                let row = rows.iter().find(|r| r.job_id == live.job.id);
                self.view(Some(live), row, &categories)
            })
            .collect();
        for row in &rows {
            if torrents.iter().all(|t| t.job_id != row.job_id) {
                if let Some(torrent) = self.view(None, Some(row), &categories) {
                    torrents.push(torrent);
                }
            }
        }
        torrents.sort_by(|a, b| a.added_on.cmp(&b.added_on).then(a.hash.cmp(&b.hash)));
        Ok(torrents)
    }

    pub async fn torrent(&self, hash: &str) -> ClientResult<Torrent> {
        let hash = hash.trim().to_ascii_lowercase();
        self.torrents()
            .await?
            .into_iter()
            .find(|t| t.hash == hash)
            .ok_or(ClientError::UnknownHash(hash))
    }

    async fn torrent_of_job(&self, job_id: &str) -> ClientResult<Torrent> {
        self.torrents()
            .await?
            .into_iter()
            .find(|t| t.job_id == job_id)
            .ok_or_else(|| ClientError::UnknownHash(job_id.to_owned()))
    }

    fn view(
        &self,
        cloud: Option<JobLive>,
        row: Option<&TorrentRow>,
        categories: &[CategoryRow],
    ) -> Option<Torrent> {
        let job_id = cloud
            .as_ref()
            .map(|c| c.job.id.clone())
            .or_else(|| row.map(|r| r.job_id.clone()))?;
        let copy = self.local_copy(&job_id);
        let hash = cloud
            .as_ref()
            .and_then(|c| hash_of(&c.job))
            .or_else(|| row.map(|r| r.info_hash.clone()))?;
        if cloud.is_none() && copy.is_none() {
            return None; // gone from the cloud and nothing here
        }
        let planned = self.save_path_for(row, categories);
        let content_path = copy.as_ref().and_then(|c| c.content_path.clone());
        let name = match (&cloud, &content_path) {
            (Some(live), _) => live.job.name.clone(),
            (None, Some(path)) => path.file_name()?.to_string_lossy().into_owned(),
            (None, None) => return None,
        };
        let content_path = content_path.unwrap_or_else(|| planned.join(&name));
        let save_path = content_path.parent().map_or(planned, Path::to_path_buf);
        let added_on = row
            .map(|r| r.added_on / 1000)
            .unwrap_or_else(|| cloud.as_ref().map_or(0, |c| c.job.created_at.timestamp()));
        Some(Torrent {
            hash,
            job_id,
            name,
            category: row.map(|r| r.category.clone()).unwrap_or_default(),
            save_path,
            content_path,
            cloud,
            copy,
            added_on,
        })
    }

    /// The torrent's files as the cloud knows them (none before its metadata arrived).
    pub async fn files(&self, hash: &str) -> ClientResult<(Torrent, Vec<JobFile>)> {
        let torrent = self.torrent(hash).await?;
        let files = match &torrent.cloud {
            Some(live) => self.inner.cloud.job(&live.job.id).await?.files,
            None => Vec::new(),
        };
        Ok((torrent, files))
    }

    /// Pauses or resumes the selected jobs in the cloud; jobs that cannot (finished ones)
    /// stay as they are, as a torrent client ignores pausing a finished torrent.
    pub async fn set_paused(&self, selection: &Selection, paused: bool) -> ClientResult<()> {
        let action = if paused {
            JobAction::Pause
        } else {
            JobAction::Resume
        };
        for torrent in self.torrents().await? {
            if !selection.contains(&torrent.hash) || torrent.cloud.is_none() {
                continue;
            }
            match self.inner.cloud.job_action(&torrent.job_id, action).await {
                Ok(job) => {
                    if let Some(live) = lock(&self.inner.jobs).get_mut(&job.id) {
                        live.job = job;
                    }
                }
                Err(err) if (400..500).contains(&err.status()) && err.status() != 401 => {
                    tracing::debug!(%err, job = %torrent.job_id, "left as it is");
                }
                Err(err) => return Err(err.into()),
            }
        }
        Ok(())
    }

    /// Deletes the selected jobs from the cloud and forgets them here; with `delete_files`,
    /// their local copies go too.
    pub async fn delete(&self, selection: &Selection, delete_files: bool) -> ClientResult<()> {
        for torrent in self.torrents().await? {
            if !selection.contains(&torrent.hash) {
                continue;
            }
            if torrent.cloud.is_some() {
                match self.inner.cloud.delete_job(&torrent.job_id).await {
                    Ok(()) => {}
                    Err(err) if err.status() == 404 => {}
                    Err(err) => return Err(err.into()),
                }
            }
            lock(&self.inner.jobs).remove(&torrent.job_id);
            if delete_files {
                self.remove_local_copy(&torrent.job_id).await?;
            } else {
                self.forget_local_copy(&torrent.job_id).await?;
            }
            let id = torrent.job_id.clone();
            self.inner
                .db
                .call(move |conn| store::delete_torrent(conn, &id))
                .await?;
        }
        Ok(())
    }

    /// Sets the selected torrents' category (an existing one, or none with `""`). A copy
    /// already made stays where it is; one not started yet goes to the new category's folder.
    pub async fn set_category(&self, selection: &Selection, category: &str) -> ClientResult<()> {
        check_category(category)?;
        let categories = self.inner.db.call(|conn| store::categories(conn)).await?;
        if !category.is_empty() && categories.iter().all(|c| c.name != category) {
            return Err(ClientError::UnknownCategory(category.to_owned()));
        }
        for torrent in self.torrents().await? {
            if !selection.contains(&torrent.hash) {
                continue;
            }
            let row = TorrentRow {
                job_id: torrent.job_id.clone(),
                info_hash: torrent.hash.clone(),
                category: category.to_owned(),
                save_path: None,
                added_on: torrent.added_on * 1000,
            };
            self.inner
                .db
                .call(move |conn| {
                    store::insert_torrent(conn, &row)?;
                    store::set_category(conn, &row.job_id, &row.category)
                })
                .await?;
        }
        Ok(())
    }

    /// Every category with the folder its torrents land in.
    pub async fn categories(&self) -> ClientResult<Vec<(String, PathBuf)>> {
        let categories = self.inner.db.call(|conn| store::categories(conn)).await?;
        Ok(categories
            .iter()
            .map(|c| (c.name.clone(), self.category_path(&c.name, &categories)))
            .collect())
    }

    pub async fn create_category(&self, name: &str, save_path: &str) -> ClientResult<()> {
        let category = self.category_row(name, save_path)?;
        let created = self
            .inner
            .db
            .call(move |conn| store::create_category(conn, &category))
            .await?;
        if created {
            Ok(())
        } else {
            Err(ClientError::CategoryExists(name.to_owned()))
        }
    }

    pub async fn edit_category(&self, name: &str, save_path: &str) -> ClientResult<()> {
        let category = self.category_row(name, save_path)?;
        let edited = self
            .inner
            .db
            .call(move |conn| store::edit_category(conn, &category))
            .await?;
        if edited {
            Ok(())
        } else {
            Err(ClientError::UnknownCategory(name.to_owned()))
        }
    }

    fn category_row(&self, name: &str, save_path: &str) -> ClientResult<CategoryRow> {
        if name.is_empty() {
            return Err(ClientError::Invalid("a category needs a name".into()));
        }
        check_category(name)?;
        let save_path = match save_path.trim() {
            "" => None,
            path => Some(self.inside_folder(path)?.to_string_lossy().into_owned()),
        };
        Ok(CategoryRow {
            name: name.to_owned(),
            save_path,
        })
    }

    pub async fn remove_categories(&self, names: Vec<String>) -> ClientResult<()> {
        self.inner
            .db
            .call(move |conn| store::remove_categories(conn, &names))
            .await?;
        Ok(())
    }
}
