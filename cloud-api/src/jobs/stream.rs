//! Server-Sent Events: the jobs the caller sees in their organization (or one job) live. A
//! stream opens with a snapshot, then sends each change of those jobs as the hub serialized it
//! once; a stream that falls behind gets a fresh
//! snapshot instead of the missed events. Keep-alive comments hold idle connections open, and a
//! stream ends when the session or key it was opened with is revoked, or its user leaves the
//! organization or changes role there.

use crate::error::{ApiError, ApiResult};
use crate::http::extract::{Auth, Path};
use crate::jobs::live::{sse_frame, LiveEvent, RESYNC, REVOKED};
use crate::services::{Principal, Services};
use axum::body::Body;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures_util::stream;
use std::convert::Infallible;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::broadcast::Receiver;
use tokio::time::{Instant, Interval, MissedTickBehavior};

/// How often an idle stream sends a comment, so that proxies keep it open.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// A comment line: clients ignore it.
const KEEP_ALIVE_FRAME: &[u8] = b":\n\n";

/// What a stream follows.
#[derive(Debug, Clone)]
enum Scope {
    User,
    Job(String),
}

struct StreamState {
    services: Services,
    principal: Principal,
    scope: Scope,
    receiver: Receiver<LiveEvent>,
    /// A snapshot waiting to be sent first.
    pending: Option<Bytes>,
    /// Ticks every [`KEEP_ALIVE`] whether or not events went out: cheaper for ten thousand
    /// streams than re-arming a timer with every event, and a comment is harmless.
    keep_alive: Interval,
}

async fn snapshot(services: &Services, principal: &Principal, scope: &Scope) -> ApiResult<Bytes> {
    let data = match scope {
        Scope::User => serde_json::to_string(&services.jobs().live_snapshot(principal).await?),
        Scope::Job(id) => {
            let detail = services.jobs().detail(principal, id).await?;
            serde_json::to_string(&vec![services.live().with_progress(detail.job)])
        }
    }
    .map_err(|err| ApiError::Internal(err.to_string()))?;
    Ok(sse_frame("snapshot", &data))
}

fn matches(event: &LiveEvent, principal: &Principal, scope: &Scope) -> bool {
    *event.org_id == *principal.org.id
        && (principal.org.role.sees_all_jobs() || *event.user_id == *principal.user.id)
        && match scope {
            Scope::User => true,
            Scope::Job(id) => *event.job_id == **id,
        }
}

async fn open(services: Services, principal: Principal, scope: Scope) -> ApiResult<Response> {
    // Subscribe before reading the snapshot, so no change falls between the two.
    let receiver = services.live().subscribe(&principal.org.id);
    let first = snapshot(&services, &principal, &scope).await?;
    let state = StreamState {
        services,
        principal,
        scope,
        receiver,
        pending: Some(first),
        keep_alive: keep_alive(),
    };
    let events = stream::unfold(state, |mut state| async move {
        if let Some(event) = state.pending.take() {
            return Some((Ok::<_, Infallible>(event), state));
        }
        loop {
            let received = tokio::select! {
                // Events first; the keep-alive only matters when there are none.
                biased;
                received = state.receiver.recv() => received,
                _ = state.keep_alive.tick() => {
                    return Some((Ok(Bytes::from_static(KEEP_ALIVE_FRAME)), state));
                }
            };
            match received {
                Ok(event)
                    if event.kind == REVOKED && *event.user_id == *state.principal.user.id =>
                {
                    // A stream lives no longer than the credential and the role it was opened
                    // with.
                    match state
                        .services
                        .credentials()
                        .still_holds(&state.principal)
                        .await
                    {
                        Ok(true) => continue,
                        _ => return None,
                    }
                }
                Ok(event)
                    if event.kind == RESYNC
                        && (event.org_id.is_empty()
                            || *event.org_id == *state.principal.org.id) =>
                {
                    match snapshot(&state.services, &state.principal, &state.scope).await {
                        Ok(event) => return Some((Ok(event), state)),
                        Err(_) => return None,
                    }
                }
                Ok(event) if matches(&event, &state.principal, &state.scope) => {
                    return Some((Ok(event.frame), state));
                }
                Ok(_) => continue,
                Err(RecvError::Lagged(_)) => {
                    // The missed events may have held a revocation.
                    if !matches!(
                        state
                            .services
                            .credentials()
                            .still_holds(&state.principal)
                            .await,
                        Ok(true)
                    ) {
                        return None;
                    }
                    match snapshot(&state.services, &state.principal, &state.scope).await {
                        Ok(event) => return Some((Ok(event), state)),
                        // The job is gone (deleted): the stream ends.
                        Err(_) => return None,
                    }
                }
                Err(RecvError::Closed) => return None,
            }
        }
    });
    Ok((
        [
            (header::CONTENT_TYPE, "text/event-stream"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        Body::from_stream(events),
    )
        .into_response())
}

fn keep_alive() -> Interval {
    let mut interval = tokio::time::interval_at(Instant::now() + KEEP_ALIVE, KEEP_ALIVE);
    interval.set_missed_tick_behavior(MissedTickBehavior::Delay);
    interval
}

pub async fn user_stream(
    State(services): State<Services>,
    Auth(principal): Auth,
) -> ApiResult<Response> {
    open(services, principal, Scope::User).await
}

pub async fn job_stream(
    State(services): State<Services>,
    Auth(principal): Auth,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    open(services, principal, Scope::Job(id)).await
}
