//! Webhook endpoints' HTTP adapters.

use crate::error::ApiResult;
use crate::http::extract::{Auth, Json, Path, Query};
use crate::services::Services;
use axum::extract::State;
use axum::http::StatusCode;
use schemars::JsonSchema;
use serde::Deserialize;
use tseeder_protocol::{
    CallbackSecret, CreateWebhook, CreatedWebhook, WebhookDelivery, WebhookView,
};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeliveriesQuery {
    /// Only this endpoint's deliveries.
    pub webhook_id: Option<String>,
}

pub async fn list(
    State(services): State<Services>,
    Auth(principal): Auth,
) -> ApiResult<Json<Vec<WebhookView>>> {
    services.webhooks().list(&principal).await.map(Json)
}

pub async fn create(
    State(services): State<Services>,
    Auth(principal): Auth,
    Json(req): Json<CreateWebhook>,
) -> ApiResult<(StatusCode, Json<CreatedWebhook>)> {
    let created = services.webhooks().create(&principal, req).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

pub async fn delete(
    State(services): State<Services>,
    Auth(principal): Auth,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    services.webhooks().delete(&principal, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn rotate_callback_secret(
    State(services): State<Services>,
    Auth(principal): Auth,
) -> ApiResult<Json<CallbackSecret>> {
    services
        .webhooks()
        .rotate_callback_secret(&principal)
        .await
        .map(Json)
}

pub async fn deliveries(
    State(services): State<Services>,
    Auth(principal): Auth,
    Query(query): Query<DeliveriesQuery>,
) -> ApiResult<Json<Vec<WebhookDelivery>>> {
    services
        .webhooks()
        .deliveries(&principal, query.webhook_id)
        .await
        .map(Json)
}
