//! The dispatch slice of the route table: each route's method, path, least role and documentation.

use super::handlers;
use crate::http::routes::{ApiRoute, RouteLimits, ADMIN, AGENT, SUPPORT};
use tseeder_protocol::*;

pub(crate) fn routes(limits: &RouteLimits) -> Vec<ApiRoute> {
    vec![
        ApiRoute::post("/api/v1/agent/register", AGENT, handlers::register)
            .doc("agent", "Say who the agent is (at every start)")
            .json::<RegisterAgent>()
            .returns::<AgentRegistered>(200),
        ApiRoute::post("/api/v1/agent/heartbeat", AGENT, handlers::heartbeat)
            .doc(
                "agent",
                "Report vitals, renew held leases, learn which jobs to stop",
            )
            .json::<Heartbeat>()
            .returns::<HeartbeatReply>(200),
        ApiRoute::post("/api/v1/agent/claim", AGENT, handlers::claim)
            .doc("agent", "Take the next job under a lease, if any")
            .returns::<ClaimReply>(200),
        ApiRoute::post(
            "/api/v1/agent/jobs/{id}/progress",
            AGENT,
            handlers::progress,
        )
        .doc("agent", "Report progress under the lease")
        .json::<ProgressReport>()
        .body_limit(limits.report)
        .returns::<ProgressReply>(200),
        ApiRoute::post(
            "/api/v1/agent/jobs/{id}/complete",
            AGENT,
            handlers::complete,
        )
        .doc("agent", "Report the stored files of a finished job")
        .json::<CompleteReport>()
        .body_limit(limits.report)
        .returns::<Job>(200),
        ApiRoute::post("/api/v1/agent/jobs/{id}/fail", AGENT, handlers::fail)
            .doc("agent", "Report a failed try (retryable or not)")
            .json::<FailReport>()
            .returns::<Job>(200),
        ApiRoute::post("/api/v1/agent/jobs/{id}/release", AGENT, handlers::release)
            .doc("agent", "Hand an unfinished job back")
            .json::<ReleaseLease>()
            .returns::<Job>(200),
        ApiRoute::get(
            "/api/v1/admin/dead-letters",
            SUPPORT,
            handlers::dead_letters,
        )
        .doc(
            "admin",
            "Jobs that failed their last try, with their errors, the latest first",
        )
        .query::<handlers::DeadLetterQuery>()
        .returns::<Page<AdminJob>>(200),
        ApiRoute::post(
            "/api/v1/admin/dead-letters/{id}/replay",
            ADMIN,
            handlers::replay_dead_letter,
        )
        .doc("admin", "Send a dead-lettered job through the queue again")
        .json::<Justification>()
        .returns::<Job>(200),
    ]
}
