//! Organizations' units of work: each change a member makes (with the rules their role allows,
//! decided on the membership rows it reads, and its audit row), an operator's plan change,
//! and the reads that must see one consistent organization. Each is one store operation, so a
//! service never holds a transaction. A caller who is not a member is told the organization
//! does not exist.

use super::service::{
    admin_view, detail_in, invite_mail, invite_view, member_view, membership, refuse_personal,
    refuse_role, require_owner, room_for_one_more, summary, Acting, INVITE_TTL_MS,
};
use super::store::{self as q, InviteRow, NewInvite, OrgRow};
use crate::audit::actor::{Actor, Why};
use crate::error::{ApiError, ApiResult};
use crate::mail::store as mail_queue;
use crate::store::{Store, Tx};
use tseeder_protocol::{AdminOrgDetail, AuditAction, ErrorCode, OrgDetail, OrgRole, OrgSummary};

/// An invitation as the service prepared it: who is invited as what, the hash of its token,
/// and what its mail says.
#[derive(Debug)]
pub struct Invitation {
    pub id: String,
    pub email: String,
    pub role: OrgRole,
    pub token_hash: Vec<u8>,
    /// The inviter's address, named in the mail.
    pub inviter: String,
    /// The acceptance link the mail carries.
    pub link: String,
}

/// Runs `work` as one store operation on the acting caller's organization, with the
/// organization and the caller's role in it; not found when the caller is not a member.
async fn as_member<T, F>(store: &Store, acting: Acting, mut work: F) -> ApiResult<T>
where
    T: Send + 'static,
    F: FnMut(&Tx<'_>, &Acting, OrgRow, OrgRole) -> ApiResult<T> + Send + 'static,
{
    store
        .transaction_with(move |tx| {
            let (org, role) = membership(tx, &acting.org_id, &acting.user_id)?;
            work(tx, &acting, org, role)
        })
        .await
}

/// The organization as the acting caller sees it.
pub(crate) async fn detail(store: &Store, acting: Acting) -> ApiResult<OrgDetail> {
    as_member(store, acting, |tx, acting, org, role| {
        Ok(detail_in(tx, &org, role, acting)?)
    })
    .await
}

/// The owner renames the organization.
pub(crate) async fn rename(store: &Store, acting: Acting, name: String) -> ApiResult<OrgDetail> {
    as_member(store, acting, move |tx, acting, org, role| {
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

/// The owner deletes a team organization with its memberships and invitations, once no
/// subscription runs and no job is left.
pub(crate) async fn delete(store: &Store, acting: Acting) -> ApiResult<()> {
    as_member(store, acting, move |tx, acting, org, role| {
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

/// Stores an invitation (replacing one still waiting for the address) and queues its mail;
/// only the owner invites admins.
pub(crate) async fn invite(
    store: &Store,
    acting: Acting,
    invitation: Invitation,
) -> ApiResult<InviteRow> {
    let Invitation {
        id,
        email,
        role,
        token_hash,
        inviter,
        link,
    } = invitation;
    as_member(store, acting, move |tx, acting, org, mine| {
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
    .await
}

/// Withdraws an invitation not used yet.
pub(crate) async fn revoke_invite(store: &Store, acting: Acting, iid: String) -> ApiResult<()> {
    as_member(store, acting, move |tx, acting, org, role| {
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

/// The caller leaves a team organization they do not own.
pub(crate) async fn leave(store: &Store, acting: Acting) -> ApiResult<()> {
    as_member(store, acting, move |tx, acting, org, role| {
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
    .await
}

/// The owner removes anyone else; an admin removes members.
pub(crate) async fn remove_member(store: &Store, acting: Acting, mid: String) -> ApiResult<()> {
    as_member(store, acting, move |tx, acting, org, role| {
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
    .await
}

/// The owner makes a member an admin or an admin a member.
pub(crate) async fn change_role(
    store: &Store,
    acting: Acting,
    role_given: OrgRole,
    mid: String,
) -> ApiResult<OrgDetail> {
    as_member(store, acting, move |tx, acting, org, role| {
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
    .await
}

/// The owner hands the organization to another member and stays as an admin.
pub(crate) async fn transfer(store: &Store, acting: Acting, to: String) -> ApiResult<OrgDetail> {
    as_member(store, acting, move |tx, acting, org, role| {
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
    .await
}

/// An organization as operators see it: owner, usage, members and waiting invitations.
pub async fn detail_for_operators(
    store: &Store,
    oid: String,
    now: i64,
) -> ApiResult<AdminOrgDetail> {
    store
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

/// An operator puts a team organization on a plan, with the audit row; a personal one's plan
/// is its user's.
pub(crate) async fn change_plan(
    store: &Store,
    who: Actor,
    why: Why,
    oid: String,
    plan: String,
    now: i64,
) -> ApiResult<()> {
    store
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
        .await
}

/// Makes the organization, of which the user must be a member, the one the session works in.
pub async fn work_in(
    store: &Store,
    uid: String,
    oid: String,
    sid: String,
) -> ApiResult<OrgSummary> {
    store
        .transaction_with(move |tx| -> ApiResult<_> {
            let (org, role) = membership(tx, &oid, &uid)?;
            let chosen = (!org.personal).then_some(oid.as_str());
            crate::credentials::store::set_session_org(tx, &sid, chosen)?;
            Ok(summary(&org, role, &oid))
        })
        .await
}

/// Spends an invitation sent to the caller's own address: the caller joins with its role,
/// with the audit row.
pub(crate) async fn accept(
    store: &Store,
    who: Actor,
    token_hash: Vec<u8>,
    working_in: String,
    uid: String,
    email: String,
    now: i64,
) -> ApiResult<OrgSummary> {
    store
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

/// A new organization with the caller as its owner, within the memberships one may have.
pub(crate) async fn create(store: &Store, acting: Acting, name: String) -> ApiResult<OrgDetail> {
    store
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
