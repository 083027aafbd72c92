//! Organizations: teams of users with one owner, admins and members, joined by invitation.

use crate::codes::wire_names;
use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

wire_names! {
    /// What a member may do in an organization.
    pub enum OrgRole {
        /// Renames, deletes and transfers the organization; manages everyone.
        Owner = "owner",
        /// Invites and removes members; sees and manages all of its jobs.
        Admin = "admin",
        /// Uses the organization's plan for their own jobs.
        Member = "member",
    }
}

wire_names! {
    /// A role given by an invitation or a role change; the one owner is made by a transfer.
    pub enum GrantedRole {
        Admin = "admin",
        Member = "member",
    }
}

impl From<GrantedRole> for OrgRole {
    fn from(role: GrantedRole) -> OrgRole {
        match role {
            GrantedRole::Admin => OrgRole::Admin,
            GrantedRole::Member => OrgRole::Member,
        }
    }
}

impl OrgRole {
    /// Invites and removes members.
    pub fn manages_members(self) -> bool {
        matches!(self, OrgRole::Owner | OrgRole::Admin)
    }

    /// Sees and manages every job of the organization, not only their own.
    pub fn sees_all_jobs(self) -> bool {
        matches!(self, OrgRole::Owner | OrgRole::Admin)
    }
}

/// Which organization the session works in from now on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SwitchOrg {
    pub org_id: String,
}

/// An organization as one of its members sees it in a list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrgSummary {
    pub id: String,
    pub name: String,
    /// The user's own organization, made with their account: it cannot be left, given away or
    /// deleted.
    pub personal: bool,
    /// The caller's role in it.
    pub role: OrgRole,
    pub members: u32,
    /// The plan its jobs share (a personal organization's is its user's).
    pub plan_id: String,
    /// The organization the caller's session (or key) works in now.
    pub current: bool,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrgMember {
    pub user_id: String,
    pub email: String,
    pub display_name: Option<String>,
    pub role: OrgRole,
    pub joined_at: DateTime<Utc>,
}

/// An invitation still waiting for its answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrgInvite {
    pub id: String,
    pub email: String,
    pub role: OrgRole,
    pub invited_by: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// `GET /api/v1/orgs/{id}`: the organization, its members, and (for its owner and admins) the
/// invitations waiting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrgDetail {
    pub org: OrgSummary,
    pub members: Vec<OrgMember>,
    pub invites: Vec<OrgInvite>,
}

/// `POST /api/v1/orgs` and `PATCH /api/v1/orgs/{id}`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NameOrg {
    #[schemars(pattern(crate::fields::LABEL_PATTERN))]
    pub name: String,
}

/// `POST /api/v1/orgs/{id}/invites`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct InviteMember {
    #[schemars(email, length(max = 254))]
    pub email: String,
    pub role: GrantedRole,
}

/// `POST /api/v1/invites/accept`.
#[derive(Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AcceptInvite {
    pub token: String,
}

/// `PATCH /api/v1/orgs/{id}/members/{userId}`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChangeMemberRole {
    pub role: GrantedRole,
}

/// `POST /api/v1/orgs/{id}/transfer`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TransferOrg {
    /// The member who becomes the owner; the owner becomes an admin.
    pub user_id: String,
}

/// An organization as operators see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AdminOrg {
    pub id: String,
    pub name: String,
    pub personal: bool,
    pub owner_email: String,
    pub members: u32,
    pub plan_id: String,
    pub created_at: DateTime<Utc>,
}

/// `GET /api/v1/admin/orgs/{id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AdminOrgDetail {
    pub org: AdminOrg,
    /// What its jobs use of its plan.
    pub usage: crate::Usage,
    pub members: Vec<OrgMember>,
    pub invites: Vec<OrgInvite>,
}

crate::debug_redacting!(AcceptInvite {} hiding { token });
