//! The public status page and site settings. Component states are computed from the data when
//! asked, never stored or hard-coded.

use super::units;
use crate::accounts::service::MIN_PASSWORD_CHARS;
use crate::services::Services;
use crate::store as db;
use chrono::Utc;
use tseeder_protocol::{
    AgentKind, CaptchaWidget, ComponentState, ComponentStatus, SiteConfig, StatusReport,
};

pub(crate) const HOUR_MS: i64 = 3_600_000;

/// A queued job waiting this long for an agent degrades the queue.
/// The queue's wait threshold when none is set (the `alerts.queue_wait_minutes` default).
#[cfg(test)]
pub(crate) const QUEUE_WAIT_DEGRADED_MS: i64 = 5 * 60_000;

/// Agents as the status page and overview count them.
#[derive(Default)]
pub(crate) struct AgentTally {
    pub(crate) operator_total: u64,
    pub(crate) operator_online: u64,
    pub(crate) stale: u64,
    pub(crate) capacity: u64,
    pub(crate) active_jobs: u64,
}

pub(crate) struct Snapshot {
    pub(crate) database_ok: bool,
    pub(crate) queued_waiting: u64,
    pub(crate) oldest_wait_ms: Option<i64>,
    /// A wait longer than this degrades the queue (`alerts.queue_wait_minutes`).
    pub(crate) queue_wait_limit_ms: i64,
    pub(crate) agents: AgentTally,
    /// The newest storage probe's state and when it ran (the sampler probes; a visitor never
    /// makes the service write).
    pub(crate) storage: Option<(ComponentState, i64)>,
    /// The newest probe of the Seedr account, where one is configured.
    pub(crate) seedr: Option<(ComponentState, i64)>,
}

pub(crate) fn worst(states: impl IntoIterator<Item = ComponentState>) -> ComponentState {
    states
        .into_iter()
        .max_by_key(|state| match state {
            ComponentState::Operational => 0,
            ComponentState::Degraded => 1,
            ComponentState::PartialOutage => 2,
            ComponentState::Outage => 3,
        })
        .unwrap_or(ComponentState::Operational)
}

pub(crate) fn minutes(ms: i64) -> i64 {
    (ms / 60_000).max(1)
}

pub(crate) fn components(snapshot: &Snapshot) -> Vec<ComponentStatus> {
    let api = if snapshot.database_ok {
        (ComponentState::Operational, "Accepting requests".to_owned())
    } else {
        (
            ComponentState::Outage,
            "The database does not answer".to_owned(),
        )
    };
    let queue = match snapshot.oldest_wait_ms {
        Some(wait) if wait > snapshot.queue_wait_limit_ms => (
            ComponentState::Degraded,
            format!(
                "{} jobs waiting; the longest for {} min",
                snapshot.queued_waiting,
                minutes(wait)
            ),
        ),
        _ if snapshot.queued_waiting == 0 => {
            (ComponentState::Operational, "No job is waiting".to_owned())
        }
        _ => (
            ComponentState::Operational,
            format!("{} jobs waiting for an agent", snapshot.queued_waiting),
        ),
    };
    let tally = &snapshot.agents;
    let agents = if tally.operator_online == 0 {
        (
            ComponentState::Outage,
            "No download agent is online".to_owned(),
        )
    } else if tally.operator_online * 2 < tally.operator_total {
        (
            ComponentState::PartialOutage,
            format!(
                "Only {} of {} agents online",
                tally.operator_online, tally.operator_total
            ),
        )
    } else if tally.operator_online < tally.operator_total {
        (
            ComponentState::Degraded,
            format!(
                "{} of {} agents online",
                tally.operator_online, tally.operator_total
            ),
        )
    } else {
        (
            ComponentState::Operational,
            format!(
                "{} of {} agents online",
                tally.operator_online, tally.operator_total
            ),
        )
    };
    let storage = snapshot.storage.map(|(state, at)| {
        let ago = match db::now_ms() - at {
            ms if ms < 60_000 => "less than a minute ago".to_owned(),
            ms => format!("{} min ago", minutes(ms)),
        };
        let detail = match state {
            ComponentState::Operational => {
                format!("Files were written, read and deleted {ago}")
            }
            ComponentState::Degraded => format!("Slow to write and read files ({ago})"),
            _ => format!("Files could not be written or read ({ago})"),
        };
        (state, detail)
    });
    let seedr = snapshot.seedr.map(|(state, at)| {
        let ago = match db::now_ms() - at {
            ms if ms < 60_000 => "less than a minute ago".to_owned(),
            ms => format!("{} min ago", minutes(ms)),
        };
        let detail = match state {
            ComponentState::Operational => format!("Seedr accepted the account {ago}"),
            ComponentState::Degraded => format!("Seedr's account is nearly full ({ago})"),
            _ => format!("Seedr refused the account or did not answer ({ago})"),
        };
        (state, detail)
    });
    [
        ("api", "API", Some(api)),
        ("queue", "Job queue", Some(queue)),
        ("agents", "Download agents", Some(agents)),
        ("storage", "File storage", storage),
        ("seedr", "Seedr provider", seedr),
    ]
    .into_iter()
    .filter_map(|(id, name, state)| state.map(|state| (id, name, state)))
    .map(|(id, name, (state, detail))| ComponentStatus {
        id: id.into(),
        name: name.into(),
        state,
        detail,
    })
    .collect()
}

pub(crate) fn status_report(snapshot: &Snapshot) -> StatusReport {
    let components = components(snapshot);
    StatusReport {
        state: worst(components.iter().map(|c| c.state)),
        components,
        checked_at: Utc::now(),
    }
}

/// The public site settings and the status page.
#[derive(Debug, Clone, Copy)]
pub struct Status<'a> {
    pub(crate) services: &'a Services,
}

impl<'a> Status<'a> {
    pub(crate) fn new(services: &'a Services) -> Self {
        Status { services }
    }
}

impl Status<'_> {
    pub fn site_config(&self) -> SiteConfig {
        let captcha = &self.services.settings().captcha;
        let runtime = self.services.runtime();
        let banner = runtime.maintenance.banner.trim();
        SiteConfig {
            registration_open: runtime.registration.open,
            maintenance_banner: (!banner.is_empty()).then(|| banner.to_owned()),
            version: env!("CARGO_PKG_VERSION").into(),
            min_password_chars: MIN_PASSWORD_CHARS as u32,
            min_reason_chars: tseeder_protocol::fields::MIN_REASON_CHARS as u32,
            captcha: match (&captcha.verify_url, &captcha.site_key) {
                (Some(_), Some(site_key)) => Some(CaptchaWidget {
                    site_key: site_key.clone(),
                    script_url: captcha.script_url.clone(),
                }),
                _ => None,
            },
        }
    }

    pub(crate) async fn snapshot(&self) -> Snapshot {
        let runtime = self.services.runtime();
        let stale_ms = runtime.dispatch.stale_after_seconds as i64 * 1000;
        let queue_wait_limit_ms = i64::from(runtime.alerts.queue_wait_minutes) * 60_000;
        let now = db::now_ms();
        let seedr_configured = self.services.providers().seedr_configured();
        let read = units::snapshot_reads(self.services.db(), now, seedr_configured).await;
        let Ok((queued_waiting, oldest, list, storage, seedr)) = read.inspect_err(|err| {
            tracing::error!(%err, "status: the database does not answer");
        }) else {
            return Snapshot {
                database_ok: false,
                queued_waiting: 0,
                oldest_wait_ms: None,
                queue_wait_limit_ms,
                agents: AgentTally::default(),
                storage: None,
                seedr: None,
            };
        };
        let mut tally = AgentTally::default();
        for agent in list.iter().filter(|a| a.revoked_at.is_none()) {
            let online = agent
                .last_seen_at
                .is_some_and(|seen| now - seen <= stale_ms);
            if agent.kind == AgentKind::Operator {
                tally.operator_total += 1;
                if online {
                    tally.operator_online += 1;
                    tally.capacity += u64::from(agent.capacity);
                } else {
                    tally.stale += 1;
                }
            }
            tally.active_jobs += u64::from(agent.active_jobs);
        }
        Snapshot {
            database_ok: true,
            queued_waiting,
            oldest_wait_ms: oldest.map(|since| now - since),
            queue_wait_limit_ms,
            agents: tally,
            // In maintenance (or an unknown name) the page says what the probe cannot.
            storage: storage.and_then(|(name, at)| {
                super::store::state_of_name(&name)
                    .flatten()
                    .map(|state| (state, at))
            }),
            seedr: seedr.and_then(|(name, at)| {
                super::store::state_of_name(&name)
                    .flatten()
                    .map(|state| (state, at))
            }),
        }
    }

    pub async fn report(&self) -> StatusReport {
        status_report(&self.snapshot().await)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot(online: u64, total: u64, queued: u64, wait_ms: Option<i64>) -> Snapshot {
        Snapshot {
            database_ok: true,
            queued_waiting: queued,
            oldest_wait_ms: wait_ms,
            queue_wait_limit_ms: QUEUE_WAIT_DEGRADED_MS,
            storage: None,
            seedr: None,
            agents: AgentTally {
                operator_total: total,
                operator_online: online,
                stale: total - online,
                capacity: 4,
                active_jobs: 0,
            },
        }
    }

    #[test]
    fn the_worst_component_decides_the_overall_state() {
        let report = status_report(&snapshot(2, 2, 0, None));
        assert_eq!(report.state, ComponentState::Operational);
        let report = status_report(&snapshot(1, 2, 0, None));
        assert_eq!(report.state, ComponentState::Degraded);
        assert_eq!(report.components[2].detail, "1 of 2 agents online");
        let report = status_report(&snapshot(0, 1, 3, Some(10 * 60_000)));
        assert_eq!(report.state, ComponentState::Outage);
        assert_eq!(report.components[1].state, ComponentState::Degraded);
        assert_eq!(
            report.components[1].detail,
            "3 jobs waiting; the longest for 10 min"
        );
        // Fewer than half the agents online is a partial outage.
        let report = status_report(&snapshot(1, 3, 0, None));
        assert_eq!(report.state, ComponentState::PartialOutage);
        assert_eq!(
            report.components.len(),
            3,
            "no storage probe yet, no storage line"
        );
        let mut probed = snapshot(2, 2, 0, None);
        probed.storage = Some((ComponentState::Outage, crate::store::now_ms()));
        let report = status_report(&probed);
        assert_eq!(report.components[3].id, "storage");
        assert_eq!(report.state, ComponentState::Outage);
    }
}
