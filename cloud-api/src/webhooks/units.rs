//! Webhooks' units of work: an endpoint added within the account's limit, one removed, the
//! callback secret replaced; a pass of job events turned into deliveries with the cursor's
//! move; a delivery claimed for a try and the try recorded. Each is one store operation, so a
//! service never holds a transaction.

use super::sealed::{Renewal, SecretBox, Unreadable};
use super::store::{self as q, DeliveryRow, WebhookRow};
use crate::error::{ApiError, ApiResult};
use crate::jobs::service::job_view;
use crate::jobs::store as job_q;
use crate::store::{to_datetime, DbResult, Store, Tx};
use tseeder_protocol::{ErrorCode, WebhookEvent};

/// Events read per pass.
const EVENTS_PER_PASS: u32 = 500;

/// Stores a new endpoint unless the account has `max` already.
pub async fn add_webhook(store: &Store, row: WebhookRow, max: u64) -> ApiResult<()> {
    store
        .transaction_with(move |tx| -> ApiResult<()> {
            if q::count_webhooks(tx, &row.user_id)? >= max {
                return Err(ApiError::conflict(
                    ErrorCode::TooManyWebhooks,
                    format!("an account has at most {max} webhook endpoints"),
                ));
            }
            q::insert_webhook(tx, &row)?;
            Ok(())
        })
        .await
}

/// Removes one of the user's endpoints; false when they have no such endpoint.
pub async fn delete_webhook(store: &Store, user_id: String, id: String) -> DbResult<bool> {
    store
        .transaction(move |tx| q::delete_webhook(tx, &user_id, &id))
        .await
}

/// Makes `secret` the one that signs the user's job callbacks from now on.
pub async fn put_callback_secret(
    store: &Store,
    user_id: String,
    secret: String,
    now: i64,
) -> DbResult<()> {
    store
        .transaction(move |tx| q::put_callback_secret(tx, &user_id, &secret, now))
        .await
}

/// What the start's pass over stored secrets did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Resealed {
    /// Sealed under the current key: stored in the clear, or sealed under a previous one.
    pub sealed: usize,
    /// Opened by no key this server has: their deliveries fail until the secret is replaced.
    pub unreadable: usize,
}

/// Seals every secret stored before sealing, seals again under the current key what a key it
/// replaced sealed, and counts what no key opens; in one unit of work. Every stored secret is
/// read (one per endpoint and per user with callbacks: few), so that a changed key is told at
/// start rather than at the first delivery.
pub async fn seal_stored_secrets(store: &Store, sealer: SecretBox) -> DbResult<Resealed> {
    store
        .transaction(move |tx| {
            let mut done = Resealed::default();
            for (owner, id, stored) in q::stored_secrets(tx)? {
                match sealer.renewal(&stored) {
                    Ok(Renewal::Current) => {}
                    Ok(Renewal::Reseal(sealed)) => {
                        if q::reseal(tx, owner, &id, &stored, &sealed)? {
                            done.sealed += 1;
                        }
                    }
                    Err(Unreadable) => done.unreadable += 1,
                }
            }
            Ok(done)
        })
        .await
}

/// Turns the next job events past the cursor into deliveries and moves the cursor past them,
/// all or nothing; answers how many deliveries were made.
pub async fn enqueue_deliveries(store: &Store, now: i64) -> DbResult<usize> {
    store.transaction(move |tx| enqueue_pass(tx, now)).await
}

/// Takes a due delivery for one try until `hold` (so no other pass tries it meanwhile), with
/// the secret to sign it; nothing when it is not due or another pass took it.
pub async fn claim_delivery(
    store: &Store,
    id: String,
    now: i64,
    hold: i64,
) -> DbResult<Option<(DeliveryRow, Option<String>)>> {
    store
        .transaction(move |tx| q::claim_delivery(tx, &id, now, hold))
        .await
}

/// What one try came to.
#[derive(Debug)]
pub struct Outcome {
    pub delivered: bool,
    pub status: Option<u16>,
    pub error: Option<String>,
}

/// Records a try: delivered, or when to try again (`next`; none gives up).
pub async fn record_try(
    store: &Store,
    id: String,
    outcome: Outcome,
    next: Option<i64>,
    now: i64,
) -> DbResult<()> {
    store
        .transaction(move |tx| {
            q::record_try(
                tx,
                &id,
                outcome.delivered,
                outcome.status,
                outcome.error.as_deref(),
                next,
                now,
            )
        })
        .await
}

/// Turns the next events into deliveries and moves the cursor past them; how many were made.
fn enqueue_pass(tx: &Tx<'_>, now: i64) -> DbResult<usize> {
    let after = q::cursor(tx)?;
    let (ends, last) = q::job_ends_after(tx, after, EVENTS_PER_PASS)?;
    let mut made = 0;
    for end in ends {
        let Some(job) = job_q::job_by_id(tx, &end.job_id)? else {
            continue;
        };
        let events = events_of(&end.kind);
        let view = job_view(&job);
        let mut deliver = |webhook_id: Option<&str>, url: &str, event: WebhookEvent| {
            let id = uuid::Uuid::now_v7().to_string();
            made += 1;
            q::insert_delivery(
                tx,
                &DeliveryRow {
                    payload: payload(&id, event, end.at, &view),
                    id,
                    user_id: job.user_id.clone(),
                    webhook_id: webhook_id.map(str::to_owned),
                    job_id: job.id.clone(),
                    event: event.as_str().to_owned(),
                    url: url.to_owned(),
                    status: "pending".into(),
                    attempts: 0,
                    next_attempt_at: now,
                    last_status: None,
                    last_error: None,
                    created_at: end.at,
                    delivered_at: None,
                },
            )
        };
        // An endpoint hears of what happened after it was registered, not before.
        for webhook in q::webhooks_of_user(tx, &job.user_id)? {
            if webhook.created_at > end.at {
                continue;
            }
            for event in events {
                if webhook.events.iter().any(|e| e == event.as_str()) {
                    deliver(Some(&webhook.id), &webhook.url, *event)?;
                }
            }
        }
        if let (Some(url), Some(event)) = (q::callback_of_job(tx, &job.id)?, events.last()) {
            deliver(None, &url, *event)?;
        }
    }
    if last != after {
        q::set_cursor(tx, last)?;
    }
    Ok(made)
}

/// The webhook events an end of a job is, for endpoints; a callback gets the last one.
fn events_of(kind: &str) -> &'static [WebhookEvent] {
    match kind {
        "completed" => &[WebhookEvent::JobCompleted],
        "failed" => &[WebhookEvent::JobFailed],
        "dead_lettered" => &[WebhookEvent::JobFailed, WebhookEvent::JobDeadLettered],
        _ => &[],
    }
}

/// The body every delivery of `event` about `job` carries.
fn payload(delivery_id: &str, event: WebhookEvent, at: i64, job: &tseeder_protocol::Job) -> String {
    serde_json::json!({
        "id": delivery_id,
        "type": event.as_str(),
        "createdAt": to_datetime(at),
        "data": { "job": job },
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dead_lettered_job_is_also_a_failed_one() {
        assert_eq!(events_of("completed"), &[WebhookEvent::JobCompleted]);
        assert_eq!(
            events_of("dead_lettered"),
            &[WebhookEvent::JobFailed, WebhookEvent::JobDeadLettered]
        );
        assert!(events_of("retry").is_empty());
    }
}
