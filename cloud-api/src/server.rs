//! Starting and stopping the service: tests call [`launch`] with a listener on 127.0.0.1:0.

use crate::config::Settings;
use crate::services::{Services, StartError};
use crate::store::SoleRunner;
use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;

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
    let services = tokio::task::spawn_blocking(move || Services::start(settings)).await??;
    services
        .runtime_settings()
        .reload()
        .await
        .map_err(StartError::Db)?;
    let secrets = services
        .webhooks()
        .seal_stored_secrets()
        .await
        .map_err(StartError::Db)?;
    if secrets.sealed > 0 {
        tracing::info!(
            sealed = secrets.sealed,
            "webhook secrets stored in the clear or under a previous link-signing key are now sealed under the current one"
        );
    }
    if secrets.unreadable > 0 {
        tracing::warn!(
            unreadable = secrets.unreadable,
            "webhook secrets that no link-signing key opens: their deliveries fail until their owners replace them; if the key changed, list the old one in storage.previous_url_signing_secrets"
        );
    }
    Ok(services)
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
    let address = listener.local_addr()?;
    tracing::info!(%address, "tseeder cloud API listening");
    services.relay_live_changes();
    services.runtime_settings().follow_other_replicas();
    let (stop, stopped) = watch::channel(false);
    // Sweeps and mail and webhook delivery run on one replica at a time; the rate-limit counters swept
    // below are each replica's own.
    let runner = services.db().sole_runner(SWEEPS_AND_MAIL);
    let sweeper = tokio::spawn(sweep_leases(
        services.clone(),
        runner.clone(),
        stopped.clone(),
    ));
    let upkeep = tokio::spawn(sweep_storage(
        services.clone(),
        runner.clone(),
        stopped.clone(),
    ));
    let counters = tokio::spawn(sweep_counters(services.clone(), stopped.clone()));
    let job_counts = tokio::spawn(fold_job_counts(
        services.clone(),
        runner.clone(),
        stopped.clone(),
    ));
    let rollups = tokio::spawn(roll_up_metrics(services.clone(), stopped.clone()));
    let seedr = tokio::spawn(drive_seedr(
        services.clone(),
        runner.clone(),
        stopped.clone(),
    ));
    let sampler = tokio::spawn(sample_status(
        services.clone(),
        runner.clone(),
        stopped.clone(),
    ));
    let retention = tokio::spawn(sweep_retention(
        services.clone(),
        runner.clone(),
        stopped.clone(),
    ));
    let billing = tokio::spawn(settle_billing(
        services.clone(),
        runner.clone(),
        stopped.clone(),
    ));
    let mail = tokio::spawn(deliver_mail(
        services.clone(),
        runner.clone(),
        stopped.clone(),
    ));
    let webhooks = tokio::spawn(deliver_webhooks(services.clone(), runner, stopped.clone()));
    let metrics = match services.settings().metrics.listen {
        Some(address) => Some(serve_metrics(services.clone(), address, stopped.clone()).await?),
        None => None,
    };
    let agent = services
        .settings()
        .embedded_agent
        .enabled
        .then(|| tokio::spawn(crate::embedded::run(services.clone(), address, stopped)));
    let app = crate::http::router(services);
    // The embedded agent hands its jobs back over HTTP, so the server keeps answering until it
    // is done.
    let graceful = async move {
        shutdown.await;
        let _ = stop.send(true);
        if let Some(agent) = agent {
            let _ = agent.await;
        }
        let _ = sweeper.await;
        let _ = upkeep.await;
        let _ = counters.await;
        let _ = job_counts.await;
        let _ = rollups.await;
        let _ = seedr.await;
        let _ = retention.await;
        let _ = billing.await;
        let _ = sampler.await;
        if let Some(metrics) = metrics {
            let _ = metrics.await;
        }
        let _ = mail.await;
        let _ = webhooks.await;
    };
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(graceful)
    .await?;
    Ok(())
}

/// Serves `/metrics` without a token on the operator's private `metrics.listen` address.
async fn serve_metrics(
    services: Services,
    address: SocketAddr,
    mut stopped: watch::Receiver<bool>,
) -> Result<tokio::task::JoinHandle<()>, LaunchError> {
    let listener = TcpListener::bind(address).await?;
    tracing::info!(address = %listener.local_addr()?, "metrics listening");
    let app = axum::Router::new()
        .route(
            "/metrics",
            axum::routing::get(crate::observability::handlers::metrics_on_private_listener),
        )
        .with_state(services);
    Ok(tokio::spawn(async move {
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = stopped.wait_for(|stop| *stop).await;
            })
            .await;
        if let Err(err) = served {
            tracing::error!(%err, "metrics listener failed");
        }
    }))
}

/// The advisory lock of the replica that sweeps and delivers mail and webhooks.
const SWEEPS_AND_MAIL: i64 = 0x7473_6565_6465_7202;

/// Runs `work` every `period` until the server stops.
async fn every<F, Fut>(period: Duration, mut stopped: watch::Receiver<bool>, mut work: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = ()>,
{
    loop {
        tokio::select! {
            _ = tokio::time::sleep(period) => {}
            _ = stopped.changed() => return,
        }
        work().await;
    }
}

/// Puts the jobs of silent agents back in the queue, every `sweep_interval_ms`.
async fn sweep_leases(services: Services, runner: SoleRunner, stopped: watch::Receiver<bool>) {
    let period = Duration::from_millis(services.settings().dispatch.sweep_interval_ms.max(100));
    every(period, stopped, || async {
        if !runner.is_mine() {
            return;
        }
        match services.dispatch().sweep_expired_leases().await {
            Ok(0) => {}
            Ok(count) => tracing::info!(count, "expired leases put back in the queue"),
            Err(err) => tracing::error!(%err, "lease sweep failed"),
        }
    })
    .await;
}

/// Folds the job-count changes PostgreSQL's writers append into the counts, every 5 s, so a
/// list's total reads a handful of them rather than every change since the last fold.
async fn fold_job_counts(services: Services, runner: SoleRunner, stopped: watch::Receiver<bool>) {
    every(Duration::from_secs(5), stopped, || async {
        if runner.is_mine() {
            if let Err(err) = services.jobs().fold_counts().await {
                tracing::error!(%err, "folding job counts failed; the changes wait for the next pass");
            }
        }
    })
    .await;
}

/// Delivers queued mail as soon as it is queued, and retries due mail every 5 s.
async fn deliver_mail(services: Services, runner: SoleRunner, mut stopped: watch::Receiver<bool>) {
    loop {
        if runner.is_mine() {
            services.mail().deliver_queued().await;
        }
        tokio::select! {
            _ = services.mail_wakeup().notified() => {}
            _ = tokio::time::sleep(Duration::from_secs(5)) => {}
            _ = stopped.changed() => return,
        }
    }
}

/// Turns the ends of jobs into webhook deliveries and tries the due ones, every
/// `webhooks.poll_interval_ms`.
async fn deliver_webhooks(services: Services, runner: SoleRunner, stopped: watch::Receiver<bool>) {
    let period = Duration::from_millis(services.settings().webhooks.poll_interval_ms.max(100));
    every(period, stopped, || async {
        if runner.is_mine() {
            services.webhooks().deliver_pass().await;
        }
    })
    .await;
}

/// Drops ended rate-limit windows and writes grown security-event counts, every 15 s.
async fn sweep_counters(services: Services, stopped: watch::Receiver<bool>) {
    every(Duration::from_secs(15), stopped, || {
        services.sweep_counters()
    })
    .await;
}

/// Adds this replica's counts and a reading of the levels to its minute and hour in the store,
/// every `metrics.rollup_interval_seconds` (never when it is 0), and once more on the way out.
async fn roll_up_metrics(services: Services, stopped: watch::Receiver<bool>) {
    let seconds = services.settings().metrics.rollup_interval_seconds;
    if seconds == 0 {
        return;
    }
    let roll_up = || async {
        if let Err(err) = services
            .observability()
            .roll_up(crate::store::now_ms())
            .await
        {
            tracing::warn!(%err, "metrics roll-up failed; its counts wait for the next tick");
        }
    };
    every(Duration::from_secs(seconds), stopped, roll_up).await;
    roll_up().await;
}

/// Moves the Seedr jobs along, every `providers.seedr.poll_interval_seconds`, on the replica
/// that sweeps.
async fn drive_seedr(services: Services, runner: SoleRunner, stopped: watch::Receiver<bool>) {
    let period = Duration::from_secs(
        services
            .settings()
            .providers
            .seedr
            .poll_interval_seconds
            .max(1),
    );
    let seedr = crate::providers::seedr::runner::SeedrRunner::new(services.clone());
    every(period, stopped, || async {
        if !runner.is_mine() {
            return;
        }
        if let Err(err) = seedr.pass().await {
            tracing::error!(%err, "Seedr pass failed");
        }
    })
    .await;
}

/// Records each component's state for the status history, every
/// `status.sample_interval_seconds` (never when it is 0).
async fn sample_status(services: Services, runner: SoleRunner, stopped: watch::Receiver<bool>) {
    let seconds = services.settings().status.sample_interval_seconds;
    if seconds == 0 {
        return;
    }
    every(Duration::from_secs(u64::from(seconds)), stopped, || async {
        if !runner.is_mine() {
            return;
        }
        if let Err(err) = services.status().sample(i64::from(seconds)).await {
            tracing::error!(%err, "status sample failed");
        }
    })
    .await;
}

/// Deletes expired files and prunes old rows, every `retention.sweep_interval_minutes` (never
/// when it is 0).
async fn sweep_retention(services: Services, runner: SoleRunner, stopped: watch::Receiver<bool>) {
    let minutes = services.settings().retention.sweep_interval_minutes;
    if minutes == 0 {
        return;
    }
    every(
        Duration::from_secs(u64::from(minutes) * 60),
        stopped,
        || async {
            if !runner.is_mine() {
                return;
            }
            match services.retention().sweep().await {
                Ok(sweep) if sweep.expired_jobs == 0 => {}
                Ok(sweep) => tracing::info!(
                    jobs = sweep.expired_jobs,
                    files = sweep.deleted_files,
                    bytes = sweep.reclaimed_bytes,
                    "expired files deleted"
                ),
                Err(err) => tracing::error!(%err, "retention sweep failed"),
            }
        },
    )
    .await;
}

/// Lets paid plans lapse whose grace or paid period ended, every
/// `billing.settle_interval_seconds`, while billing is on.
async fn settle_billing(services: Services, runner: SoleRunner, stopped: watch::Receiver<bool>) {
    let seconds = services.settings().billing.settle_interval_seconds;
    if seconds == 0 || !services.billing().enabled() {
        return;
    }
    every(Duration::from_secs(seconds), stopped, || async {
        if !runner.is_mine() {
            return;
        }
        match services.billing().settle(crate::store::now_ms()).await {
            Ok(0) => {}
            Ok(count) => tracing::info!(count, "lapsed plans returned to the free plan"),
            Err(err) => tracing::error!(%err, "billing settle failed"),
        }
    })
    .await;
}

/// Clears abandoned uploads and ownerless objects from the store, every
/// `storage.sweep_interval_seconds` (never when it is 0).
async fn sweep_storage(services: Services, runner: SoleRunner, stopped: watch::Receiver<bool>) {
    let seconds = services.settings().storage.sweep_interval_seconds;
    if seconds == 0 {
        return;
    }
    every(Duration::from_secs(seconds), stopped, || async {
        if !runner.is_mine() {
            return;
        }
        match services.files().sweep_storage().await {
            Ok(swept) if swept == Default::default() => {}
            Ok(swept) => tracing::info!(
                abandoned_uploads = swept.abandoned_uploads,
                orphan_objects = swept.orphan_objects,
                "storage swept"
            ),
            Err(err) => tracing::error!(%err, "storage sweep failed"),
        }
    })
    .await;
}
