//! `GET /metrics` (the gauges read from the store, then every family as OpenMetrics text) and
//! the console's charts.

use crate::error::{ApiError, ApiResult};
use crate::http::extract::Json;
use crate::services::Services;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use tseeder_protocol::ErrorCode;

const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// On the API's address: only with `Authorization: Bearer <metrics.token>`; without a token
/// configured, never here (it is on `metrics.listen`).
pub async fn metrics(State(services): State<Services>, headers: HeaderMap) -> ApiResult<Response> {
    let Some(token) = services.settings().metrics.token.as_ref() else {
        return Err(ApiError::Unauthorized {
            code: ErrorCode::InvalidToken,
            message: "metrics are served here only with metrics.token set; see metrics.listen"
                .into(),
        });
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .unwrap_or_default();
    if !crate::crypto::constant_time_eq(given.as_bytes(), token.expose().as_bytes()) {
        return Err(ApiError::Unauthorized {
            code: ErrorCode::InvalidToken,
            message: "metrics need Authorization: Bearer with metrics.token".into(),
        });
    }
    render(&services).await
}

/// On `metrics.listen`, a separate address the operator keeps private: no token.
pub async fn metrics_on_private_listener(State(services): State<Services>) -> ApiResult<Response> {
    render(&services).await
}

async fn render(services: &Services) -> ApiResult<Response> {
    super::state::observe(services).await?;
    let text = services.metrics().encode().map_err(ApiError::internal)?;
    let mut response = text.into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    Ok(response)
}

#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReportQuery {
    /// `1h` (a point per minute, the default), `24h` (per 15 minutes) or `7d` (per hour).
    pub range: Option<tseeder_protocol::MetricsRange>,
}

pub async fn report(
    State(services): State<Services>,
    crate::http::extract::Query(query): crate::http::extract::Query<ReportQuery>,
) -> ApiResult<Json<tseeder_protocol::ObservabilityReport>> {
    services
        .observability()
        .report(
            query
                .range
                .unwrap_or(tseeder_protocol::MetricsRange::LastHour),
        )
        .await
        .map(Json)
}
