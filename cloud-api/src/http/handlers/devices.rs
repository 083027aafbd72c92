//! A user's own machines registered as agents (the desktop app's engine).

use crate::error::ApiResult;
use crate::http::extract::{Auth, Json, Path};
use crate::service::Services;
use axum::extract::State;
use axum::http::StatusCode;
use tseeder_protocol::{AgentView, IssuedAgentToken, RegisterDevice};

pub async fn list(
    State(services): State<Services>,
    Auth(principal): Auth,
) -> ApiResult<axum::Json<Vec<AgentView>>> {
    Ok(axum::Json(services.list_devices(&principal).await?))
}

pub async fn register(
    State(services): State<Services>,
    Auth(principal): Auth,
    Json(req): Json<RegisterDevice>,
) -> ApiResult<(StatusCode, axum::Json<IssuedAgentToken>)> {
    let issued = services.register_device(&principal, req).await?;
    Ok((StatusCode::CREATED, axum::Json(issued)))
}

pub async fn revoke(
    State(services): State<Services>,
    Auth(principal): Auth,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    services.revoke_device(&principal, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
