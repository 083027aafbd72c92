//! `tseeder-sync`: reads its settings, opens its state and serves the qBittorrent API while it
//! syncs, until SIGTERM or Ctrl-C.

use anyhow::Context as _;
use clap::Parser;
use std::path::PathBuf;
use tseeder_sync::{SyncClient, SyncSettings};

#[derive(Debug, Parser)]
#[command(name = "tseeder-sync", version, about)]
struct Cli {
    /// TOML configuration file; `TSEEDER_SYNC_*` variables override it.
    #[arg(long, env = "TSEEDER_SYNC_CONFIG")]
    config: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tseeder_settings::logging::init("TSEEDER_SYNC_", "info").map_err(anyhow::Error::msg)?;
    let cli = Cli::parse();
    let settings = SyncSettings::load(cli.config.as_deref()).context("invalid configuration")?;
    let listen = settings.qbittorrent.listen;
    let client = SyncClient::open(settings)
        .await
        .context("opening the sync state")?;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("binding the qBittorrent API to {listen}"))?;
    tracing::info!(
        address = %listener.local_addr()?,
        folder = %client.folder().display(),
        "qBittorrent API listening"
    );
    tseeder_sync::serve(client, listener, tseeder_settings::shutdown::signal())
        .await
        .context("serving")?;
    Ok(())
}
