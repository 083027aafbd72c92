//! `SyncClient`: the desktop core's cloud account and sync, without a window. It follows the
//! account's jobs over the cloud's live stream, copies every finished one into the sync folder
//! (each category in a folder of its own) with the app's resumable, verified sync, and answers
//! for each job where its local copy stands: what the qBittorrent API and the state API show.

mod copies;
mod torrents;

pub use copies::{CopyState, LocalCopy};
pub use torrents::{check_category, AddOptions, AddSource, Selection, Torrent};

use crate::config::SyncSettings;
use crate::store;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tseeder_desktop::cloud::{CloudClient, CloudError, LiveMessage};
use tseeder_desktop::db as sync_db;
use tseeder_desktop::secrets::Secret;
use tseeder_protocol::{JobLive, JobStatus};

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("{0}")]
    Invalid(String),
    #[error("no torrent has the hash {0}")]
    UnknownHash(String),
    #[error("the category {0:?} exists already")]
    CategoryExists(String),
    #[error("there is no category {0:?}")]
    UnknownCategory(String),
    #[error(transparent)]
    Cloud(#[from] CloudError),
    #[error("the client's database failed: {0}")]
    Db(#[from] store::DbError),
    #[error("file system: {0}")]
    Io(#[from] std::io::Error),
}

pub type ClientResult<T> = Result<T, ClientError>;

#[derive(Clone, Debug)]
pub struct SyncClient {
    inner: Arc<Inner>,
}

struct Inner {
    settings: SyncSettings,
    /// `settings.folder`, absolute: every path shown and written is under it.
    folder: PathBuf,
    cloud: CloudClient,
    /// The desktop core's sync records.
    sync_db: store::Db,
    /// Categories and per-job choices.
    db: store::Db,
    jobs: Mutex<HashMap<String, JobLive>>,
    /// A snapshot arrived since the live stream last dropped.
    connected: AtomicBool,
    copies: copies::Copies,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncClient")
            .field("folder", &self.folder)
            .field("cloud", &self.cloud)
            .finish_non_exhaustive()
    }
}

impl SyncClient {
    /// Opens the client's state under `data_dir` and its sync folder; nothing runs until
    /// [`SyncClient::start`].
    pub async fn open(settings: SyncSettings) -> ClientResult<SyncClient> {
        tokio::fs::create_dir_all(&settings.data_dir).await?;
        tokio::fs::create_dir_all(&settings.folder).await?;
        let folder = tokio::fs::canonicalize(&settings.folder).await?;
        let data_dir = settings.data_dir.clone();
        let (sync_db, db) = tokio::task::spawn_blocking(move || {
            Ok::<_, store::DbError>((
                sync_db::open(&data_dir.join("sync.db"))?,
                store::open(&data_dir.join("qbittorrent.db"))?,
            ))
        })
        .await
        .map_err(|err| ClientError::Invalid(err.to_string()))??;
        let cloud = CloudClient::new(
            &settings.cloud_url,
            Some(Secret::new(settings.api_key.expose())),
        )?;
        let client = SyncClient {
            inner: Arc::new(Inner {
                settings,
                folder,
                cloud,
                sync_db,
                db,
                jobs: Mutex::default(),
                connected: AtomicBool::new(false),
                copies: copies::Copies::default(),
            }),
        };
        client.load_copies().await?;
        Ok(client)
    }

    /// Follows the cloud and syncs until `stopped` turns true.
    pub fn start(&self, stopped: watch::Receiver<bool>) -> Vec<JoinHandle<()>> {
        vec![
            self.spawn_live_follower(stopped.clone()),
            self.spawn_sync_loop(stopped),
        ]
    }

    pub fn settings(&self) -> &SyncSettings {
        &self.inner.settings
    }

    /// The sync folder, absolute.
    pub fn folder(&self) -> &Path {
        &self.inner.folder
    }

    /// Whether the live stream is up: the list reflects the cloud as it is now.
    pub fn connected(&self) -> bool {
        self.inner.connected.load(Ordering::Relaxed)
    }

    pub fn cloud_url(&self) -> String {
        self.inner.cloud.cloud_url()
    }

    fn job(&self, id: &str) -> Option<JobLive> {
        lock(&self.inner.jobs).get(id).cloned()
    }

    fn spawn_live_follower(&self, stopped: watch::Receiver<bool>) -> JoinHandle<()> {
        let client = self.clone();
        tokio::spawn(async move {
            tseeder_desktop::cloud::follow_live_until_stopped(
                &client.inner.cloud,
                stopped,
                |message| client.apply_live(message),
                || client.inner.connected.store(false, Ordering::Relaxed),
            )
            .await;
        })
    }

    fn apply_live(&self, message: LiveMessage) {
        match message {
            LiveMessage::Snapshot(list) => {
                let mut jobs = lock(&self.inner.jobs);
                jobs.clear();
                jobs.extend(list.into_iter().map(|live| (live.job.id.clone(), live)));
                drop(jobs);
                self.inner.connected.store(true, Ordering::Relaxed);
                self.inner.copies.kick.notify_one();
            }
            LiveMessage::Job(live) => {
                let completed = live.job.status == JobStatus::Completed;
                lock(&self.inner.jobs).insert(live.job.id.clone(), *live);
                if completed {
                    self.inner.copies.kick.notify_one();
                }
            }
            LiveMessage::Removed(id) => {
                lock(&self.inner.jobs).remove(&id);
            }
        }
    }

    /// Where a job's files go: the folder chosen when it was added, else its category's.
    async fn save_path_of(&self, job_id: &str) -> ClientResult<PathBuf> {
        let id = job_id.to_owned();
        let (torrent, categories) = self
            .inner
            .db
            .call(move |conn| Ok((store::torrent(conn, &id)?, store::categories(conn)?)))
            .await?;
        Ok(self.save_path_for(torrent.as_ref(), &categories))
    }

    fn save_path_for(
        &self,
        torrent: Option<&store::TorrentRow>,
        categories: &[store::CategoryRow],
    ) -> PathBuf {
        if let Some(path) = torrent.and_then(|t| t.save_path.as_deref()) {
            return PathBuf::from(path);
        }
        let category = torrent.map(|t| t.category.as_str()).unwrap_or_default();
        self.category_path(category, categories)
    }

    fn category_path(&self, category: &str, categories: &[store::CategoryRow]) -> PathBuf {
        if category.is_empty() {
            return self.inner.folder.clone();
        }
        categories
            .iter()
            .find(|c| c.name == category)
            .and_then(|c| c.save_path.as_deref())
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                category
                    .split('/')
                    .fold(self.inner.folder.clone(), |path, part| path.join(part))
            })
    }
}

/// Sleeps, or returns true at once when asked to stop.
async fn stop_or_wait(stopped: &mut watch::Receiver<bool>, wait: Duration) -> bool {
    let asked = tokio::select! {
        _ = stopped.wait_for(|stop| *stop) => true,
        _ = tokio::time::sleep(wait) => false,
    };
    asked || *stopped.borrow()
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
