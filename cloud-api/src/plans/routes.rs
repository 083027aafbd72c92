//! The plans slice of the route table: each route's method, path, least role and documentation.

use super::handlers;
use crate::http::routes::{ApiRoute, RouteLimits, MEMBER, PUBLIC};
use tseeder_protocol::*;

pub(crate) fn routes(_limits: &RouteLimits) -> Vec<ApiRoute> {
    vec![
        ApiRoute::get("/api/v1/plans", PUBLIC, handlers::plans)
            .doc("plans", "Available plans and their limits")
            .returns::<Vec<Plan>>(200),
        ApiRoute::get("/api/v1/usage", MEMBER, handlers::usage)
            .doc("plans", "The user's plan and what they use of it")
            .returns::<Usage>(200),
    ]
}
