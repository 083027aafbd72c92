//! The providers slice of the route table.

use super::handlers;
use crate::http::routes::{ApiRoute, RouteLimits, SUPERADMIN, SUPPORT};
use tseeder_protocol::{ProviderReport, SwitchProvider};

pub(crate) fn routes(_limits: &RouteLimits) -> Vec<ApiRoute> {
    vec![
        ApiRoute::get("/api/v1/admin/provider", SUPPORT, handlers::report)
            .doc(
                "admin",
                "The active provider (agents or Seedr) and the jobs in flight on each",
            )
            .returns::<ProviderReport>(200),
        ApiRoute::post("/api/v1/admin/provider", SUPERADMIN, handlers::switch)
            .doc(
                "admin",
                "Switch where new cloud jobs run, with a reason and ticket; a versioned, audited settings change; jobs finish where they started",
            )
            .json::<SwitchProvider>()
            .returns::<ProviderReport>(200),
    ]
}
