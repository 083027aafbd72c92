//! Security events from bad credentials. Each refused token or cookie is worth knowing about,
//! but a row per request would let anyone grow the table as fast as they can send requests: one
//! row stands for a kind of failure from one source (an IPv4 address or an IPv6 /64) within a
//! minute, and its count is brought up to date by the periodic upkeep.

use crate::accounts::service::ip_key;
use crate::credentials::service::Credentials;
use crate::credentials::units;
use crate::services::RequestMeta;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tseeder_protocol::SecurityEventKind;

/// How long one row keeps counting the same failure from the same source.
const WINDOW: Duration = Duration::from_secs(60);

/// Sources tracked at most; past it, failures of every new source share one row per kind.
const MAX_SOURCES: usize = 50_000;

const OVERFLOW_SOURCE: &str = "many sources";

#[derive(Debug, Default)]
pub struct FailureTally {
    rows: Mutex<HashMap<(SecurityEventKind, String), Tally>>,
}

#[derive(Debug, Clone, Copy)]
struct Tally {
    started: Instant,
    row_id: i64,
    count: u64,
    written: u64,
}

impl FailureTally {
    fn rows(&self) -> std::sync::MutexGuard<'_, HashMap<(SecurityEventKind, String), Tally>> {
        self.rows
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Counts a failure into the source's open row; false when it needs a new row.
    fn count(&self, key: &(SecurityEventKind, String), now: Instant) -> bool {
        match self.rows().get_mut(key) {
            Some(tally) if now.duration_since(tally.started) < WINDOW => {
                tally.count += 1;
                true
            }
            _ => false,
        }
    }
}

pub(crate) fn detail(count: u64) -> serde_json::Value {
    serde_json::json!({ "count": count, "windowSeconds": WINDOW.as_secs() })
}

impl Credentials<'_> {
    pub async fn record_bad_credential(&self, kind: SecurityEventKind, meta: &RequestMeta) {
        let tally = self.services.failure_tally();
        let mut source = ip_key(meta);
        let now = Instant::now();
        if tally.count(&(kind, source.clone()), now) {
            return;
        }
        if tally.rows().len() >= MAX_SOURCES {
            source = OVERFLOW_SOURCE.to_owned();
            if tally.count(&(kind, source.clone()), now) {
                return;
            }
        }
        let inserted = self
            .services
            .security_event(kind, None, None, meta, detail(1))
            .await;
        if let Some(row_id) = inserted {
            tally.rows().insert(
                (kind, source),
                Tally {
                    started: now,
                    row_id,
                    count: 1,
                    written: 1,
                },
            );
        }
    }

    /// Writes the counts that grew since the last time and forgets windows that ended.
    pub async fn flush_failure_tally(&self) {
        let now = Instant::now();
        let changed: Vec<(i64, u64)> = {
            let mut rows = self.services.failure_tally().rows();
            let changed = rows
                .values_mut()
                .filter(|t| t.count > t.written)
                .map(|t| {
                    t.written = t.count;
                    (t.row_id, t.count)
                })
                .collect();
            rows.retain(|_, t| now.duration_since(t.started) < WINDOW);
            changed
        };
        if changed.is_empty() {
            return;
        }
        let result = units::recount_failures(self.services.db(), changed).await;
        if let Err(err) = result {
            tracing::error!(%err, "could not update security event counts");
        }
    }
}
