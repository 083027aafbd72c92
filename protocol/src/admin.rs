//! Operator views and the justification every destructive operator action carries.

use crate::{Job, Role, User};
use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Why an operator does something destructive: a reason of at least 10 characters and a ticket.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Justification {
    #[schemars(pattern(crate::fields::REASON_PATTERN))]
    pub reason: String,
    #[schemars(pattern(crate::fields::TICKET_PATTERN))]
    pub ticket_id: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChangeRole {
    pub role: Role,
    #[schemars(pattern(crate::fields::REASON_PATTERN))]
    pub reason: String,
    #[schemars(pattern(crate::fields::TICKET_PATTERN))]
    pub ticket_id: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AdminUser {
    pub user: User,
    pub suspended_reason: Option<String>,
    pub active_sessions: u32,
    pub active_jobs: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AdminJob {
    pub job: Job,
    pub user_id: String,
    pub user_email: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditEntry {
    pub id: i64,
    pub actor_id: Option<String>,
    pub actor_email: String,
    pub action: String,
    pub target_type: String,
    pub target_id: String,
    pub reason: Option<String>,
    pub ticket_id: Option<String>,
    pub detail: serde_json::Value,
    pub ip: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SecurityEvent {
    pub id: i64,
    pub kind: String,
    pub user_id: Option<String>,
    pub email: Option<String>,
    pub ip: Option<String>,
    pub detail: serde_json::Value,
    pub created_at: DateTime<Utc>,
}
