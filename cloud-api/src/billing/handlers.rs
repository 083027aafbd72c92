//! HTTP shell of billing.

use crate::error::ApiResult;
use crate::http::extract::{Auth, Json, Meta};
use crate::services::Services;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use tseeder_protocol::{BillingOverview, BillingRedirect, Invoices, StartCheckout, WebhookReceipt};

pub async fn overview(
    State(services): State<Services>,
    Auth(principal): Auth,
) -> ApiResult<Json<BillingOverview>> {
    services.billing().overview(&principal).await.map(Json)
}

pub async fn checkout(
    State(services): State<Services>,
    Auth(principal): Auth,
    Json(req): Json<StartCheckout>,
) -> ApiResult<Json<BillingRedirect>> {
    services.billing().checkout(&principal, req).await.map(Json)
}

pub async fn portal(
    State(services): State<Services>,
    Auth(principal): Auth,
) -> ApiResult<Json<BillingRedirect>> {
    services.billing().portal(&principal).await.map(Json)
}

pub async fn invoices(
    State(services): State<Services>,
    Auth(principal): Auth,
) -> ApiResult<Json<Invoices>> {
    services.billing().invoices(&principal).await.map(Json)
}

/// Stripe signs the exact bytes it sent, so the body is read raw, never re-serialised.
pub async fn webhook(
    State(services): State<Services>,
    Meta(meta): Meta,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<WebhookReceipt>> {
    let signature = headers
        .get("stripe-signature")
        .and_then(|value| value.to_str().ok());
    services
        .billing()
        .receive(&meta, signature, &body)
        .await
        .map(Json)
}
