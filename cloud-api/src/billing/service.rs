//! Billing as organizations and Stripe use it: the overview of an organization's plan and
//! subscription, Checkout and Customer Portal sessions for its owner, the signed webhook that sets
//! its plan (a personal organization's is its user's), and the settling of plans whose grace
//! period or paid period has run out.

use super::events::{Change, CheckoutSession, Event, SubscriptionState};
use super::signature::{self, SignatureError};
use super::store::{self as q, SubscriptionRow};
use super::stripe::{CheckoutRequest, StripeClient, StripeError};
use crate::accounts::store as users;
use crate::audit::store::{insert_audit, NewAudit};
use crate::error::{ApiError, ApiResult};
use crate::mail::store as mail_queue;
use crate::mail::Email;
use crate::orgs::store as orgs;
use crate::plans::store::{self as plans, FREE_PLAN};
use crate::runtime_settings::catalog::BillingPrices;
use crate::services::{Principal, RequestMeta, Services};
use crate::store::{self as db, DbResult, Tx};
use tseeder_protocol::OrgRole;
use tseeder_protocol::{
    AuditAction, BillingOverview, BillingRedirect, ErrorCode, SecurityEventKind, StartCheckout,
    Subscription, SubscriptionStatus, WebhookReceipt,
};

const DAY_MS: i64 = 86_400_000;

/// Applied event ids are kept this long, well past Stripe's three days of retries.
const EVENT_MEMORY_MS: i64 = 30 * DAY_MS;

#[derive(Debug, Clone, Copy)]
pub struct Billing<'a> {
    services: &'a Services,
}

impl<'a> Billing<'a> {
    pub(crate) fn new(services: &'a Services) -> Self {
        Billing { services }
    }
}

/// What billing needs to know to apply an event or settle a plan, taken once per call.
#[derive(Debug, Clone)]
struct Terms {
    prices: BillingPrices,
    grace_ms: i64,
    now: i64,
    /// Where the mails' links point.
    public_url: String,
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
        let (plan, newest, customer, all_plans) = self
            .services
            .db()
            .call(move |tx| {
                if orgs::org(tx, &oid)?.is_none() {
                    return Ok(None);
                }
                Ok(Some((
                    plans::plan_of_org(tx, &oid)?,
                    q::newest_subscription(tx, &oid)?,
                    q::customer_of_org(tx, &oid)?,
                    plans::list_plans(tx)?,
                )))
            })
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
            self.services
                .db()
                .call(move |tx| {
                    Ok((
                        plans::plan_exists(tx, &plan_id)?,
                        q::newest_subscription(tx, &oid)?,
                        q::customer_of_org(tx, &oid)?,
                    ))
                })
                .await?
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
            Some(customer) => customer,
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
        let oid = principal.org.id.clone();
        let now = db::now_ms();
        // Two first checkouts at once get one customer from Stripe (same idempotency key), and
        // the store keeps the first link either way.
        let customer = self
            .services
            .db()
            .transaction_with(move |tx| -> DbResult<_> {
                q::link_customer(tx, &oid, &created, now)?;
                q::customer_of_org(tx, &oid)
            })
            .await?;
        customer.ok_or_else(|| ApiError::internal("a linked customer vanished"))
    }

    /// Opens the Customer Portal for the owner of an organization that bought something before.
    pub async fn portal(&self, principal: &Principal) -> ApiResult<BillingRedirect> {
        let stripe = self.stripe()?;
        require_owner(principal)?;
        let oid = principal.org.id.clone();
        let customer = self
            .services
            .db()
            .call(move |tx| q::customer_of_org(tx, &oid))
            .await?
            .ok_or_else(|| {
                ApiError::conflict(
                    ErrorCode::NoBillingAccount,
                    "nothing was bought yet, so there is no billing account to manage",
                )
            })?;
        let public = self.services.settings().public_url_trimmed();
        let url = stripe
            .create_portal(&customer, &format!("{public}/settings"))
            .await
            .map_err(|err| upstream(err, "open the billing portal"))?;
        Ok(BillingRedirect { url })
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
        let (id, kind, at) = (event.id.clone(), event.kind.clone(), event.created * 1000);
        let change = std::sync::Arc::new(change);
        let applied = self
            .services
            .db()
            .transaction_with(move |tx| -> DbResult<_> {
                if !q::record_event(tx, &id, &kind, terms.now)? {
                    return Ok(false);
                }
                let org = match change.as_ref() {
                    Change::CheckoutCompleted(session) => checkout_completed(tx, session, &terms)?,
                    Change::SubscriptionChanged(state) => {
                        subscription_changed(tx, state, at, &terms)?
                    }
                    Change::PaymentFailed { subscription_id } => {
                        payment_failed(tx, subscription_id, at, &terms)?
                    }
                    Change::Ignored => None,
                };
                if let Some(org) = org {
                    settle_plan(tx, &org, &terms)?;
                }
                Ok(true)
            })
            .await?;
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
        let changed = self
            .services
            .db()
            .transaction_with(move |tx| -> DbResult<_> {
                q::prune_events(tx, terms.now - EVENT_MEMORY_MS)?;
                let mut changed = 0;
                for org in q::lapsing_orgs(tx, FREE_PLAN)? {
                    if settle_plan(tx, &org, &terms)? {
                        changed += 1;
                    }
                }
                Ok(changed)
            })
            .await?;
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

/// The organization a Stripe reference names: an organization id, or (from Checkouts opened
/// before billing moved to organizations) a user id, whose personal organization it means.
fn org_of_reference(tx: &Tx<'_>, reference: &str) -> DbResult<Option<String>> {
    if orgs::org(tx, reference)?.is_some() {
        return Ok(Some(reference.to_owned()));
    }
    Ok(users::user_by_id(tx, reference)?.map(|user| orgs::personal_org_id(&user.id)))
}

fn upstream(err: StripeError, what: &str) -> ApiError {
    tracing::warn!(%err, "Stripe call failed");
    ApiError::Upstream {
        code: ErrorCode::PaymentProviderFailed,
        message: format!("the payment provider could not {what}; try again in a moment"),
    }
}

/// A subscription in this state stands (or may stand again) behind the user's plan.
fn holds_a_plan(status: SubscriptionStatus) -> bool {
    matches!(
        status,
        SubscriptionStatus::Active | SubscriptionStatus::Trialing | SubscriptionStatus::PastDue
    )
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

/// The plan a subscription entitles its user to now; `None` when it decides nothing (not paid
/// for yet).
fn entitled_plan(row: &SubscriptionRow, terms: &Terms) -> Option<String> {
    let paid = Some(row.plan_id.clone());
    let free = Some(FREE_PLAN.to_owned());
    match row.status {
        SubscriptionStatus::Active | SubscriptionStatus::Trialing => paid,
        SubscriptionStatus::PastDue => {
            let since = row.past_due_since.unwrap_or(row.state_at);
            if terms.now < since.saturating_add(terms.grace_ms) {
                paid
            } else {
                free
            }
        }
        SubscriptionStatus::Canceled => match row.current_period_end {
            Some(end) if terms.now < end => paid,
            _ => free,
        },
        SubscriptionStatus::Unpaid | SubscriptionStatus::Paused => free,
        SubscriptionStatus::Incomplete | SubscriptionStatus::IncompleteExpired => None,
    }
}

/// Gives the organization the plan its newest subscription entitles it to, if billing has not
/// given it already; audited. Billing never takes away a plan it did not give.
fn settle_plan(tx: &Tx<'_>, org_id: &str, terms: &Terms) -> DbResult<bool> {
    let Some(mut row) = q::newest_subscription(tx, org_id)? else {
        return Ok(false);
    };
    let Some(plan) = entitled_plan(&row, terms) else {
        return Ok(false);
    };
    if row.plan_applied.as_deref() == Some(plan.as_str())
        || (row.plan_applied.is_none() && plan == FREE_PLAN)
    {
        return Ok(false);
    }
    let Some(org) = orgs::org(tx, org_id)? else {
        return Ok(false);
    };
    row.plan_applied = Some(plan.clone());
    q::save_subscription(tx, &row, terms.now)?;
    let before = plans::plan_of_org(tx, org_id)?.id;
    if before == plan {
        return Ok(false);
    }
    let personal_user = plans::set_plan_of_org(tx, org_id, &plan, terms.now)?;
    if plan == FREE_PLAN {
        if let Some((_, email)) = orgs::owner(tx, org_id)? {
            // The mail goes out now, whatever moment the plan was settled for.
            let whose = if org.personal {
                "Your tseeder account".to_owned()
            } else {
                format!("{} on tseeder", org.name)
            };
            let mail = lapsed_mail(&email, &whose, &before, &row, terms);
            mail_queue::enqueue(tx, &mail, db::now_ms())?;
        }
    }
    // A personal organization's plan is its user's account's, audited on the user.
    let (action, target) = match personal_user {
        Some(user_id) => (AuditAction::BillingPlanChange, user_id),
        None => (AuditAction::BillingOrgPlanChange, org_id.to_owned()),
    };
    insert_audit(
        tx,
        &NewAudit {
            actor_id: None,
            actor_email: "billing",
            action,
            target_id: &target,
            reason: None,
            ticket_id: None,
            detail: &serde_json::json!({
                "from": before,
                "to": plan,
                "subscription": row.subscription_id,
                "status": row.status,
            }),
            ip: None,
            now: terms.now,
        },
    )?;
    Ok(true)
}

/// What an organization's owner hears when billing takes its paid plan away.
fn lapsed_mail(
    email: &str,
    whose: &str,
    old_plan: &str,
    row: &SubscriptionRow,
    terms: &Terms,
) -> Email {
    let why = match row.status {
        SubscriptionStatus::PastDue | SubscriptionStatus::Unpaid => {
            "no payment came through during the grace period"
        }
        _ => "your subscription ended",
    };
    Email {
        to: email.to_owned(),
        subject: format!("{whose} is now on the free plan"),
        text: format!(
            "Your {old_plan} plan has ended: {why}.\r\n\r\nIt now has the free plan's limits; files beyond them are kept for the plan's retention period, and new jobs must fit.\r\n\r\nSubscribe again under Billing:\r\n\r\n{}/settings\r\n",
            terms.public_url
        ),
    }
}

/// A finished Checkout links the customer to the organization and, until Stripe's subscription
/// events say more, stands for an active subscription to the plan bought.
fn checkout_completed(
    tx: &Tx<'_>,
    session: &CheckoutSession,
    terms: &Terms,
) -> DbResult<Option<String>> {
    let (Some("subscription"), Some(reference), Some(customer), Some(subscription)) = (
        session.mode.as_deref(),
        session.client_reference_id.as_deref(),
        session.customer.as_deref(),
        session.subscription.as_deref(),
    ) else {
        return Ok(None);
    };
    let Some(org_id) = org_of_reference(tx, reference)? else {
        tracing::warn!(
            reference,
            "a Checkout finished for an organization that is gone"
        );
        return Ok(None);
    };
    let Some((buyer, _)) = orgs::owner(tx, &org_id)? else {
        return Ok(None);
    };
    q::link_customer(tx, &org_id, customer, terms.now)?;
    if q::subscription(tx, subscription)?.is_some() {
        return Ok(Some(org_id));
    }
    let plan = session
        .metadata
        .get("plan")
        .filter(|plan| terms.prices.price_of(plan).is_some());
    let plan = match plan {
        Some(plan) if plans::plan_exists(tx, plan)? => Some(plan),
        _ => None,
    };
    let Some(plan) = plan else {
        tracing::warn!(subscription, "a Checkout finished for a plan not for sale");
        return Ok(None);
    };
    q::save_subscription(
        tx,
        &SubscriptionRow {
            subscription_id: subscription.to_owned(),
            org_id: org_id.clone(),
            user_id: buyer,
            customer_id: customer.to_owned(),
            plan_id: plan.clone(),
            status: SubscriptionStatus::Active,
            current_period_end: None,
            cancel_at_period_end: false,
            past_due_since: None,
            started_at: terms.now,
            // Any subscription event, however early, says more than the Checkout did.
            state_at: 0,
            plan_applied: None,
        },
        terms.now,
    )?;
    Ok(Some(org_id))
}

/// A subscription's new state, unless a newer one was applied already (Stripe does not
/// promise order) or it ended before (a cancelled subscription never comes back).
fn subscription_changed(
    tx: &Tx<'_>,
    state: &SubscriptionState,
    at: i64,
    terms: &Terms,
) -> DbResult<Option<String>> {
    let existing = q::subscription(tx, &state.id)?;
    if let Some(old) = &existing {
        let ended = old.status == SubscriptionStatus::Canceled
            && state.status != SubscriptionStatus::Canceled;
        if old.state_at > at || ended {
            tracing::info!(subscription = %state.id, "older Stripe state ignored");
            return Ok(None);
        }
    }
    let org_id = match q::org_of_customer(tx, &state.customer)? {
        Some(org) => Some(org),
        None => {
            let reference = state
                .metadata
                .get("org_id")
                .or_else(|| state.metadata.get("user_id"));
            match reference {
                Some(reference) => {
                    let org = org_of_reference(tx, reference)?;
                    if let Some(org) = &org {
                        q::link_customer(tx, org, &state.customer, terms.now)?;
                    }
                    org
                }
                None => None,
            }
        }
    };
    let Some(org_id) = org_id else {
        tracing::warn!(customer = %state.customer, "a subscription of a customer no organization has");
        return Ok(None);
    };
    let buyer = match &existing {
        Some(old) => Some(old.user_id.clone()),
        None => orgs::owner(tx, &org_id)?.map(|(id, _)| id),
    };
    let Some(buyer) = buyer else {
        return Ok(None);
    };
    let priced = match state
        .price
        .as_deref()
        .and_then(|price| terms.prices.plan_of(price))
    {
        Some(plan) if plans::plan_exists(tx, plan)? => Some(plan.to_owned()),
        _ => None,
    };
    let plan = priced.or_else(|| existing.as_ref().map(|old| old.plan_id.clone()));
    let Some(plan) = plan else {
        tracing::warn!(subscription = %state.id, price = ?state.price, "a subscription to a price no plan has");
        return Ok(None);
    };
    let past_due_since = (state.status == SubscriptionStatus::PastDue).then(|| {
        existing
            .as_ref()
            .and_then(|old| old.past_due_since)
            .unwrap_or(at)
    });
    q::save_subscription(
        tx,
        &SubscriptionRow {
            subscription_id: state.id.clone(),
            org_id: org_id.clone(),
            user_id: buyer,
            customer_id: state.customer.clone(),
            plan_id: plan,
            status: state.status,
            current_period_end: state.current_period_end,
            cancel_at_period_end: state.cancel_at_period_end,
            past_due_since,
            started_at: if state.created > 0 {
                state.created
            } else {
                existing.as_ref().map_or(at, |old| old.started_at)
            },
            state_at: at,
            plan_applied: existing.and_then(|old| old.plan_applied),
        },
        terms.now,
    )?;
    Ok(Some(org_id))
}

/// A failed renewal makes a running subscription past due, which starts the grace period.
fn payment_failed(
    tx: &Tx<'_>,
    subscription_id: &str,
    at: i64,
    terms: &Terms,
) -> DbResult<Option<String>> {
    let Some(mut row) = q::subscription(tx, subscription_id)? else {
        return Ok(None);
    };
    if row.state_at > at
        || !matches!(
            row.status,
            SubscriptionStatus::Active | SubscriptionStatus::Trialing
        )
    {
        return Ok(None);
    }
    row.status = SubscriptionStatus::PastDue;
    row.past_due_since = Some(at);
    row.state_at = at;
    q::save_subscription(tx, &row, terms.now)?;
    if let Some((_, email)) = orgs::owner(tx, &row.org_id)? {
        let kept_until = db::to_datetime(at.saturating_add(terms.grace_ms));
        mail_queue::enqueue(
            tx,
            &Email {
                to: email,
                subject: "Your tseeder payment did not go through".into(),
                text: format!(
                    "The renewal payment of your {} plan failed.\r\n\r\nYou keep the plan until {} (UTC). Unless a payment succeeds by then, your organization moves to the free plan, with its smaller storage and job limits.\r\n\r\nUpdate your payment method under Billing:\r\n\r\n{}/settings\r\n",
                    row.plan_id,
                    kept_until.format("%Y-%m-%d %H:%M"),
                    terms.public_url
                ),
            },
            db::now_ms(),
        )?;
    }
    Ok(Some(row.org_id))
}
