//! The agents slice of the route table: each route's method, path, least role and documentation.

use super::handlers;
use crate::http::routes::{ApiRoute, RouteLimits, ADMIN, MEMBER, SUPPORT};
use tseeder_protocol::*;

pub(crate) fn routes(_limits: &RouteLimits) -> Vec<ApiRoute> {
    vec![

        ApiRoute::get("/api/v1/devices", MEMBER, handlers::list)
            .doc("devices", "The user's own machines registered as agents")
            .returns::<Vec<AgentView>>(200),
        ApiRoute::post("/api/v1/devices", MEMBER, handlers::register)
        .doc(
            "devices",
            "Register this machine as an agent for the user's own jobs; the token is shown once",
        )
        .json::<RegisterDevice>()
        .returns::<IssuedAgentToken>(201),
        ApiRoute::delete("/api/v1/devices/{id}", MEMBER, handlers::revoke)
        .doc("devices", "Remove a device; its running jobs go back to the queue")
        .no_content(),
        ApiRoute::get("/api/v1/admin/agents", SUPPORT, handlers::agents)
        .doc(
            "admin",
            "The fleet: every agent with region, load, vitals and a stale flag",
        )
        .returns::<Vec<AgentView>>(200),
        ApiRoute::post("/api/v1/admin/agents", ADMIN, handlers::issue_agent)
        .doc(
            "admin",
            "Issue a token for a new operator agent; shown only in this answer",
        )
        .json::<IssueAgentToken>()
        .returns::<IssuedAgentToken>(201),
        ApiRoute::post("/api/v1/admin/agents/{id}/revoke", ADMIN, handlers::revoke_agent)
        .doc(
            "admin",
            "Revoke an agent's token; its running jobs go back to the queue",
        )
        .json::<Justification>()
        .returns::<AgentView>(200),
    ]
}
