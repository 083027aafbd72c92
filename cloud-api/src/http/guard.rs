//! The one access mechanism: every route passes through [`guard`] with the least role it needs.
//! It identifies the caller (API key or session cookie), refuses anonymous, suspended and
//! under-privileged callers, and demands the CSRF token on writes made with a cookie.

use super::client_address::client_address;
use super::cookies;
use crate::accounts::service::suspended_error;
use crate::crypto::constant_time_eq;
use crate::error::ApiError;
use crate::services::{Credential, Principal, RequestMeta, Services};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::net::SocketAddr;
use tseeder_protocol::ErrorCode;
use tseeder_protocol::Role;
use tseeder_protocol::SecurityEventKind;

pub const CSRF_HEADER: &str = "x-csrf-token";

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone; a signed-in caller is still recognised.
    Public,
    /// Signed-in callers holding at least this role.
    AtLeast(Role),
    /// Agents, with the token an operator (or a user, for a device) issued.
    Agent,
    /// Prometheus, with `metrics.token`: no user or agent credential is read; the handler checks
    /// the token.
    Scraper,
}

impl Access {
    pub fn label(self) -> &'static str {
        match self {
            Access::Public => "public",
            Access::AtLeast(role) => role.as_str(),
            Access::Agent => "agent",
            Access::Scraper => "metrics",
        }
    }
}

pub async fn guard(
    State((services, access)): State<(Services, Access)>,
    mut req: Request,
    next: Next,
) -> Response {
    if access == Access::Scraper {
        return next.run(req).await;
    }
    let meta = request_meta(&services, &req);
    if access == Access::Agent {
        return match identify_agent(&services, req.headers(), &meta).await {
            Ok(agent) => {
                req.extensions_mut().insert(agent);
                req.extensions_mut().insert(meta);
                next.run(req).await
            }
            Err(err) => err.into_response(),
        };
    }
    let principal = match identify(&services, req.headers(), &meta).await {
        Ok(principal) => principal,
        Err(err) => return err.into_response(),
    };
    if let Access::AtLeast(least) = access {
        let Some(principal) = &principal else {
            return ApiError::Unauthenticated.into_response();
        };
        if principal.user.suspended_at.is_some() {
            return suspended_error().into_response();
        }
        if principal.role() < least {
            return ApiError::forbidden(
                ErrorCode::InsufficientRole,
                format!("this needs the {} role or higher", least.as_str()),
            )
            .into_response();
        }
        if let Err(err) = check_csrf(&services, principal, req.method(), req.headers(), &meta).await
        {
            return err.into_response();
        }
    }
    if let Some(principal) = principal {
        req.extensions_mut().insert(principal);
    }
    req.extensions_mut().insert(meta);
    next.run(req).await
}

fn request_meta(services: &Services, req: &Request) -> RequestMeta {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip());
    // Each hop is its own header line or a comma in one: join them in order.
    let forwarded: Vec<&str> = req
        .headers()
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    let forwarded = (!forwarded.is_empty()).then(|| forwarded.join(","));
    let ip = client_address(peer, forwarded.as_deref(), services.trusted_proxies());
    RequestMeta {
        ip: ip.map(|ip| ip.to_string()),
        user_agent: req
            .headers()
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
    }
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
}

async fn identify_agent(
    services: &Services,
    headers: &HeaderMap,
    meta: &RequestMeta,
) -> Result<crate::agents::service::AgentPrincipal, ApiError> {
    let Some(token) = bearer(headers) else {
        return Err(ApiError::Unauthenticated);
    };
    match services.agents().authenticate(token).await? {
        Some(agent) => Ok(agent),
        None => {
            services
                .credentials()
                .record_bad_credential(SecurityEventKind::InvalidAgentToken, meta)
                .await;
            Err(ApiError::Unauthorized {
                code: ErrorCode::InvalidAgentToken,
                message: "the agent token is not valid or was revoked".into(),
            })
        }
    }
}

/// An `Authorization` header must hold a valid key; a stale cookie alone only makes the caller
/// anonymous. A request carrying both must have both hold, for the same user: one is never
/// silently judged by the other.
async fn identify(
    services: &Services,
    headers: &HeaderMap,
    meta: &RequestMeta,
) -> Result<Option<Principal>, ApiError> {
    if headers.contains_key(header::AUTHORIZATION) {
        let secret = bearer(headers).unwrap_or_default();
        let Some(principal) = services.credentials().authenticate_api_key(secret).await? else {
            services
                .credentials()
                .record_bad_credential(SecurityEventKind::InvalidApiKey, meta)
                .await;
            return Err(ApiError::Unauthorized {
                code: ErrorCode::InvalidApiKey,
                message: "the API key is not valid or was revoked".into(),
            });
        };
        if let Some(token) = cookies::session_cookie(services.settings(), headers) {
            let session = services.credentials().authenticate_session(&token).await?;
            if session.is_none_or(|session| session.user.id != principal.user.id) {
                services
                    .credentials()
                    .record_bad_credential(SecurityEventKind::InvalidSession, meta)
                    .await;
                return Err(ApiError::Unauthorized {
                    code: ErrorCode::InvalidSession,
                    message: "the session cookie sent with this API key is not valid for its user"
                        .into(),
                });
            }
        }
        return Ok(Some(principal));
    }
    let Some(token) = cookies::session_token(services.settings(), headers) else {
        return Ok(None);
    };
    let principal = services.credentials().authenticate_session(&token).await?;
    if principal.is_none() {
        services
            .credentials()
            .record_bad_credential(SecurityEventKind::InvalidSession, meta)
            .await;
    }
    Ok(principal)
}

async fn check_csrf(
    services: &Services,
    principal: &Principal,
    method: &Method,
    headers: &HeaderMap,
    meta: &RequestMeta,
) -> Result<(), ApiError> {
    let Credential::Session { csrf_token, .. } = &principal.credential else {
        return Ok(());
    };
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(());
    }
    let sent = headers
        .get(CSRF_HEADER)
        .map(|v| v.as_bytes())
        .unwrap_or_default();
    if constant_time_eq(sent, csrf_token.as_bytes()) {
        return Ok(());
    }
    services
        .security_event(
            SecurityEventKind::CsrfRejected,
            Some(principal.user.id.clone()),
            Some(principal.user.email.clone()),
            meta,
            serde_json::json!({ "method": method.as_str() }),
        )
        .await;
    Err(ApiError::forbidden(
        ErrorCode::CsrfFailed,
        "missing or wrong X-CSRF-Token header for a signed-in write",
    ))
}
