//! Queries on webhook endpoints, job callbacks and deliveries. Deliveries are made from
//! `job_events` past the cursor, in the same unit of work that moves the cursor, so an event is
//! turned into deliveries exactly once whatever restarts happen.

use crate::store::{params, DbResult, OptionalExtension, Row, Tx};

#[derive(Debug, Clone)]
pub struct WebhookRow {
    pub id: String,
    pub user_id: String,
    pub url: String,
    pub secret: String,
    pub events: Vec<String>,
    pub description: String,
    pub created_at: i64,
    pub last_delivery: Option<String>,
}

fn webhook_from_row(row: &Row) -> DbResult<WebhookRow> {
    let events: String = row.get("events")?;
    Ok(WebhookRow {
        id: row.get("id")?,
        user_id: row.get("user_id")?,
        url: row.get("url")?,
        secret: row.get("secret")?,
        events: events.split(',').map(str::to_owned).collect(),
        description: row.get("description")?,
        created_at: row.get("created_at")?,
        last_delivery: row.get("last_delivery")?,
    })
}

const WEBHOOK_COLUMNS: &str = "w.id, w.user_id, w.url, w.secret, w.events, w.description, \
     w.created_at, (SELECT d.status FROM webhook_deliveries d WHERE d.webhook_id = w.id \
     ORDER BY d.created_at DESC, d.id DESC LIMIT 1) AS last_delivery";

pub fn insert_webhook(conn: &Tx<'_>, webhook: &WebhookRow) -> DbResult<()> {
    conn.execute(
        "INSERT INTO webhooks (id, user_id, url, secret, events, description, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            webhook.id,
            webhook.user_id,
            webhook.url,
            webhook.secret,
            webhook.events.join(","),
            webhook.description,
            webhook.created_at
        ],
    )?;
    Ok(())
}

pub fn webhooks_of_user(conn: &Tx<'_>, user_id: &str) -> DbResult<Vec<WebhookRow>> {
    conn.query_map(
        &format!(
            "SELECT {WEBHOOK_COLUMNS} FROM webhooks w WHERE w.user_id = ?1
             ORDER BY w.created_at, w.id"
        ),
        params![user_id],
        webhook_from_row,
    )
}

pub fn webhook_of_user(conn: &Tx<'_>, user_id: &str, id: &str) -> DbResult<Option<WebhookRow>> {
    conn.query_row(
        &format!("SELECT {WEBHOOK_COLUMNS} FROM webhooks w WHERE w.id = ?1 AND w.user_id = ?2"),
        params![id, user_id],
        webhook_from_row,
    )
    .optional()
}

pub fn count_webhooks(conn: &Tx<'_>, user_id: &str) -> DbResult<u64> {
    conn.query_row(
        "SELECT COUNT(*) FROM webhooks WHERE user_id = ?1",
        params![user_id],
        |row| row.get::<_, i64>(0).map(|n| n.max(0) as u64),
    )
}

/// Deletes the endpoint (its deliveries go with it); false when it is not the user's.
pub fn delete_webhook(conn: &Tx<'_>, user_id: &str, id: &str) -> DbResult<bool> {
    Ok(conn.execute(
        "DELETE FROM webhooks WHERE id = ?1 AND user_id = ?2",
        params![id, user_id],
    )? == 1)
}

pub fn put_callback_secret(conn: &Tx<'_>, user_id: &str, secret: &str, now: i64) -> DbResult<()> {
    conn.execute(
        "INSERT INTO webhook_callback_secrets (user_id, secret, created_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret,
                                             created_at = excluded.created_at",
        params![user_id, secret, now],
    )?;
    Ok(())
}

pub fn callback_secret(conn: &Tx<'_>, user_id: &str) -> DbResult<Option<String>> {
    conn.query_row(
        "SELECT secret FROM webhook_callback_secrets WHERE user_id = ?1",
        params![user_id],
        |row| row.get(0),
    )
    .optional()
}

/// Which stored secret a row holds: an endpoint's (by its id) or a user's callback secret (by
/// the user's id).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretOwner {
    Endpoint,
    Callback,
}

/// Every stored secret, with the id of the row that holds it.
pub fn stored_secrets(conn: &Tx<'_>) -> DbResult<Vec<(SecretOwner, String, String)>> {
    let mut found = Vec::new();
    for (owner, sql) in [
        (SecretOwner::Endpoint, "SELECT id, secret FROM webhooks"),
        (
            SecretOwner::Callback,
            "SELECT user_id, secret FROM webhook_callback_secrets",
        ),
    ] {
        for row in conn.query(sql, params![])? {
            found.push((owner, row.get(0)?, row.get(1)?));
        }
    }
    Ok(found)
}

/// Replaces a row's secret with its (newly) sealed form, only while it still holds `stored` (another
/// replica starting at the same time may have sealed it first).
pub fn reseal(
    conn: &Tx<'_>,
    owner: SecretOwner,
    id: &str,
    stored: &str,
    sealed: &str,
) -> DbResult<bool> {
    let sql = match owner {
        SecretOwner::Endpoint => "UPDATE webhooks SET secret = ?3 WHERE id = ?1 AND secret = ?2",
        SecretOwner::Callback => {
            "UPDATE webhook_callback_secrets SET secret = ?3 WHERE user_id = ?1 AND secret = ?2"
        }
    };
    Ok(conn.execute(sql, params![id, stored, sealed])? == 1)
}

pub fn insert_callback(conn: &Tx<'_>, job_id: &str, url: &str) -> DbResult<()> {
    conn.execute(
        "INSERT INTO job_callbacks (job_id, url) VALUES (?1, ?2)",
        params![job_id, url],
    )?;
    Ok(())
}

pub fn callback_of_job(conn: &Tx<'_>, job_id: &str) -> DbResult<Option<String>> {
    conn.query_row(
        "SELECT url FROM job_callbacks WHERE job_id = ?1",
        params![job_id],
        |row| row.get(0),
    )
    .optional()
}

/// An end of a job not yet turned into deliveries.
#[derive(Debug, Clone)]
pub struct JobEnd {
    pub event_id: i64,
    pub job_id: String,
    /// `completed`, `failed` or `dead_lettered`.
    pub kind: String,
    pub at: i64,
}

pub fn cursor(conn: &Tx<'_>) -> DbResult<i64> {
    Ok(conn
        .query_row(
            "SELECT last_event_id FROM webhook_cursor WHERE id = 1",
            params![],
            |row| row.get(0),
        )
        .optional()?
        .unwrap_or(0))
}

pub fn set_cursor(conn: &Tx<'_>, last_event_id: i64) -> DbResult<()> {
    conn.execute(
        "INSERT INTO webhook_cursor (id, last_event_id) VALUES (1, ?1)
         ON CONFLICT (id) DO UPDATE SET last_event_id = excluded.last_event_id",
        params![last_event_id],
    )?;
    Ok(())
}

/// The next events after `after`, in order: the ends of jobs among them, and the id of the
/// last event read (so the cursor also passes events that are not ends).
pub fn job_ends_after(conn: &Tx<'_>, after: i64, limit: u32) -> DbResult<(Vec<JobEnd>, i64)> {
    let rows = conn.query_map(
        "SELECT id, job_id, kind, created_at FROM job_events WHERE id > ?1 ORDER BY id LIMIT ?2",
        params![after, limit],
        |row| {
            Ok(JobEnd {
                event_id: row.get("id")?,
                job_id: row.get("job_id")?,
                kind: row.get("kind")?,
                at: row.get("created_at")?,
            })
        },
    )?;
    let last = rows.last().map_or(after, |r| r.event_id);
    let ends = rows
        .into_iter()
        .filter(|r| matches!(r.kind.as_str(), "completed" | "failed" | "dead_lettered"))
        .collect();
    Ok((ends, last))
}

#[derive(Debug, Clone)]
pub struct DeliveryRow {
    pub id: String,
    pub user_id: String,
    pub webhook_id: Option<String>,
    pub job_id: String,
    pub event: String,
    pub url: String,
    pub payload: String,
    pub status: String,
    pub attempts: u32,
    pub next_attempt_at: i64,
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub delivered_at: Option<i64>,
}

fn delivery_from_row(row: &Row) -> DbResult<DeliveryRow> {
    Ok(DeliveryRow {
        id: row.get("id")?,
        user_id: row.get("user_id")?,
        webhook_id: row.get("webhook_id")?,
        job_id: row.get("job_id")?,
        event: row.get("event")?,
        url: row.get("url")?,
        payload: row.get("payload")?,
        status: row.get("status")?,
        attempts: row.get::<_, i64>("attempts")?.max(0) as u32,
        next_attempt_at: row.get("next_attempt_at")?,
        last_status: row.get("last_status")?,
        last_error: row.get("last_error")?,
        created_at: row.get("created_at")?,
        delivered_at: row.get("delivered_at")?,
    })
}

pub fn insert_delivery(conn: &Tx<'_>, delivery: &DeliveryRow) -> DbResult<()> {
    conn.execute(
        "INSERT INTO webhook_deliveries (id, user_id, webhook_id, job_id, event, url, payload,
             status, attempts, next_attempt_at, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'pending', 0, ?8, ?9)",
        params![
            delivery.id,
            delivery.user_id,
            delivery.webhook_id,
            delivery.job_id,
            delivery.event,
            delivery.url,
            delivery.payload,
            delivery.next_attempt_at,
            delivery.created_at
        ],
    )?;
    Ok(())
}

/// Ids of deliveries due for a try, the longest waiting first.
pub fn due_deliveries(conn: &Tx<'_>, now: i64, limit: u32) -> DbResult<Vec<String>> {
    conn.query_map(
        "SELECT id FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= ?1
         ORDER BY next_attempt_at, id LIMIT ?2",
        params![now, limit],
        |row| row.get(0),
    )
}

/// Takes a delivery for one try, pushing its next try to `hold_until` so no other deliverer
/// takes it meanwhile; with the secret that signs it (none for a callback of a user without
/// a callback secret). `None` when another deliverer took it first.
pub fn claim_delivery(
    conn: &Tx<'_>,
    id: &str,
    now: i64,
    hold_until: i64,
) -> DbResult<Option<(DeliveryRow, Option<String>)>> {
    let taken = conn.execute(
        "UPDATE webhook_deliveries SET next_attempt_at = ?3, attempts = attempts + 1
         WHERE id = ?1 AND status = 'pending' AND next_attempt_at <= ?2",
        params![id, now, hold_until],
    )?;
    if taken == 0 {
        return Ok(None);
    }
    let delivery = conn.query_row(
        "SELECT * FROM webhook_deliveries WHERE id = ?1",
        params![id],
        delivery_from_row,
    )?;
    let secret = match &delivery.webhook_id {
        Some(webhook) => conn
            .query_row(
                "SELECT secret FROM webhooks WHERE id = ?1",
                params![webhook],
                |row| row.get(0),
            )
            .optional()?,
        None => callback_secret(conn, &delivery.user_id)?,
    };
    Ok(Some((delivery, secret)))
}

/// Records a try: delivered, or the next try (`None`: given up).
pub fn record_try(
    conn: &Tx<'_>,
    id: &str,
    delivered: bool,
    http_status: Option<u16>,
    error: Option<&str>,
    next_attempt_at: Option<i64>,
    now: i64,
) -> DbResult<()> {
    let status = match (delivered, next_attempt_at) {
        (true, _) => "delivered",
        (false, Some(_)) => "pending",
        (false, None) => "failed",
    };
    conn.execute(
        "UPDATE webhook_deliveries SET status = ?2, last_status = ?3, last_error = ?4,
             next_attempt_at = COALESCE(?5, next_attempt_at),
             delivered_at = CASE WHEN ?2 = 'delivered' THEN ?6 ELSE delivered_at END
         WHERE id = ?1",
        params![
            id,
            status,
            http_status.map(i64::from),
            error,
            next_attempt_at,
            now
        ],
    )?;
    Ok(())
}

/// The user's latest deliveries, optionally of one endpoint.
pub fn deliveries_of_user(
    conn: &Tx<'_>,
    user_id: &str,
    webhook_id: Option<&str>,
    limit: u32,
) -> DbResult<Vec<DeliveryRow>> {
    conn.query_map(
        "SELECT * FROM webhook_deliveries
         WHERE user_id = ?1 AND (CAST(?2 AS TEXT) IS NULL OR webhook_id = ?2)
         ORDER BY created_at DESC, id DESC LIMIT ?3",
        params![user_id, webhook_id, limit],
        delivery_from_row,
    )
}
