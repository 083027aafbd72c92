//! Webhooks: endpoints a user registers to hear about the ends of their jobs, and what each
//! delivery did. Deliveries are signed: `Tseeder-Signature: t=<unix seconds>,v1=<hex>` where
//! the hex is HMAC-SHA256 of `<t>.<raw body>` with the endpoint's secret.

use crate::codes::wire_names;
use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

wire_names! {
    /// What a webhook tells.
    pub enum WebhookEvent {
        /// Every file is stored.
        JobCompleted = "job.completed",
        /// The job ended without its files (also sent for a dead-lettered job).
        JobFailed = "job.failed",
        /// The job's last retry failed; it waits in the dead-letter queue.
        JobDeadLettered = "job.dead_lettered",
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreateWebhook {
    /// `https://…` to a public address (plain http and local addresses only where the operator
    /// allows them); at most 2048 characters.
    #[schemars(pattern(r"^\s*[hH][tT][tT][pP][sS]://"), length(max = 2048))]
    pub url: String,
    #[schemars(length(min = 1))]
    pub events: Vec<WebhookEvent>,
    /// Up to 100 printable characters.
    #[serde(default)]
    #[schemars(length(max = 100))]
    pub description: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryState {
    /// Waiting for its first try, or for the next after a failure.
    Pending,
    /// The receiver answered 2xx.
    Delivered,
    /// Every try failed for the retry period; given up.
    Failed,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookView {
    pub id: String,
    pub url: String,
    pub events: Vec<WebhookEvent>,
    pub description: String,
    pub created_at: DateTime<Utc>,
    /// How the latest delivery stands; none before the first.
    pub last_delivery: Option<DeliveryState>,
}

/// A new endpoint, with its signing secret: shown in this answer only.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreatedWebhook {
    pub webhook: WebhookView,
    pub secret: String,
}

/// The secret that signs the callbacks of single jobs (`callbackUrl`); shown in this answer only.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CallbackSecret {
    pub secret: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookDelivery {
    pub id: String,
    /// None for a job's callback.
    pub webhook_id: Option<String>,
    pub job_id: String,
    pub event: WebhookEvent,
    pub url: String,
    pub state: DeliveryState,
    pub attempts: u32,
    /// The receiver's HTTP status at the last try; none when it could not be reached.
    pub last_status: Option<u16>,
    pub last_error: Option<String>,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
}
