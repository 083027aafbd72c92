//! The gauges read when Prometheus scrapes: the queue, the fleet, the jobs by status, storage
//! and the live streams, as the overview and status page count them.

use super::metrics::StatusLabels;
use crate::admin::store as q;
use crate::error::ApiResult;
use crate::services::Services;

fn gauge_value(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Sets every gauge from the store (one read) and the status snapshot.
pub(crate) async fn observe(services: &Services) -> ApiResult<()> {
    let (by_status, dead_letters, (storage_bytes, objects)) = services
        .db()
        .call(|conn| {
            Ok((
                q::jobs_by_status(conn)?,
                q::dead_letter_count(conn)?,
                q::storage_totals(conn)?,
            ))
        })
        .await?;
    let snapshot = services.status().snapshot().await;
    let metrics = services.metrics();
    for status in tseeder_protocol::JobStatus::ALL {
        let count = by_status.get(status.as_str()).copied().unwrap_or(0);
        metrics
            .jobs
            .get_or_create(&StatusLabels {
                status: status.as_str().to_owned(),
            })
            .set(gauge_value(count));
    }
    metrics.dead_letters.set(gauge_value(dead_letters));
    metrics.storage_bytes.set(gauge_value(storage_bytes));
    metrics.stored_objects.set(gauge_value(objects));
    metrics
        .queue_depth
        .set(gauge_value(snapshot.queued_waiting));
    metrics
        .agents_online
        .set(gauge_value(snapshot.agents.operator_online));
    metrics
        .fleet_capacity
        .set(gauge_value(snapshot.agents.capacity));
    metrics
        .fleet_active_jobs
        .set(gauge_value(snapshot.agents.active_jobs));
    metrics
        .live_subscribers
        .set(gauge_value(services.live().subscriber_count() as u64));
    Ok(())
}
