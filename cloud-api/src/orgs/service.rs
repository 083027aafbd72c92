//! Organizations as their members use them: create, rename, delete (the owner); invite by email,
//! withdraw an invitation, remove a member (owner and admins); accept an invitation sent to
//! one's own address; leave; change a member's role and hand the organization over (the owner).
//! Every change is one store operation with its audit row. A user who is not a member of an
//! organization is told it does not exist.

use super::store::{self as q, InviteRow, MemberRow, NewInvite, OrgRow};
use crate::accounts::service::normalize_email;
use crate::audit::actor::Actor;
use crate::crypto;
use crate::error::{ApiError, ApiResult};
use crate::mail::store as mail_queue;
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

fn summary(row: &OrgRow, role: OrgRole, working_in: &str) -> OrgSummary {
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

fn member_view(row: MemberRow) -> OrgMember {
    OrgMember {
        user_id: row.user_id,
        email: row.email,
        display_name: row.display_name,
        role: row.role,
        joined_at: db::to_datetime(row.joined_at),
    }
}

fn invite_view(row: InviteRow) -> OrgInvite {
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
fn membership(tx: &Tx<'_>, org_id: &str, user_id: &str) -> ApiResult<(OrgRow, OrgRole)> {
    let role = q::role_in(tx, org_id, user_id)?.ok_or(ApiError::NotFound)?;
    let org = q::org(tx, org_id)?.ok_or(ApiError::NotFound)?;
    Ok((org, role))
}

fn refuse_role(what: &str) -> ApiError {
    ApiError::forbidden(
        ErrorCode::InsufficientRole,
        format!("your role in this organization does not allow {what}"),
    )
}

fn require_owner(role: OrgRole, what: &str) -> ApiResult<()> {
    if role == OrgRole::Owner {
        Ok(())
    } else {
        Err(refuse_role(what))
    }
}

fn refuse_personal(what: &str) -> ApiError {
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

fn room_for_one_more(tx: &Tx<'_>, user_id: &str) -> ApiResult<()> {
    if q::memberships_of_user(tx, user_id)? >= MAX_ORGS_PER_USER {
        return Err(ApiError::conflict(
            ErrorCode::TooManyOrgs,
            format!("an account belongs to at most {MAX_ORGS_PER_USER} organizations"),
        ));
    }
    Ok(())
}

/// The organization as `role` sees it: invitations only for those who manage members.
fn detail_in(tx: &Tx<'_>, org: &OrgRow, role: OrgRole, acting: &Acting) -> DbResult<OrgDetail> {
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
struct Acting {
    user_id: String,
    org_id: String,
    /// The organization the caller's credential works in.
    working_in: String,
    who: Actor,
    now: i64,
}

impl Acting {
    fn record(&self, tx: &Tx<'_>, action: AuditAction, detail: serde_json::Value) -> DbResult<()> {
        self.who.record(tx, action, &self.org_id, detail)
    }

    /// The organization as the caller sees it after the change.
    fn detail(&self, tx: &Tx<'_>) -> ApiResult<OrgDetail> {
        let (org, role) = membership(tx, &self.org_id, &self.user_id)?;
        Ok(detail_in(tx, &org, role, self)?)
    }
}

impl Orgs<'_> {
    /// Runs `work` as one store operation on `org_id`, with the organization and the caller's
    /// role in it; not found when the caller is not a member.
    async fn as_member<T, F>(
        &self,
        principal: &Principal,
        meta: &RequestMeta,
        org_id: &str,
        mut work: F,
    ) -> ApiResult<T>
    where
        T: Send + 'static,
        F: FnMut(&Tx<'_>, &Acting, OrgRow, OrgRole) -> ApiResult<T> + Send + 'static,
    {
        let acting = Acting {
            user_id: principal.user.id.clone(),
            org_id: org_id.to_owned(),
            working_in: principal.org.id.clone(),
            who: Actor::of(principal, meta),
            now: db::now_ms(),
        };
        self.services
            .db()
            .transaction_with(move |tx| {
                let (org, role) = membership(tx, &acting.org_id, &acting.user_id)?;
                work(tx, &acting, org, role)
            })
            .await
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
        self.as_member(
            principal,
            &RequestMeta::default(),
            org_id,
            |tx, acting, org, role| Ok(detail_in(tx, &org, role, acting)?),
        )
        .await
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
        self.services
            .db()
            .transaction_with(move |tx| -> ApiResult<_> {
                room_for_one_more(tx, &acting.user_id)?;
                q::create_org(tx, &acting.org_id, &name, None, acting.now)?;
                q::add_member(
                    tx,
                    &acting.org_id,
                    &acting.user_id,
                    OrgRole::Owner,
                    acting.now,
                )?;
                acting.record(
                    tx,
                    AuditAction::OrgCreate,
                    serde_json::json!({ "name": name }),
                )?;
                acting.detail(tx)
            })
            .await
    }

    pub async fn rename(
        &self,
        principal: &Principal,
        meta: &RequestMeta,
        org_id: &str,
        req: NameOrg,
    ) -> ApiResult<OrgDetail> {
        let name = checked_name(&req.name)?;
        self.as_member(principal, meta, org_id, move |tx, acting, org, role| {
            require_owner(role, "renaming it")?;
            q::rename(tx, &acting.org_id, &name, acting.now)?;
            acting.record(
                tx,
                AuditAction::OrgRename,
                serde_json::json!({ "from": org.name, "to": name }),
            )?;
            acting.detail(tx)
        })
        .await
    }

    /// Deletes an organization with its memberships and invitations.
    pub async fn delete(
        &self,
        principal: &Principal,
        meta: &RequestMeta,
        org_id: &str,
    ) -> ApiResult<()> {
        self.as_member(principal, meta, org_id, |tx, acting, org, role| {
            require_owner(role, "deleting it")?;
            if org.personal {
                return Err(refuse_personal("deleted"));
            }
            if crate::billing::store::has_running_subscription(tx, &acting.org_id)? {
                return Err(ApiError::conflict(
                    ErrorCode::OrgHasSubscription,
                    "its subscription still runs: cancel it in the billing portal first",
                ));
            }
            if q::has_jobs(tx, &acting.org_id)? {
                return Err(ApiError::conflict(
                    ErrorCode::OrgHasJobs,
                    "delete the organization's jobs (and their files) first",
                ));
            }
            q::delete_org(tx, &acting.org_id)?;
            acting.record(
                tx,
                AuditAction::OrgDelete,
                serde_json::json!({ "name": org.name, "members": org.members }),
            )?;
            Ok(())
        })
        .await
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
        let invite = self
            .as_member(principal, meta, org_id, move |tx, acting, org, mine| {
                if !mine.manages_members() || (role == OrgRole::Admin && mine != OrgRole::Owner) {
                    return Err(refuse_role(&format!("inviting an {role}")));
                }
                if org.personal {
                    return Err(refuse_personal("shared"));
                }
                if q::is_member_email(tx, &org.id, &email)? {
                    return Err(ApiError::conflict(
                        ErrorCode::AlreadyMember,
                        format!("{email} is already a member"),
                    ));
                }
                q::revoke_waiting_invites(tx, &org.id, &email, acting.now)?;
                q::insert_invite(
                    tx,
                    &NewInvite {
                        id: &id,
                        org_id: &org.id,
                        email: &email,
                        role,
                        token_hash: &token_hash,
                        invited_by: &acting.user_id,
                        now: acting.now,
                        expires_at: acting.now + INVITE_TTL_MS,
                    },
                )?;
                let mail = invite_mail(&email, &org.name, &inviter, &link);
                mail_queue::enqueue(tx, &mail, acting.now)?;
                acting.record(
                    tx,
                    AuditAction::OrgInvite,
                    serde_json::json!({ "email": email, "role": role }),
                )?;
                q::invite(tx, &org.id, &id)?.ok_or(ApiError::NotFound)
            })
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
        self.as_member(principal, meta, org_id, move |tx, acting, org, role| {
            if !role.manages_members() {
                return Err(refuse_role("withdrawing invitations"));
            }
            let invite = q::invite(tx, &org.id, &iid)?.ok_or(ApiError::NotFound)?;
            if invite.accepted_at.is_some() || invite.revoked_at.is_some() {
                return Err(ApiError::conflict(
                    ErrorCode::InvalidState,
                    "the invitation was already used or withdrawn",
                ));
            }
            q::revoke_invite(tx, &iid, acting.now)?;
            acting.record(
                tx,
                AuditAction::OrgInviteRevoke,
                serde_json::json!({ "email": invite.email }),
            )?;
            Ok(())
        })
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
        self.services
            .db()
            .transaction_with(move |tx| -> ApiResult<_> {
                let invite = q::invite_by_token(tx, &token_hash)?
                    .filter(|i| i.accepted_at.is_none() && i.revoked_at.is_none() && i.expires_at > now)
                    .ok_or_else(|| {
                        ApiError::bad_request(
                            ErrorCode::InvalidToken,
                            "this invitation is unknown, used, withdrawn or expired; ask for a new one",
                        )
                    })?;
                if invite.email != email {
                    return Err(ApiError::forbidden(
                        ErrorCode::InviteForAnotherEmail,
                        "this invitation was sent to another address: sign in with that account to accept it",
                    ));
                }
                if q::role_in(tx, &invite.org_id, &uid)?.is_some() {
                    return Err(ApiError::conflict(
                        ErrorCode::AlreadyMember,
                        "you are already a member of this organization",
                    ));
                }
                room_for_one_more(tx, &uid)?;
                if !q::use_invite(tx, &invite.id, now)? {
                    return Err(ApiError::bad_request(
                        ErrorCode::InvalidToken,
                        "this invitation was used or withdrawn meanwhile",
                    ));
                }
                q::add_member(tx, &invite.org_id, &uid, invite.role, now)?;
                who.record(
                    tx,
                    AuditAction::OrgJoin,
                    &invite.org_id,
                    serde_json::json!({ "role": invite.role, "invite": invite.id }),
                )?;
                let (org, role) = membership(tx, &invite.org_id, &uid)?;
                Ok(summary(&org, role, &working_in))
            })
            .await
    }

    pub async fn leave(
        &self,
        principal: &Principal,
        meta: &RequestMeta,
        org_id: &str,
    ) -> ApiResult<()> {
        self.as_member(principal, meta, org_id, |tx, acting, org, role| {
            if org.personal {
                return Err(refuse_personal("left"));
            }
            if role == OrgRole::Owner {
                return Err(ApiError::conflict(
                    ErrorCode::OwnerCannotLeave,
                    "hand the organization to another member first, or delete it",
                ));
            }
            q::remove_member(tx, &org.id, &acting.user_id)?;
            acting.record(tx, AuditAction::OrgLeave, serde_json::json!({}))?;
            Ok(())
        })
        .await?;
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
        self.as_member(principal, meta, org_id, move |tx, acting, org, role| {
            if mid == acting.user_id {
                return Err(ApiError::forbidden(
                    ErrorCode::SelfAction,
                    "leave the organization instead of removing yourself",
                ));
            }
            let target = q::role_in(tx, &org.id, &mid)?.ok_or(ApiError::NotFound)?;
            let allowed = match role {
                OrgRole::Owner => true,
                OrgRole::Admin => target == OrgRole::Member,
                OrgRole::Member => false,
            };
            if !allowed {
                return Err(refuse_role(&format!("removing an {target}")));
            }
            q::remove_member(tx, &org.id, &mid)?;
            acting.record(
                tx,
                AuditAction::OrgMemberRemove,
                serde_json::json!({ "userId": mid, "role": target }),
            )?;
            Ok(())
        })
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
        let detail = self
            .as_member(principal, meta, org_id, move |tx, acting, org, role| {
                require_owner(role, "changing roles")?;
                let target = q::role_in(tx, &org.id, &mid)?.ok_or(ApiError::NotFound)?;
                if target == OrgRole::Owner {
                    return Err(ApiError::forbidden(
                        ErrorCode::SelfAction,
                        "the owner's role changes only with a transfer",
                    ));
                }
                q::set_role(tx, &org.id, &mid, role_given)?;
                acting.record(
                    tx,
                    AuditAction::OrgMemberRole,
                    serde_json::json!({ "userId": mid, "from": target, "to": role_given }),
                )?;
                acting.detail(tx)
            })
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
        let detail = self
            .as_member(principal, meta, org_id, move |tx, acting, org, role| {
                require_owner(role, "handing it over")?;
                if org.personal {
                    return Err(refuse_personal("given away"));
                }
                if to == acting.user_id {
                    return Err(ApiError::forbidden(
                        ErrorCode::SelfAction,
                        "you own it already",
                    ));
                }
                if q::role_in(tx, &org.id, &to)?.is_none() {
                    return Err(ApiError::unprocessable(
                        ErrorCode::NotAMember,
                        "hand the organization to one of its members",
                    ));
                }
                // One owner at a time: the old one steps down before the new one steps up.
                q::set_role(tx, &org.id, &acting.user_id, OrgRole::Admin)?;
                q::set_role(tx, &org.id, &to, OrgRole::Owner)?;
                acting.record(
                    tx,
                    AuditAction::OrgTransfer,
                    serde_json::json!({ "from": acting.user_id, "to": to }),
                )?;
                acting.detail(tx)
            })
            .await?;
        self.services.live().publish_revoked(&principal.user.id);
        self.services.live().publish_revoked(&new_owner);
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
        self.services
            .db()
            .transaction_with(move |tx| -> ApiResult<_> {
                let (org, role) = membership(tx, &oid, &uid)?;
                let chosen = (!org.personal).then_some(oid.as_str());
                crate::credentials::store::set_session_org(tx, &sid, chosen)?;
                Ok(summary(&org, role, &oid))
            })
            .await
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
        self.services
            .db()
            .transaction_with(move |tx| -> ApiResult<_> {
                let org = q::org(tx, &oid)?.ok_or(ApiError::NotFound)?;
                if org.personal {
                    return Err(ApiError::conflict(
                        ErrorCode::PersonalOrg,
                        "a personal organization is on its user's plan: change the user's plan",
                    ));
                }
                if !crate::plans::store::plan_exists(tx, &plan)? {
                    return Err(ApiError::unprocessable(
                        ErrorCode::UnknownPlan,
                        format!("there is no plan {plan:?}"),
                    ));
                }
                q::set_plan(tx, &oid, &plan, now)?;
                who.audit(
                    tx,
                    AuditAction::OrgPlanChange,
                    &oid,
                    &why,
                    serde_json::json!({ "from": org.plan_id, "to": plan }),
                )?;
                Ok(())
            })
            .await?;
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
        self.services
            .db()
            .transaction_with(move |tx| -> ApiResult<_> {
                let org = q::org(tx, &oid)?.ok_or(ApiError::NotFound)?;
                Ok(AdminOrgDetail {
                    org: admin_view(&org, q::owner_email(tx, &oid)?),
                    usage: crate::plans::store::usage_of(tx, &oid)?,
                    members: q::members(tx, &oid)?.into_iter().map(member_view).collect(),
                    invites: q::waiting_invites(tx, &oid, now)?
                        .into_iter()
                        .map(invite_view)
                        .collect(),
                })
            })
            .await
    }
}

fn admin_view(org: &OrgRow, owner_email: String) -> AdminOrg {
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

fn invite_mail(email: &str, org: &str, inviter: &str, link: &str) -> Email {
    Email {
        to: email.to_owned(),
        subject: format!("You are invited to {org} on tseeder"),
        text: format!(
            "{inviter} invites you to join the organization \"{org}\" on tseeder.\r\n\r\nSign in (or create an account) with this address, then open this link within 7 days to accept:\r\n\r\n{link}\r\n\r\nIf you did not expect this, ignore this message.\r\n"
        ),
    }
}
