//! The operators' charts: what the service measured, rolled up per minute (kept 48 hours) and per
//! hour (kept 90 days), summed over replicas and cut into points over 1 h, 24 h or 7 d.

use crate::codes::wire_names;
use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

wire_names! {
    /// How far back the charts reach.
    pub enum MetricsRange {
        /// The last hour, a point per minute.
        LastHour = "1h",
        /// The last 24 hours, a point per 15 minutes.
        LastDay = "24h",
        /// The last 7 days, a point per hour.
        LastWeek = "7d",
    }
}

/// One point of the charts: what happened in `[at, at + bucketSeconds)`. Counts are summed over
/// replicas; levels (queue, fleet, dead letters, storage) are the average of the minutes
/// measured, `null` where nothing was measured.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MetricPoint {
    pub at: DateTime<Utc>,
    pub requests: u64,
    pub client_errors: u64,
    pub server_errors: u64,
    /// Percent of requests answered 5xx.
    pub error_rate_percent: Option<f64>,
    /// Latency percentiles in milliseconds, from the request histogram.
    pub p50_ms: Option<f64>,
    pub p95_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub jobs_completed: u64,
    pub jobs_failed: u64,
    /// Bytes agents downloaded (in) and uploaded to peers (out).
    pub agent_bytes_in: u64,
    pub agent_bytes_out: u64,
    pub queue_depth: Option<f64>,
    pub running_jobs: Option<f64>,
    pub fleet_capacity: Option<f64>,
    pub fleet_active_jobs: Option<f64>,
    pub dead_letters: Option<f64>,
    pub storage_bytes: Option<f64>,
    pub live_subscribers: Option<f64>,
}

/// The whole range at once.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MetricsSummary {
    pub requests: u64,
    pub server_errors: u64,
    pub error_rate_percent: Option<f64>,
    pub p50_ms: Option<f64>,
    pub p95_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub jobs_completed: u64,
    pub jobs_failed: u64,
    pub agent_bytes_in: u64,
    pub agent_bytes_out: u64,
    /// Dead letters at the range's last measured minute less its first.
    pub dead_letter_growth: Option<f64>,
}

/// `GET /api/v1/admin/observability`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ObservabilityReport {
    pub range: MetricsRange,
    pub bucket_seconds: u32,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// Every bucket of the range, oldest first, including those nothing was measured in.
    pub points: Vec<MetricPoint>,
    pub summary: MetricsSummary,
}
