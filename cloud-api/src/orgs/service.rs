//! Organizations as their members use them: create, rename, delete (the owner); invite by email,
//! withdraw an invitation, remove a member (owner and admins); accept an invitation sent to
//! one's own address; leave; change a member's role and hand the organization over (the owner).
//! Every change is one store operation with its audit row. A user who is not a member of an
//! organization is told it does not exist.

use super::store::{self as q, InviteRow, MemberRow, OrgRow};
use super::units;
use crate::accounts::service::normalize_email;
use crate::audit::actor::Actor;
use crate::crypto;
use crate::error::{ApiError, ApiResult};
use crate::mail::Email;
use crate::services::Credential;
use crate::services::{Paging, Principal, RequestMeta, Services};
use crate::store::{self as db, DbResult, Tx};
use tseeder_protocol::{
    fields, AcceptInvite, AdminOrg, AdminOrgDetail, AuditAction, ChangeMemberRole, ChangePlan,
    ErrorCode, InviteMember, NameOrg, OrgDetail, OrgInvite, OrgMember, OrgRole, OrgSummary, Page,
    TransferOrg,
};

/// An invitation may be accepted this long after it was sent.
pub const INVITE_TTL_MS: i64 = 7 * 86_400_000;

/// Organizations one user may belong to, their personal one included.
pub const MAX_ORGS_PER_USER: u64 = 50;

#[derive(Debug, Clone, Copy)]
pub struct Orgs<'a> {
    services: &'a Services,
}

impl<'a> Orgs<'a> {
    pub(crate) fn new(services: &'a Services) -> Self {
        Orgs { services }
    }
}

pub(super) fn summary(row: &OrgRow, role: OrgRole, working_in: &str) -> OrgSummary {
    OrgSummary {
        id: row.id.clone(),
        name: row.name.clone(),
        personal: row.personal,
        role,
        members: row.members,
        plan_id: row.plan_id.clone(),
        current: row.id == working_in,
        created_at: db::to_datetime(row.created_at),
    }
}

pub(super) fn member_view(row: MemberRow) -> OrgMember {
    OrgMember {
        user_id: row.user_id,
        email: row.email,
        display_name: row.display_name,
        role: row.role,
        joined_at: db::to_datetime(row.joined_at),
    }
}

pub(super) fn invite_view(row: InviteRow) -> OrgInvite {
    OrgInvite {
        id: row.id,
        email: row.email,
        role: row.role,
        invited_by: row.invited_by,
        created_at: db::to_datetime(row.created_at),
        expires_at: db::to_datetime(row.expires_at),
    }
}

/// The organization and the caller's role in it; not found when the caller is not a member.
pub(super) fn membership(tx: &Tx<'_>, org_id: &str, user_id: &str) -> ApiResult<(OrgRow, OrgRole)> {
    let role = q::role_in(tx, org_id, user_id)?.ok_or(ApiError::NotFound)?;
    let org = q::org(tx, org_id)?.ok_or(ApiError::NotFound)?;
    Ok((org, role))
}

pub(super) fn refuse_role(what: &str) -> ApiError {
    ApiError::forbidden(
        ErrorCode::InsufficientRole,
        format!("your role in this organization does not allow {what}"),
    )
}

pub(super) fn require_owner(role: OrgRole, what: &str) -> ApiResult<()> {
    if role == OrgRole::Owner {
        Ok(())
    } else {
        Err(refuse_role(what))
    }
}

pub(super) fn refuse_personal(what: &str) -> ApiError {
    ApiError::conflict(
        ErrorCode::PersonalOrg,
        format!("a personal organization cannot be {what}"),
    )
}

fn checked_name(name: &str) -> ApiResult<String> {
    fields::label(name).map(str::to_owned).ok_or_else(|| {
        ApiError::unprocessable(
            ErrorCode::InvalidName,
            "give the organization a name of 1 to 100 characters",
        )
    })
}

pub(super) fn room_for_one_more(tx: &Tx<'_>, user_id: &str) -> ApiResult<()> {
    if q::memberships_of_user(tx, user_id)? >= MAX_ORGS_PER_USER {
        return Err(ApiError::conflict(
            ErrorCode::TooManyOrgs,
            format!("an account belongs to at most {MAX_ORGS_PER_USER} organizations"),
        ));
    }
    Ok(())
}

/// The organization as `role` sees it: invitations only for those who manage members.
pub(super) fn detail_in(
    tx: &Tx<'_>,
    org: &OrgRow,
    role: OrgRole,
    acting: &Acting,
) -> DbResult<OrgDetail> {
    let now = acting.now;
    let invites = if role.manages_members() {
        q::waiting_invites(tx, &org.id, now)?
    } else {
        Vec::new()
    };
    Ok(OrgDetail {
        org: summary(org, role, &acting.working_in),
        members: q::members(tx, &org.id)?
            .into_iter()
            .map(member_view)
            .collect(),
        invites: invites.into_iter().map(invite_view).collect(),
    })
}

/// The caller acting on one organization, in one unit of work.
pub(crate) struct Acting {
    pub(super) user_id: String,
    pub(super) org_id: String,
    /// The organization the caller's credential works in.
    pub(super) working_in: String,
    pub(super) who: Actor,
    pub(super) now: i64,
}

impl Acting {
    pub(super) fn record(
        &self,
        tx: &Tx<'_>,
        action: AuditAction,
        detail: serde_json::Value,
    ) -> DbResult<()> {
        self.who.record(tx, action, &self.org_id, detail)
    }

    /// The organization as the caller sees it after the change.
    pub(super) fn detail(&self, tx: &Tx<'_>) -> ApiResult<OrgDetail> {
        let (org, role) = membership(tx, &self.org_id, &self.user_id)?;
        Ok(detail_in(tx, &org, role, self)?)
    }
}

impl Orgs<'_> {
    /// The caller acting on `org_id` now.
    fn acting(&self, principal: &Principal, meta: &RequestMeta, org_id: &str) -> Acting {
        Acting {
            user_id: principal.user.id.clone(),
            org_id: org_id.to_owned(),
            working_in: principal.org.id.clone(),
            who: Actor::of(principal, meta),
            now: db::now_ms(),
        }
    }

    /// The caller's organizations, personal first.
    pub async fn list(&self, principal: &Principal) -> ApiResult<Vec<OrgSummary>> {
        let uid = principal.user.id.clone();
        let rows = self
            .services
            .db()
            .call(move |tx| q::orgs_of_user(tx, &uid))
            .await?;
        let working_in = &principal.org.id;
        Ok(rows
            .iter()
            .map(|(org, role)| summary(org, *role, working_in))
            .collect())
    }

    pub async fn detail(&self, principal: &Principal, org_id: &str) -> ApiResult<OrgDetail> {
        let acting = self.acting(principal, &RequestMeta::default(), org_id);
        units::detail(self.services.db(), acting).await
    }

    /// A new organization with the caller as its owner.
    pub async fn create(
        &self,
        principal: &Principal,
        meta: &RequestMeta,
        req: NameOrg,
    ) -> ApiResult<OrgDetail> {
        let name = checked_name(&req.name)?;
        let acting = Acting {
            user_id: principal.user.id.clone(),
            org_id: format!("org_{}", uuid::Uuid::now_v7().simple()),
            working_in: principal.org.id.clone(),
            who: Actor::of(principal, meta),
            now: db::now_ms(),
        };
        units::create(self.services.db(), acting, name).await
    }

    pub async fn rename(
        &self,
        principal: &Principal,
        meta: &RequestMeta,
        org_id: &str,
        req: NameOrg,
    ) -> ApiResult<OrgDetail> {
        let name = checked_name(&req.name)?;
        units::rename(
            self.services.db(),
            self.acting(principal, meta, org_id),
            name,
        )
        .await
    }

    /// Deletes an organization with its memberships and invitations.
    pub async fn delete(
        &self,
        principal: &Principal,
        meta: &RequestMeta,
        org_id: &str,
    ) -> ApiResult<()> {
        units::delete(self.services.db(), self.acting(principal, meta, org_id)).await
    }

    /// Mails a single-use invitation, valid 7 days; it replaces one still waiting for the same
    /// address. Only the owner invites admins.
    pub async fn invite(
        &self,
        principal: &Principal,
        meta: &RequestMeta,
        org_id: &str,
        req: InviteMember,
    ) -> ApiResult<OrgInvite> {
        let email = normalize_email(&req.email)?;
        let role = OrgRole::from(req.role);
        let token = crypto::random_token(32);
        let token_hash = crypto::token_hash(&token);
        let inviter = principal.user.email.clone();
        let link = format!(
            "{}/invites/accept?token={token}",
            self.services.settings().public_url_trimmed()
        );
        let id = uuid::Uuid::now_v7().to_string();
        let invite = units::invite(
            self.services.db(),
            self.acting(principal, meta, org_id),
            units::Invitation {
                id,
                email,
                role,
                token_hash,
                inviter,
                link,
            },
        )
        .await?;
        self.services.mail().mail_queued();
        Ok(invite_view(invite))
    }

    pub async fn revoke_invite(
        &self,
        principal: &Principal,
        meta: &RequestMeta,
        org_id: &str,
        invite_id: &str,
    ) -> ApiResult<()> {
        let iid = invite_id.to_owned();
        units::revoke_invite(
            self.services.db(),
            self.acting(principal, meta, org_id),
            iid,
        )
        .await
    }

    /// Joins the organization an invitation to the caller's own address names.
    pub async fn accept(
        &self,
        principal: &Principal,
        meta: &RequestMeta,
        req: AcceptInvite,
    ) -> ApiResult<OrgSummary> {
        let token_hash = crypto::token_hash(req.token.trim());
        let who = Actor::of(principal, meta);
        let working_in = principal.org.id.clone();
        let (uid, email, now) = (
            principal.user.id.clone(),
            principal.user.email.clone(),
            db::now_ms(),
        );
        units::accept(
            self.services.db(),
            who,
            token_hash,
            working_in,
            uid,
            email,
            now,
        )
        .await
    }

    pub async fn leave(
        &self,
        principal: &Principal,
        meta: &RequestMeta,
        org_id: &str,
    ) -> ApiResult<()> {
        units::leave(self.services.db(), self.acting(principal, meta, org_id)).await?;
        self.services.live().publish_revoked(&principal.user.id);
        Ok(())
    }

    /// The owner removes anyone else; an admin removes members.
    pub async fn remove_member(
        &self,
        principal: &Principal,
        meta: &RequestMeta,
        org_id: &str,
        member_id: &str,
    ) -> ApiResult<()> {
        let mid = member_id.to_owned();
        units::remove_member(
            self.services.db(),
            self.acting(principal, meta, org_id),
            mid,
        )
        .await?;
        self.services.live().publish_revoked(member_id);
        Ok(())
    }

    /// The owner makes a member an admin or an admin a member.
    pub async fn change_role(
        &self,
        principal: &Principal,
        meta: &RequestMeta,
        org_id: &str,
        member_id: &str,
        req: ChangeMemberRole,
    ) -> ApiResult<OrgDetail> {
        let role_given = OrgRole::from(req.role);
        let mid = member_id.to_owned();
        let detail = units::change_role(
            self.services.db(),
            self.acting(principal, meta, org_id),
            role_given,
            mid,
        )
        .await?;
        self.services.live().publish_revoked(member_id);
        Ok(detail)
    }

    /// Hands the organization to another member; the owner stays as an admin.
    pub async fn transfer(
        &self,
        principal: &Principal,
        meta: &RequestMeta,
        org_id: &str,
        req: TransferOrg,
    ) -> ApiResult<OrgDetail> {
        let to = req.user_id;
        let new_owner = to.clone();
        let detail =
            units::transfer(self.services.db(), self.acting(principal, meta, org_id), to).await?;
        self.services.live().publish_revoked(&principal.user.id);
        self.services.live().publish_revoked(&new_owner);
        if let Some(owner) = detail.members.iter().find(|m| m.user_id == new_owner) {
            self.services
                .billing()
                .owner_changed(org_id, &owner.email)
                .await;
        }
        Ok(detail)
    }

    /// Makes the organization the one the caller's session works in: its jobs, files, usage
    /// and new API keys. An API key stays in the organization it was made in.
    pub async fn work_in(&self, principal: &Principal, org_id: &str) -> ApiResult<OrgSummary> {
        let Credential::Session { id: session_id, .. } = &principal.credential else {
            return Err(ApiError::forbidden(
                ErrorCode::SessionRequired,
                "an API key works in the organization it was made in; make a key there instead",
            ));
        };
        let (uid, oid, sid) = (
            principal.user.id.clone(),
            org_id.to_owned(),
            session_id.clone(),
        );
        units::work_in(self.services.db(), uid, oid, sid).await
    }

    /// Puts a team organization on a plan by hand (an operator, with a reason and a ticket); a
    /// personal organization's plan is its user's, changed on the user.
    pub async fn change_plan_for_operators(
        &self,
        principal: &Principal,
        meta: &RequestMeta,
        org_id: &str,
        req: ChangePlan,
    ) -> ApiResult<AdminOrgDetail> {
        let why = crate::audit::actor::check_justification(&req.reason, &req.ticket_id)?;
        let plan = req.plan_id.trim().to_owned();
        let who = Actor::of(principal, meta);
        let (oid, now) = (org_id.to_owned(), db::now_ms());
        units::change_plan(self.services.db(), who, why, oid, plan, now).await?;
        self.detail_for_operators(org_id).await
    }

    /// Organizations for operators, newest first, by a piece of the name, the id or the owner's
    /// email.
    pub async fn list_for_operators(
        &self,
        search: Option<String>,
        paging: Paging,
    ) -> ApiResult<Page<AdminOrg>> {
        let search = search
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty());
        let cap = db::count_cap(paging.per_page, paging.offset());
        let (rows, total) = self
            .services
            .db()
            .call(move |tx| {
                q::list_for_operators(tx, search.as_deref(), paging.per_page, paging.offset(), cap)
            })
            .await?;
        Ok(paging.wrap_counted(
            rows.into_iter()
                .map(|row| admin_view(&row.org, row.owner_email))
                .collect(),
            total,
        ))
    }

    pub async fn detail_for_operators(&self, org_id: &str) -> ApiResult<AdminOrgDetail> {
        let (oid, now) = (org_id.to_owned(), db::now_ms());
        units::detail_for_operators(self.services.db(), oid, now).await
    }
}

pub(super) fn admin_view(org: &OrgRow, owner_email: String) -> AdminOrg {
    AdminOrg {
        id: org.id.clone(),
        name: org.name.clone(),
        personal: org.personal,
        owner_email,
        members: org.members,
        plan_id: org.plan_id.clone(),
        created_at: db::to_datetime(org.created_at),
    }
}

pub(super) fn invite_mail(email: &str, org: &str, inviter: &str, link: &str) -> Email {
    Email {
        to: email.to_owned(),
        subject: format!("You are invited to {org} on tseeder"),
        text: format!(
            "{inviter} invites you to join the organization \"{org}\" on tseeder.\r\n\r\nSign in (or create an account) with this address, then open this link within 7 days to accept:\r\n\r\n{link}\r\n\r\nIf you did not expect this, ignore this message.\r\n"
        ),
    }
}
