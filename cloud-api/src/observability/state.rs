//! The levels of the service read from the store: the queue, the fleet, the jobs by status,
//! storage and the live streams, as the overview and status page count them. Prometheus gets
//! them as gauges when it scrapes; the roll-up tick keeps them with its counts.

use super::metrics::StatusLabels;
use super::rollup::Levels;
use crate::error::ApiResult;
use crate::services::Services;
use std::collections::BTreeMap;

fn gauge_value(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// One reading of the service's levels.
#[derive(Debug, Clone, Default)]
pub(crate) struct Reading {
    pub by_status: BTreeMap<String, u64>,
    pub stored_objects: u64,
    pub levels: Levels,
    pub agents_online: u64,
}

/// Reads the levels from the store (one read) and the status snapshot.
pub(crate) async fn read(services: &Services) -> ApiResult<Reading> {
    let (by_status, dead_letters, (storage_bytes, stored_objects)) =
        super::units::levels(services.db()).await?;
    let snapshot = services.status().snapshot().await;
    let running_jobs = tseeder_protocol::JobStatus::ALL
        .iter()
        .filter(|status| status.is_running())
        .filter_map(|status| by_status.get(status.as_str()))
        .sum();
    Ok(Reading {
        levels: Levels {
            queue_depth: snapshot.queued_waiting,
            running_jobs,
            fleet_capacity: snapshot.agents.capacity,
            fleet_active: snapshot.agents.active_jobs,
            dead_letters,
            storage_bytes,
            live_subscribers: services.live().subscriber_count() as u64,
        },
        by_status,
        stored_objects,
        agents_online: snapshot.agents.operator_online,
    })
}

/// Sets every gauge from a fresh reading.
pub(crate) async fn observe(services: &Services) -> ApiResult<()> {
    let reading = read(services).await?;
    let metrics = services.metrics();
    for status in tseeder_protocol::JobStatus::ALL {
        let count = reading.by_status.get(status.as_str()).copied().unwrap_or(0);
        metrics
            .jobs
            .get_or_create(&StatusLabels {
                status: status.as_str().to_owned(),
            })
            .set(gauge_value(count));
    }
    let levels = &reading.levels;
    metrics.dead_letters.set(gauge_value(levels.dead_letters));
    metrics.storage_bytes.set(gauge_value(levels.storage_bytes));
    metrics
        .stored_objects
        .set(gauge_value(reading.stored_objects));
    metrics.queue_depth.set(gauge_value(levels.queue_depth));
    metrics
        .agents_online
        .set(gauge_value(reading.agents_online));
    metrics
        .fleet_capacity
        .set(gauge_value(levels.fleet_capacity));
    metrics
        .fleet_active_jobs
        .set(gauge_value(levels.fleet_active));
    metrics
        .live_subscribers
        .set(gauge_value(levels.live_subscribers));
    Ok(())
}
