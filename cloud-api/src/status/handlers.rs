//! Health, the public site settings, the status page and its history, and the operators'
//! incidents and maintenance windows.

use crate::error::ApiResult;
use crate::http::extract::{Auth, Json, Meta, Path, Query};
use crate::services::{Paging, Services};
use axum::extract::State;
use axum::http::StatusCode;
use tseeder_protocol::{
    Health, Incident, Maintenance, OpenIncident, Page, ScheduleMaintenance, SiteConfig,
    StatusHistory, StatusReport, UpdateIncident,
};

pub async fn site_config(State(services): State<Services>) -> Json<SiteConfig> {
    Json(services.status().site_config())
}

pub async fn status(State(services): State<Services>) -> Json<StatusReport> {
    Json(services.status().report().await)
}

pub async fn health(State(services): State<Services>) -> (StatusCode, Json<Health>) {
    let (status, code, database) = match services.db().ping().await {
        Ok(()) => ("ok", StatusCode::OK, "ok".to_owned()),
        Err(err) => {
            tracing::error!(%err, "health check: database unavailable");
            (
                "degraded",
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable".to_owned(),
            )
        }
    };
    (
        code,
        Json(Health {
            status: status.into(),
            version: env!("CARGO_PKG_VERSION").into(),
            database,
        }),
    )
}

#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HistoryQuery {
    /// Days back from today, 1 to 400 (90 when absent).
    #[schemars(range(min = 1, max = 400))]
    pub days: Option<u32>,
}

pub async fn history(
    State(services): State<Services>,
    Query(query): Query<HistoryQuery>,
) -> ApiResult<Json<StatusHistory>> {
    services
        .status()
        .history(query.days.unwrap_or(90))
        .await
        .map(Json)
}

#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct IncidentsQuery {
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

pub async fn incidents(
    State(services): State<Services>,
    Query(query): Query<IncidentsQuery>,
) -> ApiResult<Json<Page<Incident>>> {
    services
        .status()
        .incidents(Paging::new(query.page, query.per_page))
        .await
        .map(Json)
}

pub async fn open_incident(
    State(services): State<Services>,
    Auth(actor): Auth,
    Meta(meta): Meta,
    Json(req): Json<OpenIncident>,
) -> ApiResult<(StatusCode, Json<Incident>)> {
    let incident = services.status().open_incident(&actor, &meta, req).await?;
    Ok((StatusCode::CREATED, Json(incident)))
}

pub async fn update_incident(
    State(services): State<Services>,
    Auth(actor): Auth,
    Meta(meta): Meta,
    Path(id): Path<String>,
    Json(req): Json<UpdateIncident>,
) -> ApiResult<Json<Incident>> {
    services
        .status()
        .update_incident(&actor, &meta, &id, req)
        .await
        .map(Json)
}

pub async fn schedule_maintenance(
    State(services): State<Services>,
    Auth(actor): Auth,
    Meta(meta): Meta,
    Json(req): Json<ScheduleMaintenance>,
) -> ApiResult<(StatusCode, Json<Maintenance>)> {
    let window = services
        .status()
        .schedule_maintenance(&actor, &meta, req)
        .await?;
    Ok((StatusCode::CREATED, Json(window)))
}

pub async fn cancel_maintenance(
    State(services): State<Services>,
    Auth(actor): Auth,
    Meta(meta): Meta,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    services
        .status()
        .cancel_maintenance(&actor, &meta, &id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
