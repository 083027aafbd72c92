//! Delivering webhooks. Each pass first turns the job events past the cursor that end a job
//! (completed, failed, dead-lettered) into one delivery per subscribed endpoint and one for the
//! job's callback, in one unit of work with the cursor's move; then it tries every due delivery:
//! a signed POST, delivered on any 2xx, otherwise retried with back-off (`retry_base_seconds`
//! doubling, up to an hour) until `retry_hours` after the event, then given up.

use super::service::Webhooks;
use super::signature;
use super::store::{self as q, DeliveryRow};
use super::units::{self, Outcome};
use crate::store as db;
use futures_util::StreamExt;

/// Deliveries tried at once.
const PARALLEL_TRIES: usize = 8;

pub fn retry_delay_ms(base_seconds: u64, attempts: u32) -> i64 {
    let exponent = attempts.saturating_sub(1).min(16);
    let base_ms = i64::try_from(base_seconds.saturating_mul(1000)).unwrap_or(i64::MAX);
    base_ms.saturating_mul(1 << exponent).min(3_600_000)
}

impl Webhooks<'_> {
    /// One pass: new events into deliveries, then every due delivery tried once. Returns how
    /// many were delivered.
    pub async fn deliver_pass(&self) -> usize {
        loop {
            let now = db::now_ms();
            match units::enqueue_deliveries(self.services.db(), now).await {
                // A full page may have more behind it.
                Ok(made) if made > 0 => continue,
                Ok(_) => break,
                Err(err) => {
                    tracing::error!(%err, "could not turn job events into webhook deliveries");
                    break;
                }
            }
        }
        let now = db::now_ms();
        let due = match self
            .services
            .db()
            .call(move |conn| q::due_deliveries(conn, now, 100))
            .await
        {
            Ok(due) => due,
            Err(err) => {
                tracing::error!(%err, "could not read the webhook deliveries");
                return 0;
            }
        };
        futures_util::stream::iter(due)
            .map(|id| self.try_delivery(id))
            .buffer_unordered(PARALLEL_TRIES)
            .filter(|delivered| std::future::ready(*delivered))
            .count()
            .await
    }

    async fn try_delivery(&self, id: String) -> bool {
        let settings = &self.services.settings().webhooks;
        let now = db::now_ms();
        let hold = now + (settings.timeout_seconds as i64 + 60) * 1000;
        let claim_id = id.clone();
        let claimed = units::claim_delivery(self.services.db(), claim_id, now, hold).await;
        let (delivery, secret) = match claimed {
            Ok(Some(claimed)) => claimed,
            Ok(None) => return false,
            Err(err) => {
                tracing::error!(%err, "could not claim a webhook delivery");
                return false;
            }
        };
        let outcome = self.post(&delivery, secret.as_deref()).await;
        let now = db::now_ms();
        let give_up_at = delivery.created_at + settings.retry_hours as i64 * 3_600_000;
        let next = (!outcome.delivered)
            .then(|| now + retry_delay_ms(settings.retry_base_seconds, delivery.attempts))
            .filter(|next| *next <= give_up_at);
        if !outcome.delivered {
            tracing::info!(
                delivery = %delivery.id,
                attempts = delivery.attempts,
                status = ?outcome.status,
                error = ?outcome.error,
                given_up = next.is_none(),
                "a webhook was not delivered"
            );
        }
        let delivered = outcome.delivered;
        let recorded = units::record_try(self.services.db(), id, outcome, next, now).await;
        if let Err(err) = recorded {
            tracing::error!(%err, "could not record a webhook delivery");
        }
        delivered
    }

    /// Sends the delivery, signed with the secret sealed in `secret` (none for a callback of a
    /// user without a callback secret).
    async fn post(&self, delivery: &DeliveryRow, secret: Option<&str>) -> Outcome {
        let failed = |status: Option<u16>, error: String| Outcome {
            delivered: false,
            status,
            error: Some(error),
        };
        // The target is checked again: the operator's policy may have changed since.
        let url = match self.checked_target(&delivery.url) {
            Ok(url) => url,
            Err(err) => return failed(None, err.to_string()),
        };
        // A secret that cannot be opened is never replaced by sending unsigned: the receiver
        // must refuse what it cannot verify, and the error tells the user why.
        let secret = match secret
            .map(|stored| self.services.webhook_secrets().open(stored))
            .transpose()
        {
            Ok(secret) => secret,
            Err(err) => return failed(None, err.to_string()),
        };
        let body = delivery.payload.clone().into_bytes();
        let timestamp = db::now_ms() / 1000;
        let mut request = self
            .services
            .webhook_client()
            .post(url)
            .header("content-type", "application/json")
            .header("tseeder-event", &delivery.event)
            .header("tseeder-delivery", &delivery.id);
        if let Some(secret) = &secret {
            request = request.header(signature::HEADER, signature::sign(secret, timestamp, &body));
        }
        match request.body(body).send().await {
            Ok(response) if response.status().is_success() => Outcome {
                delivered: true,
                status: Some(response.status().as_u16()),
                error: None,
            },
            Ok(response) => {
                let status = response.status();
                failed(
                    Some(status.as_u16()),
                    format!("the receiver answered {status}"),
                )
            }
            Err(err) => failed(None, tseeder_engine::fetch::describe(&err).to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_to_an_hour() {
        assert_eq!(retry_delay_ms(30, 1), 30_000);
        assert_eq!(retry_delay_ms(30, 2), 60_000);
        assert_eq!(retry_delay_ms(30, 8), 3_600_000);
        assert_eq!(retry_delay_ms(u64::MAX, 3), 3_600_000);
    }
}
