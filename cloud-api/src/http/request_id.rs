//! Every request gets an id: the one a trusted front (load balancer, reverse proxy) sent in
//! `X-Request-Id` when it is well-formed, else a fresh one. It is a field of the request's log
//! span, so each line logged while serving it carries it, it is echoed in the response header,
//! and a 5xx body names it, so a user's report leads an operator straight to the log lines.

use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use tower_http::trace::MakeSpan;

pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

tokio::task_local! {
    static CURRENT: RequestId;
}

#[derive(Debug, Clone)]
pub struct RequestId(String);

impl RequestId {
    fn from_header(value: Option<&HeaderValue>) -> RequestId {
        match value.and_then(|value| value.to_str().ok()) {
            Some(given)
                if !given.is_empty()
                    && given.len() <= 64
                    && given
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.')) =>
            {
                RequestId(given.to_owned())
            }
            _ => RequestId(uuid::Uuid::now_v7().simple().to_string()),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The id of the request being served on this task, if any.
    pub fn current() -> Option<RequestId> {
        CURRENT.try_with(RequestId::clone).ok()
    }
}

/// Outermost layer: names the request, serves it with its id in scope, echoes the id.
pub async fn assign(mut request: Request, next: Next) -> Response {
    let id = RequestId::from_header(request.headers().get(&REQUEST_ID_HEADER));
    request.extensions_mut().insert(id.clone());
    let header = HeaderValue::from_str(id.as_str()).ok();
    let mut response = CURRENT.scope(id, next.run(request)).await;
    if let Some(header) = header {
        response.headers_mut().insert(REQUEST_ID_HEADER, header);
    }
    response
}

/// The request's log span: method, path and id (the path without its query, which may carry
/// tokens).
#[derive(Debug, Clone, Copy)]
pub struct RequestSpan;

impl<B> MakeSpan<B> for RequestSpan {
    fn make_span(&mut self, request: &axum::http::Request<B>) -> tracing::Span {
        let id = request
            .extensions()
            .get::<RequestId>()
            .map(|id| id.as_str().to_owned())
            .unwrap_or_default();
        tracing::info_span!(
            "request",
            method = %request.method(),
            path = %request.uri().path(),
            request_id = %id,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_forwarded_id_is_kept_only_when_well_formed() {
        let kept = RequestId::from_header(Some(&HeaderValue::from_static("lb-42.a_b")));
        assert_eq!(kept.as_str(), "lb-42.a_b");
        for hostile in ["", "a b", "x\"y", &"a".repeat(65)] {
            let value = HeaderValue::from_str(hostile).expect("header");
            let fresh = RequestId::from_header(Some(&value));
            assert_eq!(fresh.as_str().len(), 32, "{hostile:?} replaced");
        }
        assert_eq!(RequestId::from_header(None).as_str().len(), 32);
    }
}
