//! The operators' overview (counts, alerts, charts) and storage report, computed from the data
//! when asked.

use crate::admin::service::Admin;
use crate::admin::store as q;
use crate::audit::store as audit;
use crate::config::StorageBackend;
use crate::error::ApiResult;
use crate::status::service::{minutes, status_report, HOUR_MS, QUEUE_WAIT_DEGRADED_MS};
use crate::store as db;
use chrono::{Duration, Utc};
use tseeder_protocol::{
    AdminOverview, AgentCounts, Alert, AlertSeverity, DayCount, StorageReport, UserCounts,
    UserStorage,
};

const DAY_MS: i64 = 24 * HOUR_MS;

/// Days of history the overview's chart shows.
const CHART_DAYS: i64 = 14;

/// Failed sign-ins in the last hour that look like someone guessing passwords.
const LOGIN_FAILURES_ALERT: u64 = 20;

/// Storage use, in percent of the plan's quota, that raises an alert.
const NEAR_QUOTA_PERCENT: u64 = 90;

impl Admin<'_> {
    pub async fn overview(&self) -> ApiResult<AdminOverview> {
        let snapshot = self.services.status().snapshot().await;
        let now = db::now_ms();
        let since_chart = (Utc::now() - Duration::days(CHART_DAYS - 1))
            .date_naive()
            .and_hms_opt(0, 0, 0)
            .map(|start| start.and_utc().timestamp_millis())
            .unwrap_or(now - CHART_DAYS * DAY_MS);
        let (
            users,
            jobs_by_status,
            dead_letters,
            (storage_bytes, object_count),
            per_day,
            failed_last_hour,
            login_failures,
            near_quota,
        ) = self
            .services
            .db()
            .call(move |conn| {
                Ok((
                    q::user_totals(conn, now - 7 * DAY_MS)?,
                    q::jobs_by_status(conn)?,
                    q::dead_letter_count(conn)?,
                    q::storage_totals(conn)?,
                    q::jobs_per_day(conn, since_chart)?,
                    q::failed_since(conn, now - HOUR_MS)?,
                    audit::count_security_events_since(conn, "login_failed", now - HOUR_MS)?,
                    q::users_near_quota(conn, NEAR_QUOTA_PERCENT)?,
                ))
            })
            .await?;

        let mut alerts = Vec::new();
        let mut alert = |severity, code: &str, message: String, link: &str| {
            alerts.push(Alert {
                severity,
                code: code.into(),
                message,
                link: Some(link.into()),
            })
        };
        let tally = &snapshot.agents;
        if !snapshot.database_ok {
            alert(
                AlertSeverity::Critical,
                "database_unavailable",
                "The database does not answer".into(),
                "/admin",
            );
        }
        if tally.operator_online == 0 {
            alert(
                AlertSeverity::Critical,
                "no_agents",
                "No download agent is online: queued jobs cannot start".into(),
                "/admin/agents",
            );
        }
        if tally.stale > 0 {
            alert(
                AlertSeverity::Warning,
                "stale_agents",
                format!("{} agents have stopped sending heartbeats", tally.stale),
                "/admin/agents",
            );
        }
        if let Some(wait) = snapshot
            .oldest_wait_ms
            .filter(|wait| *wait > QUEUE_WAIT_DEGRADED_MS)
        {
            alert(
                AlertSeverity::Warning,
                "queue_backlog",
                format!(
                    "{} jobs are waiting; the oldest for {} min",
                    snapshot.queued_waiting,
                    minutes(wait)
                ),
                "/admin/jobs",
            );
        }
        if dead_letters > 0 {
            alert(
                AlertSeverity::Warning,
                "dead_letters",
                format!("{dead_letters} jobs ran out of attempts and wait for a decision"),
                "/admin/dead-letters",
            );
        }
        if failed_last_hour >= 3 {
            alert(
                AlertSeverity::Warning,
                "failures",
                format!("{failed_last_hour} jobs failed in the last hour"),
                "/admin/jobs",
            );
        }
        if login_failures >= LOGIN_FAILURES_ALERT {
            alert(
                AlertSeverity::Warning,
                "login_failures",
                format!("{login_failures} failed sign-ins in the last hour"),
                "/admin/security",
            );
        }
        if near_quota > 0 {
            alert(
                AlertSeverity::Warning,
                "storage_quota",
                format!(
                    "{near_quota} users have used {NEAR_QUOTA_PERCENT}% or more of their storage"
                ),
                "/admin/storage",
            );
        }

        let mut jobs_per_day = Vec::new();
        for offset in (0..CHART_DAYS).rev() {
            let day = (Utc::now() - Duration::days(offset))
                .format("%Y-%m-%d")
                .to_string();
            let found = per_day.iter().find(|(d, ..)| *d == day);
            let (created, completed, failed) = found.map_or((0, 0, 0), |r| (r.1, r.2, r.3));
            jobs_per_day.push(DayCount {
                day,
                created,
                completed,
                failed,
            });
        }
        Ok(AdminOverview {
            status: status_report(&snapshot),
            alerts,
            users: UserCounts {
                total: users.total,
                verified: users.verified,
                suspended: users.suspended,
                new_last_7_days: users.created_since,
            },
            jobs_by_status,
            dead_letters,
            agents: AgentCounts {
                online: tally.operator_online,
                stale: tally.stale,
                capacity: tally.capacity,
                active_jobs: tally.active_jobs,
            },
            storage_bytes,
            object_count,
            jobs_per_day,
        })
    }

    pub async fn storage_report(&self) -> ApiResult<StorageReport> {
        let ((total_bytes, object_count), rows) = self
            .services
            .db()
            .call(|conn| Ok((q::storage_totals(conn)?, q::storage_by_user(conn, 50)?)))
            .await?;
        Ok(StorageReport {
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
