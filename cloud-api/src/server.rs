//! Starting and stopping the service: tests call [`launch`] with a listener on 127.0.0.1:0.

use crate::config::Settings;
use crate::service::{Services, StartError};
use std::future::Future;
use std::net::SocketAddr;
use tokio::net::TcpListener;

#[derive(Debug, thiserror::Error)]
pub enum LaunchError {
    #[error(transparent)]
    Start(#[from] StartError),
    #[error("server error: {0}")]
    Serve(#[from] std::io::Error),
    #[error("start-up task failed: {0}")]
    Join(#[from] tokio::task::JoinError),
}

/// Opens the database and clients on a blocking thread, so start-up never stalls the runtime.
pub async fn start_services(settings: Settings) -> Result<Services, LaunchError> {
    Ok(tokio::task::spawn_blocking(move || Services::start(settings)).await??)
}

/// Serves the API on `listener` until `shutdown` completes, then finishes open requests.
pub async fn launch(
    settings: Settings,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), LaunchError> {
    let services = start_services(settings).await?;
    serve(services, listener, shutdown).await
}

/// Serves already started services; lets tests prepare data through the same services first.
pub async fn serve(
    services: Services,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), LaunchError> {
    tracing::info!(address = %listener.local_addr()?, "tseeder cloud API listening");
    let app = crate::http::router(services);
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await?;
    Ok(())
}
