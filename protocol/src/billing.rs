//! Paid plans through Stripe: what a user sees of their subscription, and the requests that
//! send them to Stripe's Checkout and Customer Portal.

use crate::accounts::Plan;
use crate::codes::wire_names;
use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

wire_names! {
    /// A Stripe subscription's status, as Stripe names it.
    pub enum SubscriptionStatus {
        /// Created, first payment not made yet.
        Incomplete = "incomplete",
        /// The first payment never came; the subscription is void.
        IncompleteExpired = "incomplete_expired",
        Trialing = "trialing",
        Active = "active",
        /// A renewal payment failed; the plan is kept for the grace period.
        PastDue = "past_due",
        Canceled = "canceled",
        /// Payments failed for good.
        Unpaid = "unpaid",
        Paused = "paused",
    }
}

/// A user's subscription as the last applied Stripe event left it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Subscription {
    /// The plan the subscription pays for.
    pub plan_id: String,
    pub status: SubscriptionStatus,
    /// Renewal date (or the end, when it cancels at period end).
    pub current_period_end: Option<DateTime<Utc>>,
    pub cancel_at_period_end: bool,
    /// Past due: when the plan falls back to the free plan unless a payment comes.
    pub grace_ends_at: Option<DateTime<Utc>>,
}

/// `GET /api/v1/billing` (and the operators' view of a user's billing).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BillingOverview {
    /// Billing is configured on this server; when not, operators assign plans.
    pub enabled: bool,
    /// The organization billed: the one the request works in.
    pub org_id: String,
    /// The caller may buy and manage its plan (its owner).
    pub can_manage: bool,
    /// The plan in force.
    pub plan: Plan,
    pub subscription: Option<Subscription>,
    /// A Stripe customer exists, so the Customer Portal can be opened.
    pub has_billing_account: bool,
    /// Plans that can be bought through Checkout now.
    pub purchasable: Vec<String>,
}

/// `POST /api/v1/billing/checkout`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StartCheckout {
    /// The id of the plan to subscribe to.
    pub plan: String,
}

/// Where to send the browser: a Checkout or Customer Portal session on Stripe.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BillingRedirect {
    pub url: String,
}

/// One of the organization's invoices, as Stripe keeps it: amounts in the currency's smallest
/// unit (cents).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Invoice {
    pub id: String,
    /// Stripe's invoice number (none while a draft).
    pub number: Option<String>,
    /// `draft`, `open`, `paid`, `uncollectible` or `void`, as Stripe names them.
    pub status: String,
    pub amount_due: i64,
    pub amount_paid: i64,
    /// ISO 4217, lower case, as Stripe writes it (`eur`).
    pub currency: String,
    pub created_at: DateTime<Utc>,
    /// Stripe's page of the invoice, where it can be paid or downloaded.
    pub hosted_url: Option<String>,
    pub pdf_url: Option<String>,
}

/// `GET /api/v1/billing/invoices` answer: the newest first.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Invoices {
    pub items: Vec<Invoice>,
    /// Stripe holds older ones than these (its Customer Portal lists them all).
    pub has_more: bool,
}

/// `POST /api/v1/billing/webhook` answer.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookReceipt {
    /// False when the event was seen before (a replay) and ignored.
    pub applied: bool,
}

/// `POST /api/v1/admin/users/{id}/plan`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChangePlan {
    pub plan_id: String,
    #[schemars(pattern(crate::fields::REASON_PATTERN))]
    pub reason: String,
    #[schemars(pattern(crate::fields::TICKET_PATTERN))]
    pub ticket_id: String,
}
