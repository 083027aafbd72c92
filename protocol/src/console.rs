//! What the web console shows beyond jobs and accounts: the public site settings, the status
//! page, the blog, a user's profile, and the operators' overview and storage report.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Public settings a sign-up page needs before anyone is signed in.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SiteConfig {
    pub version: String,
    pub min_password_chars: u32,
    /// The shortest reason an operator may give for a destructive action (once trimmed).
    pub min_reason_chars: u32,
    /// Present when sign-up asks for a captcha.
    pub captcha: Option<CaptchaWidget>,
    /// New users may sign up.
    pub registration_open: bool,
    /// A notice every page shows; absent when there is none.
    pub maintenance_banner: Option<String>,
}

/// A Turnstile-style widget: the page loads `script_url` and renders the site key.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CaptchaWidget {
    pub site_key: String,
    pub script_url: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ComponentState {
    Operational,
    /// Working, slower or with less room than it should have.
    Degraded,
    /// Part of it is down (e.g. fewer than half the agents online); counts 30 % toward downtime.
    #[serde(rename = "partial_outage")]
    PartialOutage,
    /// Down; counts fully toward downtime.
    Outage,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ComponentStatus {
    /// `api`, `queue`, `agents` or `storage`.
    pub id: String,
    pub name: String,
    pub state: ComponentState,
    /// One sentence a visitor can read, e.g. "3 of 3 agents online".
    pub detail: String,
}

/// Answer of `GET /api/v1/status`: the service as a visitor would want to know it now.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StatusReport {
    /// The worst state of any component.
    pub state: ComponentState,
    pub components: Vec<ComponentStatus>,
    pub checked_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct UpdateProfile {
    /// Empty clears it.
    #[serde(default)]
    pub display_name: Option<String>,
    /// The device new jobs go to by default; empty means the cloud. Absent leaves it as is.
    #[serde(default)]
    pub default_device_id: Option<String>,
}

#[derive(Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChangePassword {
    pub current_password: String,
    #[schemars(length(min = 10, max = 256))]
    pub new_password: String,
    /// Also revoke every API key and device of the account (other sessions always end).
    #[serde(default)]
    pub sign_out_everywhere: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BlogPostSummary {
    pub id: String,
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub published_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BlogPost {
    #[serde(flatten)]
    pub summary: BlogPostSummary,
    /// Plain text; blank lines separate paragraphs. Never rendered as HTML.
    pub body: String,
    pub author: Option<String>,
}

/// Creates or replaces a post. `slug` is lowercase letters, digits and dashes.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SaveBlogPost {
    #[schemars(pattern(crate::fields::SLUG_PATTERN))]
    pub slug: String,
    #[schemars(pattern(crate::fields::TITLE_PATTERN))]
    pub title: String,
    #[schemars(pattern(crate::fields::SUMMARY_PATTERN))]
    pub summary: String,
    #[schemars(pattern(crate::fields::BODY_PATTERN), length(max = crate::fields::MAX_BODY_CHARS))]
    pub body: String,
    pub published: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum AlertSeverity {
    Warning,
    Critical,
}

/// Something an operator should look at, computed from the data at the time of asking.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Alert {
    pub severity: AlertSeverity,
    pub code: crate::AlertCode,
    pub message: String,
    /// The console page that deals with it, e.g. `/admin/agents`.
    pub link: Option<String>,
}

/// Jobs created, completed and failed on one UTC day.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DayCount {
    /// `YYYY-MM-DD`.
    pub day: String,
    pub created: u64,
    pub completed: u64,
    pub failed: u64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserCounts {
    pub total: u64,
    pub verified: u64,
    pub suspended: u64,
    pub new_last_7_days: u64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AgentCounts {
    pub online: u64,
    pub stale: u64,
    pub capacity: u64,
    pub active_jobs: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AdminOverview {
    pub status: StatusReport,
    pub alerts: Vec<Alert>,
    pub users: UserCounts,
    /// Jobs by status name.
    pub jobs_by_status: BTreeMap<String, u64>,
    pub dead_letters: u64,
    pub agents: AgentCounts,
    pub storage_bytes: u64,
    pub object_count: u64,
    /// The last 14 days, oldest first.
    pub jobs_per_day: Vec<DayCount>,
}

/// What an organization's files take against its plan's storage: the plan and the quota
/// belong to the organization (a personal one's to its user), and every member's files count.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrgStorage {
    pub org_id: String,
    pub name: String,
    /// A user's personal organization rather than a team.
    pub personal: bool,
    pub owner_id: String,
    pub owner_email: String,
    pub plan_id: String,
    pub bytes: u64,
    pub objects: u64,
    pub quota_bytes: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StorageReport {
    /// `local` or `s3`.
    pub backend: String,
    pub total_bytes: u64,
    pub object_count: u64,
    /// The organizations storing the most, heaviest first.
    pub top_organizations: Vec<OrgStorage>,
    /// One per day the retention sweep ran, oldest first, up to 90 days back.
    pub snapshots: Vec<StorageSnapshot>,
    /// The newest retention sweep; absent before the first.
    pub last_sweep: Option<RetentionSweep>,
}

/// What the store held on a day, and what the retention sweeps reclaimed that day.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StorageSnapshot {
    /// `YYYY-MM-DD`, UTC.
    pub day: String,
    pub stored_bytes: u64,
    pub objects: u64,
    /// Users with at least one stored file.
    pub users: u64,
    pub reclaimed_bytes: u64,
    pub deleted_files: u64,
}

/// One run of the retention sweep.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RetentionSweep {
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    /// Completed jobs whose plan's retention days had passed.
    pub expired_jobs: u64,
    pub deleted_files: u64,
    pub reclaimed_bytes: u64,
    /// Users mailed that their files will soon be deleted.
    pub warned_users: u64,
    /// Rows removed by each retention period: sessions, account tokens, security events, job
    /// events, snapshots.
    pub pruned: BTreeMap<String, u64>,
}

crate::debug_redacting!(ChangePassword { sign_out_everywhere } hiding { current_password, new_password });
