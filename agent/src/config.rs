//! The agent's settings: defaults in code, then a TOML file, then `TSEEDER_AGENT_*` variables
//! (nested keys joined with `__`). The token never reaches a log line.

use anyhow::{bail, Context as _};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use tseeder_storage::StoreLocation;

#[derive(Clone, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Token(String);

impl Token {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

/// A local store without a folder of its own writes here.
pub const DEFAULT_LOCAL_DIR: &str = "data/objects";

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct AgentSettings {
    /// Base URL of the cloud API, e.g. `https://tseeder.example`; or several replicas' URLs
    /// separated by commas, tried in turn when one cannot be reached.
    pub cloud_url: String,
    /// The `tsa_…` token an operator issued for this agent.
    pub token: Token,
    pub name: String,
    pub region: String,
    pub capacity: u32,
    /// Downloads wait here until they are uploaded.
    pub work_dir: PathBuf,
    pub health_listen: SocketAddr,
    pub poll_interval_ms: u64,
    pub progress_interval_ms: u64,
    pub engine: tseeder_engine::EngineConfig,
    /// What trackers and peers may be: public addresses only unless allowed.
    pub torrent_network: tseeder_engine::TorrentNetwork,
    /// Where finished files go: the same store the cloud API reads from, in the same shape as
    /// the API's `storage` settings (`backend`, `local_dir`, `s3`).
    pub storage: StoreLocation,
}

impl Default for AgentSettings {
    fn default() -> Self {
        AgentSettings {
            cloud_url: "http://127.0.0.1:8080".into(),
            token: Token::default(),
            name: "agent".into(),
            region: "local".into(),
            capacity: 2,
            work_dir: PathBuf::from("agent-data"),
            health_listen: SocketAddr::from(([127, 0, 0, 1], 8090)),
            poll_interval_ms: 2000,
            progress_interval_ms: 1000,
            engine: tseeder_engine::EngineConfig::default(),
            torrent_network: tseeder_engine::TorrentNetwork::default(),
            storage: StoreLocation::default(),
        }
    }
}

impl AgentSettings {
    pub fn load(file: Option<&Path>) -> anyhow::Result<AgentSettings> {
        let settings: AgentSettings = tseeder_settings::load(&tseeder_settings::Sources {
            file,
            env_prefix: "TSEEDER_AGENT_",
            env_not_settings: &["CONFIG", "LOG", "LOG_FORMAT"],
        })
        .context("invalid agent configuration")?;
        if settings.token.expose().is_empty() {
            bail!("set the agent token (token in the file, or TSEEDER_AGENT_TOKEN)");
        }
        if let Err(problem) = settings.storage.check("storage") {
            bail!("{problem}");
        }
        Ok(settings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tseeder_storage::StorageBackend;

    #[test]
    #[allow(clippy::result_large_err)] // figment's test jail decides the closure's error type
    fn storage_settings_have_the_cloud_apis_shape() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("TSEEDER_AGENT_TOKEN", "tsa_test");
            jail.set_env("TSEEDER_AGENT_STORAGE__BACKEND", "s3");
            jail.set_env(
                "TSEEDER_AGENT_STORAGE__S3__ENDPOINT",
                "http://127.0.0.1:3900",
            );
            jail.set_env("TSEEDER_AGENT_STORAGE__S3__BUCKET", "media");
            let settings = AgentSettings::load(None).expect("load");
            assert_eq!(settings.storage.backend, StorageBackend::S3);
            assert_eq!(settings.storage.s3.endpoint, "http://127.0.0.1:3900");
            assert_eq!(settings.storage.s3.bucket, "media");

            jail.create_file(
                "agent.toml",
                "[storage]\nbackend = \"local\"\nlocal_dir = \"/srv/objects\"\n",
            )?;
            jail.set_env("TSEEDER_AGENT_STORAGE__BACKEND", "local");
            let settings = AgentSettings::load(Some(Path::new("agent.toml"))).expect("load");
            assert_eq!(settings.storage.backend, StorageBackend::Local);
            assert_eq!(
                settings.storage.local_dir,
                Some(PathBuf::from("/srv/objects"))
            );
            Ok(())
        });
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment's test jail decides the closure's error type
    fn s3_without_a_bucket_stops_the_start() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("TSEEDER_AGENT_TOKEN", "tsa_test");
            jail.set_env("TSEEDER_AGENT_STORAGE__BACKEND", "s3");
            jail.set_env(
                "TSEEDER_AGENT_STORAGE__S3__ENDPOINT",
                "http://127.0.0.1:3900",
            );
            let err = AgentSettings::load(None).expect_err("no bucket");
            assert!(err.to_string().contains("storage.s3.bucket"), "{err}");
            Ok(())
        });
    }
}
