//! The Stripe events billing acts on, read from a webhook's body. Only the fields billing needs
//! are read, in the shapes of both older API versions and newer ones (which moved the period end
//! onto subscription items and an invoice's subscription under `parent`).

use serde::Deserialize;
use std::collections::HashMap;
use tseeder_protocol::SubscriptionStatus;

#[derive(Debug, Deserialize)]
pub struct Event {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    /// Seconds since the epoch.
    pub created: i64,
    pub data: EventData,
}

#[derive(Debug, Deserialize)]
pub struct EventData {
    pub object: serde_json::Value,
}

/// What an event asks billing to do.
#[derive(Debug)]
pub enum Change {
    CheckoutCompleted(CheckoutSession),
    /// `customer.subscription.created`, `.updated` and `.deleted`.
    SubscriptionChanged(SubscriptionState),
    PaymentFailed {
        subscription_id: String,
    },
    /// An event billing does not act on; it is still recorded so a replay is recognised.
    Ignored,
}

#[derive(Debug, Deserialize)]
pub struct CheckoutSession {
    #[serde(default)]
    pub mode: Option<String>,
    #[serde(default)]
    pub customer: Option<String>,
    #[serde(default)]
    pub subscription: Option<String>,
    #[serde(default)]
    pub client_reference_id: Option<String>,
    #[serde(default)]
    pub metadata: HashMap<String, String>,
}

/// A subscription as an event shows it.
#[derive(Debug, Clone)]
pub struct SubscriptionState {
    pub id: String,
    pub customer: String,
    pub status: SubscriptionStatus,
    pub price: Option<String>,
    /// Milliseconds.
    pub current_period_end: Option<i64>,
    pub cancel_at_period_end: bool,
    /// When Stripe created it, in milliseconds.
    pub created: i64,
    pub metadata: HashMap<String, String>,
}

#[derive(Debug, Deserialize)]
struct RawSubscription {
    id: String,
    customer: String,
    status: String,
    #[serde(default)]
    current_period_end: Option<i64>,
    #[serde(default)]
    cancel_at_period_end: bool,
    #[serde(default)]
    created: i64,
    #[serde(default)]
    metadata: HashMap<String, String>,
    #[serde(default)]
    items: Option<Items>,
}

#[derive(Debug, Deserialize)]
struct Items {
    #[serde(default)]
    data: Vec<Item>,
}

#[derive(Debug, Deserialize)]
struct Item {
    #[serde(default)]
    price: Option<Price>,
    #[serde(default)]
    current_period_end: Option<i64>,
}

#[derive(Debug, Deserialize)]
struct Price {
    id: String,
}

#[derive(Debug, Deserialize)]
struct RawInvoice {
    #[serde(default)]
    subscription: Option<String>,
    #[serde(default)]
    parent: Option<InvoiceParent>,
}

#[derive(Debug, Deserialize)]
struct InvoiceParent {
    #[serde(default)]
    subscription_details: Option<SubscriptionDetails>,
}

#[derive(Debug, Deserialize)]
struct SubscriptionDetails {
    #[serde(default)]
    subscription: Option<String>,
}

impl Event {
    /// Reads what the event's object says; `Err` names what is missing or malformed.
    pub fn change(&self) -> Result<Change, String> {
        let object = self.data.object.clone();
        Ok(match self.kind.as_str() {
            "checkout.session.completed" => Change::CheckoutCompleted(
                serde_json::from_value(object).map_err(|err| format!("checkout session: {err}"))?,
            ),
            "customer.subscription.created"
            | "customer.subscription.updated"
            | "customer.subscription.deleted" => {
                let raw: RawSubscription =
                    serde_json::from_value(object).map_err(|err| format!("subscription: {err}"))?;
                let status = SubscriptionStatus::parse(&raw.status)
                    .ok_or_else(|| format!("subscription status {:?}", raw.status))?;
                let first_item = raw.items.as_ref().and_then(|items| items.data.first());
                let period_end = raw
                    .current_period_end
                    .or_else(|| first_item.and_then(|item| item.current_period_end));
                Change::SubscriptionChanged(SubscriptionState {
                    id: raw.id,
                    customer: raw.customer,
                    status,
                    price: first_item
                        .and_then(|item| item.price.as_ref())
                        .map(|price| price.id.clone()),
                    current_period_end: period_end.map(|end| end.saturating_mul(1000)),
                    cancel_at_period_end: raw.cancel_at_period_end,
                    created: raw.created.saturating_mul(1000),
                    metadata: raw.metadata,
                })
            }
            "invoice.payment_failed" => {
                let raw: RawInvoice =
                    serde_json::from_value(object).map_err(|err| format!("invoice: {err}"))?;
                let subscription = raw.subscription.or_else(|| {
                    raw.parent
                        .and_then(|parent| parent.subscription_details)
                        .and_then(|details| details.subscription)
                });
                match subscription {
                    Some(subscription_id) => Change::PaymentFailed { subscription_id },
                    None => Change::Ignored,
                }
            }
            _ => Change::Ignored,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(kind: &str, object: serde_json::Value) -> Event {
        serde_json::from_value(serde_json::json!({
            "id": "evt_1", "type": kind, "created": 1_700_000_000, "data": { "object": object }
        }))
        .expect("an event")
    }

    #[test]
    fn period_end_and_price_are_read_from_either_api_shape() {
        let old = event(
            "customer.subscription.updated",
            serde_json::json!({ "id": "sub_1", "customer": "cus_1", "status": "active",
                "current_period_end": 1_700_100_000, "created": 1_699_000_000,
                "items": { "data": [{ "price": { "id": "price_pro" } }] } }),
        );
        let new = event(
            "customer.subscription.updated",
            serde_json::json!({ "id": "sub_1", "customer": "cus_1", "status": "past_due",
                "items": { "data": [{ "price": { "id": "price_pro" }, "current_period_end": 1_700_100_000 }] } }),
        );
        for (event, status) in [
            (old, SubscriptionStatus::Active),
            (new, SubscriptionStatus::PastDue),
        ] {
            let Ok(Change::SubscriptionChanged(state)) = event.change() else {
                panic!("not a subscription change");
            };
            assert_eq!(state.status, status);
            assert_eq!(state.price.as_deref(), Some("price_pro"));
            assert_eq!(state.current_period_end, Some(1_700_100_000_000));
        }
    }

    #[test]
    fn an_invoice_names_its_subscription_in_either_api_shape() {
        for object in [
            serde_json::json!({ "subscription": "sub_1" }),
            serde_json::json!({ "parent": { "subscription_details": { "subscription": "sub_1" } } }),
        ] {
            let change = event("invoice.payment_failed", object).change();
            assert!(
                matches!(change, Ok(Change::PaymentFailed { subscription_id }) if subscription_id == "sub_1")
            );
        }
        assert!(matches!(
            event("invoice.paid", serde_json::json!({})).change(),
            Ok(Change::Ignored)
        ));
        assert!(event(
            "customer.subscription.updated",
            serde_json::json!({ "id": "sub_1" })
        )
        .change()
        .is_err());
    }
}
