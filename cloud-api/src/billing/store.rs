//! Queries on organizations' Stripe customers, their subscriptions and the events already
//! applied.

use crate::store::{params, DbError, DbResult, OptionalExtension, Row, Tx};
use tseeder_protocol::SubscriptionStatus;

pub fn customer_of_org(tx: &Tx<'_>, org_id: &str) -> DbResult<Option<String>> {
    tx.query_row(
        "SELECT customer_id FROM org_billing_customers WHERE org_id = ?1",
        params![org_id],
        |row| row.get(0),
    )
    .optional()
}

pub fn org_of_customer(tx: &Tx<'_>, customer_id: &str) -> DbResult<Option<String>> {
    tx.query_row(
        "SELECT org_id FROM org_billing_customers WHERE customer_id = ?1",
        params![customer_id],
        |row| row.get(0),
    )
    .optional()
}

/// Keeps the first customer linked to an organization; a later one is not linked.
pub fn link_customer(tx: &Tx<'_>, org_id: &str, customer_id: &str, now: i64) -> DbResult<()> {
    tx.execute(
        "INSERT INTO org_billing_customers (org_id, customer_id, created_at) VALUES (?1, ?2, ?3)
         ON CONFLICT DO NOTHING",
        params![org_id, customer_id, now],
    )?;
    Ok(())
}

/// True while a subscription of the organization runs or may run again (active, trialing,
/// past due): what is paid for is not deleted with the organization.
pub fn has_running_subscription(tx: &Tx<'_>, org_id: &str) -> DbResult<bool> {
    Ok(tx.query_row(
        "SELECT COUNT(*) FROM subscriptions
         WHERE org_id = ?1 AND status IN ('active', 'trialing', 'past_due')",
        params![org_id],
        |row| row.get::<_, i64>(0),
    )? > 0)
}

/// Records a Stripe event id; false when it was recorded before (a replay).
pub fn record_event(tx: &Tx<'_>, event_id: &str, kind: &str, now: i64) -> DbResult<bool> {
    Ok(tx.execute(
        "INSERT INTO billing_events (event_id, kind, received_at) VALUES (?1, ?2, ?3)
         ON CONFLICT DO NOTHING",
        params![event_id, kind, now],
    )? == 1)
}

/// Event ids are kept long after Stripe stops retrying (three days), then dropped.
pub fn prune_events(tx: &Tx<'_>, received_before: i64) -> DbResult<usize> {
    tx.execute(
        "DELETE FROM billing_events WHERE received_at < ?1",
        params![received_before],
    )
}

#[derive(Debug, Clone, PartialEq)]
pub struct SubscriptionRow {
    pub subscription_id: String,
    /// The organization whose plan it sets.
    pub org_id: String,
    /// Who bought it.
    pub user_id: String,
    pub customer_id: String,
    pub plan_id: String,
    pub status: SubscriptionStatus,
    pub current_period_end: Option<i64>,
    pub cancel_at_period_end: bool,
    pub past_due_since: Option<i64>,
    pub started_at: i64,
    /// The Stripe event time of the state kept; 0 when only a finished Checkout is known.
    pub state_at: i64,
    pub plan_applied: Option<String>,
}

const COLUMNS: &str =
    "subscription_id, user_id, customer_id, plan_id, status, current_period_end, \
     cancel_at_period_end, past_due_since, started_at, state_at, plan_applied, org_id";

fn from_row(row: &Row) -> DbResult<SubscriptionRow> {
    let status: String = row.get("status")?;
    Ok(SubscriptionRow {
        subscription_id: row.get("subscription_id")?,
        org_id: row.get("org_id")?,
        user_id: row.get("user_id")?,
        customer_id: row.get("customer_id")?,
        plan_id: row.get("plan_id")?,
        status: SubscriptionStatus::parse(&status)
            .ok_or_else(|| DbError::Corrupt(format!("subscription status {status}")))?,
        current_period_end: row.get("current_period_end")?,
        cancel_at_period_end: row.get("cancel_at_period_end")?,
        past_due_since: row.get("past_due_since")?,
        started_at: row.get("started_at")?,
        state_at: row.get("state_at")?,
        plan_applied: row.get("plan_applied")?,
    })
}

pub fn subscription(tx: &Tx<'_>, subscription_id: &str) -> DbResult<Option<SubscriptionRow>> {
    tx.query_row(
        &format!("SELECT {COLUMNS} FROM subscriptions WHERE subscription_id = ?1"),
        params![subscription_id],
        from_row,
    )
    .optional()
}

/// The organization's newest subscription, the one that decides its plan.
pub fn newest_subscription(tx: &Tx<'_>, org_id: &str) -> DbResult<Option<SubscriptionRow>> {
    tx.query_row(
        &format!(
            "SELECT {COLUMNS} FROM subscriptions WHERE org_id = ?1
             ORDER BY started_at DESC, subscription_id DESC LIMIT 1"
        ),
        params![org_id],
        from_row,
    )
    .optional()
}

pub fn save_subscription(tx: &Tx<'_>, row: &SubscriptionRow, now: i64) -> DbResult<()> {
    tx.execute(
        &format!(
            "INSERT INTO subscriptions ({COLUMNS}, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
             ON CONFLICT (subscription_id) DO UPDATE SET
                 org_id = excluded.org_id, user_id = excluded.user_id, customer_id = excluded.customer_id,
                 plan_id = excluded.plan_id, status = excluded.status,
                 current_period_end = excluded.current_period_end,
                 cancel_at_period_end = excluded.cancel_at_period_end,
                 past_due_since = excluded.past_due_since, started_at = excluded.started_at,
                 state_at = excluded.state_at, plan_applied = excluded.plan_applied,
                 updated_at = excluded.updated_at"
        ),
        params![
            row.subscription_id,
            row.user_id,
            row.customer_id,
            row.plan_id,
            row.status.as_str(),
            row.current_period_end,
            row.cancel_at_period_end,
            row.past_due_since,
            row.started_at,
            row.state_at,
            row.plan_applied,
            row.org_id,
            now
        ],
    )?;
    Ok(())
}

/// Organizations whose subscription gave them a plan and no longer runs (past due, cancelled,
/// unpaid): their plan may lapse with the passing of time alone.
pub fn lapsing_orgs(tx: &Tx<'_>, free_plan: &str) -> DbResult<Vec<String>> {
    let mut stmt = tx.prepare(
        "SELECT DISTINCT org_id FROM subscriptions
         WHERE status NOT IN ('active', 'trialing') AND plan_applied <> ?1",
    )?;
    let users = stmt
        .query_map(params![free_plan], |row| row.get(0))?
        .collect::<Result<Vec<String>, _>>()?;
    Ok(users)
}
