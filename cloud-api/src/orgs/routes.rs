//! The organizations slice of the route table.

use super::handlers;
use crate::http::routes::{ApiRoute, RouteLimits, ADMIN, MEMBER, SUPPORT};
use tseeder_protocol::*;

pub(crate) fn routes(_limits: &RouteLimits) -> Vec<ApiRoute> {
    vec![
        ApiRoute::get("/api/v1/orgs", MEMBER, handlers::list)
            .doc("organizations", "The caller's organizations and their role in each, personal first")
            .returns::<Vec<OrgSummary>>(200),
        ApiRoute::post("/api/v1/orgs", MEMBER, handlers::create)
            .doc("organizations", "Create an organization; the caller is its owner")
            .json::<NameOrg>()
            .returns::<OrgDetail>(201),
        ApiRoute::get("/api/v1/orgs/{id}", MEMBER, handlers::detail)
            .doc(
                "organizations",
                "An organization of the caller's: members, and for its owner and admins the invitations waiting",
            )
            .returns::<OrgDetail>(200),
        ApiRoute::patch("/api/v1/orgs/{id}", MEMBER, handlers::rename)
            .doc("organizations", "Rename (the owner)")
            .json::<NameOrg>()
            .returns::<OrgDetail>(200),
        ApiRoute::delete("/api/v1/orgs/{id}", MEMBER, handlers::delete)
            .doc("organizations", "Delete with its memberships and invitations (the owner; not a personal one)")
            .no_content(),
        ApiRoute::post("/api/v1/orgs/{id}/invites", MEMBER, handlers::invite)
            .doc(
                "organizations",
                "Mail a single-use invitation valid 7 days (owner and admins; admins only by the owner)",
            )
            .json::<InviteMember>()
            .returns::<OrgInvite>(201),
        ApiRoute::delete(
            "/api/v1/orgs/{id}/invites/{inviteId}",
            MEMBER,
            handlers::revoke_invite,
        )
        .doc("organizations", "Withdraw an invitation (owner and admins)")
        .no_content(),
        ApiRoute::post("/api/v1/orgs/{id}/leave", MEMBER, handlers::leave)
            .doc("organizations", "Leave (not the owner, not a personal one)")
            .no_content(),
        ApiRoute::patch(
            "/api/v1/orgs/{id}/members/{userId}",
            MEMBER,
            handlers::change_role,
        )
        .doc("organizations", "Make a member an admin or an admin a member (the owner)")
        .json::<ChangeMemberRole>()
        .returns::<OrgDetail>(200),
        ApiRoute::delete(
            "/api/v1/orgs/{id}/members/{userId}",
            MEMBER,
            handlers::remove_member,
        )
        .doc("organizations", "Remove a member (the owner anyone, admins members)")
        .no_content(),
        ApiRoute::post("/api/v1/orgs/{id}/transfer", MEMBER, handlers::transfer)
            .doc("organizations", "Hand the organization to a member; the owner becomes an admin")
            .json::<TransferOrg>()
            .returns::<OrgDetail>(200),
        ApiRoute::post("/api/v1/orgs/{id}/use", MEMBER, handlers::work_in)
            .doc(
                "organizations",
                "Work in this organization from now on (a session): its jobs, files, plan and new API keys",
            )
            .returns::<OrgSummary>(200),
        ApiRoute::post("/api/v1/invites/accept", MEMBER, handlers::accept)
            .doc(
                "organizations",
                "Accept an invitation sent to the signed-in account's address",
            )
            .json::<AcceptInvite>()
            .returns::<OrgSummary>(200),
        ApiRoute::get("/api/v1/admin/orgs", SUPPORT, handlers::operators_list)
            .doc("admin", "Search organizations by name, id or owner's email")
            .query::<handlers::OrgQuery>()
            .returns::<Page<AdminOrg>>(200),
        ApiRoute::get("/api/v1/admin/orgs/{id}", SUPPORT, handlers::operators_detail)
            .doc("admin", "One organization with its members and waiting invitations")
            .returns::<AdminOrgDetail>(200),
        ApiRoute::get("/api/v1/admin/orgs/{id}/billing", SUPPORT, handlers::operators_billing)
            .doc("admin", "An organization's plan and subscription as billing sees them")
            .returns::<BillingOverview>(200),
        ApiRoute::post("/api/v1/admin/orgs/{id}/plan", ADMIN, handlers::operators_change_plan)
            .doc(
                "admin",
                "Put a team organization on a plan by hand (reason and ticket required; audited)",
            )
            .json::<ChangePlan>()
            .returns::<AdminOrgDetail>(200),
    ]
}
