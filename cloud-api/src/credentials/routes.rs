//! The credentials slice of the route table: each route's method, path, least role and documentation.

use super::handlers;
use crate::http::routes::{ApiRoute, RouteLimits, MEMBER};
use tseeder_protocol::*;

pub(crate) fn routes(_limits: &RouteLimits) -> Vec<ApiRoute> {
    vec![
        ApiRoute::get("/api/v1/auth/sessions", MEMBER, handlers::list_sessions)
            .doc("accounts", "The user's live sessions")
            .returns::<Vec<SessionView>>(200),
        ApiRoute::delete(
            "/api/v1/auth/sessions/{id}",
            MEMBER,
            handlers::revoke_session,
        )
        .doc("accounts", "End one of the user's sessions")
        .no_content(),
        ApiRoute::get("/api/v1/api-keys", MEMBER, handlers::list_api_keys)
            .doc("api-keys", "The user's API keys (prefixes only)")
            .returns::<Vec<ApiKeyView>>(200),
        ApiRoute::post("/api/v1/api-keys", MEMBER, handlers::create_api_key)
            .doc(
                "api-keys",
                "Create an API key; the secret is shown only in this answer",
            )
            .json::<CreateApiKey>()
            .returns::<CreatedApiKey>(201),
        ApiRoute::delete("/api/v1/api-keys/{id}", MEMBER, handlers::revoke_api_key)
            .doc("api-keys", "Revoke an API key")
            .no_content(),
    ]
}
