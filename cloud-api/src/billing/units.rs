//! Billing's units of work: a Stripe event applied once (its change to a subscription, the
//! plan it entitles the organization to, the mail about it), a customer linked, plans
//! settled when their grace or paid period ran out. Each is one store operation, so a service
//! never holds a transaction. The reads the overview and a checkout take are one store call
//! each.

use super::events::{Change, CheckoutSession, SubscriptionState};
use super::store::{self as q, SubscriptionRow};
use crate::accounts::store as users;
use crate::audit::store::{insert_audit, NewAudit};
use crate::mail::store as mail_queue;
use crate::mail::Email;
use crate::orgs::store as orgs;
use crate::plans::store::{self as plans, FREE_PLAN};
use crate::runtime_settings::catalog::BillingPrices;
use crate::store::{self as db, DbResult, Store, Tx};
use tseeder_protocol::{AuditAction, SubscriptionStatus};

/// Applied event ids are kept this long, well past Stripe's three days of retries.
const EVENT_MEMORY_MS: i64 = 30 * DAY_MS;

const DAY_MS: i64 = 86_400_000;

/// What billing needs to know to apply an event or settle a plan, taken once per call.
#[derive(Debug, Clone)]
pub(crate) struct Terms {
    pub(crate) prices: BillingPrices,
    pub(crate) grace_ms: i64,
    pub(crate) now: i64,
    /// Where the mails' links point.
    pub(crate) public_url: String,
}

/// Links the organization to the Stripe customer made for it, unless an earlier one is linked
/// already; answers the linked one.
pub async fn link_customer(
    store: &Store,
    org_id: String,
    customer: String,
    now: i64,
) -> DbResult<Option<String>> {
    store
        .transaction(move |tx| {
            q::link_customer(tx, &org_id, &customer, now)?;
            q::customer_of_org(tx, &org_id)
        })
        .await
}

/// A verified Stripe event.
#[derive(Debug)]
pub struct Received {
    pub id: String,
    pub kind: String,
    /// When Stripe made it, in milliseconds.
    pub at: i64,
    pub change: Change,
}

/// Applies a Stripe event once: a replayed event (already recorded) changes nothing and
/// answers false.
pub(crate) async fn apply_event(store: &Store, event: Received, terms: Terms) -> DbResult<bool> {
    store
        .transaction(move |tx| {
            if !q::record_event(tx, &event.id, &event.kind, terms.now)? {
                return Ok(false);
            }
            let at = event.at;
            let org = match &event.change {
                Change::CheckoutCompleted(session) => checkout_completed(tx, session, &terms)?,
                Change::SubscriptionChanged(state) => subscription_changed(tx, state, at, &terms)?,
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
        .await
}

/// Forgets old event ids and lets plans lapse whose grace or paid period ended; answers how
/// many organizations' plans changed.
pub(crate) async fn settle(store: &Store, terms: Terms) -> DbResult<usize> {
    store
        .transaction(move |tx| {
            q::prune_events(tx, terms.now - EVENT_MEMORY_MS)?;
            let mut changed = 0;
            for org in q::lapsing_orgs(tx, FREE_PLAN)? {
                if settle_plan(tx, &org, &terms)? {
                    changed += 1;
                }
            }
            Ok(changed)
        })
        .await
}

/// The organization a Stripe reference names: an organization id, or (from Checkouts opened
/// before billing moved to organizations) a user id, whose personal organization it means.
fn org_of_reference(tx: &Tx<'_>, reference: &str) -> DbResult<Option<String>> {
    if orgs::org(tx, reference)?.is_some() {
        return Ok(Some(reference.to_owned()));
    }
    Ok(users::user_by_id(tx, reference)?.map(|user| orgs::personal_org_id(&user.id)))
}

/// A subscription in this state stands (or may stand again) behind the user's plan.
pub(crate) fn holds_a_plan(status: SubscriptionStatus) -> bool {
    matches!(
        status,
        SubscriptionStatus::Active | SubscriptionStatus::Trialing | SubscriptionStatus::PastDue
    )
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

/// What opening a checkout needs to know: whether the plan exists, the organization's newest
/// subscription and its Stripe customer.
pub async fn checkout_context(
    store: &Store,
    oid: String,
    plan_id: String,
) -> DbResult<(bool, Option<SubscriptionRow>, Option<String>)> {
    store
        .call(move |tx| {
            Ok((
                plans::plan_exists(tx, &plan_id)?,
                q::newest_subscription(tx, &oid)?,
                q::customer_of_org(tx, &oid)?,
            ))
        })
        .await
}

/// An organization's plan, newest subscription, Stripe customer and every plan; nothing when
/// there is no such organization.
pub async fn overview(
    store: &Store,
    oid: String,
) -> DbResult<
    Option<(
        tseeder_protocol::Plan,
        Option<SubscriptionRow>,
        Option<String>,
        Vec<tseeder_protocol::Plan>,
    )>,
> {
    store
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
        .await
}
