//! The observability slice of the route table.

use super::handlers;
use crate::http::routes::{ApiRoute, RouteLimits, SCRAPER};

pub(crate) fn routes(_limits: &RouteLimits) -> Vec<ApiRoute> {
    vec![ApiRoute::get("/metrics", SCRAPER, handlers::metrics)
        .doc(
            "system",
            "Prometheus (OpenMetrics) text; needs Authorization: Bearer with metrics.token",
        )
        .returns::<String>(200)]
}
