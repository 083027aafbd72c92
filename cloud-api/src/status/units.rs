//! The status page's units of work: components' states sampled, incidents opened, updated and
//! resolved, maintenance planned, each one store operation with its audit row where an operator
//! acted, so a service never holds a transaction; and the reads the snapshot, the history and
//! the incidents take, each one store call.

use super::store::{self as q, IncidentRow, MaintenanceRow};
use crate::audit::actor::Actor;
use crate::error::{ApiError, ApiResult};
use crate::store::{DbResult, Store};
use std::collections::BTreeSet;
use tseeder_protocol::{AuditAction, ComponentState, ErrorCode, IncidentStatus, UpdateIncident};

/// Records the components' states at `at`, each counting `seconds` (a component inside a
/// planned maintenance window as in maintenance), and forgets samples older than `kept_after`.
pub async fn record_samples(
    store: &Store,
    at: i64,
    day: String,
    states: Vec<(String, ComponentState)>,
    seconds: i64,
    kept_after: i64,
) -> DbResult<()> {
    store
        .transaction(move |tx| {
            let maintained: BTreeSet<String> = q::maintenance_ending_after(tx, at)?
                .into_iter()
                .filter(|window| window.starts_at <= at)
                .flat_map(|window| window.components)
                .collect();
            for (component, state) in &states {
                let state = (!maintained.contains(component)).then_some(*state);
                q::record_sample(tx, component, at, &day, state, seconds)?;
            }
            q::prune_samples(tx, kept_after)?;
            Ok(())
        })
        .await
}

/// Cancels a planned maintenance window, with the operator's audit row.
pub(crate) async fn cancel_maintenance(
    store: &Store,
    who: Actor,
    mid: String,
    now: i64,
) -> ApiResult<()> {
    store
        .transaction_with(move |tx| -> ApiResult<()> {
            if !q::cancel_maintenance(tx, &mid, now)? {
                return Err(ApiError::NotFound);
            }
            who.record(
                tx,
                AuditAction::MaintenanceCancel,
                &mid,
                serde_json::json!({}),
            )?;
            Ok(())
        })
        .await
}

/// Plans a maintenance window, with the operator's audit row.
pub(crate) async fn schedule_maintenance(
    store: &Store,
    who: Actor,
    stored: MaintenanceRow,
    now: i64,
) -> DbResult<()> {
    store
        .transaction(move |tx| {
            q::insert_maintenance(tx, &stored, now)?;
            who.record(
                tx,
                AuditAction::MaintenanceSchedule,
                &stored.id,
                serde_json::json!({
                    "title": stored.title, "components": stored.components,
                    "startsAt": stored.starts_at, "endsAt": stored.ends_at,
                }),
            )
        })
        .await
}

/// Adds an update to an open incident (resolving it when its status says so), with the
/// operator's audit row; a resolved incident takes no more.
pub(crate) async fn update_incident(
    store: &Store,
    who: Actor,
    iid: String,
    req: UpdateIncident,
    note: String,
    now: i64,
) -> ApiResult<()> {
    store
        .transaction_with(move |tx| -> ApiResult<()> {
            let incident = q::incident(tx, &iid)?.ok_or(ApiError::NotFound)?;
            if incident.status == IncidentStatus::Resolved.as_str() {
                return Err(ApiError::conflict(
                    ErrorCode::IncidentResolved,
                    "the incident is resolved; open a new one",
                ));
            }
            let severity = req
                .severity
                .map_or(incident.severity.clone(), |s| s.as_str().to_owned());
            let resolved = req.status == IncidentStatus::Resolved;
            q::update_incident(
                tx,
                &iid,
                req.status.as_str(),
                &severity,
                resolved.then_some(now),
            )?;
            q::insert_update(tx, &iid, req.status.as_str(), &note, now)?;
            who.record(
                tx,
                if resolved {
                    AuditAction::IncidentResolve
                } else {
                    AuditAction::IncidentUpdate
                },
                &iid,
                serde_json::json!({
                    "from": incident.status, "to": req.status, "severity": severity,
                }),
            )?;
            Ok(())
        })
        .await
}

/// Opens an incident with its first update and the operator's audit row.
pub(crate) async fn open_incident(
    store: &Store,
    who: Actor,
    row: IncidentRow,
    note: String,
    now: i64,
) -> DbResult<()> {
    store
        .transaction(move |tx| {
            q::insert_incident(tx, &row)?;
            q::insert_update(tx, &row.id, &row.status, &note, now)?;
            who.record(
                tx,
                AuditAction::IncidentOpen,
                &row.id,
                serde_json::json!({
                    "title": row.title, "component": row.component, "severity": row.severity,
                }),
            )
        })
        .await
}

/// What the status snapshot reads: the queue's depth and oldest claimable job, the agents,
/// and the latest storage (and Seedr) probe samples.
pub async fn snapshot_reads(
    store: &Store,
    now: i64,
    seedr_configured: bool,
) -> DbResult<(
    u64,
    Option<i64>,
    Vec<crate::agents::store::AgentRow>,
    Option<(String, i64)>,
    Option<(String, i64)>,
)> {
    store
        .call(move |conn| {
            let queued = crate::dispatch::store::queue_depth(conn)?;
            let oldest = crate::admin::store::oldest_claimable_since(conn, now)?;
            let list = crate::agents::store::list_agents(conn, None)?;
            let storage = q::latest_sample(conn, "storage")?;
            let seedr = if seedr_configured {
                q::latest_sample(conn, "seedr")?
            } else {
                None
            };
            Ok((queued, oldest, list, storage, seedr))
        })
        .await
}

/// The updates of each incident, in the order given.
pub async fn updates_of(
    store: &Store,
    ids: Vec<String>,
) -> DbResult<Vec<Vec<(String, String, i64)>>> {
    store
        .call(move |tx| {
            ids.iter()
                .map(|id| q::updates_of(tx, id))
                .collect::<Result<Vec<_>, _>>()
        })
        .await
}

/// What the public history reads: each component's days, the last day's samples, the
/// incidents since `since` and the maintenance windows still to end.
pub async fn history_reads(
    store: &Store,
    since_day: String,
    now: i64,
    since: i64,
) -> DbResult<HistoryReads> {
    store
        .call(move |tx| {
            Ok((
                q::days(tx, &since_day)?,
                q::sample_seconds_since(tx, now - super::history::DAY_MS)?,
                q::incidents_since(tx, since)?,
                q::maintenance_ending_after(tx, now)?,
            ))
        })
        .await
}

/// What the public history is built from: each component's days, the last day's seconds by
/// state, the incidents and the maintenance windows.
pub type HistoryReads = (
    Vec<(String, String, q::Seconds)>,
    Vec<(String, q::Seconds)>,
    Vec<IncidentRow>,
    Vec<MaintenanceRow>,
);
