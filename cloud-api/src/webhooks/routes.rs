//! The webhooks slice of the route table: each route's method, path, least role and documentation.

use super::handlers;
use crate::http::routes::{ApiRoute, RouteLimits, MEMBER};
use tseeder_protocol::*;

pub(crate) fn routes(_limits: &RouteLimits) -> Vec<ApiRoute> {
    vec![
        ApiRoute::get("/api/v1/webhooks", MEMBER, handlers::list)
            .doc("webhooks", "The user's webhook endpoints")
            .returns::<Vec<WebhookView>>(200),
        ApiRoute::post("/api/v1/webhooks", MEMBER, handlers::create)
            .doc(
                "webhooks",
                "Register an endpoint for job events; its signing secret is shown only in this answer",
            )
            .json::<CreateWebhook>()
            .returns::<CreatedWebhook>(201),
        ApiRoute::delete("/api/v1/webhooks/{id}", MEMBER, handlers::delete)
            .doc("webhooks", "Delete an endpoint and its deliveries")
            .no_content(),
        ApiRoute::post(
            "/api/v1/webhooks/callback-secret",
            MEMBER,
            handlers::rotate_callback_secret,
        )
        .doc(
            "webhooks",
            "Make (or replace) the secret that signs job callbacks; shown only in this answer",
        )
        .returns::<CallbackSecret>(200),
        ApiRoute::get("/api/v1/webhooks/deliveries", MEMBER, handlers::deliveries)
            .doc("webhooks", "The latest deliveries, newest first, with how each went")
            .query::<handlers::DeliveriesQuery>()
            .returns::<Vec<WebhookDelivery>>(200),
    ]
}
