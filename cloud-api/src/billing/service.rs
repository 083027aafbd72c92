//! Billing as organizations and Stripe use it: the overview of an organization's plan and
//! subscription, Checkout and Customer Portal sessions and the invoices for its owner, the signed
//! webhook that sets
//! its plan (a personal organization's is its user's), and the settling of plans whose grace
//! period or paid period has run out.

use super::events::Event;
use super::signature::{self, SignatureError};
use super::store::{self as q, SubscriptionRow};
use super::stripe::{CheckoutRequest, StripeClient, StripeError, StripeInvoice};
use super::units::{self, holds_a_plan, Terms};
use crate::error::{ApiError, ApiResult};
use crate::services::{Principal, RequestMeta, Services};
use crate::store::{self as db};
use tseeder_protocol::OrgRole;
use tseeder_protocol::{
    BillingOverview, BillingRedirect, ErrorCode, Invoice, Invoices, SecurityEventKind,
    StartCheckout, Subscription, SubscriptionStatus, WebhookReceipt,
};

const DAY_MS: i64 = 86_400_000;

/// Invoices shown: two years of monthly ones. Older ones are in Stripe's Customer Portal.
const INVOICES_SHOWN: u32 = 24;

#[derive(Debug, Clone, Copy)]
pub struct Billing<'a> {
    services: &'a Services,
}

impl<'a> Billing<'a> {
    pub(crate) fn new(services: &'a Services) -> Self {
        Billing { services }
    }
}

impl Billing<'_> {
    /// The Stripe client exists exactly when billing is configured.
    pub fn enabled(&self) -> bool {
        self.services.stripe().is_some()
    }

    fn stripe(&self) -> ApiResult<&StripeClient> {
        self.services.stripe().ok_or_else(|| {
            ApiError::conflict(
                ErrorCode::BillingNotConfigured,
                "billing is not set up on this server; an operator assigns plans",
            )
        })
    }

    fn terms(&self, now: i64) -> Terms {
        let days = self.services.settings().billing.past_due_grace_days;
        Terms {
            prices: self.services.runtime().values.billing.clone(),
            grace_ms: i64::try_from(days).unwrap_or(i64::MAX / DAY_MS) * DAY_MS,
            now,
            public_url: self.services.settings().public_url_trimmed(),
        }
    }

    /// The plan and subscription of the organization the caller works in, and what its owner
    /// can buy.
    pub async fn overview(&self, principal: &Principal) -> ApiResult<BillingOverview> {
        let can_manage = principal.org.role == OrgRole::Owner;
        self.overview_of(&principal.org.id, can_manage).await
    }

    /// An organization's plan, subscription and what can be bought for it.
    pub async fn overview_of(&self, org_id: &str, can_manage: bool) -> ApiResult<BillingOverview> {
        let oid = org_id.to_owned();
        let terms = self.terms(db::now_ms());
        let (plan, newest, customer, all_plans) = units::overview(self.services.db(), oid)
            .await?
            .ok_or(ApiError::NotFound)?;
        let enabled = self.enabled();
        Ok(BillingOverview {
            enabled,
            org_id: org_id.to_owned(),
            can_manage,
            plan,
            subscription: newest.map(|row| subscription_view(&row, terms.grace_ms)),
            has_billing_account: customer.is_some(),
            purchasable: all_plans
                .into_iter()
                .filter(|plan| enabled && terms.prices.price_of(&plan.id).is_some())
                .map(|plan| plan.id)
                .collect(),
        })
    }

    /// Opens a Checkout Session for `req.plan` for the organization the caller works in and
    /// owns, creating its Stripe customer the first time.
    pub async fn checkout(
        &self,
        principal: &Principal,
        req: StartCheckout,
    ) -> ApiResult<BillingRedirect> {
        let stripe = self.stripe()?;
        require_owner(principal)?;
        let terms = self.terms(db::now_ms());
        let org_id = principal.org.id.clone();
        let plan_id = req.plan.trim().to_owned();
        let (known, newest, customer) = {
            let (oid, plan_id) = (org_id.clone(), plan_id.clone());
            units::checkout_context(self.services.db(), oid, plan_id).await?
        };
        if !known {
            return Err(ApiError::unprocessable(
                ErrorCode::UnknownPlan,
                format!("there is no plan {plan_id:?}"),
            ));
        }
        let Some(price) = terms.prices.price_of(&plan_id) else {
            return Err(ApiError::unprocessable(
                ErrorCode::PlanNotPurchasable,
                format!("the plan {plan_id:?} is not for sale through checkout"),
            ));
        };
        if let Some(row) = newest.filter(|row| holds_a_plan(row.status)) {
            return Err(ApiError::conflict(
                ErrorCode::AlreadySubscribed,
                format!(
                    "you already subscribe to {} ({}); change or cancel it in the billing portal",
                    row.plan_id, row.status
                ),
            ));
        }
        let customer = match customer {
            Some(customer) => {
                bill_owner(stripe, &customer, &principal.user.email).await;
                customer
            }
            None => self.create_customer(stripe, principal).await?,
        };
        let public = self.services.settings().public_url_trimmed();
        let url = stripe
            .create_checkout(&CheckoutRequest {
                customer: &customer,
                price,
                plan: &plan_id,
                org_id: &org_id,
                success_url: &format!("{public}/settings?billing=success"),
                cancel_url: &format!("{public}/settings?billing=cancelled"),
            })
            .await
            .map_err(|err| upstream(err, "open checkout"))?;
        Ok(BillingRedirect { url })
    }

    async fn create_customer(
        &self,
        stripe: &StripeClient,
        principal: &Principal,
    ) -> ApiResult<String> {
        let created = stripe
            .create_customer(&principal.org.id, &principal.user.email)
            .await
            .map_err(|err| upstream(err, "create the billing account"))?;
        // Two first checkouts at once get one customer from Stripe (same idempotency key), and
        // the store keeps the first link either way.
        let customer = units::link_customer(
            self.services.db(),
            principal.org.id.clone(),
            created,
            db::now_ms(),
        )
        .await?;
        customer.ok_or_else(|| ApiError::internal("a linked customer vanished"))
    }

    /// The organization has a new owner: its Stripe customer (when it bought something) is
    /// billed at the new owner's address. The transfer has happened either way, so a failure is
    /// logged, and the owner's next checkout or portal visit sets the address again.
    pub async fn owner_changed(&self, org_id: &str, owner_email: &str) {
        let Ok(stripe) = self.stripe() else {
            return;
        };
        let oid = org_id.to_owned();
        match self
            .services
            .db()
            .call(move |tx| q::customer_of_org(tx, &oid))
            .await
        {
            Ok(Some(customer)) => bill_owner(stripe, &customer, owner_email).await,
            Ok(None) => {}
            Err(err) => tracing::warn!(org = org_id, %err, "could not read the billing customer"),
        }
    }

    /// The Stripe customer of the organization the owner works in, once it bought something.
    async fn owners_customer(&self, principal: &Principal) -> ApiResult<Option<String>> {
        require_owner(principal)?;
        let oid = principal.org.id.clone();
        Ok(self
            .services
            .db()
            .call(move |tx| q::customer_of_org(tx, &oid))
            .await?)
    }

    /// Opens the Customer Portal for the owner of an organization that bought something before.
    pub async fn portal(&self, principal: &Principal) -> ApiResult<BillingRedirect> {
        let stripe = self.stripe()?;
        let customer = self.owners_customer(principal).await?.ok_or_else(|| {
            ApiError::conflict(
                ErrorCode::NoBillingAccount,
                "nothing was bought yet, so there is no billing account to manage",
            )
        })?;
        bill_owner(stripe, &customer, &principal.user.email).await;
        let public = self.services.settings().public_url_trimmed();
        let url = stripe
            .create_portal(&customer, &format!("{public}/settings"))
            .await
            .map_err(|err| upstream(err, "open the billing portal"))?;
        Ok(BillingRedirect { url })
    }

    /// The organization's newest invoices, for its owner; none before anything was bought.
    pub async fn invoices(&self, principal: &Principal) -> ApiResult<Invoices> {
        let stripe = self.stripe()?;
        let Some(customer) = self.owners_customer(principal).await? else {
            return Ok(Invoices {
                items: Vec::new(),
                has_more: false,
            });
        };
        let listed = stripe
            .list_invoices(&customer, INVOICES_SHOWN)
            .await
            .map_err(|err| upstream(err, "list the invoices"))?;
        Ok(Invoices {
            items: listed.data.into_iter().map(invoice_view).collect(),
            has_more: listed.has_more,
        })
    }

    /// Verifies and applies one Stripe event. A bad signature is a security event.
    pub async fn receive(
        &self,
        meta: &RequestMeta,
        signature_header: Option<&str>,
        body: &[u8],
    ) -> ApiResult<WebhookReceipt> {
        self.stripe()?;
        let stripe = &self.services.settings().billing.stripe;
        let secret = stripe
            .webhook_secret
            .as_ref()
            .map(|secret| secret.expose().to_owned())
            .unwrap_or_default();
        let now = db::now_ms();
        if let Err(err) = signature::verify(
            signature_header,
            body,
            &secret,
            stripe.webhook_tolerance_seconds,
            now / 1000,
        ) {
            return Err(self.refuse(meta, err).await);
        }
        let event: Event = serde_json::from_slice(body).map_err(|err| {
            ApiError::bad_request(ErrorCode::InvalidBody, format!("not a Stripe event: {err}"))
        })?;
        let change = event.change().map_err(|err| {
            ApiError::bad_request(
                ErrorCode::InvalidBody,
                format!("{} event unreadable: {err}", event.kind),
            )
        })?;
        let terms = self.terms(now);
        let received = units::Received {
            id: event.id.clone(),
            kind: event.kind.clone(),
            at: event.created * 1000,
            change,
        };
        let applied = units::apply_event(self.services.db(), received, terms).await?;
        if applied {
            self.services.mail().mail_queued();
        } else {
            tracing::info!(event = %event.id, kind = %event.kind, "Stripe event replayed; ignored");
        }
        Ok(WebhookReceipt { applied })
    }

    async fn refuse(&self, meta: &RequestMeta, err: SignatureError) -> ApiError {
        self.services
            .security_event(
                SecurityEventKind::BillingWebhookRejected,
                None,
                None,
                meta,
                serde_json::json!({ "reason": err.to_string() }),
            )
            .await;
        ApiError::bad_request(ErrorCode::WebhookSignatureInvalid, err.to_string())
    }

    /// Lets plans lapse whose grace period or paid period ended; answers how many changed.
    pub async fn settle(&self, now: i64) -> ApiResult<usize> {
        let terms = self.terms(now);
        let changed = units::settle(self.services.db(), terms).await?;
        if changed > 0 {
            self.services.mail().mail_queued();
        }
        Ok(changed)
    }
}

/// An organization's plan is bought and managed by its owner (a personal one's by its user).
fn require_owner(principal: &Principal) -> ApiResult<()> {
    if principal.org.role == OrgRole::Owner {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            ErrorCode::InsufficientRole,
            "only the organization's owner buys and manages its plan",
        ))
    }
}

fn upstream(err: StripeError, what: &str) -> ApiError {
    tracing::warn!(%err, "Stripe call failed");
    ApiError::Upstream {
        code: ErrorCode::PaymentProviderFailed,
        message: format!("the payment provider could not {what}; try again in a moment"),
    }
}

fn invoice_view(invoice: StripeInvoice) -> Invoice {
    Invoice {
        id: invoice.id,
        number: invoice.number,
        status: invoice.status.unwrap_or_else(|| "draft".into()),
        amount_due: invoice.amount_due,
        amount_paid: invoice.amount_paid,
        currency: invoice.currency,
        created_at: db::to_datetime(invoice.created.saturating_mul(1000)),
        hosted_url: invoice.hosted_invoice_url.filter(|url| is_web_link(url)),
        pdf_url: invoice.invoice_pdf.filter(|url| is_web_link(url)),
    }
}

/// A link the console may render: a web page, never a `javascript:` or `data:` URL, whatever
/// the payment provider's answer held.
fn is_web_link(url: &str) -> bool {
    url::Url::parse(url).is_ok_and(|url| matches!(url.scheme(), "https" | "http"))
}

fn subscription_view(row: &SubscriptionRow, grace_ms: i64) -> Subscription {
    Subscription {
        plan_id: row.plan_id.clone(),
        status: row.status,
        current_period_end: row.current_period_end.map(db::to_datetime),
        cancel_at_period_end: row.cancel_at_period_end,
        grace_ends_at: (row.status == SubscriptionStatus::PastDue)
            .then(|| row.past_due_since.unwrap_or(row.state_at) + grace_ms)
            .map(db::to_datetime),
    }
}

/// Sets the customer's billing address to the owner's; best effort (see `owner_changed`).
async fn bill_owner(stripe: &StripeClient, customer: &str, owner_email: &str) {
    if let Err(err) = stripe.set_customer_email(customer, owner_email).await {
        tracing::warn!(customer, %err, "could not bill the Stripe customer at its owner's address");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_invoice_keeps_only_links_a_browser_opens_as_pages() {
        let listed: StripeInvoice = serde_json::from_value(serde_json::json!({
            "id": "in_1", "number": "A-1", "status": "open", "amount_due": 900, "amount_paid": 0,
            "currency": "eur", "created": 1_700_000_000,
            "hosted_invoice_url": "javascript:alert(1)",
            "invoice_pdf": "https://pay.stripe.com/invoice/acct_1/in_1/pdf",
        }))
        .expect("Stripe's invoice");
        let shown = invoice_view(listed);
        assert_eq!(shown.hosted_url, None);
        assert_eq!(
            shown.pdf_url.as_deref(),
            Some("https://pay.stripe.com/invoice/acct_1/in_1/pdf")
        );
        assert_eq!(shown.created_at.timestamp(), 1_700_000_000);
        assert_eq!((shown.amount_due, shown.amount_paid), (900, 0));
    }
}
