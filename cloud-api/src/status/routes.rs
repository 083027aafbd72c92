//! The status slice of the route table: each route's method, path, least role and documentation.

use super::handlers;
use crate::http::routes::{ApiRoute, RouteLimits, PUBLIC};
use tseeder_protocol::*;

pub(crate) fn routes(_limits: &RouteLimits) -> Vec<ApiRoute> {
    vec![
        ApiRoute::get("/health", PUBLIC, handlers::health)
            .doc("system", "Liveness and database check")
            .returns::<Health>(200),
        ApiRoute::get("/api/v1/config", PUBLIC, handlers::site_config)
            .doc("system", "Public settings the sign-up page needs")
            .returns::<SiteConfig>(200),
        ApiRoute::get("/api/v1/status", PUBLIC, handlers::status)
            .doc(
                "system",
                "Current state of the API, the queue and the agents",
            )
            .returns::<StatusReport>(200),
    ]
}
