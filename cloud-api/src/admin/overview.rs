//! The operators' overview (counts, alerts, charts) and storage report, computed from the data
//! when asked.

use crate::admin::service::Admin;
use crate::admin::store as q;
use crate::admin::units;
use crate::config::AlertSettings;
use crate::config::StorageBackend;
use crate::error::ApiResult;
use crate::observability::service::Recent;
use crate::status::service::{minutes, status_report, Snapshot, HOUR_MS};
use crate::store as db;
use chrono::{DateTime, Duration, Utc};
use tseeder_protocol::{
    AdminOverview, AgentCounts, Alert, AlertCode, AlertSeverity, DayCount, OrgStorage,
    StorageReport, UserCounts,
};

pub(crate) const DAY_MS: i64 = 24 * HOUR_MS;

/// Days of history the overview's chart shows.
const CHART_DAYS: i64 = 14;

/// The counts the overview is computed from, read in one piece of work.
#[derive(Debug)]
pub(crate) struct Counts {
    pub(crate) users: q::UserTotals,
    pub(crate) jobs_by_status: std::collections::BTreeMap<String, u64>,
    pub(crate) dead_letters: u64,
    pub(crate) storage_bytes: u64,
    pub(crate) object_count: u64,
    pub(crate) per_day: Vec<(String, u64, u64, u64)>,
    pub(crate) failed_last_hour: u64,
    pub(crate) login_failures: u64,
    pub(crate) near_quota: u64,
}

impl Admin<'_> {
    pub async fn overview(&self) -> ApiResult<AdminOverview> {
        let snapshot = self.services.status().snapshot().await;
        let thresholds = self.services.runtime().alerts.clone();
        let counts = self.counts(&thresholds).await?;
        let recent = self.services.observability().recent().await?;
        let alerts = alerts(&snapshot, &counts, &recent, &thresholds);
        let tally = &snapshot.agents;
        Ok(AdminOverview {
            status: status_report(&snapshot),
            alerts,
            users: UserCounts {
                total: counts.users.total,
                verified: counts.users.verified,
                suspended: counts.users.suspended,
                new_last_7_days: counts.users.created_since,
            },
            jobs_by_status: counts.jobs_by_status,
            dead_letters: counts.dead_letters,
            agents: AgentCounts {
                online: tally.operator_online,
                stale: tally.stale,
                capacity: tally.capacity,
                active_jobs: tally.active_jobs,
            },
            storage_bytes: counts.storage_bytes,
            object_count: counts.object_count,
            jobs_per_day: chart(&counts.per_day, Utc::now()),
        })
    }

    async fn counts(&self, thresholds: &AlertSettings) -> ApiResult<Counts> {
        let near_quota_percent = u64::from(thresholds.storage_quota_percent);
        let now = db::now_ms();
        let since_chart = (Utc::now() - Duration::days(CHART_DAYS - 1))
            .date_naive()
            .and_hms_opt(0, 0, 0)
            .map(|start| start.and_utc().timestamp_millis())
            .unwrap_or(now - CHART_DAYS * DAY_MS);
        Ok(
            units::overview_counts(self.services.db(), now, since_chart, near_quota_percent)
                .await?,
        )
    }

    pub async fn storage_report(&self) -> ApiResult<StorageReport> {
        let ((total_bytes, object_count), rows) = self
            .services
            .db()
            .call(|conn| Ok((q::storage_totals(conn)?, q::storage_by_org(conn, 50)?)))
            .await?;
        let (snapshots, last_sweep) = self.services.retention().history(90).await?;
        Ok(StorageReport {
            snapshots,
            last_sweep,
            backend: match self.services.settings().storage.location.backend {
                StorageBackend::Local => "local",
                StorageBackend::S3 => "s3",
            }
            .into(),
            total_bytes,
            object_count,
            top_organizations: rows
                .into_iter()
                .map(|row| OrgStorage {
                    org_id: row.org_id,
                    name: row.name,
                    personal: row.personal,
                    owner_id: row.owner_id,
                    owner_email: row.owner_email,
                    plan_id: row.plan_id,
                    bytes: row.bytes,
                    objects: row.objects,
                    quota_bytes: row.quota_bytes,
                })
                .collect(),
        })
    }
}

/// Fewer requests than this in the alert window say nothing about latency or errors.
const FEW_REQUESTS: u64 = 20;

/// What needs an operator's attention, worst first as found.
fn alerts(
    snapshot: &Snapshot,
    counts: &Counts,
    recent: &Recent,
    thresholds: &AlertSettings,
) -> Vec<Alert> {
    let mut alerts = Vec::new();
    let mut alert = |severity, code, message: String, link: &str| {
        alerts.push(Alert {
            severity,
            code,
            message,
            link: Some(link.into()),
        })
    };
    let tally = &snapshot.agents;
    if !snapshot.database_ok {
        alert(
            AlertSeverity::Critical,
            AlertCode::DatabaseUnavailable,
            "The database does not answer".into(),
            "/admin",
        );
    }
    if tally.operator_online == 0 {
        alert(
            AlertSeverity::Critical,
            AlertCode::NoAgents,
            "No download agent is online: queued jobs cannot start".into(),
            "/admin/agents",
        );
    }
    if tally.stale > 0 {
        alert(
            AlertSeverity::Warning,
            AlertCode::StaleAgents,
            format!("{} agents have stopped sending heartbeats", tally.stale),
            "/admin/agents",
        );
    }
    if let Some(wait) = snapshot
        .oldest_wait_ms
        .filter(|wait| *wait > snapshot.queue_wait_limit_ms)
    {
        alert(
            AlertSeverity::Warning,
            AlertCode::QueueBacklog,
            format!(
                "{} jobs are waiting; the oldest for {} min",
                snapshot.queued_waiting,
                minutes(wait)
            ),
            "/admin/jobs",
        );
    }
    if counts.dead_letters > 0 {
        alert(
            AlertSeverity::Warning,
            AlertCode::DeadLetters,
            format!(
                "{} jobs ran out of attempts and wait for a decision",
                counts.dead_letters
            ),
            "/admin/dead-letters",
        );
    }
    if counts.failed_last_hour >= u64::from(thresholds.failed_jobs_per_hour) {
        alert(
            AlertSeverity::Warning,
            AlertCode::Failures,
            format!("{} jobs failed in the last hour", counts.failed_last_hour),
            "/admin/jobs",
        );
    }
    if counts.login_failures >= u64::from(thresholds.login_failures_per_hour) {
        alert(
            AlertSeverity::Warning,
            AlertCode::LoginFailures,
            format!("{} failed sign-ins in the last hour", counts.login_failures),
            "/admin/security",
        );
    }
    if counts.near_quota > 0 {
        alert(
            AlertSeverity::Warning,
            AlertCode::StorageQuota,
            format!(
                "{} organizations have used {}% or more of their storage",
                counts.near_quota, thresholds.storage_quota_percent
            ),
            "/admin/storage",
        );
    }
    if let Some((state, _)) = snapshot
        .seedr
        .filter(|(state, _)| *state != tseeder_protocol::ComponentState::Operational)
    {
        let (severity, message) = if state == tseeder_protocol::ComponentState::Degraded {
            (
                AlertSeverity::Warning,
                "Seedr's account is nearly full: new Seedr jobs may be refused",
            )
        } else {
            (
                AlertSeverity::Critical,
                "Seedr refuses the account or does not answer: Seedr jobs cannot run",
            )
        };
        alert(
            severity,
            AlertCode::ProviderUnhealthy,
            message.into(),
            "/admin/provider",
        );
    }
    let window = &recent.window;
    let judged = window.counts.requests >= FEW_REQUESTS;
    if let Some(rate) = window
        .error_rate_percent()
        .filter(|rate| judged && *rate >= f64::from(thresholds.error_rate_percent))
    {
        alert(
            AlertSeverity::Critical,
            AlertCode::ServerErrors,
            format!(
                "{rate:.1}% of requests in the last 15 min were answered with a server error ({} of {})",
                window.counts.server_errors, window.counts.requests
            ),
            "/admin/observability",
        );
    }
    if let Some(p95) = window
        .quantile(0.95)
        .filter(|p95| judged && *p95 > f64::from(thresholds.latency_p95_ms))
    {
        alert(
            AlertSeverity::Warning,
            AlertCode::SlowRequests,
            format!(
                "Requests are slow: 95% answered within {p95:.0} ms over the last 15 min (limit {} ms)",
                thresholds.latency_p95_ms
            ),
            "/admin/observability",
        );
    }
    if let Some(growth) = recent
        .hour
        .dead_letter_growth()
        .filter(|growth| *growth >= f64::from(thresholds.dead_letter_growth_per_hour))
    {
        alert(
            AlertSeverity::Warning,
            AlertCode::DeadLetterGrowth,
            format!("{growth:.0} more dead letters than an hour ago"),
            "/admin/observability",
        );
    }
    if let Some(used) = window.fleet_use_percent().filter(|used| {
        *used >= f64::from(thresholds.fleet_use_percent) && snapshot.queued_waiting > 0
    }) {
        alert(
            AlertSeverity::Warning,
            AlertCode::FleetSaturated,
            format!(
                "The agents ran {used:.0}% of the jobs they can over the last 15 min and {} jobs wait",
                snapshot.queued_waiting
            ),
            "/admin/observability",
        );
    }
    alerts
}

/// One entry per day of the chart, oldest first, ending `today`; days without jobs count zero.
fn chart(per_day: &[(String, u64, u64, u64)], today: DateTime<Utc>) -> Vec<DayCount> {
    (0..CHART_DAYS)
        .rev()
        .map(|offset| {
            let day = (today - Duration::days(offset))
                .format("%Y-%m-%d")
                .to_string();
            let (created, completed, failed) = per_day
                .iter()
                .find(|(d, ..)| *d == day)
                .map_or((0, 0, 0), |r| (r.1, r.2, r.3));
            DayCount {
                day,
                created,
                completed,
                failed,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::service::AgentTally;

    fn counts() -> Counts {
        Counts {
            users: q::UserTotals::default(),
            jobs_by_status: Default::default(),
            dead_letters: 0,
            storage_bytes: 0,
            object_count: 0,
            per_day: Vec::new(),
            failed_last_hour: 0,
            login_failures: 0,
            near_quota: 0,
        }
    }

    fn healthy() -> Snapshot {
        Snapshot {
            database_ok: true,
            queued_waiting: 0,
            oldest_wait_ms: None,
            queue_wait_limit_ms: 5 * 60_000,
            storage: None,
            seedr: None,
            agents: AgentTally {
                operator_online: 1,
                ..AgentTally::default()
            },
        }
    }

    #[test]
    fn a_healthy_service_raises_no_alert_and_each_problem_raises_its_own() {
        let thresholds = AlertSettings::default();
        assert!(alerts(&healthy(), &counts(), &Recent::default(), &thresholds).is_empty());
        let codes = |snapshot: &Snapshot, counts: &Counts| -> Vec<AlertCode> {
            alerts(snapshot, counts, &Recent::default(), &thresholds)
                .iter()
                .map(|a| a.code)
                .collect()
        };
        let mut down = healthy();
        down.agents.operator_online = 0;
        down.oldest_wait_ms = Some(down.queue_wait_limit_ms + 1);
        assert_eq!(
            codes(&down, &counts()),
            [AlertCode::NoAgents, AlertCode::QueueBacklog]
        );
        let busy = Counts {
            failed_last_hour: 3,
            login_failures: u64::from(thresholds.login_failures_per_hour),
            near_quota: 1,
            ..counts()
        };
        assert_eq!(
            codes(&healthy(), &busy),
            [
                AlertCode::Failures,
                AlertCode::LoginFailures,
                AlertCode::StorageQuota
            ]
        );
    }

    #[test]
    fn alerts_follow_the_thresholds_operators_set() {
        let busy = Counts {
            failed_last_hour: 3,
            login_failures: 20,
            ..counts()
        };
        let relaxed = AlertSettings {
            failed_jobs_per_hour: 4,
            login_failures_per_hour: 21,
            ..AlertSettings::default()
        };
        assert!(alerts(&healthy(), &busy, &Recent::default(), &relaxed).is_empty());
        let mut waiting = healthy();
        waiting.oldest_wait_ms = Some(60_000);
        assert!(alerts(&waiting, &counts(), &Recent::default(), &relaxed).is_empty());
        waiting.queue_wait_limit_ms = 30_000;
        let raised = alerts(&waiting, &counts(), &Recent::default(), &relaxed);
        assert_eq!(raised.len(), 1);
        assert_eq!(raised[0].code, AlertCode::QueueBacklog);
    }

    fn recent(requests: u64, server_errors: u64, dead: [u64; 2], active: u64) -> Recent {
        use crate::observability::report::{slots, Totals};
        use crate::observability::rollup::{Levels, Rollup};
        let mut rollup = Rollup {
            requests,
            server_errors,
            ..Rollup::default()
        };
        // Between 1.28 and 2.56 s.
        rollup.latency[9] = requests;
        let levels = |dead_letters| Levels {
            dead_letters,
            fleet_capacity: 4,
            fleet_active: active,
            ..Levels::default()
        };
        let rows = vec![
            (
                0,
                "a".to_owned(),
                Rollup::default().with_levels(levels(dead[0])),
            ),
            (60_000, "a".to_owned(), rollup.with_levels(levels(dead[1]))),
        ];
        let slots = slots(&rows);
        Recent {
            window: Totals::of(slots.values()),
            hour: Totals::of(slots.values()),
        }
    }

    #[test]
    fn the_measured_service_raises_its_own_alerts_past_the_thresholds() {
        let thresholds = AlertSettings::default();
        let mut waiting = healthy();
        waiting.queued_waiting = 2;
        let codes = |recent: &Recent, thresholds: &AlertSettings| -> Vec<AlertCode> {
            alerts(&waiting, &counts(), recent, thresholds)
                .iter()
                .map(|a| a.code)
                .collect()
        };
        assert_eq!(
            codes(&recent(100, 10, [0, 6], 4), &thresholds),
            [
                AlertCode::ServerErrors,
                AlertCode::SlowRequests,
                AlertCode::DeadLetterGrowth,
                AlertCode::FleetSaturated
            ]
        );
        // Too few requests to judge latency or errors; a calm fleet and steady dead letters.
        assert!(codes(&recent(10, 10, [3, 3], 1), &thresholds).is_empty());
        let relaxed = AlertSettings {
            latency_p95_ms: 3000,
            error_rate_percent: 11,
            dead_letter_growth_per_hour: 7,
            fleet_use_percent: 100,
            ..AlertSettings::default()
        };
        assert_eq!(
            codes(&recent(100, 10, [0, 6], 4), &relaxed),
            [AlertCode::FleetSaturated]
        );
    }

    #[test]
    fn the_chart_has_every_day_and_zero_for_quiet_ones() {
        let today = DateTime::parse_from_rfc3339("2026-03-14T10:00:00Z")
            .expect("date")
            .with_timezone(&Utc);
        let chart = chart(&[("2026-03-13".into(), 5, 4, 1)], today);
        assert_eq!(chart.len(), CHART_DAYS as usize);
        assert_eq!(chart[0].day, "2026-03-01");
        let last = chart.last().expect("today");
        assert_eq!((last.day.as_str(), last.created), ("2026-03-14", 0));
        let yesterday = &chart[chart.len() - 2];
        assert_eq!(
            (yesterday.created, yesterday.completed, yesterday.failed),
            (5, 4, 1)
        );
    }
}
