//! Settings operators change while the service runs (registration, the maintenance banner, plan
//! limits and prices, dispatch knobs, alert thresholds, retention): each change is a numbered
//! version with the old and new values, who made it and why, and can be rolled back.

use crate::codes::wire_names;
use crate::Role;
use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

wire_names! {
    /// What a setting's value is.
    pub enum SettingType {
        Boolean = "boolean",
        Integer = "integer",
        /// Text; an empty value means none.
        Text = "text",
    }
}

/// One runtime setting as it is now.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RuntimeSetting {
    /// Dotted name, e.g. `dispatch.max_attempts` or `plans.pro.max_active_jobs`.
    pub key: String,
    /// The group the console shows it in: registration, maintenance, plans, dispatch, alerts,
    /// retention.
    pub group: String,
    pub description: String,
    #[serde(rename = "type")]
    pub value_type: SettingType,
    pub value: serde_json::Value,
    /// What it is without any runtime change: the configuration file's (or built-in) value.
    pub default: serde_json::Value,
    /// Changed at runtime (and so no longer following the configuration file).
    pub changed: bool,
    /// The least role that may change it.
    pub editable_by: Role,
    pub min: Option<i64>,
    pub max: Option<i64>,
}

/// Every runtime setting at the current version.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RuntimeSettings {
    /// 0 until the first change.
    pub version: u64,
    pub settings: Vec<RuntimeSetting>,
}

/// Changes to make at once, as one new version.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChangeSettings {
    /// Key → new value; `null` returns the setting to its configuration-file value.
    pub changes: BTreeMap<String, serde_json::Value>,
    /// The version the change was made against: a change made meanwhile is not overwritten
    /// (409 `settings_changed`).
    pub expected_version: u64,
    #[schemars(pattern(crate::fields::REASON_PATTERN))]
    pub reason: String,
    #[schemars(pattern(crate::fields::TICKET_PATTERN))]
    pub ticket_id: String,
}

/// Restores every setting to what it was at `version`, as a new version.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RollbackSettings {
    /// The version to return to; 0 is the configuration file's values.
    pub version: u64,
    pub expected_version: u64,
    #[schemars(pattern(crate::fields::REASON_PATTERN))]
    pub reason: String,
    #[schemars(pattern(crate::fields::TICKET_PATTERN))]
    pub ticket_id: String,
}

/// One setting's value before and after a version (or now and at a version).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SettingChange {
    pub key: String,
    pub old: serde_json::Value,
    pub new: serde_json::Value,
}

/// One version of the runtime settings: what changed, who changed it and why.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SettingsVersion {
    pub version: u64,
    pub changes: Vec<SettingChange>,
    pub actor_id: Option<String>,
    pub actor_email: String,
    pub reason: String,
    pub ticket_id: String,
    /// The version this one restored, when it was a rollback.
    pub rollback_of: Option<u64>,
    pub created_at: DateTime<Utc>,
}

/// A version with what rolling back to it would change now.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SettingsVersionDetail {
    /// Absent for version 0, the configuration file's values.
    pub version: Option<SettingsVersion>,
    /// Every setting whose value then differs from now: `old` is now, `new` is then.
    pub rollback_changes: Vec<SettingChange>,
}
