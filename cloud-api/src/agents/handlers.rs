//! Agent endpoints for people: a user's own devices, and the operators' fleet.

use crate::error::ApiResult;
use crate::http::extract::{Auth, Json, Meta, Path};
use crate::services::Services;
use axum::extract::State;
use axum::http::StatusCode;
use tseeder_protocol::{AgentView, IssuedAgentToken, Justification, RegisterDevice};

pub async fn list(
    State(services): State<Services>,
    Auth(principal): Auth,
) -> ApiResult<Json<Vec<AgentView>>> {
    Ok(Json(services.agents().list_devices(&principal).await?))
}

pub async fn register(
    State(services): State<Services>,
    Auth(principal): Auth,
    Json(req): Json<RegisterDevice>,
) -> ApiResult<(StatusCode, Json<IssuedAgentToken>)> {
    let issued = services.agents().register_device(&principal, req).await?;
    Ok((StatusCode::CREATED, Json(issued)))
}

pub async fn revoke(
    State(services): State<Services>,
    Auth(principal): Auth,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    services.agents().revoke_device(&principal, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn agents(
    State(services): State<Services>,
) -> ApiResult<Json<Vec<tseeder_protocol::AgentView>>> {
    Ok(Json(services.agents().fleet().await?))
}

pub async fn issue_agent(
    State(services): State<Services>,
    Auth(principal): Auth,
    Meta(meta): Meta,
    Json(req): Json<tseeder_protocol::IssueAgentToken>,
) -> ApiResult<(
    axum::http::StatusCode,
    Json<tseeder_protocol::IssuedAgentToken>,
)> {
    let issued = services
        .agents()
        .issue_token(&principal, &meta, req)
        .await?;
    Ok((axum::http::StatusCode::CREATED, Json(issued)))
}

pub async fn revoke_agent(
    State(services): State<Services>,
    Auth(principal): Auth,
    Meta(meta): Meta,
    Path(id): Path<String>,
    Json(req): Json<Justification>,
) -> ApiResult<Json<tseeder_protocol::AgentView>> {
    Ok(Json(
        services
            .agents()
            .revoke(&principal, &meta, &id, req)
            .await?,
    ))
}
