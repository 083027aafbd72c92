//! `tseeder-sync`: the desktop core without a window, for home servers and NAS boxes. It syncs
//! the account's finished cloud jobs into a folder, the way the app does, and speaks the
//! qBittorrent WebUI API so Sonarr, Radarr and Prowlarr use the cloud as their download client.

pub mod client;
pub mod config;
pub mod qbittorrent;
pub mod store;

pub use client::SyncClient;
pub use config::SyncSettings;

use std::net::SocketAddr;
use std::sync::Arc;
use tokio::sync::watch;

/// Serves the API on `listener` and syncs until `shutdown` resolves.
pub async fn serve(
    client: SyncClient,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (stop, stopped) = watch::channel(false);
    let tasks = client.start(stopped);
    let auth = Arc::new(qbittorrent::Auth::new(&client.settings().qbittorrent));
    let app = qbittorrent::routes(qbittorrent::ApiState { client, auth });
    let served = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await;
    let _ = stop.send(true);
    for task in tasks {
        let _ = task.await;
    }
    served
}
