//! The operators' overview (counts, alerts, charts) and storage report, computed from the data
//! when asked.

use crate::admin::service::Admin;
use crate::admin::store as q;
use crate::audit::store as audit;
use crate::config::AlertSettings;
use crate::config::StorageBackend;
use crate::error::ApiResult;
use crate::status::service::{minutes, status_report, Snapshot, HOUR_MS};
use crate::store as db;
use chrono::{DateTime, Duration, Utc};
use tseeder_protocol::{
    AdminOverview, AgentCounts, Alert, AlertCode, AlertSeverity, DayCount, SecurityEventKind,
    StorageReport, UserCounts, UserStorage,
};

const DAY_MS: i64 = 24 * HOUR_MS;

/// Days of history the overview's chart shows.
const CHART_DAYS: i64 = 14;

/// The counts the overview is computed from, read in one piece of work.
#[derive(Debug)]
struct Counts {
    users: q::UserTotals,
    jobs_by_status: std::collections::BTreeMap<String, u64>,
    dead_letters: u64,
    storage_bytes: u64,
    object_count: u64,
    per_day: Vec<(String, u64, u64, u64)>,
    failed_last_hour: u64,
    login_failures: u64,
    near_quota: u64,
}

impl Admin<'_> {
    pub async fn overview(&self) -> ApiResult<AdminOverview> {
        let snapshot = self.services.status().snapshot().await;
        let thresholds = self.services.runtime().alerts.clone();
        let counts = self.counts(&thresholds).await?;
        let alerts = alerts(&snapshot, &counts, &thresholds);
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
        let login_failed = SecurityEventKind::LoginFailed.as_str();
        Ok(self
            .services
            .db()
            .call(move |conn| {
                let (storage_bytes, object_count) = q::storage_totals(conn)?;
                Ok(Counts {
                    users: q::user_totals(conn, now - 7 * DAY_MS)?,
                    jobs_by_status: q::jobs_by_status(conn)?,
                    dead_letters: q::dead_letter_count(conn)?,
                    storage_bytes,
                    object_count,
                    per_day: q::jobs_per_day(conn, since_chart)?,
                    failed_last_hour: q::failed_since(conn, now - HOUR_MS)?,
                    login_failures: audit::count_security_events_since(
                        conn,
                        login_failed,
                        now - HOUR_MS,
                    )?,
                    near_quota: q::users_near_quota(conn, near_quota_percent)?,
                })
            })
            .await?)
    }

    pub async fn storage_report(&self) -> ApiResult<StorageReport> {
        let ((total_bytes, object_count), rows) = self
            .services
            .db()
            .call(|conn| Ok((q::storage_totals(conn)?, q::storage_by_user(conn, 50)?)))
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
            top_users: rows
                .into_iter()
                .map(|row| UserStorage {
                    user_id: row.user_id,
                    email: row.email,
                    plan_id: row.plan_id,
                    bytes: row.bytes,
                    objects: row.objects,
                    quota_bytes: row.quota_bytes,
                })
                .collect(),
        })
    }
}

/// What needs an operator's attention, worst first as found.
fn alerts(snapshot: &Snapshot, counts: &Counts, thresholds: &AlertSettings) -> Vec<Alert> {
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
                "{} users have used {}% or more of their storage",
                counts.near_quota, thresholds.storage_quota_percent
            ),
            "/admin/storage",
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
            agents: AgentTally {
                operator_online: 1,
                ..AgentTally::default()
            },
        }
    }

    #[test]
    fn a_healthy_service_raises_no_alert_and_each_problem_raises_its_own() {
        let thresholds = AlertSettings::default();
        assert!(alerts(&healthy(), &counts(), &thresholds).is_empty());
        let codes = |snapshot: &Snapshot, counts: &Counts| -> Vec<AlertCode> {
            alerts(snapshot, counts, &thresholds)
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
        assert!(alerts(&healthy(), &busy, &relaxed).is_empty());
        let mut waiting = healthy();
        waiting.oldest_wait_ms = Some(60_000);
        assert!(alerts(&waiting, &counts(), &relaxed).is_empty());
        waiting.queue_wait_limit_ms = 30_000;
        let raised = alerts(&waiting, &counts(), &relaxed);
        assert_eq!(raised.len(), 1);
        assert_eq!(raised[0].code, AlertCode::QueueBacklog);
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
