//! Operators' units of work on accounts and jobs: each change with its audit row, decided on the
//! rows it reads (the target's role, the job's state) and stored as one store operation, so
//! a service never holds a transaction; and the operators' reads that take several queries
//! (a user's detail, the overview's counts), each one store call.

use crate::accounts::store as users;
use crate::admin::overview::Counts;
use crate::admin::store as q;
use crate::audit::actor::{Actor, Why};
use crate::audit::store as audit;
use crate::credentials::store as credentials;
use crate::error::{ApiError, ApiResult};
use crate::jobs::store as jobs;
use crate::jobs::store::JobRow;
use crate::plans::store as plans;
use crate::services::Principal;
use crate::status::service::HOUR_MS;
use crate::store::{DbResult, Store};
use tseeder_protocol::{AuditAction, ErrorCode, JobStatus, Role, SecurityEventKind};

/// Whether `actor` may change `target`'s account at all.
pub(crate) fn may_manage(actor: &Principal, target: &users::UserRow) -> ApiResult<()> {
    if actor.user.id == target.id {
        return Err(ApiError::forbidden(
            ErrorCode::SelfAction,
            "operators cannot use this on their own account",
        ));
    }
    if actor.role() != Role::Superadmin && target.role >= actor.role() {
        return Err(ApiError::forbidden(
            ErrorCode::InsufficientRole,
            "only a higher role can change this account",
        ));
    }
    Ok(())
}

/// A change to one user's account, applied after the permission checks.
pub(crate) enum UserChange {
    Role(Role),
    Plan(String),
    Suspend,
    Unsuspend,
    ForceLogout,
}

/// Applies an operator's `change` to a user's account with its audit row, once the operator
/// may manage that account.
pub(crate) async fn change_user(
    store: &Store,
    principal: Principal,
    who: Actor,
    why: Why,
    uid: String,
    change: UserChange,
    now: i64,
) -> ApiResult<()> {
    store
        .transaction_with(move |tx| -> ApiResult<_> {
            let Some(target) = users::user_by_id(tx, &uid)? else {
                return Err(ApiError::NotFound);
            };
            may_manage(&principal, &target)?;
            let (action, detail) = match &change {
                UserChange::Role(role) => {
                    let role = *role;
                    users::set_role(tx, &uid, role, now)?;
                    (
                        AuditAction::UserRoleChange,
                        serde_json::json!({ "from": target.role, "to": role }),
                    )
                }
                UserChange::Plan(plan) => {
                    if !crate::plans::store::plan_exists(tx, plan)? {
                        return Err(ApiError::unprocessable(
                            ErrorCode::UnknownPlan,
                            format!("there is no plan {plan:?}"),
                        ));
                    }
                    users::set_plan(tx, &uid, plan, now)?;
                    (
                        AuditAction::UserPlanChange,
                        serde_json::json!({ "from": target.plan_id, "to": plan }),
                    )
                }
                UserChange::Suspend => {
                    users::set_suspension(tx, &uid, Some(&why.reason), now)?;
                    let revoked = credentials::revoke_credentials(tx, &uid, None, now)?;
                    (AuditAction::UserSuspend, revoked.detail())
                }
                UserChange::Unsuspend => {
                    users::set_suspension(tx, &uid, None, now)?;
                    (AuditAction::UserUnsuspend, serde_json::json!({}))
                }
                UserChange::ForceLogout => {
                    let revoked = credentials::revoke_credentials(tx, &uid, None, now)?;
                    (AuditAction::UserForceLogout, revoked.detail())
                }
            };
            who.audit(tx, action, &uid, &why, detail)?;
            Ok(())
        })
        .await
}

/// Cancels a live job of anyone's, with its event and the operator's audit row.
pub(crate) async fn terminate_job(
    store: &Store,
    who: Actor,
    why: Why,
    jid: String,
    now: i64,
) -> ApiResult<Option<JobRow>> {
    store
        .transaction_with(move |tx| -> ApiResult<_> {
            let Some(job) = jobs::job_by_id(tx, &jid)? else {
                return Err(ApiError::NotFound);
            };
            if job.status.is_terminal() {
                return Err(ApiError::conflict(
                    ErrorCode::InvalidState,
                    format!("the job is already {}", job.status.as_str()),
                ));
            }
            let message = format!("terminated by an operator: {}", why.reason);
            let live: Vec<JobStatus> = JobStatus::ALL
                .into_iter()
                .filter(|s| !s.is_terminal())
                .collect();
            if !jobs::transition_job(tx, &jid, &live, JobStatus::Cancelled, Some(&message), now)? {
                return Err(ApiError::conflict(
                    ErrorCode::InvalidState,
                    "the job changed state meanwhile",
                ));
            }
            jobs::insert_job_event(
                tx,
                &jid,
                "terminated",
                Some(JobStatus::Cancelled),
                Some(&message),
                now,
            )?;
            who.audit(
                tx,
                AuditAction::JobTerminate,
                &jid,
                &why,
                serde_json::json!({ "owner": job.user_id, "previousStatus": job.status }),
            )?;
            Ok(jobs::job_by_id(tx, &jid)?)
        })
        .await
}

/// Stores a verified account made from the command line; answers it as stored.
pub async fn create_user(
    store: &Store,
    uid: String,
    mail: String,
    hash: String,
    role: Role,
    now: i64,
) -> DbResult<Option<users::UserRow>> {
    store
        .transaction(move |tx| {
            users::insert_user(
                tx,
                &users::NewUser {
                    id: &uid,
                    email: &mail,
                    password_hash: &hash,
                    role,
                    email_verified_at: Some(now),
                    aup_accepted_at: None,
                    now,
                },
            )?;
            users::user_by_id(tx, &uid)
        })
        .await
}

/// A user with their live sessions and their personal organization's active jobs.
pub async fn user_detail(
    store: &Store,
    uid: String,
    now: i64,
) -> DbResult<Option<(users::UserRow, u32, u32)>> {
    store
        .call(move |conn| {
            let Some(user) = users::user_by_id(conn, &uid)? else {
                return Ok(None);
            };
            let sessions = credentials::count_live_sessions(conn, &uid, now)?;
            let personal = crate::orgs::store::personal_org_id(&uid);
            let usage = plans::usage_of_org(conn, &personal)?;
            Ok(Some((user, sessions, usage.active_jobs)))
        })
        .await
}

/// What the operators' overview is computed from, read in one store call.
pub(crate) async fn overview_counts(
    store: &Store,
    now: i64,
    since_chart: i64,
    near_quota_percent: u64,
) -> DbResult<Counts> {
    store
        .call(move |conn| {
            let (storage_bytes, object_count) = q::storage_totals(conn)?;
            Ok(Counts {
                users: q::user_totals(conn, now - 7 * crate::admin::overview::DAY_MS)?,
                jobs_by_status: q::jobs_by_status(conn)?,
                dead_letters: q::dead_letter_count(conn)?,
                storage_bytes,
                object_count,
                per_day: q::jobs_per_day(conn, since_chart)?,
                failed_last_hour: q::failed_since(conn, now - HOUR_MS)?,
                login_failures: audit::count_security_events_since(
                    conn,
                    SecurityEventKind::LoginFailed.as_str(),
                    now - HOUR_MS,
                )?,
                near_quota: q::orgs_near_quota(conn, near_quota_percent)?,
            })
        })
        .await
}
