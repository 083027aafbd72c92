//! Health, the public site settings and the status page.

use crate::services::Services;
use axum::extract::State;
use axum::http::StatusCode;
use tseeder_protocol::{Health, SiteConfig, StatusReport};

pub async fn site_config(State(services): State<Services>) -> axum::Json<SiteConfig> {
    axum::Json(services.status().site_config())
}

pub async fn status(State(services): State<Services>) -> axum::Json<StatusReport> {
    axum::Json(services.status().report().await)
}

pub async fn health(State(services): State<Services>) -> (StatusCode, axum::Json<Health>) {
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
        axum::Json(Health {
            status: status.into(),
            version: env!("CARGO_PKG_VERSION").into(),
            database,
        }),
    )
}
