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
    /// Lets trackers and peers be on loopback or private networks (test swarms, LANs). Off, every
    /// address the engine dials is checked against the network policy. Not read from the
    /// engine's own section: the programs set it from their `torrent_network` setting.
    #[serde(skip)]
    pub allow_private_addresses: bool,
}

/// The `torrent_network` section of the agent's and the cloud's settings.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct TorrentNetwork {
    /// Lets trackers, peers and `.torrent` URLs be on loopback, private, link-local or other
    /// non-public networks. For test swarms and LANs only: off, untrusted torrents cannot make
    /// the service reach its own network.
    pub allow_private_addresses: bool,
}

impl EngineConfig {
    /// This configuration under the given network policy.
    pub fn with_network(mut self, network: &TorrentNetwork) -> EngineConfig {
        self.allow_private_addresses = network.allow_private_addresses;
        self
    }
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
            allow_private_addresses: false,
        }
    }
}
