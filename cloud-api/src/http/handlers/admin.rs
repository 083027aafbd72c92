//! Operator endpoints.

use crate::error::ApiResult;
use crate::http::extract::{Auth, Json, Meta, Path, Query};
use crate::service::admin::AccountAction;
use crate::service::{Paging, Services};
use axum::extract::State;
use schemars::JsonSchema;
use serde::Deserialize;
use tseeder_protocol::{
    AdminJob, AdminUser, AuditEntry, ChangeRole, Job, JobStatus, Justification, Page,
    SecurityEvent, User,
};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserQuery {
    /// Part of an email address, or a whole user id.
    pub q: Option<String>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AdminJobQuery {
    pub status: Option<JobStatus>,
    /// Part of a job name or owner email.
    pub q: Option<String>,
    pub user_id: Option<String>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditQuery {
    pub action: Option<String>,
    pub target_id: Option<String>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SecurityQuery {
    pub kind: Option<String>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

pub async fn users(
    State(services): State<Services>,
    Query(query): Query<UserQuery>,
) -> ApiResult<axum::Json<Page<User>>> {
    services
        .admin_search_users(query.q, Paging::new(query.page, query.per_page))
        .await
        .map(axum::Json)
}

pub async fn user(
    State(services): State<Services>,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<AdminUser>> {
    services.admin_user(&id).await.map(axum::Json)
}

pub async fn change_role(
    State(services): State<Services>,
    Auth(actor): Auth,
    Meta(meta): Meta,
    Path(id): Path<String>,
    Json(req): Json<ChangeRole>,
) -> ApiResult<axum::Json<AdminUser>> {
    services
        .admin_change_role(&actor, &meta, &id, req)
        .await
        .map(axum::Json)
}

async fn account_action(
    services: Services,
    actor: Auth,
    meta: Meta,
    id: String,
    action: AccountAction,
    req: Justification,
) -> ApiResult<axum::Json<AdminUser>> {
    services
        .admin_account_action(&actor.0, &meta.0, &id, action, req)
        .await
        .map(axum::Json)
}

pub async fn suspend(
    State(s): State<Services>,
    actor: Auth,
    meta: Meta,
    Path(id): Path<String>,
    Json(req): Json<Justification>,
) -> ApiResult<axum::Json<AdminUser>> {
    account_action(s, actor, meta, id, AccountAction::Suspend, req).await
}

pub async fn unsuspend(
    State(s): State<Services>,
    actor: Auth,
    meta: Meta,
    Path(id): Path<String>,
    Json(req): Json<Justification>,
) -> ApiResult<axum::Json<AdminUser>> {
    account_action(s, actor, meta, id, AccountAction::Unsuspend, req).await
}

pub async fn force_logout(
    State(s): State<Services>,
    actor: Auth,
    meta: Meta,
    Path(id): Path<String>,
    Json(req): Json<Justification>,
) -> ApiResult<axum::Json<AdminUser>> {
    account_action(s, actor, meta, id, AccountAction::ForceLogout, req).await
}

pub async fn jobs(
    State(services): State<Services>,
    Query(query): Query<AdminJobQuery>,
) -> ApiResult<axum::Json<Page<AdminJob>>> {
    services
        .admin_list_jobs(
            query.status,
            query.q,
            query.user_id,
            Paging::new(query.page, query.per_page),
        )
        .await
        .map(axum::Json)
}

pub async fn terminate_job(
    State(services): State<Services>,
    Auth(actor): Auth,
    Meta(meta): Meta,
    Path(id): Path<String>,
    Json(req): Json<Justification>,
) -> ApiResult<axum::Json<Job>> {
    services
        .admin_terminate_job(&actor, &meta, &id, req)
        .await
        .map(axum::Json)
}

pub async fn audit(
    State(services): State<Services>,
    Query(query): Query<AuditQuery>,
) -> ApiResult<axum::Json<Page<AuditEntry>>> {
    services
        .admin_audit_log(
            query.action,
            query.target_id,
            Paging::new(query.page, query.per_page),
        )
        .await
        .map(axum::Json)
}

pub async fn security_events(
    State(services): State<Services>,
    Query(query): Query<SecurityQuery>,
) -> ApiResult<axum::Json<Page<SecurityEvent>>> {
    services
        .admin_security_events(query.kind, Paging::new(query.page, query.per_page))
        .await
        .map(axum::Json)
}

pub async fn agents(
    State(services): State<Services>,
) -> ApiResult<axum::Json<Vec<tseeder_protocol::AgentView>>> {
    Ok(axum::Json(services.fleet().await?))
}

pub async fn issue_agent(
    State(services): State<Services>,
    Auth(principal): Auth,
    Meta(meta): Meta,
    Json(req): Json<tseeder_protocol::IssueAgentToken>,
) -> ApiResult<(
    axum::http::StatusCode,
    axum::Json<tseeder_protocol::IssuedAgentToken>,
)> {
    let issued = services.issue_agent_token(&principal, &meta, req).await?;
    Ok((axum::http::StatusCode::CREATED, axum::Json(issued)))
}

pub async fn revoke_agent(
    State(services): State<Services>,
    Auth(principal): Auth,
    Meta(meta): Meta,
    Path(id): Path<String>,
    Json(req): Json<Justification>,
) -> ApiResult<axum::Json<tseeder_protocol::AgentView>> {
    Ok(axum::Json(
        services.revoke_agent(&principal, &meta, &id, req).await?,
    ))
}

pub async fn dead_letters(
    State(services): State<Services>,
) -> ApiResult<axum::Json<Vec<AdminJob>>> {
    Ok(axum::Json(services.dead_letters().await?))
}

pub async fn replay_dead_letter(
    State(services): State<Services>,
    Auth(principal): Auth,
    Meta(meta): Meta,
    Path(id): Path<String>,
    Json(req): Json<Justification>,
) -> ApiResult<axum::Json<Job>> {
    Ok(axum::Json(
        services
            .replay_dead_letter(&principal, &meta, &id, req)
            .await?,
    ))
}
