//! Operator actions. Each write needs a justification, is allowed only against accounts of a
//! lower role (a superadmin may act on anyone but themself), and leaves an audit row in the same
//! transaction as the change.

use crate::accounts::service::EMAIL_TAKEN;
use crate::accounts::store as users;
use crate::admin::units::{self, UserChange};
use crate::audit::actor::{check_justification, Actor, Why};
use crate::audit::store as audit;
use crate::error::{ApiError, ApiResult};
use crate::jobs::service::job_view;
use crate::jobs::store as jobs;
use crate::jobs::store::JobFilter;
use crate::services::{user_view, Paging, Principal, RequestMeta, Services};
use crate::store as db;
use crate::store::{to_datetime, Cursor};
pub use tseeder_protocol::fields::MIN_REASON_CHARS;
use tseeder_protocol::{
    AdminJob, AdminUser, AuditEntry, ChangePlan, ChangeRole, ErrorCode, Job, JobStatus,
    Justification, Page, Role, SecurityEvent, User,
};

/// Operator actions on an account that need nothing but a justification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountAction {
    Suspend,
    Unsuspend,
    ForceLogout,
}

/// Operators' user and job management, audit log, security events, overview and storage report.
#[derive(Debug, Clone, Copy)]
pub struct Admin<'a> {
    pub(crate) services: &'a Services,
}

impl<'a> Admin<'a> {
    pub(crate) fn new(services: &'a Services) -> Self {
        Admin { services }
    }
}

impl Admin<'_> {
    pub async fn search_users(
        &self,
        query: Option<String>,
        paging: Paging,
        after: Option<&str>,
    ) -> ApiResult<Page<User>> {
        let filter = users::UserFilter {
            query: query.unwrap_or_default().trim().to_lowercase(),
            limit: paging.per_page,
            offset: paging.offset(),
            after: crate::services::decode_after(after)?,
        };
        let (rows, total) = self
            .services
            .db()
            .call(move |conn| users::search_users(conn, &filter))
            .await?;
        Ok(paging.wrap_keyset(
            rows,
            total,
            |user| Cursor {
                at: user.created_at,
                id: user.id.clone(),
            },
            |user| user_view(&user),
        ))
    }

    pub async fn user(&self, user_id: &str) -> ApiResult<AdminUser> {
        let (uid, now) = (user_id.to_owned(), db::now_ms());
        let found = units::user_detail(self.services.db(), uid, now).await?;
        let (user, active_sessions, active_jobs) = found.ok_or(ApiError::NotFound)?;
        Ok(AdminUser {
            user: user_view(&user),
            suspended_reason: user.suspended_reason.clone(),
            active_sessions,
            active_jobs,
        })
    }

    pub async fn change_role(
        &self,
        actor: &Principal,
        meta: &RequestMeta,
        user_id: &str,
        req: ChangeRole,
    ) -> ApiResult<AdminUser> {
        let why = check_justification(&req.reason, &req.ticket_id)?;
        if actor.role() != Role::Superadmin && req.role >= actor.role() {
            return Err(ApiError::forbidden(
                ErrorCode::InsufficientRole,
                "only a superadmin can grant the admin or superadmin role",
            ));
        }
        self.change_user(actor, meta, user_id, UserChange::Role(req.role), why)
            .await
    }

    /// Puts a user on a plan by hand (billing off, or a deal made outside Checkout). A later
    /// change of the user's subscription sets the plan again.
    pub async fn change_plan(
        &self,
        actor: &Principal,
        meta: &RequestMeta,
        user_id: &str,
        req: ChangePlan,
    ) -> ApiResult<AdminUser> {
        let why = check_justification(&req.reason, &req.ticket_id)?;
        let plan = req.plan_id.trim().to_owned();
        self.change_user(actor, meta, user_id, UserChange::Plan(plan), why)
            .await
    }

    /// Suspends, unsuspends or signs out every session of a user.
    pub async fn account_action(
        &self,
        actor: &Principal,
        meta: &RequestMeta,
        user_id: &str,
        action: AccountAction,
        req: Justification,
    ) -> ApiResult<AdminUser> {
        let why = check_justification(&req.reason, &req.ticket_id)?;
        let change = match action {
            AccountAction::Suspend => UserChange::Suspend,
            AccountAction::Unsuspend => UserChange::Unsuspend,
            AccountAction::ForceLogout => UserChange::ForceLogout,
        };
        self.change_user(actor, meta, user_id, change, why).await
    }

    async fn change_user(
        &self,
        actor: &Principal,
        meta: &RequestMeta,
        user_id: &str,
        change: UserChange,
        why: Why,
    ) -> ApiResult<AdminUser> {
        let who = Actor::of(actor, meta);
        units::change_user(
            self.services.db(),
            actor.clone(),
            who,
            why,
            user_id.to_owned(),
            change,
            db::now_ms(),
        )
        .await?;
        self.services.live().publish_revoked(user_id);
        self.user(user_id).await
    }

    pub async fn list_jobs(
        &self,
        status: Option<JobStatus>,
        search: Option<String>,
        owners: JobOwners,
        paging: Paging,
        after: Option<&str>,
    ) -> ApiResult<Page<AdminJob>> {
        let filter = JobFilter {
            org_id: owners.org_id,
            user_id: owners.user_id,
            status,
            search: search.filter(|s| !s.trim().is_empty()),
            limit: paging.per_page,
            offset: paging.offset(),
            after: crate::services::decode_after(after)?,
        };
        let (rows, total) = self
            .services
            .db()
            .call(move |conn| jobs::list_jobs_with_owners(conn, &filter))
            .await?;
        Ok(paging.wrap_keyset(
            rows,
            total,
            |(row, _)| crate::jobs::service::job_position(row),
            |(row, email)| AdminJob {
                job: job_view(&row),
                user_id: row.user_id.clone(),
                user_email: email,
            },
        ))
    }

    /// Stops a job that is still live, whoever owns it.
    pub async fn terminate_job(
        &self,
        actor: &Principal,
        meta: &RequestMeta,
        job_id: &str,
        req: Justification,
    ) -> ApiResult<Job> {
        let why = check_justification(&req.reason, &req.ticket_id)?;
        let who = Actor::of(actor, meta);
        let job = units::terminate_job(
            self.services.db(),
            who,
            why,
            job_id.to_owned(),
            db::now_ms(),
        )
        .await?;
        let row = job.ok_or(ApiError::NotFound)?;
        self.services.live().publish_job(job_view(&row));
        Ok(job_view(&row))
    }

    pub async fn audit_log(
        &self,
        action: Option<String>,
        target_id: Option<String>,
        paging: Paging,
        after: Option<&str>,
    ) -> ApiResult<Page<AuditEntry>> {
        let after = crate::services::decode_after(after)?;
        let (rows, total) = self
            .services
            .db()
            .call(move |conn| {
                audit::list_audit(
                    conn,
                    action.as_deref(),
                    target_id.as_deref(),
                    paging.per_page,
                    paging.offset(),
                    after.as_ref(),
                )
            })
            .await?;
        Ok(paging.wrap_keyset(
            rows,
            total,
            |r| Cursor {
                at: r.id,
                id: String::new(),
            },
            |r| AuditEntry {
                id: r.id,
                actor_id: r.actor_id,
                actor_email: r.actor_email,
                action: r.action,
                target_type: r.target_type,
                target_id: r.target_id,
                reason: r.reason,
                ticket_id: r.ticket_id,
                detail: serde_json::from_str(&r.detail).unwrap_or_default(),
                ip: r.ip,
                created_at: to_datetime(r.created_at),
            },
        ))
    }

    pub async fn security_events(
        &self,
        kind: Option<String>,
        paging: Paging,
        after: Option<&str>,
    ) -> ApiResult<Page<SecurityEvent>> {
        let after = crate::services::decode_after(after)?;
        let (rows, total) = self
            .services
            .db()
            .call(move |conn| {
                audit::list_security_events(
                    conn,
                    kind.as_deref(),
                    paging.per_page,
                    paging.offset(),
                    after.as_ref(),
                )
            })
            .await?;
        Ok(paging.wrap_keyset(
            rows,
            total,
            |r| Cursor {
                at: r.id,
                id: String::new(),
            },
            |r| SecurityEvent {
                id: r.id,
                kind: r.kind,
                user_id: r.user_id,
                email: r.email,
                ip: r.ip,
                detail: serde_json::from_str(&r.detail).unwrap_or_default(),
                created_at: to_datetime(r.created_at),
            },
        ))
    }

    /// Creates a verified account from the command line, e.g. the first superadmin.
    pub async fn create_user_directly(
        &self,
        email: &str,
        password: String,
        role: Role,
    ) -> ApiResult<User> {
        let email = crate::accounts::service::normalize_email(email)?;
        crate::accounts::service::check_password_rules(&password)?;
        let hash = crate::accounts::service::hash_password(password).await?;
        let id = uuid::Uuid::now_v7().to_string();
        let user = units::create_user(self.services.db(), id, email, hash, role, db::now_ms())
            .await
            .map_err(ApiError::unique_as(EMAIL_TAKEN.0, EMAIL_TAKEN.1))?
            .ok_or_else(|| ApiError::internal("user vanished after insert"))?;
        Ok(user_view(&user))
    }
}

/// Whose jobs an operator lists: one user's, one organization's, or (neither) everyone's.
#[derive(Debug, Clone, Default)]
pub struct JobOwners {
    pub user_id: Option<String>,
    pub org_id: Option<String>,
}
