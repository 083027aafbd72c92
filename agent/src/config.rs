//! The agent's settings: defaults in code, then a TOML file, then `TSEEDER_AGENT_*` variables
//! (nested keys joined with `__`). The token never reaches a log line.

use anyhow::{bail, Context as _};
use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

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

/// Where finished files go: the same store the cloud API reads from.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "backend", rename_all = "lowercase")]
pub enum StorageChoice {
    /// A folder shared with the cloud API (same machine or a shared mount).
    Local {
        dir: PathBuf,
    },
    S3(tseeder_storage::S3Config),
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct AgentSettings {
    /// Base URL of the cloud API, e.g. `https://tseeder.example`.
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
    pub storage: StorageChoice,
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
            storage: StorageChoice::Local {
                dir: PathBuf::from("data/objects"),
            },
        }
    }
}

impl AgentSettings {
    pub fn load(file: Option<&Path>) -> anyhow::Result<AgentSettings> {
        let mut figment = Figment::from(Serialized::defaults(AgentSettings::default()));
        if let Some(path) = file {
            if !path.exists() {
                bail!("config file {} does not exist", path.display());
            }
            figment = figment.merge(Toml::file(path));
        }
        figment = figment.merge(
            Env::prefixed("TSEEDER_AGENT_")
                .ignore(&["CONFIG", "LOG"])
                .split("__"),
        );
        let settings: AgentSettings = figment.extract().context("invalid agent configuration")?;
        if settings.token.expose().is_empty() {
            bail!("set the agent token (token in the file, or TSEEDER_AGENT_TOKEN)");
        }
        Ok(settings)
    }
}
