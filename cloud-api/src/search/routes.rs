//! The search slice of the route table: each route's method, path, least role and documentation.

use super::handlers;
use crate::http::routes::{ApiRoute, RouteLimits, SUPPORT};
use tseeder_protocol::*;

pub(crate) fn routes(_limits: &RouteLimits) -> Vec<ApiRoute> {
    vec![
        ApiRoute::get("/api/v1/admin/search", SUPPORT, handlers::search)
            .doc(
                "admin",
                "Search users, jobs, agents and the audit log, best matches first",
            )
            .query::<handlers::SearchQuery>()
            .returns::<SearchResults>(200),
    ]
}
