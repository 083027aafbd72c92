//! HTTP shell of organizations.

use crate::error::ApiResult;
use crate::http::extract::{Auth, Json, Meta, Path, Query};
use crate::services::{Paging, Services};
use axum::extract::State;
use axum::http::StatusCode;
use schemars::JsonSchema;
use serde::Deserialize;
use tseeder_protocol::{
    AcceptInvite, AdminOrg, AdminOrgDetail, BillingOverview, ChangeMemberRole, ChangePlan,
    InviteMember, NameOrg, OrgDetail, OrgInvite, OrgSummary, Page, TransferOrg,
};

pub async fn list(
    State(services): State<Services>,
    Auth(principal): Auth,
) -> ApiResult<Json<Vec<OrgSummary>>> {
    services.orgs().list(&principal).await.map(Json)
}

pub async fn create(
    State(services): State<Services>,
    Auth(principal): Auth,
    Meta(meta): Meta,
    Json(req): Json<NameOrg>,
) -> ApiResult<(StatusCode, Json<OrgDetail>)> {
    let detail = services.orgs().create(&principal, &meta, req).await?;
    Ok((StatusCode::CREATED, Json(detail)))
}

pub async fn detail(
    State(services): State<Services>,
    Auth(principal): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<OrgDetail>> {
    services.orgs().detail(&principal, &id).await.map(Json)
}

pub async fn rename(
    State(services): State<Services>,
    Auth(principal): Auth,
    Meta(meta): Meta,
    Path(id): Path<String>,
    Json(req): Json<NameOrg>,
) -> ApiResult<Json<OrgDetail>> {
    services
        .orgs()
        .rename(&principal, &meta, &id, req)
        .await
        .map(Json)
}

pub async fn delete(
    State(services): State<Services>,
    Auth(principal): Auth,
    Meta(meta): Meta,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    services.orgs().delete(&principal, &meta, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn invite(
    State(services): State<Services>,
    Auth(principal): Auth,
    Meta(meta): Meta,
    Path(id): Path<String>,
    Json(req): Json<InviteMember>,
) -> ApiResult<(StatusCode, Json<OrgInvite>)> {
    let invite = services.orgs().invite(&principal, &meta, &id, req).await?;
    Ok((StatusCode::CREATED, Json(invite)))
}

pub async fn revoke_invite(
    State(services): State<Services>,
    Auth(principal): Auth,
    Meta(meta): Meta,
    Path((id, invite_id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    services
        .orgs()
        .revoke_invite(&principal, &meta, &id, &invite_id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn accept(
    State(services): State<Services>,
    Auth(principal): Auth,
    Meta(meta): Meta,
    Json(req): Json<AcceptInvite>,
) -> ApiResult<Json<OrgSummary>> {
    services
        .orgs()
        .accept(&principal, &meta, req)
        .await
        .map(Json)
}

pub async fn leave(
    State(services): State<Services>,
    Auth(principal): Auth,
    Meta(meta): Meta,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    services.orgs().leave(&principal, &meta, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn remove_member(
    State(services): State<Services>,
    Auth(principal): Auth,
    Meta(meta): Meta,
    Path((id, user_id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    services
        .orgs()
        .remove_member(&principal, &meta, &id, &user_id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn change_role(
    State(services): State<Services>,
    Auth(principal): Auth,
    Meta(meta): Meta,
    Path((id, user_id)): Path<(String, String)>,
    Json(req): Json<ChangeMemberRole>,
) -> ApiResult<Json<OrgDetail>> {
    services
        .orgs()
        .change_role(&principal, &meta, &id, &user_id, req)
        .await
        .map(Json)
}

pub async fn transfer(
    State(services): State<Services>,
    Auth(principal): Auth,
    Meta(meta): Meta,
    Path(id): Path<String>,
    Json(req): Json<TransferOrg>,
) -> ApiResult<Json<OrgDetail>> {
    services
        .orgs()
        .transfer(&principal, &meta, &id, req)
        .await
        .map(Json)
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrgQuery {
    /// A piece of the name, the id, or a piece of the owner's email.
    pub q: Option<String>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

pub async fn operators_list(
    State(services): State<Services>,
    Query(query): Query<OrgQuery>,
) -> ApiResult<Json<Page<AdminOrg>>> {
    services
        .orgs()
        .list_for_operators(query.q, Paging::new(query.page, query.per_page))
        .await
        .map(Json)
}

pub async fn work_in(
    State(services): State<Services>,
    Auth(principal): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<OrgSummary>> {
    services.orgs().work_in(&principal, &id).await.map(Json)
}

pub async fn operators_billing(
    State(services): State<Services>,
    Path(id): Path<String>,
) -> ApiResult<Json<BillingOverview>> {
    services.billing().overview_of(&id, false).await.map(Json)
}

pub async fn operators_change_plan(
    State(services): State<Services>,
    Auth(principal): Auth,
    Meta(meta): Meta,
    Path(id): Path<String>,
    Json(req): Json<ChangePlan>,
) -> ApiResult<Json<AdminOrgDetail>> {
    services
        .orgs()
        .change_plan_for_operators(&principal, &meta, &id, req)
        .await
        .map(Json)
}

pub async fn operators_detail(
    State(services): State<Services>,
    Path(id): Path<String>,
) -> ApiResult<Json<AdminOrgDetail>> {
    services.orgs().detail_for_operators(&id).await.map(Json)
}
