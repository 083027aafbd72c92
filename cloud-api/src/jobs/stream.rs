//! Server-Sent Events: the jobs the caller sees in their organization (or one job) live. A
//! stream opens with a snapshot, then sends each change of those jobs as the hub serialized it
//! once; a stream that falls behind gets a fresh
//! snapshot instead of the missed events. Keep-alive comments hold idle connections open, and a
//! stream ends when the session or key it was opened with is revoked, or its user leaves the
//! organization or changes role there.

use crate::error::{ApiError, ApiResult};
use crate::http::extract::{Auth, Path};
use crate::jobs::live::{LiveEvent, RESYNC, REVOKED};
use crate::services::{Principal, Services};
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::stream;
use futures_util::stream::Stream;
use std::convert::Infallible;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::broadcast::Receiver;

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
    pending: Option<Event>,
}

async fn snapshot(services: &Services, principal: &Principal, scope: &Scope) -> ApiResult<Event> {
    let data = match scope {
        Scope::User => serde_json::to_string(&services.jobs().live_snapshot(principal).await?),
        Scope::Job(id) => {
            let detail = services.jobs().detail(principal, id).await?;
            serde_json::to_string(&vec![services.live().with_progress(detail.job)])
        }
    }
    .map_err(|err| ApiError::Internal(err.to_string()))?;
    Ok(Event::default().event("snapshot").data(data))
}

fn matches(event: &LiveEvent, principal: &Principal, scope: &Scope) -> bool {
    *event.org_id == *principal.org.id
        && (principal.org.role.sees_all_jobs() || *event.user_id == *principal.user.id)
        && match scope {
            Scope::User => true,
            Scope::Job(id) => *event.job_id == **id,
        }
}

async fn open(
    services: Services,
    principal: Principal,
    scope: Scope,
) -> ApiResult<Sse<impl Stream<Item = Result<Event, Infallible>>>> {
    // Subscribe before reading the snapshot, so no change falls between the two.
    let receiver = services.live().subscribe(&principal.org.id);
    let first = snapshot(&services, &principal, &scope).await?;
    let state = StreamState {
        services,
        principal,
        scope,
        receiver,
        pending: Some(first),
    };
    let events = stream::unfold(state, |mut state| async move {
        if let Some(event) = state.pending.take() {
            return Some((Ok(event), state));
        }
        loop {
            match state.receiver.recv().await {
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
                    let sse = Event::default().event(event.kind).data(&*event.data);
                    return Some((Ok(sse), state));
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
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

pub async fn user_stream(
    State(services): State<Services>,
    Auth(principal): Auth,
) -> ApiResult<Sse<impl Stream<Item = Result<Event, Infallible>>>> {
    open(services, principal, Scope::User).await
}

pub async fn job_stream(
    State(services): State<Services>,
    Auth(principal): Auth,
    Path(id): Path<String>,
) -> ApiResult<Sse<impl Stream<Item = Result<Event, Infallible>>>> {
    open(services, principal, Scope::Job(id)).await
}
