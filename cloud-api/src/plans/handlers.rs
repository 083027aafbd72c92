//! Plan and usage endpoints.

use crate::error::ApiResult;
use crate::http::extract::Auth;
use crate::services::Services;
use axum::extract::State;
use tseeder_protocol::{Plan, Usage};

pub async fn plans(State(services): State<Services>) -> ApiResult<axum::Json<Vec<Plan>>> {
    services.plans().list().await.map(axum::Json)
}

pub async fn usage(
    State(services): State<Services>,
    Auth(principal): Auth,
) -> ApiResult<axum::Json<Usage>> {
    services.plans().usage(&principal).await.map(axum::Json)
}
