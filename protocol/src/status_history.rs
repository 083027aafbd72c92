//! The public status history: each component's state sampled every minute and kept as daily
//! records, uptime computed as Atlassian Statuspage does (major outage counts fully, partial
//! outage 30 %, degraded and planned maintenance not at all), incidents operators open, update
//! and resolve, and maintenance windows they schedule.

use crate::codes::wire_names;
use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

wire_names! {
    /// How a component's day went: its worst state that day.
    pub enum DayState {
        Operational = "operational",
        Degraded = "degraded",
        PartialOutage = "partial_outage",
        MajorOutage = "major_outage",
        /// Only planned maintenance kept it from being operational.
        Maintenance = "maintenance",
        /// Nothing was recorded (before the component existed, or while nothing sampled).
        NoData = "no_data",
    }
}

wire_names! {
    /// How bad an incident is.
    pub enum IncidentSeverity {
        Minor = "minor",
        Major = "major",
        Critical = "critical",
    }
}

wire_names! {
    /// Where an incident stands, as Statuspage names the stages.
    pub enum IncidentStatus {
        Investigating = "investigating",
        Identified = "identified",
        Monitoring = "monitoring",
        Resolved = "resolved",
    }
}

/// Percent of the time a component was up; absent when nothing was recorded in the period.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Uptime {
    pub last_24h: Option<f64>,
    pub last_7d: Option<f64>,
    pub last_30d: Option<f64>,
    pub last_90d: Option<f64>,
}

/// An incident as a day's bar names it.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct IncidentRef {
    pub id: String,
    pub title: String,
    pub severity: IncidentSeverity,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ComponentDay {
    /// `YYYY-MM-DD`, UTC.
    pub day: String,
    pub state: DayState,
    /// Minutes of major and partial outage (partial counted whole here; uptime weighs it 30 %).
    pub downtime_minutes: u64,
    pub major_outage_minutes: u64,
    pub partial_outage_minutes: u64,
    pub degraded_minutes: u64,
    pub maintenance_minutes: u64,
    /// Minutes the component was sampled that day.
    pub observed_minutes: u64,
    /// Incidents of this component open at any time that day.
    pub incidents: Vec<IncidentRef>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ComponentHistory {
    pub id: String,
    pub name: String,
    pub uptime: Uptime,
    /// Oldest first, one per day, ending today.
    pub days: Vec<ComponentDay>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct IncidentUpdate {
    pub status: IncidentStatus,
    pub note: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Incident {
    pub id: String,
    pub title: String,
    /// The component it affects: `api`, `queue`, `agents` or `storage`.
    pub component: String,
    pub severity: IncidentSeverity,
    pub status: IncidentStatus,
    pub started_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    /// Newest first.
    pub updates: Vec<IncidentUpdate>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Maintenance {
    pub id: String,
    pub title: String,
    pub components: Vec<String>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
}

/// Answer of `GET /api/v1/status/history`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StatusHistory {
    pub days: u32,
    pub components: Vec<ComponentHistory>,
    /// Incidents open during the period, newest first.
    pub incidents: Vec<Incident>,
    /// Maintenance windows not over yet, soonest first.
    pub maintenance: Vec<Maintenance>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OpenIncident {
    #[schemars(pattern(crate::fields::TITLE_PATTERN))]
    pub title: String,
    pub component: String,
    pub severity: IncidentSeverity,
    /// What is known so far, shown on the status page.
    #[schemars(pattern(crate::fields::BODY_PATTERN), length(max = 5000))]
    pub note: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct UpdateIncident {
    /// `resolved` closes it.
    pub status: IncidentStatus,
    #[schemars(pattern(crate::fields::BODY_PATTERN), length(max = 5000))]
    pub note: String,
    /// A new severity, when it changed.
    pub severity: Option<IncidentSeverity>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScheduleMaintenance {
    #[schemars(pattern(crate::fields::TITLE_PATTERN))]
    pub title: String,
    /// Components it covers; their samples in the window count as maintenance.
    pub components: Vec<String>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
}
