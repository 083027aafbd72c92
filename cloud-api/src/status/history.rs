//! The status history: a sampler records each component's state (planned maintenance as such),
//! and the public history turns the daily records into a strip of days and uptime percentages
//! computed as Atlassian Statuspage does: major outage counts fully, partial outage 30 %,
//! degraded and planned maintenance not at all.

use super::service::{components, Status};
use super::store::{IncidentRow, Seconds};
use super::units;
use crate::error::{ApiError, ApiResult};
use crate::store as db;
use chrono::{Duration, NaiveDate, Utc};
use std::collections::BTreeMap;
use std::time::Instant;
use tseeder_protocol::{
    ComponentDay, ComponentHistory, ComponentState, DayState, ErrorCode, IncidentRef,
    IncidentSeverity, StatusHistory, Uptime,
};

pub(crate) const DAY_MS: i64 = 86_400_000;
/// Raw samples are kept this long: enough for the last 24 hours' uptime.
const SAMPLES_KEPT_MS: i64 = 2 * DAY_MS;
/// How far back the public history reaches (the daily records are kept longer).
pub const MAX_DAYS: u32 = 400;
/// A storage probe slower than this is degraded.
const SLOW_PROBE: std::time::Duration = std::time::Duration::from_secs(3);
const PROBE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(15);

/// The components of the status page, in the order it shows them; the Seedr provider only
/// where an account is configured.
pub const COMPONENTS: [(&str, &str); 5] = [
    ("api", "API"),
    ("queue", "Job queue"),
    ("agents", "Download agents"),
    ("storage", "File storage"),
    ("seedr", "Seedr provider"),
];

/// The components this deployment has.
pub fn components_here(seedr_configured: bool) -> Vec<(&'static str, &'static str)> {
    COMPONENTS
        .into_iter()
        .filter(|(id, _)| *id != "seedr" || seedr_configured)
        .collect()
}

pub fn is_component(id: &str) -> bool {
    COMPONENTS.iter().any(|(known, _)| *known == id)
}

fn day_of(ms: i64) -> String {
    db::to_datetime(ms).format("%Y-%m-%d").to_string()
}

/// Percent up: 100 × (1 − (major + 0.3 × partial) ÷ observed); none when nothing was observed.
pub fn uptime(seconds: &Seconds) -> Option<f64> {
    let observed = seconds.observed();
    if observed == 0 {
        return None;
    }
    let down = seconds.major as f64 + 0.3 * seconds.partial as f64;
    Some(100.0 * (1.0 - down / observed as f64))
}

fn day_state(seconds: Option<&Seconds>) -> DayState {
    match seconds {
        None => DayState::NoData,
        Some(s) if s.observed() == 0 => DayState::NoData,
        Some(s) if s.major > 0 => DayState::MajorOutage,
        Some(s) if s.partial > 0 => DayState::PartialOutage,
        Some(s) if s.degraded > 0 => DayState::Degraded,
        Some(s) if s.maintenance > 0 => DayState::Maintenance,
        Some(_) => DayState::Operational,
    }
}

fn minutes(seconds: i64) -> u64 {
    (seconds.max(0) as u64).div_ceil(60)
}

/// The history of every component over the `days` days ending `today`.
pub fn build_history(
    components: &[(&str, &str)],
    days: u32,
    today: NaiveDate,
    day_rows: &[(String, String, Seconds)],
    last_24h: &[(String, Seconds)],
    incidents: &[IncidentRow],
) -> Vec<ComponentHistory> {
    let day_start = |day: NaiveDate| {
        day.and_hms_opt(0, 0, 0)
            .map(|t| t.and_utc().timestamp_millis())
            .unwrap_or_default()
    };
    components
        .iter()
        .map(|(id, name)| {
            let recorded: BTreeMap<&str, &Seconds> = day_rows
                .iter()
                .filter(|(component, _, _)| component == id)
                .map(|(_, day, seconds)| (day.as_str(), seconds))
                .collect();
            let total_over = |period: i64| {
                let mut total = Seconds::default();
                for offset in 0..period {
                    let day = (today - Duration::days(offset))
                        .format("%Y-%m-%d")
                        .to_string();
                    if let Some(seconds) = recorded.get(day.as_str()) {
                        total.add(seconds);
                    }
                }
                total
            };
            let strip = (0..i64::from(days))
                .rev()
                .map(|offset| {
                    let date = today - Duration::days(offset);
                    let day = date.format("%Y-%m-%d").to_string();
                    let seconds = recorded.get(day.as_str()).copied();
                    let (from, to) = (day_start(date), day_start(date) + DAY_MS);
                    let s = seconds.cloned().unwrap_or_default();
                    ComponentDay {
                        state: day_state(seconds),
                        downtime_minutes: minutes(s.major + s.partial),
                        major_outage_minutes: minutes(s.major),
                        partial_outage_minutes: minutes(s.partial),
                        degraded_minutes: minutes(s.degraded),
                        maintenance_minutes: minutes(s.maintenance),
                        observed_minutes: minutes(s.observed()),
                        incidents: incidents
                            .iter()
                            .filter(|i| {
                                i.component == *id
                                    && i.started_at < to
                                    && i.resolved_at.is_none_or(|end| end >= from)
                            })
                            .map(|i| IncidentRef {
                                id: i.id.clone(),
                                title: i.title.clone(),
                                severity: IncidentSeverity::parse(&i.severity)
                                    .unwrap_or(IncidentSeverity::Minor),
                            })
                            .collect(),
                        day,
                    }
                })
                .collect();
            ComponentHistory {
                id: (*id).to_owned(),
                name: (*name).to_owned(),
                uptime: Uptime {
                    last_24h: last_24h
                        .iter()
                        .find(|(component, _)| component == id)
                        .and_then(|(_, seconds)| uptime(seconds)),
                    last_7d: uptime(&total_over(7)),
                    last_30d: uptime(&total_over(30)),
                    last_90d: uptime(&total_over(90)),
                },
                days: strip,
            }
        })
        .collect()
}

impl Status<'_> {
    /// Samples every component now and records it (the sampler's tick).
    pub async fn sample(&self, interval_seconds: i64) -> ApiResult<()> {
        let snapshot = self.snapshot().await;
        let mut states: Vec<(String, ComponentState)> = components(&snapshot)
            .into_iter()
            // Probed below: the snapshot only repeats the last probe.
            .filter(|c| c.id != "storage" && c.id != "seedr")
            .map(|c| (c.id, c.state))
            .collect();
        states.push(("storage".into(), self.probe_storage().await));
        if self.services.providers().seedr_configured() {
            states.push(("seedr".into(), self.probe_seedr().await));
        }
        self.record(db::now_ms(), &states, interval_seconds).await
    }

    /// Writes, reads back and deletes a small object: the store works only if all three do.
    async fn probe_storage(&self) -> ComponentState {
        let started = Instant::now();
        let probe = async {
            let key = tseeder_storage::ObjectKey::parse(&format!(
                "status/probe-{}",
                uuid::Uuid::now_v7()
            ))
            .map_err(|err| err.to_string())?;
            let content = crate::crypto::random_token(24);
            let file = self
                .services
                .settings()
                .data_dir
                .join(format!(".status-probe-{}", uuid::Uuid::now_v7()));
            tokio::fs::write(&file, content.as_bytes())
                .await
                .map_err(|err| err.to_string())?;
            let store = self.services.store();
            let put = store.put_file(&key, &file).await;
            let _ = tokio::fs::remove_file(&file).await;
            put.map_err(|err| err.to_string())?;
            let read = async {
                use futures_util::TryStreamExt;
                let chunks: Vec<bytes::Bytes> = store.read(&key).await?.try_collect().await?;
                Ok::<_, tseeder_storage::StorageError>(chunks.concat())
            }
            .await;
            let deleted = store.delete(&key).await;
            let read = read.map_err(|err| err.to_string())?;
            deleted.map_err(|err| err.to_string())?;
            if read != content.as_bytes() {
                return Err("read back other bytes than were written".to_owned());
            }
            Ok::<_, String>(())
        };
        match tokio::time::timeout(PROBE_TIMEOUT, probe).await {
            Ok(Ok(())) if started.elapsed() > SLOW_PROBE => ComponentState::Degraded,
            Ok(Ok(())) => ComponentState::Operational,
            Ok(Err(err)) => {
                tracing::warn!(%err, "storage probe failed");
                ComponentState::Outage
            }
            Err(_) => {
                tracing::warn!("storage probe timed out");
                ComponentState::Outage
            }
        }
    }

    /// Seedr's account: refused or unreachable is an outage, nearly full is degraded.
    async fn probe_seedr(&self) -> ComponentState {
        use crate::providers::seedr::client::{SeedrClient, SeedrError};
        let probe = async {
            let client = SeedrClient::new(&self.services.settings().providers.seedr)?;
            client.root().await
        };
        match probe.await {
            Ok(root) if root.space_max > 0.0 && root.space_used / root.space_max >= 0.95 => {
                ComponentState::Degraded
            }
            Ok(_) => ComponentState::Operational,
            Err(err @ (SeedrError::Unauthorized | SeedrError::Unavailable(_))) => {
                tracing::warn!(%err, "Seedr probe failed");
                ComponentState::Outage
            }
            Err(err) => {
                tracing::warn!(%err, "Seedr probe failed");
                ComponentState::Degraded
            }
        }
    }

    /// Records the components' states at `at`, each counting `seconds`; a component inside a
    /// planned maintenance window is recorded as in maintenance whatever its state.
    pub async fn record(
        &self,
        at: i64,
        states: &[(String, ComponentState)],
        seconds: i64,
    ) -> ApiResult<()> {
        let states = states.to_vec();
        let day = day_of(at);
        let kept_after = at - SAMPLES_KEPT_MS;
        units::record_samples(self.services.db(), at, day, states, seconds, kept_after).await?;
        Ok(())
    }

    /// The public history of the last `days` days.
    pub async fn history(&self, days: u32) -> ApiResult<StatusHistory> {
        if !(1..=MAX_DAYS).contains(&days) {
            return Err(ApiError::bad_request(
                ErrorCode::InvalidQuery,
                format!("days must be 1 to {MAX_DAYS}"),
            ));
        }
        let now = db::now_ms();
        let today = Utc::now().date_naive();
        let reach = days.max(90);
        let since_day = (today - Duration::days(i64::from(reach) - 1))
            .format("%Y-%m-%d")
            .to_string();
        let since = now - i64::from(days) * DAY_MS;
        let (day_rows, last_24h, incidents, windows) =
            units::history_reads(self.services.db(), since_day, now, since).await?;
        let here = components_here(self.services.providers().seedr_configured());
        let components = build_history(&here, days, today, &day_rows, &last_24h, &incidents);
        Ok(StatusHistory {
            days,
            components,
            incidents: self.incident_views(incidents).await?,
            maintenance: windows
                .into_iter()
                .map(super::incidents::maintenance_view)
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seconds(
        operational: i64,
        degraded: i64,
        partial: i64,
        major: i64,
        maintenance: i64,
    ) -> Seconds {
        Seconds {
            operational,
            degraded,
            partial,
            major,
            maintenance,
        }
    }

    #[test]
    fn uptime_counts_major_fully_partial_at_30_percent_and_nothing_else() {
        assert_eq!(uptime(&seconds(0, 0, 0, 0, 0)), None);
        assert_eq!(uptime(&seconds(100, 0, 0, 0, 0)), Some(100.0));
        assert_eq!(uptime(&seconds(90, 0, 0, 10, 0)), Some(90.0));
        assert_eq!(uptime(&seconds(90, 0, 10, 0, 0)), Some(97.0));
        assert_eq!(uptime(&seconds(50, 30, 0, 0, 20)), Some(100.0));
    }

    #[test]
    fn a_day_shows_its_worst_state_and_days_without_records_have_no_data() {
        let today = NaiveDate::from_ymd_opt(2026, 3, 10).expect("date");
        let rows = vec![
            (
                "api".to_owned(),
                "2026-03-09".to_owned(),
                seconds(3000, 60, 0, 120, 0),
            ),
            (
                "api".to_owned(),
                "2026-03-10".to_owned(),
                seconds(600, 0, 0, 0, 60),
            ),
            (
                "queue".to_owned(),
                "2026-03-10".to_owned(),
                seconds(600, 0, 60, 0, 0),
            ),
        ];
        let history = build_history(&components_here(false), 3, today, &rows, &[], &[]);
        let api = &history[0];
        assert_eq!(api.id, "api");
        let states: Vec<DayState> = api.days.iter().map(|d| d.state).collect();
        assert_eq!(
            states,
            [
                DayState::NoData,
                DayState::MajorOutage,
                DayState::Maintenance
            ]
        );
        assert_eq!(api.days[1].downtime_minutes, 2);
        assert_eq!(api.days[0].day, "2026-03-08");
        assert_eq!(history[1].days[2].state, DayState::PartialOutage);
        // 7 days: 120 s down of 3840 observed.
        let expected = 100.0 * (1.0 - 120.0 / 3840.0);
        assert!((api.uptime.last_7d.expect("uptime") - expected).abs() < 1e-9);
        assert_eq!(history[2].uptime.last_90d, None, "agents never sampled");
    }
}
