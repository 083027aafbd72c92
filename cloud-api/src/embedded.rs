//! The agent `serve` runs in-process by default: the same work loop and protocol as a remote
//! agent, talking to this server over loopback with a token minted at start, storing into the
//! server's own object store.

use crate::services::Services;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use tokio::sync::watch;
use tseeder_engine::worker::{AgentClient, Delivery, Worker, WorkerConfig};
use tseeder_engine::Engine;

/// Runs the embedded agent until `stop` turns true; unfinished jobs are handed back.
pub async fn run(services: Services, server: SocketAddr, stop: watch::Receiver<bool>) {
    let settings = services.settings().embedded_agent.clone();
    let token = match services
        .agents()
        .embedded_agent_token(&settings.name, &settings.region)
        .await
    {
        Ok(Some(token)) => token,
        Ok(None) => {
            tracing::warn!("the embedded agent was revoked by an operator; it stays off");
            return;
        }
        Err(err) => {
            tracing::error!(%err, "the embedded agent could not get a token");
            return;
        }
    };
    let host = match server.ip() {
        ip if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        ip => ip,
    };
    let url = format!("http://{}", SocketAddr::new(host, server.port()));
    let client = match AgentClient::new(&url, &token) {
        Ok(client) => client,
        Err(err) => {
            tracing::error!(%err, "the embedded agent could not build its client");
            return;
        }
    };
    let work_dir = services.settings().agent_work_dir();
    let engine_config = settings
        .engine
        .clone()
        .with_network(&services.settings().torrent_network);
    let engine = match Engine::start(engine_config, &work_dir.join("session")).await {
        Ok(engine) => engine,
        Err(err) => {
            tracing::error!(%err, "the embedded agent's torrent engine did not start");
            return;
        }
    };
    let worker = Worker::new(
        client,
        engine.clone(),
        Delivery::Upload(services.store().clone()),
        WorkerConfig {
            name: settings.name.clone(),
            region: settings.region.clone(),
            capacity: settings.capacity,
            work_dir,
            poll_interval_ms: settings.poll_interval_ms,
            progress_interval_ms: settings.progress_interval_ms,
        },
    );
    worker.run(stop).await;
    engine.stop().await;
}
