//! Who runs cloud jobs: the operator's own agents, or Seedr.cc's API. An owner switches with a
//! reason; jobs finish on the provider they started on.

use crate::codes::wire_names;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

wire_names! {
    /// Where new cloud jobs run.
    pub enum ProviderKind {
        /// The operator's tseeder agents.
        Agents = "agents",
        /// Seedr.cc's REST API, with the operator's Seedr account.
        Seedr = "seedr",
    }
}

/// Jobs not yet ended on one provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProviderLoad {
    pub provider: ProviderKind,
    /// Waiting or running.
    pub in_flight: u64,
}

/// `GET /api/v1/admin/provider`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProviderReport {
    pub active: ProviderKind,
    /// The runtime settings' version the switch is made against.
    pub settings_version: u64,
    pub providers: Vec<ProviderLoad>,
    /// Seedr has an account configured (`providers.seedr.email` and `password`).
    pub seedr_configured: bool,
}

/// `POST /api/v1/admin/provider`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SwitchProvider {
    pub provider: ProviderKind,
    /// The `settingsVersion` the operator saw; a newer one answers 409.
    pub expected_version: u64,
    pub reason: String,
    pub ticket_id: String,
}
