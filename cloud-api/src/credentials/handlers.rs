//! Session and API key endpoints.

use crate::error::ApiResult;
use crate::http::extract::{Auth, Json, Path};
use crate::services::Services;
use axum::extract::State;
use axum::http::StatusCode;
use tseeder_protocol::{ApiKeyView, CreateApiKey, CreatedApiKey, SessionView};

pub async fn list_sessions(
    State(services): State<Services>,
    Auth(principal): Auth,
) -> ApiResult<Json<Vec<SessionView>>> {
    services
        .credentials()
        .list_sessions(&principal)
        .await
        .map(Json)
}

pub async fn revoke_session(
    State(services): State<Services>,
    Auth(principal): Auth,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    services
        .credentials()
        .revoke_session(&principal, &id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn list_api_keys(
    State(services): State<Services>,
    Auth(principal): Auth,
) -> ApiResult<Json<Vec<ApiKeyView>>> {
    services
        .credentials()
        .list_api_keys(&principal)
        .await
        .map(Json)
}

pub async fn create_api_key(
    State(services): State<Services>,
    Auth(principal): Auth,
    Json(req): Json<CreateApiKey>,
) -> ApiResult<(StatusCode, Json<CreatedApiKey>)> {
    let created = services
        .credentials()
        .create_api_key(&principal, req)
        .await?;
    Ok((StatusCode::CREATED, Json(created)))
}

pub async fn revoke_api_key(
    State(services): State<Services>,
    Auth(principal): Auth,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    services
        .credentials()
        .revoke_api_key(&principal, &id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
