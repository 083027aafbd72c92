//! The billing slice of the route table.

use super::handlers;
use crate::http::routes::{ApiRoute, RouteLimits, MEMBER, PUBLIC};
use tseeder_protocol::{BillingOverview, BillingRedirect, Invoices, StartCheckout, WebhookReceipt};

/// Stripe's events carry whole objects (an invoice with its lines), larger than API requests.
const WEBHOOK_BODY_LIMIT: usize = 512 * 1024;

pub(crate) fn routes(_limits: &RouteLimits) -> Vec<ApiRoute> {
    vec![
        ApiRoute::get("/api/v1/billing", MEMBER, handlers::overview)
            .doc(
                "billing",
                "The plan in force, the subscription behind it and the plans for sale",
            )
            .returns::<BillingOverview>(200),
        ApiRoute::post("/api/v1/billing/checkout", MEMBER, handlers::checkout)
            .doc(
                "billing",
                "Open a Stripe Checkout to subscribe to a plan; answers the page to send the browser to",
            )
            .json::<StartCheckout>()
            .returns::<BillingRedirect>(200),
        ApiRoute::post("/api/v1/billing/portal", MEMBER, handlers::portal)
            .doc(
                "billing",
                "Open Stripe's Customer Portal to change, cancel or pay the subscription",
            )
            .returns::<BillingRedirect>(200),
        ApiRoute::get("/api/v1/billing/invoices", MEMBER, handlers::invoices)
            .doc(
                "billing",
                "The organization's newest invoices from Stripe, for its owner (older ones are in the Customer Portal)",
            )
            .returns::<Invoices>(200),
        ApiRoute::post("/api/v1/billing/webhook", PUBLIC, handlers::webhook)
            .doc(
                "billing",
                "Stripe's webhook: a signed event (Stripe-Signature) that sets a subscriber's plan; a replay is acknowledged and ignored",
            )
            .body_limit(WEBHOOK_BODY_LIMIT)
            .returns::<WebhookReceipt>(200),
    ]
}
