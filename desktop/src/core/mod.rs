//! `Desktop`: the one service the app's shell talks to. It owns the local database, the engine,
//! the cloud account and the background work (live cloud list, sync, personal agent, local
//! progress), and tells the shell what changed through one broadcast of events.

mod account;
mod add;
mod agent;
mod cloud_jobs;
mod local;
mod view;

pub use account::AppState;
pub use add::AddChoice;
pub use view::{
    AddState, DesktopEvent, DesktopJob, JobPlace, PendingAdd, PendingFile, SyncState, SyncView,
};

use crate::cloud::{CloudClient, CloudError};
use crate::db::{self, Db, DbError};
use crate::secrets::{SecretError, Secrets};
use crate::settings::DesktopSettings;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use tokio::sync::{broadcast, watch};
use tokio::task::JoinHandle;
use tseeder_engine::{Engine, EngineConfig, EngineError};
use tseeder_protocol::{JobAction, JobLive, JobStatus};

/// Every failure a command can meet, with the message meant for the user.
#[derive(Debug, thiserror::Error)]
pub enum DesktopError {
    #[error("{0}")]
    Invalid(String),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("sign in to the cloud first")]
    SignedOut,
    #[error(transparent)]
    Link(#[from] crate::link::LinkError),
    #[error(transparent)]
    Cloud(#[from] CloudError),
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error(transparent)]
    Secret(#[from] SecretError),
    #[error("the app's database failed: {0}")]
    Db(#[from] DbError),
    #[error("file system: {0}")]
    Io(#[from] std::io::Error),
}

pub type DesktopResult<T> = Result<T, DesktopError>;

/// Where the app keeps its state and which keyring service holds its secrets.
#[derive(Debug, Clone)]
pub struct DesktopOptions {
    /// The app's own folder: database and engine session.
    pub data_dir: PathBuf,
    /// The user's downloads folder, for the default settings.
    pub downloads_dir: PathBuf,
    /// Keyring service name ("tseeder").
    pub keyring_service: String,
    /// How the engine listens (the defaults suit a desktop; tests pin loopback).
    pub engine: EngineConfig,
    /// This computer's name, for its API key and device registration.
    pub device_name: String,
}

#[derive(Clone, Debug)]
pub struct Desktop {
    inner: Arc<Inner>,
}

struct Inner {
    db: Db,
    secrets: Secrets,
    engine: Engine,
    /// `.torrent` URLs, under the same network policy as the engine.
    fetcher: tseeder_engine::fetch::TorrentFetcher,
    options: DesktopOptions,
    settings: RwLock<DesktopSettings>,
    /// Who is signed in, under one lock so that a client, its account and its device are
    /// always of the same sign-in.
    session: RwLock<Option<Session>>,
    cloud_jobs: Mutex<HashMap<String, JobLive>>,
    local: local::LocalJobs,
    pending: Mutex<HashMap<String, PendingAdd>>,
    pending_sources: Mutex<HashMap<String, add::PendingSource>>,
    sync: cloud_jobs::SyncTracker,
    events: broadcast::Sender<DesktopEvent>,
    /// Background work of the signed-in account; replaced on sign-in, stopped on sign-out.
    account_tasks: Mutex<Vec<JoinHandle<()>>>,
    account_stop: Mutex<Option<watch::Sender<bool>>>,
    list_dirty: watch::Sender<u64>,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Desktop")
            .field("data_dir", &self.options.data_dir)
            .finish_non_exhaustive()
    }
}

const SETTINGS_KEY: &str = "settings";

impl Desktop {
    /// Opens the app's state, starts the engine, resumes local downloads and, when a key is in
    /// the keyring, the signed-in account's background work.
    pub async fn open(options: DesktopOptions) -> DesktopResult<Desktop> {
        tokio::fs::create_dir_all(&options.data_dir).await?;
        let db_path = options.data_dir.join("tseeder.db");
        let db = tokio::task::spawn_blocking(move || db::open(&db_path))
            .await
            .map_err(|err| DesktopError::Invalid(err.to_string()))??;
        let defaults = DesktopSettings::defaults_for(&options.downloads_dir);
        let stored = db
            .call(|conn| db::setting(conn, SETTINGS_KEY))
            .await?
            .and_then(|json| serde_json::from_str::<DesktopSettings>(&json).ok());
        let settings = stored.unwrap_or(defaults);
        let engine =
            Engine::start(options.engine.clone(), &options.data_dir.join("session")).await?;
        engine.set_speed_limits(
            kib(settings.download_limit_kib),
            kib(settings.upload_limit_kib),
        );
        let fetcher = tseeder_engine::fetch::TorrentFetcher::new(
            std::time::Duration::from_secs(60),
            crate::link::MAX_TORRENT_FILE_BYTES as usize,
            options.engine.allow_private_addresses,
        )
        .map_err(|err| DesktopError::Invalid(err.to_string()))?;
        let (events, _) = broadcast::channel(256);
        let (list_dirty, _) = watch::channel(0);
        let desktop = Desktop {
            inner: Arc::new(Inner {
                db,
                secrets: Secrets::new(options.keyring_service.clone()),
                engine,
                fetcher,
                options,
                settings: RwLock::new(settings),
                session: RwLock::new(None),
                cloud_jobs: Mutex::default(),
                local: local::LocalJobs::default(),
                pending: Mutex::default(),
                pending_sources: Mutex::default(),
                sync: cloud_jobs::SyncTracker::default(),
                events,
                account_tasks: Mutex::default(),
                account_stop: Mutex::default(),
                list_dirty,
            }),
        };
        desktop.spawn_list_publisher();
        desktop.resume_local_jobs().await?;
        desktop.spawn_local_ticker();
        desktop.restore_account().await;
        Ok(desktop)
    }

    pub fn subscribe(&self) -> broadcast::Receiver<DesktopEvent> {
        self.inner.events.subscribe()
    }

    pub fn settings(&self) -> DesktopSettings {
        read(&self.inner.settings).clone()
    }

    /// Checks and stores new settings; speed limits apply at once, a new cloud URL signs out.
    pub async fn save_settings(&self, new: DesktopSettings) -> DesktopResult<DesktopSettings> {
        let new = new.checked().map_err(DesktopError::Invalid)?;
        // A download's own folder goes with it on "Delete with files": synced files must never
        // be in one.
        if let Some(name) = self.local_job_holding(&new.sync_dir) {
            return Err(DesktopError::Invalid(format!(
                "The sync folder cannot be inside the folder of the download \"{name}\"."
            )));
        }
        let old = self.settings();
        let json =
            serde_json::to_string(&new).map_err(|err| DesktopError::Invalid(err.to_string()))?;
        self.inner
            .db
            .call(move |conn| db::put_setting(conn, SETTINGS_KEY, &json))
            .await?;
        *write(&self.inner.settings) = new.clone();
        self.inner
            .engine
            .set_speed_limits(kib(new.download_limit_kib), kib(new.upload_limit_kib));
        if new.start_at_login != old.start_at_login {
            crate::autostart::apply(new.start_at_login)?;
        }
        if new.cloud_url != old.cloud_url && self.signed_in() {
            self.sign_out_of(&old.cloud_url).await;
        } else if new.personal_agent != old.personal_agent
            || new.download_dir != old.download_dir
            || new.sync_enabled != old.sync_enabled
        {
            self.restart_account_work().await;
        }
        self.emit(DesktopEvent::State);
        self.jobs_changed();
        Ok(new)
    }

    /// The unified list, newest first.
    pub fn jobs(&self) -> Vec<DesktopJob> {
        let mut jobs = self.local_views();
        jobs.extend(self.cloud_views());
        jobs.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(a.key.cmp(&b.key)));
        jobs
    }

    pub fn engine(&self) -> &Engine {
        &self.inner.engine
    }

    fn cloud(&self) -> Option<CloudClient> {
        read(&self.inner.session)
            .as_ref()
            .map(|session| session.cloud.clone())
    }

    fn signed_in_cloud(&self) -> DesktopResult<CloudClient> {
        self.cloud().ok_or(DesktopError::SignedOut)
    }

    pub fn signed_in(&self) -> bool {
        read(&self.inner.session).is_some()
    }

    fn emit(&self, event: DesktopEvent) {
        let _ = self.inner.events.send(event);
    }

    fn notify(
        &self,
        title: String,
        body: String,
        folder: Option<PathBuf>,
        job_key: Option<String>,
    ) {
        if !self.settings().notifications {
            return;
        }
        self.emit(DesktopEvent::Notify {
            title,
            body,
            folder: folder.map(|f| f.to_string_lossy().into_owned()),
            job_key,
        });
    }

    /// Marks the list as changed; the publisher sends it at most every 250 ms.
    fn jobs_changed(&self) {
        self.inner
            .list_dirty
            .send_modify(|n| *n = n.wrapping_add(1));
    }

    fn spawn_list_publisher(&self) {
        let weak = Arc::downgrade(&self.inner);
        let mut dirty = self.inner.list_dirty.subscribe();
        tokio::spawn(async move {
            while dirty.changed().await.is_ok() {
                let Some(inner) = weak.upgrade() else { return };
                let desktop = Desktop { inner };
                desktop.emit(DesktopEvent::Jobs {
                    jobs: desktop.jobs(),
                });
                drop(desktop);
                tokio::time::sleep(std::time::Duration::from_millis(250)).await;
            }
        });
    }

    /// Pauses every running download, here and in the cloud.
    pub async fn pause_all(&self) -> DesktopResult<()> {
        self.set_all_paused(true).await
    }

    pub async fn resume_all(&self) -> DesktopResult<()> {
        self.set_all_paused(false).await
    }

    async fn set_all_paused(&self, pause: bool) -> DesktopResult<()> {
        for id in self.local_ids() {
            let action = if pause {
                JobAction::Pause
            } else {
                JobAction::Resume
            };
            if let Err(err) = self.local_action(&id, action).await {
                tracing::debug!(%err, %id, "not applicable to this local job");
            }
        }
        if let Some(cloud) = self.cloud() {
            let targets: Vec<String> = lock(&self.inner.cloud_jobs)
                .values()
                .filter(|live| {
                    if pause {
                        matches!(
                            live.job.status,
                            JobStatus::Submitted
                                | JobStatus::Queued
                                | JobStatus::Metadata
                                | JobStatus::Downloading
                                | JobStatus::Uploading
                        )
                    } else {
                        live.job.status == JobStatus::Paused
                    }
                })
                .map(|live| live.job.id.clone())
                .collect();
            for id in targets {
                let action = if pause {
                    JobAction::Pause
                } else {
                    JobAction::Resume
                };
                if let Err(err) = cloud.job_action(&id, action).await {
                    tracing::warn!(%err, %id, "could not {} a cloud job", action.as_str());
                }
            }
        }
        self.jobs_changed();
        Ok(())
    }

    /// Pause, resume, cancel or retry one job of the list.
    pub async fn job_action(&self, key: &str, action: JobAction) -> DesktopResult<()> {
        match parse_key(key)? {
            (JobPlace::Local, id) => self.local_action(id, action).await?,
            (_, id) => {
                let live = self.signed_in_cloud()?.job_action(id, action).await?;
                let mut jobs = lock(&self.inner.cloud_jobs);
                let entry = jobs.entry(live.id.clone()).or_insert_with(|| JobLive {
                    job: live.clone(),
                    progress: None,
                });
                entry.job = live;
            }
        }
        self.jobs_changed();
        Ok(())
    }

    /// Removes a job from the list; a local job's files go too only when asked.
    pub async fn delete_job(&self, key: &str, delete_files: bool) -> DesktopResult<()> {
        match parse_key(key)? {
            (JobPlace::Local, id) => self.delete_local(id, delete_files).await?,
            (_, id) => {
                self.signed_in_cloud()?.delete_job(id).await?;
                lock(&self.inner.cloud_jobs).remove(id);
                let job = id.to_owned();
                self.inner
                    .db
                    .call(move |conn| db::delete_syncs_of_job(conn, &job))
                    .await?;
            }
        }
        self.jobs_changed();
        Ok(())
    }

    /// The folder a job's files are in, for "Show in folder" (never a path from the screens).
    pub async fn job_folder(&self, key: &str) -> DesktopResult<PathBuf> {
        match parse_key(key)? {
            (JobPlace::Local, id) => self.local_folder(id).await,
            (JobPlace::ThisDevice, _) => Ok(self.settings().download_dir),
            (JobPlace::Cloud, _) => Ok(self.settings().sync_dir),
        }
    }

    /// One request of the screens' typed API client, with this account's key.
    pub async fn cloud_request(
        &self,
        method: &str,
        path: &str,
        body: Option<String>,
    ) -> DesktopResult<crate::cloud::RawAnswer> {
        Ok(self.signed_in_cloud()?.raw(method, path, body).await?)
    }

    /// Stops background work and the engine (the app is quitting).
    pub async fn shutdown(&self) {
        self.abort_pending_work();
        self.stop_account_work().await;
        self.inner.engine.stop().await;
    }
}

/// The engine settings a desktop starts with: all interfaces, DHT on, a free port, two minutes
/// to find a magnet's metadata.
pub fn engine_defaults() -> EngineConfig {
    EngineConfig {
        metadata_timeout_seconds: 120,
        ..EngineConfig::default()
    }
}

fn kib(limit: u32) -> Option<u32> {
    (limit > 0).then(|| limit.saturating_mul(1024))
}

/// `cloud:<id>` / `device:<id>` / `local:<id>`.
fn parse_key(key: &str) -> DesktopResult<(JobPlace, &str)> {
    let (place, id) = key
        .split_once(':')
        .ok_or_else(|| DesktopError::Invalid(format!("{key:?} is not a job")))?;
    let valid_id = !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !valid_id {
        return Err(DesktopError::Invalid(format!("{key:?} is not a job")));
    }
    match place {
        "local" => Ok((JobPlace::Local, id)),
        "cloud" => Ok((JobPlace::Cloud, id)),
        "device" => Ok((JobPlace::ThisDevice, id)),
        _ => Err(DesktopError::Invalid(format!("{key:?} is not a job"))),
    }
}

/// A sign-in: the client holding its key, and what the cloud said about it once asked.
#[derive(Debug, Clone)]
struct Session {
    cloud: CloudClient,
    /// `None` until the cloud confirms a key restored from the keyring.
    user: Option<tseeder_protocol::User>,
    /// This computer as a device of this account, once registered.
    device_id: Option<String>,
}

impl Session {
    fn new(cloud: CloudClient, user: Option<tseeder_protocol::User>) -> Session {
        Session {
            cloud,
            user,
            device_id: None,
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// True when `path` lies inside `folder` (both as given; no symlinks are followed).
pub(crate) fn is_inside(path: &Path, folder: &Path) -> bool {
    path.starts_with(folder)
        && !path
            .components()
            .any(|c| matches!(c, std::path::Component::ParentDir))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_keys_are_checked_before_use() {
        assert_eq!(
            parse_key("local:abc-1").expect("ok"),
            (JobPlace::Local, "abc-1")
        );
        assert_eq!(
            parse_key("cloud:0193").expect("ok"),
            (JobPlace::Cloud, "0193")
        );
        for bad in [
            "",
            "local:",
            "nope:1",
            "local:../x",
            "cloud:a/b",
            "local:a b",
        ] {
            assert!(parse_key(bad).is_err(), "{bad:?}");
        }
    }
}
