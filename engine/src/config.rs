//! What the engine is told about the network: where to listen, what to announce, DHT and
//! trackers. The agent and the desktop app read it from their own configuration files.

use serde::{Deserialize, Serialize};
use std::net::IpAddr;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct EngineConfig {
    /// Address peers connect to; `0.0.0.0` for all interfaces.
    pub listen_ip: IpAddr,
    /// TCP port for incoming peers; 0 picks a free one at start.
    pub listen_port: u16,
    /// Port told to trackers, when a NAT or proxy maps another one to `listen_port`.
    pub announce_port: Option<u16>,
    /// Find peers through the distributed hash table.
    pub dht: bool,
    /// Trackers asked for every torrent, besides the torrent's own.
    pub trackers: Vec<String>,
    /// How long to wait for a magnet's metadata before the attempt fails.
    pub metadata_timeout_seconds: u64,
    /// Most peers connected per torrent.
    pub peer_limit: Option<usize>,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            listen_ip: IpAddr::from([0, 0, 0, 0]),
            listen_port: 0,
            announce_port: None,
            dht: true,
            trackers: Vec::new(),
            metadata_timeout_seconds: 300,
            peer_limit: None,
        }
    }
}
