//! The admin slice of the route table: each route's method, path, least role and documentation.

use super::handlers;
use crate::http::routes::{ApiRoute, RouteLimits, ADMIN, SUPPORT};
use tseeder_protocol::*;

pub(crate) fn routes(_limits: &RouteLimits) -> Vec<ApiRoute> {
    vec![
        ApiRoute::get("/api/v1/admin/users", SUPPORT, handlers::users)
            .doc("admin", "Search users")
            .query::<handlers::UserQuery>()
            .returns::<Page<User>>(200),
        ApiRoute::get("/api/v1/admin/users/{id}", SUPPORT, handlers::user)
            .doc("admin", "One user with session and job counts")
            .returns::<AdminUser>(200),
        ApiRoute::post(
            "/api/v1/admin/users/{id}/role",
            ADMIN,
            handlers::change_role,
        )
        .doc(
            "admin",
            "Change a user's role (admin and superadmin only by a superadmin)",
        )
        .json::<ChangeRole>()
        .returns::<AdminUser>(200),
        ApiRoute::post(
            "/api/v1/admin/users/{id}/plan",
            ADMIN,
            handlers::change_plan,
        )
        .doc(
            "admin",
            "Put a user on a plan by hand, with a reason and ticket (a later subscription change sets it again)",
        )
        .json::<ChangePlan>()
        .returns::<AdminUser>(200),
        ApiRoute::get(
            "/api/v1/admin/users/{id}/billing",
            SUPPORT,
            handlers::user_billing,
        )
        .doc("admin", "A user's plan and subscription as billing sees them")
        .returns::<BillingOverview>(200),
        ApiRoute::post("/api/v1/admin/users/{id}/suspend", ADMIN, handlers::suspend)
            .doc("admin", "Suspend a user and end their sessions")
            .json::<Justification>()
            .returns::<AdminUser>(200),
        ApiRoute::post(
            "/api/v1/admin/users/{id}/unsuspend",
            ADMIN,
            handlers::unsuspend,
        )
        .doc("admin", "Lift a suspension")
        .json::<Justification>()
        .returns::<AdminUser>(200),
        ApiRoute::post(
            "/api/v1/admin/users/{id}/force-logout",
            ADMIN,
            handlers::force_logout,
        )
        .doc("admin", "End every session of a user")
        .json::<Justification>()
        .returns::<AdminUser>(200),
        ApiRoute::get("/api/v1/admin/jobs", SUPPORT, handlers::jobs)
            .doc("admin", "All jobs")
            .query::<handlers::AdminJobQuery>()
            .returns::<Page<AdminJob>>(200),
        ApiRoute::post(
            "/api/v1/admin/jobs/{id}/terminate",
            ADMIN,
            handlers::terminate_job,
        )
        .doc("admin", "Stop any live job")
        .json::<Justification>()
        .returns::<Job>(200),
        ApiRoute::get("/api/v1/admin/audit", SUPPORT, handlers::audit)
            .doc("admin", "The audit log of operator actions")
            .query::<handlers::AuditQuery>()
            .returns::<Page<AuditEntry>>(200),
        ApiRoute::get(
            "/api/v1/admin/security-events",
            SUPPORT,
            handlers::security_events,
        )
        .doc("admin", "Failed logins, rate-limit hits, bad tokens")
        .query::<handlers::SecurityQuery>()
        .returns::<Page<SecurityEvent>>(200),
        ApiRoute::get("/api/v1/admin/overview", SUPPORT, handlers::admin_overview)
            .doc(
                "admin",
                "System health, alerts computed from the data, and totals",
            )
            .returns::<AdminOverview>(200),
        ApiRoute::get("/api/v1/admin/storage", SUPPORT, handlers::admin_storage)
            .doc(
                "admin",
                "Stored bytes in all and by the organizations storing the most",
            )
            .returns::<StorageReport>(200),
    ]
}
