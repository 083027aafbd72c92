//! The torrent engine over librqbit, shared by the agent and the desktop app, and the agent work
//! loop (claim, download, upload, report) that speaks the cloud's agent protocol.

mod config;
pub mod fetch;
mod hints;
mod policy;
mod socks;
mod thread;
mod torrent;
pub mod worker;

pub use config::{EngineConfig, TorrentNetwork};
pub use hints::MagnetHints;
pub use torrent::{Download, Engine, EngineError, Progress, Resolved, TorrentFile, TorrentSource};
