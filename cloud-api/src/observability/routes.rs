//! The observability slice of the route table.

use super::handlers;
use crate::http::routes::{ApiRoute, RouteLimits, SCRAPER, SUPPORT};
use tseeder_protocol::ObservabilityReport;

pub(crate) fn routes(_limits: &RouteLimits) -> Vec<ApiRoute> {
    vec![
        ApiRoute::get("/metrics", SCRAPER, handlers::metrics)
            .doc(
                "system",
                "Prometheus (OpenMetrics) text; needs Authorization: Bearer with metrics.token",
            )
            .returns::<String>(200),
        ApiRoute::get("/api/v1/admin/observability", SUPPORT, handlers::report)
            .doc(
                "admin",
                "Requests, latency percentiles, error rate, job throughput, queue, fleet and dead letters over 1 h, 24 h or 7 d, from the per-minute and per-hour roll-ups of every replica",
            )
            .query::<handlers::ReportQuery>()
            .returns::<ObservabilityReport>(200),
    ]
}
