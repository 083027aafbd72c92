//! `tseeder-sync`'s settings: defaults in code, then a TOML file (`--config`), then
//! `TSEEDER_SYNC_*` variables (nested keys joined with `__`). The cloud API key comes from a file
//! or the environment, never the command line, and no secret reaches a log line.

use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// A secret setting, redacted in Debug.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct SyncSettings {
    /// The control plane: one URL, or several replicas' URLs separated by commas.
    pub cloud_url: String,
    /// A file holding the account's API key (`tsk_…`), e.g. a systemd credential.
    pub api_key_file: Option<PathBuf>,
    /// The API key itself, for `TSEEDER_SYNC_API_KEY`; `api_key_file` wins when both are set.
    pub api_key: Secret,
    /// Finished jobs land here, each category in a folder of its own.
    pub folder: PathBuf,
    /// The client's own state: what is being synced and the categories.
    pub data_dir: PathBuf,
    /// Cap on the sync's download rate in KiB/s; 0 is no cap.
    pub sync_limit_kib: u32,
    pub qbittorrent: QbittorrentSettings,
}

/// The qBittorrent WebUI API that Sonarr, Radarr and Prowlarr talk to.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct QbittorrentSettings {
    /// Loopback by default: the API can add downloads, so expose it only on purpose.
    pub listen: SocketAddr,
    pub username: String,
    pub password: Secret,
    /// Accepted as `Authorization: Bearer <key>`, as qBittorrent 5.2's WebUI API keys are.
    pub api_key: Secret,
}

impl Default for SyncSettings {
    fn default() -> Self {
        SyncSettings {
            cloud_url: "http://127.0.0.1:8080".into(),
            api_key_file: None,
            api_key: Secret::default(),
            folder: PathBuf::from("downloads"),
            data_dir: PathBuf::from("tseeder-sync-data"),
            sync_limit_kib: 0,
            qbittorrent: QbittorrentSettings::default(),
        }
    }
}

impl Default for QbittorrentSettings {
    fn default() -> Self {
        QbittorrentSettings {
            // Not qBittorrent's 8080: that is tseeder-cloud's own default port.
            listen: SocketAddr::from(([127, 0, 0, 1], 8081)),
            username: "admin".into(),
            password: Secret::default(),
            api_key: Secret::default(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error(transparent)]
    Settings(#[from] tseeder_settings::SettingsError),
    #[error("{0}")]
    Invalid(String),
}

/// The variables under `TSEEDER_SYNC_` that are not settings.
const NOT_SETTINGS: &[&str] = &["CONFIG", "LOG", "LOG_FORMAT"];

impl SyncSettings {
    pub fn load(file: Option<&Path>) -> Result<SyncSettings, ConfigError> {
        let mut settings: SyncSettings = tseeder_settings::load(&tseeder_settings::Sources {
            file,
            env_prefix: "TSEEDER_SYNC_",
            env_not_settings: NOT_SETTINGS,
        })?;
        if let Some(path) = &settings.api_key_file {
            let key = std::fs::read_to_string(path).map_err(|err| {
                ConfigError::Invalid(format!(
                    "api_key_file {} cannot be read: {err}",
                    path.display()
                ))
            })?;
            settings.api_key = Secret::new(key.trim());
        }
        settings.check()?;
        Ok(settings)
    }

    /// What a start needs: a key for the cloud and a way for clients to sign in.
    pub fn check(&self) -> Result<(), ConfigError> {
        if self.api_key.is_empty() {
            return Err(ConfigError::Invalid(
                "set the cloud API key: api_key_file, or TSEEDER_SYNC_API_KEY".into(),
            ));
        }
        let qb = &self.qbittorrent;
        if qb.password.is_empty() && qb.api_key.is_empty() {
            return Err(ConfigError::Invalid(
                "set qbittorrent.password (TSEEDER_SYNC_QBITTORRENT__PASSWORD) or \
                 qbittorrent.api_key: the API adds downloads, so it never runs open"
                    .into(),
            ));
        }
        if qb.username.is_empty() && !qb.password.is_empty() {
            return Err(ConfigError::Invalid("qbittorrent.username is empty".into()));
        }
        Ok(())
    }
}
