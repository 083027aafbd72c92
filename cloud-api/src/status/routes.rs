//! The status slice of the route table: each route's method, path, least role and documentation.

use super::handlers;
use crate::http::routes::{ApiRoute, RouteLimits, ADMIN, PUBLIC, SUPPORT};
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
        ApiRoute::get("/api/v1/status/history", PUBLIC, handlers::history)
            .doc(
                "system",
                "Each component's days (worst state, downtime, incidents) and uptime over 24 h, 7, 30 and 90 days; incidents; upcoming maintenance",
            )
            .query::<handlers::HistoryQuery>()
            .returns::<StatusHistory>(200),
        ApiRoute::get("/api/v1/admin/status/incidents", SUPPORT, handlers::incidents)
            .doc("admin", "Every incident, newest first, with its updates")
            .query::<handlers::IncidentsQuery>()
            .returns::<Page<Incident>>(200),
        ApiRoute::post("/api/v1/admin/status/incidents", ADMIN, handlers::open_incident)
            .doc("admin", "Open an incident on a component; it shows on the status page")
            .json::<OpenIncident>()
            .returns::<Incident>(201),
        ApiRoute::post(
            "/api/v1/admin/status/incidents/{id}/updates",
            ADMIN,
            handlers::update_incident,
        )
        .doc("admin", "Post an update to an incident; `resolved` closes it")
        .json::<UpdateIncident>()
        .returns::<Incident>(200),
        ApiRoute::post(
            "/api/v1/admin/status/maintenance",
            ADMIN,
            handlers::schedule_maintenance,
        )
        .doc(
            "admin",
            "Schedule maintenance: the components' samples in the window count as planned",
        )
        .json::<ScheduleMaintenance>()
        .returns::<Maintenance>(201),
        ApiRoute::delete(
            "/api/v1/admin/status/maintenance/{id}",
            ADMIN,
            handlers::cancel_maintenance,
        )
        .doc("admin", "Cancel a maintenance window that has not ended")
        .no_content(),
    ]
}
