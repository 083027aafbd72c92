//! The agent protocol's endpoints under `/api/v1/agent`, and the operators' dead-letter queue.

use crate::error::ApiResult;
use crate::http::extract::{AgentAuth, Auth, Json, Meta, Path, Query};
use crate::services::{Paging, Services};
use axum::extract::State;
use schemars::JsonSchema;
use serde::Deserialize;
use tseeder_protocol::{
    AdminJob, AgentRegistered, ClaimReply, CompleteReport, FailReport, Heartbeat, HeartbeatReply,
    Job, Justification, Page, ProgressReply, ProgressReport, RegisterAgent, ReleaseLease,
};

pub async fn register(
    State(services): State<Services>,
    AgentAuth(agent): AgentAuth,
    Json(req): Json<RegisterAgent>,
) -> ApiResult<Json<AgentRegistered>> {
    Ok(Json(services.agents().register(&agent, req).await?))
}

pub async fn heartbeat(
    State(services): State<Services>,
    AgentAuth(agent): AgentAuth,
    Json(req): Json<Heartbeat>,
) -> ApiResult<Json<HeartbeatReply>> {
    Ok(Json(services.agents().heartbeat(&agent, req).await?))
}

pub async fn claim(
    State(services): State<Services>,
    AgentAuth(agent): AgentAuth,
) -> ApiResult<Json<ClaimReply>> {
    Ok(Json(services.dispatch().claim(&agent).await?))
}

pub async fn progress(
    State(services): State<Services>,
    AgentAuth(agent): AgentAuth,
    Path(id): Path<String>,
    Json(req): Json<ProgressReport>,
) -> ApiResult<Json<ProgressReply>> {
    Ok(Json(
        services
            .dispatch()
            .report_progress(&agent, &id, req)
            .await?,
    ))
}

pub async fn complete(
    State(services): State<Services>,
    AgentAuth(agent): AgentAuth,
    Path(id): Path<String>,
    Json(req): Json<CompleteReport>,
) -> ApiResult<Json<Job>> {
    Ok(Json(services.dispatch().complete(&agent, &id, req).await?))
}

pub async fn fail(
    State(services): State<Services>,
    AgentAuth(agent): AgentAuth,
    Path(id): Path<String>,
    Json(req): Json<FailReport>,
) -> ApiResult<Json<Job>> {
    Ok(Json(services.dispatch().fail(&agent, &id, req).await?))
}

pub async fn release(
    State(services): State<Services>,
    AgentAuth(agent): AgentAuth,
    Path(id): Path<String>,
    Json(req): Json<ReleaseLease>,
) -> ApiResult<Json<Job>> {
    Ok(Json(
        services.dispatch().release_lease(&agent, &id, req).await?,
    ))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeadLetterQuery {
    pub page: Option<u32>,
    pub per_page: Option<u32>,
    /// `nextCursor` of the page before: pages on from there (`page` is then ignored).
    pub after: Option<String>,
}

pub async fn dead_letters(
    State(services): State<Services>,
    Query(query): Query<DeadLetterQuery>,
) -> ApiResult<Json<Page<AdminJob>>> {
    Ok(Json(
        services
            .dispatch()
            .dead_letters(
                Paging::new(query.page, query.per_page),
                query.after.as_deref(),
            )
            .await?,
    ))
}

pub async fn replay_dead_letter(
    State(services): State<Services>,
    Auth(principal): Auth,
    Meta(meta): Meta,
    Path(id): Path<String>,
    Json(req): Json<Justification>,
) -> ApiResult<Json<Job>> {
    Ok(Json(
        services
            .dispatch()
            .replay_dead_letter(&principal, &meta, &id, req)
            .await?,
    ))
}
