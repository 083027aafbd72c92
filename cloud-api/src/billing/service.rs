//! Billing as users and Stripe use it: the overview of a user's plan and subscription, Checkout
//! and Customer Portal sessions, the signed webhook that sets the plan, and the settling of plans
//! whose grace period or paid period has run out.

use super::events::{Change, CheckoutSession, Event, SubscriptionState};
use super::signature::{self, SignatureError};
use super::store::{self as q, SubscriptionRow};
use super::stripe::{CheckoutRequest, StripeClient, StripeError};
use crate::accounts::store as users;
use crate::audit::store::{insert_audit, NewAudit};
use crate::error::{ApiError, ApiResult};
use crate::mail::store as mail_queue;
use crate::mail::Email;
use crate::plans::store::{self as plans, FREE_PLAN};
use crate::runtime_settings::catalog::BillingPrices;
use crate::services::{Principal, RequestMeta, Services};
use crate::store::{self as db, DbResult, Tx};
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

    /// The user's plan, subscription and what they can buy.
    pub async fn overview(&self, user_id: &str) -> ApiResult<BillingOverview> {
        let uid = user_id.to_owned();
        let terms = self.terms(db::now_ms());
        let (plan, newest, customer, all_plans) = self
            .services
            .db()
            .call(move |tx| {
                if users::user_by_id(tx, &uid)?.is_none() {
                    return Ok(None);
                }
                Ok(Some((
                    plans::plan_of_user(tx, &uid)?,
                    q::newest_subscription(tx, &uid)?,
                    q::customer_of_user(tx, &uid)?,
                    plans::list_plans(tx)?,
                )))
            })
            .await?
            .ok_or(ApiError::NotFound)?;
        let enabled = self.enabled();
        Ok(BillingOverview {
            enabled,
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

    /// Opens a Checkout Session for `req.plan`, creating the user's Stripe customer the first time.
    pub async fn checkout(
        &self,
        principal: &Principal,
        req: StartCheckout,
    ) -> ApiResult<BillingRedirect> {
        let stripe = self.stripe()?;
        let terms = self.terms(db::now_ms());
        let uid = principal.user.id.clone();
        let plan_id = req.plan.trim().to_owned();
        let (known, newest, customer) = {
            let (uid, plan_id) = (uid.clone(), plan_id.clone());
            self.services
                .db()
                .call(move |tx| {
                    Ok((
                        plans::plan_exists(tx, &plan_id)?,
                        q::newest_subscription(tx, &uid)?,
                        q::customer_of_user(tx, &uid)?,
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
                user_id: &uid,
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
            .create_customer(&principal.user.id, &principal.user.email)
            .await
            .map_err(|err| upstream(err, "create the billing account"))?;
        let uid = principal.user.id.clone();
        let now = db::now_ms();
        // Two first checkouts at once get one customer from Stripe (same idempotency key), and
        // the store keeps the first link either way.
        let customer = self
            .services
            .db()
            .transaction_with(move |tx| -> DbResult<_> {
                q::link_customer(tx, &uid, &created, now)?;
                q::customer_of_user(tx, &uid)
            })
            .await?;
        customer.ok_or_else(|| ApiError::internal("a linked customer vanished"))
    }

    /// Opens the Customer Portal for a user who has bought something before.
    pub async fn portal(&self, principal: &Principal) -> ApiResult<BillingRedirect> {
        let stripe = self.stripe()?;
        let uid = principal.user.id.clone();
        let customer = self
            .services
            .db()
            .call(move |tx| q::customer_of_user(tx, &uid))
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
                let user = match change.as_ref() {
                    Change::CheckoutCompleted(session) => checkout_completed(tx, session, &terms)?,
                    Change::SubscriptionChanged(state) => {
                        subscription_changed(tx, state, at, &terms)?
                    }
                    Change::PaymentFailed { subscription_id } => {
                        payment_failed(tx, subscription_id, at, &terms)?
                    }
                    Change::Ignored => None,
                };
                if let Some(user) = user {
                    settle_plan(tx, &user, &terms)?;
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
                for user in q::lapsing_users(tx, FREE_PLAN)? {
                    if settle_plan(tx, &user, &terms)? {
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

/// Gives the user the plan their newest subscription entitles them to, if billing has not given
/// it already; audited. Billing never takes away a plan it did not give.
fn settle_plan(tx: &Tx<'_>, user_id: &str, terms: &Terms) -> DbResult<bool> {
    let Some(mut row) = q::newest_subscription(tx, user_id)? else {
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
    let Some(user) = users::user_by_id(tx, user_id)? else {
        return Ok(false);
    };
    row.plan_applied = Some(plan.clone());
    q::save_subscription(tx, &row, terms.now)?;
    if user.plan_id == plan {
        return Ok(false);
    }
    users::set_plan(tx, user_id, &plan, terms.now)?;
    if plan == FREE_PLAN {
        // The mail goes out now, whatever moment the plan was settled for.
        let mail = lapsed_mail(&user.email, &user.plan_id, &row, terms);
        mail_queue::enqueue(tx, &mail, db::now_ms())?;
    }
    insert_audit(
        tx,
        &NewAudit {
            actor_id: None,
            actor_email: "billing",
            action: AuditAction::BillingPlanChange,
            target_id: user_id,
            reason: None,
            ticket_id: None,
            detail: &serde_json::json!({
                "from": user.plan_id,
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

/// What a user hears when billing takes their paid plan away.
fn lapsed_mail(email: &str, old_plan: &str, row: &SubscriptionRow, terms: &Terms) -> Email {
    let why = match row.status {
        SubscriptionStatus::PastDue | SubscriptionStatus::Unpaid => {
            "no payment came through during the grace period"
        }
        _ => "your subscription ended",
    };
    Email {
        to: email.to_owned(),
        subject: "Your tseeder account is now on the free plan".into(),
        text: format!(
            "Your {old_plan} plan has ended: {why}.\r\n\r\nYour account now has the free plan's limits; files beyond them are kept for the plan's retention period, and new jobs must fit.\r\n\r\nSubscribe again under Billing:\r\n\r\n{}/settings\r\n",
            terms.public_url
        ),
    }
}

/// A finished Checkout links the customer to the user and, until Stripe's subscription events
/// say more, stands for an active subscription to the plan bought.
fn checkout_completed(
    tx: &Tx<'_>,
    session: &CheckoutSession,
    terms: &Terms,
) -> DbResult<Option<String>> {
    let (Some("subscription"), Some(user_id), Some(customer), Some(subscription)) = (
        session.mode.as_deref(),
        session.client_reference_id.as_deref(),
        session.customer.as_deref(),
        session.subscription.as_deref(),
    ) else {
        return Ok(None);
    };
    if users::user_by_id(tx, user_id)?.is_none() {
        tracing::warn!(user_id, "a Checkout finished for a user who is gone");
        return Ok(None);
    }
    q::link_customer(tx, user_id, customer, terms.now)?;
    if q::subscription(tx, subscription)?.is_some() {
        return Ok(Some(user_id.to_owned()));
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
            user_id: user_id.to_owned(),
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
    Ok(Some(user_id.to_owned()))
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
    let user_id = match q::user_of_customer(tx, &state.customer)? {
        Some(user) => Some(user),
        None => match state.metadata.get("user_id") {
            Some(user) if users::user_by_id(tx, user)?.is_some() => {
                q::link_customer(tx, user, &state.customer, terms.now)?;
                Some(user.clone())
            }
            _ => None,
        },
    };
    let Some(user_id) = user_id else {
        tracing::warn!(customer = %state.customer, "a subscription of a customer no user has");
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
            user_id: user_id.clone(),
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
    Ok(Some(user_id))
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
    if let Some(user) = users::user_by_id(tx, &row.user_id)? {
        let kept_until = db::to_datetime(at.saturating_add(terms.grace_ms));
        mail_queue::enqueue(
            tx,
            &Email {
                to: user.email,
                subject: "Your tseeder payment did not go through".into(),
                text: format!(
                    "The renewal payment of your {} plan failed.\r\n\r\nYou keep the plan until {} (UTC). Unless a payment succeeds by then, your account moves to the free plan, with its smaller storage and job limits.\r\n\r\nUpdate your payment method under Billing:\r\n\r\n{}/settings\r\n",
                    row.plan_id,
                    kept_until.format("%Y-%m-%d %H:%M"),
                    terms.public_url
                ),
            },
            db::now_ms(),
        )?;
    }
    Ok(Some(row.user_id))
}
