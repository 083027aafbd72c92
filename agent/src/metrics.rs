//! The agent's `/metrics` (beside `/health`, on the same private address): whether it is
//! registered, its slots and what it is downloading, as OpenMetrics text for Prometheus.

use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use tseeder_engine::worker::WorkerStatus;

/// The OpenMetrics text of one worker's state.
pub fn render(status: &WorkerStatus, capacity: u32) -> Result<String, std::fmt::Error> {
    let mut registry = Registry::with_prefix("tseeder_agent");
    let mut gauge = |name: &str, help: &str, value: i64| {
        let gauge: Gauge = Gauge::default();
        gauge.set(value);
        registry.register(name, help, gauge);
    };
    let count = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    gauge(
        "registered",
        "1 once the control plane accepted the agent",
        i64::from(status.registered),
    );
    gauge(
        "capacity",
        "Jobs the agent runs at once",
        i64::from(capacity),
    );
    gauge(
        "active_jobs",
        "Jobs the agent is running",
        count(status.active_jobs.len() as u64),
    );
    gauge(
        "download_speed_bytes",
        "Bytes per second the running downloads receive",
        count(status.download_speed),
    );
    gauge(
        "downloaded_bytes",
        "Bytes the running downloads have received so far",
        count(status.downloaded_bytes),
    );
    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, &registry)?;
    Ok(text)
}
