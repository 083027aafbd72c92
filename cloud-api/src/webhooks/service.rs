//! Webhook endpoints and callbacks as users manage them: register an endpoint (its URL under the
//! outbound network policy, the events it wants, a secret shown once), list and delete them, make
//! the callback secret, and read what each delivery did.

use super::signature;
use super::store::{self as q, DeliveryRow, WebhookRow};
use super::units;
use crate::error::{ApiError, ApiResult};
use crate::services::{Principal, Services};
use crate::store::{self as db, to_datetime};
use tseeder_protocol::{
    CallbackSecret, CreateWebhook, CreatedWebhook, DeliveryState, ErrorCode, WebhookDelivery,
    WebhookEvent, WebhookView,
};

/// The longest URL an endpoint or a callback may have.
const MAX_URL_LEN: usize = 2048;
/// Deliveries a user sees at once.
const DELIVERIES_SHOWN: u32 = 100;

/// Users' webhook endpoints and job callbacks, and their delivery (see `delivery.rs`).
#[derive(Debug, Clone, Copy)]
pub struct Webhooks<'a> {
    pub(crate) services: &'a Services,
}

impl<'a> Webhooks<'a> {
    pub(crate) fn new(services: &'a Services) -> Self {
        Webhooks { services }
    }
}

fn view(row: &WebhookRow) -> WebhookView {
    WebhookView {
        id: row.id.clone(),
        url: row.url.clone(),
        events: row
            .events
            .iter()
            .filter_map(|e| WebhookEvent::parse(e))
            .collect(),
        description: row.description.clone(),
        created_at: to_datetime(row.created_at),
        last_delivery: row.last_delivery.as_deref().and_then(state),
    }
}

fn state(text: &str) -> Option<DeliveryState> {
    match text {
        "pending" => Some(DeliveryState::Pending),
        "delivered" => Some(DeliveryState::Delivered),
        "failed" => Some(DeliveryState::Failed),
        _ => None,
    }
}

fn delivery_view(row: &DeliveryRow) -> Option<WebhookDelivery> {
    let state = state(&row.status)?;
    Some(WebhookDelivery {
        id: row.id.clone(),
        webhook_id: row.webhook_id.clone(),
        job_id: row.job_id.clone(),
        event: WebhookEvent::parse(&row.event)?,
        url: row.url.clone(),
        state,
        attempts: row.attempts,
        last_status: row.last_status.and_then(|s| u16::try_from(s).ok()),
        last_error: row.last_error.clone(),
        next_attempt_at: (state == DeliveryState::Pending)
            .then(|| to_datetime(row.next_attempt_at)),
        created_at: to_datetime(row.created_at),
        delivered_at: row.delivered_at.map(to_datetime),
    })
}

impl Webhooks<'_> {
    /// `raw` as a delivery target: https to a public address, or (where the operator allows
    /// private addresses) plain http and local addresses too. Names are checked again on
    /// every delivery, on the addresses they resolve to.
    pub(crate) fn checked_target(&self, raw: &str) -> ApiResult<String> {
        let invalid = |message: String| ApiError::unprocessable(ErrorCode::InvalidUrl, message);
        let raw = raw.trim();
        if raw.len() > MAX_URL_LEN {
            return Err(invalid(format!(
                "a URL is at most {MAX_URL_LEN} characters"
            )));
        }
        let allow_private = self.services.settings().webhooks.allow_private_addresses;
        let url = tseeder_engine::fetch::checked_url(raw, allow_private)
            .map_err(|err| invalid(err.to_string()))?;
        if url.scheme() != "https" && !allow_private {
            return Err(invalid("a webhook URL must be https".into()));
        }
        Ok(url.to_string())
    }

    pub async fn list(&self, principal: &Principal) -> ApiResult<Vec<WebhookView>> {
        let user = principal.user.id.clone();
        let rows = self
            .services
            .db()
            .call(move |conn| q::webhooks_of_user(conn, &user))
            .await?;
        Ok(rows.iter().map(view).collect())
    }

    pub async fn create(
        &self,
        principal: &Principal,
        req: CreateWebhook,
    ) -> ApiResult<CreatedWebhook> {
        let url = self.checked_target(&req.url)?;
        let mut events: Vec<WebhookEvent> = Vec::new();
        for event in req.events {
            if !events.contains(&event) {
                events.push(event);
            }
        }
        if events.is_empty() {
            return Err(ApiError::unprocessable(
                ErrorCode::InvalidEvents,
                "choose at least one event",
            ));
        }
        let description = match req.description.as_deref().map(str::trim) {
            None | Some("") => String::new(),
            Some(text) => tseeder_protocol::fields::label(text)
                .map(str::to_owned)
                .ok_or_else(|| {
                    ApiError::unprocessable(
                        ErrorCode::InvalidName,
                        "a description is 1 to 100 printable characters",
                    )
                })?,
        };
        let secret = signature::new_secret();
        let row = WebhookRow {
            id: uuid::Uuid::now_v7().to_string(),
            user_id: principal.user.id.clone(),
            url,
            secret: self.services.webhook_secrets().seal(&secret),
            events: events.iter().map(|e| e.as_str().to_owned()).collect(),
            description,
            created_at: db::now_ms(),
            last_delivery: None,
        };
        let max = u64::from(self.services.settings().webhooks.max_endpoints_per_user);
        units::add_webhook(self.services.db(), row.clone(), max).await?;
        Ok(CreatedWebhook {
            webhook: view(&row),
            secret,
        })
    }

    pub async fn delete(&self, principal: &Principal, id: &str) -> ApiResult<()> {
        let (user, id) = (principal.user.id.clone(), id.to_owned());
        let deleted = units::delete_webhook(self.services.db(), user, id).await?;
        if deleted {
            Ok(())
        } else {
            Err(ApiError::NotFound)
        }
    }

    /// Seals under the current key the secrets stored before sealing or sealed under a previous
    /// key (at start, before any delivery).
    pub async fn seal_stored_secrets(&self) -> crate::store::DbResult<units::Resealed> {
        let sealer = self.services.webhook_secrets().clone();
        units::seal_stored_secrets(self.services.db(), sealer).await
    }

    /// Makes (or replaces) the secret that signs the user's job callbacks.
    pub async fn rotate_callback_secret(&self, principal: &Principal) -> ApiResult<CallbackSecret> {
        let secret = signature::new_secret();
        let stored = self.services.webhook_secrets().seal(&secret);
        let (user, now) = (principal.user.id.clone(), db::now_ms());
        units::put_callback_secret(self.services.db(), user, stored, now).await?;
        Ok(CallbackSecret { secret })
    }

    /// The user's latest deliveries, newest first; of one endpoint when `webhook_id` is given.
    pub async fn deliveries(
        &self,
        principal: &Principal,
        webhook_id: Option<String>,
    ) -> ApiResult<Vec<WebhookDelivery>> {
        let user = principal.user.id.clone();
        let rows = self
            .services
            .db()
            .call(move |conn| {
                q::deliveries_of_user(conn, &user, webhook_id.as_deref(), DELIVERIES_SHOWN)
            })
            .await?;
        Ok(rows.iter().filter_map(delivery_view).collect())
    }
}
