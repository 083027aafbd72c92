//! HTTP shell of the provider switch.

use crate::error::ApiResult;
use crate::http::extract::{Auth, Json, Meta};
use crate::services::Services;
use axum::extract::State;
use tseeder_protocol::{ProviderReport, SwitchProvider};

pub async fn report(State(services): State<Services>) -> ApiResult<Json<ProviderReport>> {
    services.providers().report().await.map(Json)
}

pub async fn switch(
    State(services): State<Services>,
    Auth(actor): Auth,
    Meta(meta): Meta,
    Json(req): Json<SwitchProvider>,
) -> ApiResult<Json<ProviderReport>> {
    services
        .providers()
        .switch(&actor, &meta, req)
        .await
        .map(Json)
}
