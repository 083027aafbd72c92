//! Operator endpoints: users, all jobs, the audit log, security events, overview and storage.

use crate::admin::service::{AccountAction, JobOwners};
use crate::error::ApiResult;
use crate::http::extract::{Auth, Json, Meta, Path, Query};
use crate::services::{Paging, Services};
use axum::extract::State;
use schemars::JsonSchema;
use serde::Deserialize;
use tseeder_protocol::{
    AdminJob, AdminOverview, AdminUser, AuditEntry, BillingOverview, ChangePlan, ChangeRole, Job,
    JobStatus, Justification, Page, SecurityEvent, StorageReport, User,
};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserQuery {
    /// Part of an email address, or a whole user id.
    pub q: Option<String>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
    /// `nextCursor` of the page before: pages on from there (`page` is then ignored).
    pub after: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AdminJobQuery {
    pub status: Option<JobStatus>,
    /// Part of a job name or owner email.
    pub q: Option<String>,
    pub user_id: Option<String>,
    /// Only the jobs of this organization.
    pub org_id: Option<String>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
    /// `nextCursor` of the page before: pages on from there (`page` is then ignored).
    pub after: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditQuery {
    pub action: Option<String>,
    pub target_id: Option<String>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
    /// `nextCursor` of the page before: pages on from there (`page` is then ignored).
    pub after: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SecurityQuery {
    pub kind: Option<String>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
    /// `nextCursor` of the page before: pages on from there (`page` is then ignored).
    pub after: Option<String>,
}

pub async fn users(
    State(services): State<Services>,
    Query(query): Query<UserQuery>,
) -> ApiResult<Json<Page<User>>> {
    services
        .admin()
        .search_users(
            query.q,
            Paging::new(query.page, query.per_page),
            query.after.as_deref(),
        )
        .await
        .map(Json)
}

pub async fn user(
    State(services): State<Services>,
    Path(id): Path<String>,
) -> ApiResult<Json<AdminUser>> {
    services.admin().user(&id).await.map(Json)
}

pub async fn change_plan(
    State(services): State<Services>,
    Auth(actor): Auth,
    Meta(meta): Meta,
    Path(id): Path<String>,
    Json(req): Json<ChangePlan>,
) -> ApiResult<Json<AdminUser>> {
    services
        .admin()
        .change_plan(&actor, &meta, &id, req)
        .await
        .map(Json)
}

pub async fn user_billing(
    State(services): State<Services>,
    Path(id): Path<String>,
) -> ApiResult<Json<BillingOverview>> {
    let personal = crate::orgs::store::personal_org_id(&id);
    services
        .billing()
        .overview_of(&personal, false)
        .await
        .map(Json)
}

pub async fn change_role(
    State(services): State<Services>,
    Auth(actor): Auth,
    Meta(meta): Meta,
    Path(id): Path<String>,
    Json(req): Json<ChangeRole>,
) -> ApiResult<Json<AdminUser>> {
    services
        .admin()
        .change_role(&actor, &meta, &id, req)
        .await
        .map(Json)
}

pub async fn suspend(
    State(s): State<Services>,
    actor: Auth,
    meta: Meta,
    Path(id): Path<String>,
    Json(req): Json<Justification>,
) -> ApiResult<Json<AdminUser>> {
    account_action(s, actor, meta, id, AccountAction::Suspend, req).await
}

pub async fn unsuspend(
    State(s): State<Services>,
    actor: Auth,
    meta: Meta,
    Path(id): Path<String>,
    Json(req): Json<Justification>,
) -> ApiResult<Json<AdminUser>> {
    account_action(s, actor, meta, id, AccountAction::Unsuspend, req).await
}

pub async fn force_logout(
    State(s): State<Services>,
    actor: Auth,
    meta: Meta,
    Path(id): Path<String>,
    Json(req): Json<Justification>,
) -> ApiResult<Json<AdminUser>> {
    account_action(s, actor, meta, id, AccountAction::ForceLogout, req).await
}

pub async fn jobs(
    State(services): State<Services>,
    Query(query): Query<AdminJobQuery>,
) -> ApiResult<Json<Page<AdminJob>>> {
    services
        .admin()
        .list_jobs(
            query.status,
            query.q,
            JobOwners {
                user_id: query.user_id,
                org_id: query.org_id,
            },
            Paging::new(query.page, query.per_page),
            query.after.as_deref(),
        )
        .await
        .map(Json)
}

pub async fn terminate_job(
    State(services): State<Services>,
    Auth(actor): Auth,
    Meta(meta): Meta,
    Path(id): Path<String>,
    Json(req): Json<Justification>,
) -> ApiResult<Json<Job>> {
    services
        .admin()
        .terminate_job(&actor, &meta, &id, req)
        .await
        .map(Json)
}

pub async fn audit(
    State(services): State<Services>,
    Query(query): Query<AuditQuery>,
) -> ApiResult<Json<Page<AuditEntry>>> {
    services
        .admin()
        .audit_log(
            query.action,
            query.target_id,
            Paging::new(query.page, query.per_page),
            query.after.as_deref(),
        )
        .await
        .map(Json)
}

pub async fn security_events(
    State(services): State<Services>,
    Query(query): Query<SecurityQuery>,
) -> ApiResult<Json<Page<SecurityEvent>>> {
    services
        .admin()
        .security_events(
            query.kind,
            Paging::new(query.page, query.per_page),
            query.after.as_deref(),
        )
        .await
        .map(Json)
}

pub async fn admin_overview(State(services): State<Services>) -> ApiResult<Json<AdminOverview>> {
    services.admin().overview().await.map(Json)
}

pub async fn admin_storage(State(services): State<Services>) -> ApiResult<Json<StorageReport>> {
    services.admin().storage_report().await.map(Json)
}

async fn account_action(
    services: Services,
    actor: Auth,
    meta: Meta,
    id: String,
    action: AccountAction,
    req: Justification,
) -> ApiResult<Json<AdminUser>> {
    services
        .admin()
        .account_action(&actor.0, &meta.0, &id, action, req)
        .await
        .map(Json)
}
