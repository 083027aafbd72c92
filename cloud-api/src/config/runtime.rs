//! The boot defaults of settings operators may also change while the service runs (see
//! `runtime_settings`): a change made in the console wins over these until it is reset.

use serde::{Deserialize, Serialize};

/// Who may create an account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RegistrationSettings {
    /// Closed, the sign-up form says so and `POST /auth/register` answers 403; existing users
    /// sign in as before.
    pub open: bool,
}

impl Default for RegistrationSettings {
    fn default() -> Self {
        RegistrationSettings { open: true }
    }
}

/// A notice every page of the console shows, e.g. before planned work.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MaintenanceSettings {
    /// Empty: no banner.
    pub banner: String,
}

/// When the overview raises an alert (and, for the queue, when the status page says degraded).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AlertSettings {
    /// The oldest queued job has waited longer than this.
    pub queue_wait_minutes: u32,
    pub failed_jobs_per_hour: u32,
    pub login_failures_per_hour: u32,
    /// Users at this share of their storage quota or more.
    pub storage_quota_percent: u32,
    /// The 95th percentile of request latency over the last 15 minutes above this.
    pub latency_p95_ms: u32,
    /// The share of requests answered 5xx over the last 15 minutes at or above this.
    pub error_rate_percent: u32,
    /// Dead letters grew by this many or more over the last hour.
    pub dead_letter_growth_per_hour: u32,
    /// The agents ran this share of the jobs they can run at once, on average over the last 15
    /// minutes, with jobs waiting.
    pub fleet_use_percent: u32,
}

impl Default for AlertSettings {
    fn default() -> Self {
        AlertSettings {
            queue_wait_minutes: 5,
            failed_jobs_per_hour: 3,
            login_failures_per_hour: 20,
            storage_quota_percent: 90,
            latency_p95_ms: 2000,
            error_rate_percent: 5,
            dead_letter_growth_per_hour: 5,
            fleet_use_percent: 90,
        }
    }
}

/// How long what the service keeps is kept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RetentionSettings {
    /// The stored files of a completed job are deleted once its plan's `retention_days` have
    /// passed since it completed (a plan with 0 days keeps them).
    pub delete_expired_files: bool,
    /// Users are mailed this long before their files are deleted.
    pub warn_hours_before: u32,
    /// Ended sessions and used or expired account tokens are kept this long, then removed.
    pub expired_credentials_days: u32,
    pub security_events_days: u32,
    /// The events of jobs that ended this long ago are removed (the job stays).
    pub job_events_days: u32,
    /// Daily storage snapshots shown on the storage page.
    pub storage_snapshots_days: u32,
    /// Per-minute metric roll-ups (the console's 1 h and 24 h charts, the alerts).
    pub metric_minutes_hours: u32,
    /// Per-hour metric roll-ups (the 7 d chart).
    pub metric_hours_days: u32,
    /// How often the retention sweep runs (0: never); files go within this long of their time.
    pub sweep_interval_minutes: u32,
}

impl Default for RetentionSettings {
    fn default() -> Self {
        RetentionSettings {
            delete_expired_files: true,
            warn_hours_before: 24,
            expired_credentials_days: 30,
            security_events_days: 180,
            job_events_days: 90,
            storage_snapshots_days: 400,
            metric_minutes_hours: 48,
            metric_hours_days: 90,
            sweep_interval_minutes: 60,
        }
    }
}

/// The status page's sampler.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct StatusSettings {
    /// How often each component's state is recorded (0: never); each sample counts this long.
    pub sample_interval_seconds: u32,
}

impl Default for StatusSettings {
    fn default() -> Self {
        StatusSettings {
            sample_interval_seconds: 60,
        }
    }
}
