//! Plan and usage endpoints.

use crate::error::ApiResult;
use crate::http::extract::{Auth, Json};
use crate::services::Services;
use axum::extract::State;
use tseeder_protocol::{Plan, Usage};

pub async fn plans(State(services): State<Services>) -> ApiResult<Json<Vec<Plan>>> {
    services.plans().list().await.map(Json)
}

pub async fn usage(
    State(services): State<Services>,
    Auth(principal): Auth,
) -> ApiResult<Json<Usage>> {
    services.plans().usage(&principal).await.map(Json)
}
