//! Delivers the mail queue: every mail is tried at once when it is queued, and again with
//! back-off (`mail.retry_base_seconds` doubling, up to an hour between tries) until it goes
//! through or 12 tries have failed, whatever restarts happen meanwhile.

use crate::mail::store as q;
use crate::services::Services;
use crate::store as db;

const MAX_TRIES: u32 = 12;

/// A claimed mail is not tried by anyone else for this long (the SMTP timeout is 20 s).
const HOLD_MS: i64 = 120_000;

fn retry_delay_ms(base_seconds: u64, attempts: u32) -> i64 {
    let exponent = attempts.saturating_sub(1).min(16);
    let base_ms = i64::try_from(base_seconds.saturating_mul(1000)).unwrap_or(i64::MAX);
    base_ms.saturating_mul(1 << exponent).min(3_600_000)
}

/// Delivery of the mail queue.
#[derive(Debug, Clone, Copy)]
pub struct Mail<'a> {
    pub(crate) services: &'a Services,
}

impl<'a> Mail<'a> {
    pub(crate) fn new(services: &'a Services) -> Self {
        Mail { services }
    }
}

impl Mail<'_> {
    /// Wakes the delivery loop: call after committing a transaction that queued mail.
    pub(crate) fn mail_queued(&self) {
        self.services.mail_wakeup().notify_one();
    }

    /// Tries every due mail once; returns how many were delivered.
    pub async fn deliver_queued(&self) -> usize {
        let now = db::now_ms();
        let due = match self
            .services
            .db()
            .call(move |conn| q::due(conn, now, 100))
            .await
        {
            Ok(due) => due,
            Err(err) => {
                tracing::error!(%err, "could not read the mail queue");
                return 0;
            }
        };
        let mut delivered = 0;
        for id in due {
            let now = db::now_ms();
            let claimed = self
                .services
                .db()
                .call(move |conn| q::claim(conn, id, now, now + HOLD_MS))
                .await;
            let Ok(Some(mail)) = claimed else {
                continue;
            };
            let outcome = self.services.mailer().send(mail.email.clone()).await;
            let attempts = mail.attempts;
            let recorded = match &outcome {
                Ok(()) => {
                    self.services
                        .db()
                        .call(move |conn| q::delivered(conn, id))
                        .await
                }
                Err(err) => {
                    let error = err.to_string();
                    let base = self.services.settings().mail.retry_base_seconds;
                    let next = (attempts < MAX_TRIES)
                        .then(|| db::now_ms() + retry_delay_ms(base, attempts));
                    match next {
                        Some(_) => {
                            tracing::warn!(%error, attempts, "mail not delivered; will retry")
                        }
                        None => {
                            tracing::error!(%error, to = %mail.email.to, "mail given up after {MAX_TRIES} tries")
                        }
                    }
                    self.services
                        .db()
                        .call(move |conn| q::failed(conn, id, &error, next))
                        .await
                }
            };
            if let Err(err) = recorded {
                tracing::error!(%err, "could not record a mail delivery");
            }
            if outcome.is_ok() {
                delivered += 1;
            }
        }
        delivered
    }

    /// Mail queued and not yet delivered (nor given up).
    pub async fn pending_mail(&self) -> u64 {
        self.services.db().call(q::pending).await.unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::retry_delay_ms;

    #[test]
    fn retries_back_off_to_an_hour() {
        assert_eq!(retry_delay_ms(30, 1), 30_000);
        assert_eq!(retry_delay_ms(30, 2), 60_000);
        assert_eq!(retry_delay_ms(30, 8), 3_600_000);
        assert_eq!(retry_delay_ms(30, 40), 3_600_000);
        assert_eq!(retry_delay_ms(u64::MAX, 3), 3_600_000);
    }
}
