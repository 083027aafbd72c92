//! `tseeder-agent`: a remote compute agent. It claims jobs from the cloud API with its token,
//! downloads them with the engine, uploads the files to the configured store, reports, keeps its
//! disk clean, answers `GET /health`, and on SIGTERM or Ctrl-C hands unfinished jobs back.

mod config;
mod metrics;

use anyhow::Context as _;
use axum::response::IntoResponse as _;
use axum::routing::get;
use clap::Parser;
use config::AgentSettings;
use std::path::PathBuf;
use tokio::sync::watch;
use tseeder_engine::worker::{AgentClient, Delivery, Worker, WorkerConfig};
use tseeder_engine::Engine;

#[derive(Debug, Parser)]
#[command(name = "tseeder-agent", version, about)]
struct Cli {
    /// TOML configuration file; `TSEEDER_AGENT_*` variables override it.
    #[arg(long, env = "TSEEDER_AGENT_CONFIG")]
    config: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // The DHT warns at every bootstrap retry when offline; the engine says it once.
    tseeder_settings::logging::init("TSEEDER_AGENT_", "info,librqbit=warn,librqbit_dht=error")
        .map_err(anyhow::Error::msg)?;
    let cli = Cli::parse();
    let settings = AgentSettings::load(cli.config.as_deref())?;
    let store = settings
        .storage
        .open(std::path::Path::new(config::DEFAULT_LOCAL_DIR))
        .context("object storage configuration")?;
    let engine_config = settings
        .engine
        .clone()
        .with_network(&settings.torrent_network);
    let engine = Engine::start(engine_config, &settings.work_dir.join("session"))
        .await
        .context("starting the torrent engine")?;
    let client = AgentClient::new(&settings.cloud_url, settings.token.expose())?;
    let worker = Worker::new(
        client,
        engine.clone(),
        Delivery::Upload(store),
        WorkerConfig {
            name: settings.name.clone(),
            region: settings.region.clone(),
            capacity: settings.capacity,
            work_dir: settings.work_dir.clone(),
            poll_interval_ms: settings.poll_interval_ms,
            progress_interval_ms: settings.progress_interval_ms,
        },
    );
    let listener = tokio::net::TcpListener::bind(settings.health_listen)
        .await
        .with_context(|| format!("binding the health endpoint to {}", settings.health_listen))?;
    tracing::info!(address = %listener.local_addr()?, "health endpoint listening");
    let health_worker = worker.clone();
    let metrics_worker = worker.clone();
    let capacity = settings.capacity;
    let health = axum::Router::new()
        .route(
            "/health",
            get(move || {
                let status = health_worker.status();
                async move { axum::Json(status) }
            }),
        )
        .route(
            "/metrics",
            get(move || {
                let text = metrics::render(&metrics_worker.status(), capacity);
                async move {
                    match text {
                        Ok(text) => (
                            [(
                                axum::http::header::CONTENT_TYPE,
                                "application/openmetrics-text; version=1.0.0; charset=utf-8",
                            )],
                            text,
                        )
                            .into_response(),
                        Err(_) => axum::http::StatusCode::INTERNAL_SERVER_ERROR.into_response(),
                    }
                }
            }),
        );
    let (stop, stopped) = watch::channel(false);
    let mut health_stopped = stopped.clone();
    let health_server = tokio::spawn(async move {
        axum::serve(listener, health)
            .with_graceful_shutdown(async move {
                let _ = health_stopped.wait_for(|stop| *stop).await;
            })
            .await
    });
    let work = tokio::spawn({
        let worker = worker.clone();
        async move { worker.run(stopped).await }
    });
    tseeder_settings::shutdown::signal().await;
    tracing::info!("stopping: handing unfinished jobs back");
    let _ = stop.send(true);
    work.await?;
    engine.stop().await;
    health_server.await??;
    Ok(())
}
