//! Runtime settings' HTTP adapters.

use crate::error::{ApiError, ApiResult};
use crate::http::extract::{Auth, Json, Meta, Path, Query};
use crate::services::{Paging, Services};
use axum::extract::State;
use schemars::JsonSchema;
use serde::Deserialize;
use tseeder_protocol::{
    ChangeSettings, Page, RollbackSettings, RuntimeSettings, SettingsVersion, SettingsVersionDetail,
};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HistoryQuery {
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

pub async fn list(State(services): State<Services>) -> ApiResult<Json<RuntimeSettings>> {
    services.runtime_settings().list().await.map(Json)
}

pub async fn change(
    State(services): State<Services>,
    Auth(actor): Auth,
    Meta(meta): Meta,
    Json(req): Json<ChangeSettings>,
) -> ApiResult<Json<SettingsVersion>> {
    services
        .runtime_settings()
        .change(&actor, &meta, req)
        .await
        .map(Json)
}

pub async fn rollback(
    State(services): State<Services>,
    Auth(actor): Auth,
    Meta(meta): Meta,
    Json(req): Json<RollbackSettings>,
) -> ApiResult<Json<SettingsVersion>> {
    services
        .runtime_settings()
        .rollback(&actor, &meta, req)
        .await
        .map(Json)
}

pub async fn history(
    State(services): State<Services>,
    Query(query): Query<HistoryQuery>,
) -> ApiResult<Json<Page<SettingsVersion>>> {
    services
        .runtime_settings()
        .history(Paging::new(query.page, query.per_page))
        .await
        .map(Json)
}

pub async fn version(
    State(services): State<Services>,
    Path(version): Path<String>,
) -> ApiResult<Json<SettingsVersionDetail>> {
    // A version that is not a number is one that does not exist.
    let version = version.parse::<u64>().map_err(|_| ApiError::NotFound)?;
    services.runtime_settings().version(version).await.map(Json)
}
