//! Queries of the status history: samples and their daily roll-up, incidents with their updates,
//! and maintenance windows.

use crate::store::{params, DbResult, OptionalExtension, Row, Tx};
use tseeder_protocol::ComponentState;

/// The day column a state's seconds add to; planned maintenance has its own.
fn column(state: Option<ComponentState>) -> &'static str {
    match state {
        None => "maintenance_seconds",
        Some(ComponentState::Operational) => "operational_seconds",
        Some(ComponentState::Degraded) => "degraded_seconds",
        Some(ComponentState::PartialOutage) => "partial_seconds",
        Some(ComponentState::Outage) => "major_seconds",
    }
}

pub fn state_name(state: Option<ComponentState>) -> &'static str {
    match state {
        None => "maintenance",
        Some(ComponentState::Operational) => "operational",
        Some(ComponentState::Degraded) => "degraded",
        Some(ComponentState::PartialOutage) => "partial_outage",
        Some(ComponentState::Outage) => "major_outage",
    }
}

/// The state a sample's name stands for; `Some(None)` is planned maintenance, `None` a name
/// this build does not know.
pub fn state_of_name(name: &str) -> Option<Option<ComponentState>> {
    Some(match name {
        "maintenance" => None,
        "operational" => Some(ComponentState::Operational),
        "degraded" => Some(ComponentState::Degraded),
        "partial_outage" => Some(ComponentState::PartialOutage),
        "major_outage" => Some(ComponentState::Outage),
        _ => return None,
    })
}

/// Records one sample (`None`: in planned maintenance) and adds its seconds to its day. A sample
/// already taken at that instant (another replica's) is not counted twice.
pub fn record_sample(
    conn: &Tx<'_>,
    component: &str,
    at: i64,
    day: &str,
    state: Option<ComponentState>,
    seconds: i64,
) -> DbResult<()> {
    let inserted = conn.execute(
        "INSERT INTO status_samples (component, at, state, seconds) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (component, at) DO NOTHING",
        params![component, at, state_name(state), seconds],
    )?;
    if inserted == 0 {
        return Ok(());
    }
    let column = column(state);
    conn.execute(
        &format!(
            "INSERT INTO status_days (component, day, {column}) VALUES (?1, ?2, ?3)
             ON CONFLICT (component, day) DO UPDATE SET {column} = status_days.{column} + ?3"
        ),
        params![component, day, seconds],
    )?;
    Ok(())
}

/// The newest sample of a component: its state's name and when.
pub fn latest_sample(conn: &Tx<'_>, component: &str) -> DbResult<Option<(String, i64)>> {
    conn.query_row(
        "SELECT state, at FROM status_samples WHERE component = ?1 ORDER BY at DESC LIMIT 1",
        params![component],
        |row| Ok((row.get("state")?, row.get("at")?)),
    )
    .optional()
}

pub fn prune_samples(conn: &Tx<'_>, before: i64) -> DbResult<usize> {
    conn.execute("DELETE FROM status_samples WHERE at < ?1", params![before])
}

/// Seconds of a component in each state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Seconds {
    pub operational: i64,
    pub degraded: i64,
    pub partial: i64,
    pub major: i64,
    pub maintenance: i64,
}

impl Seconds {
    pub fn observed(&self) -> i64 {
        self.operational + self.degraded + self.partial + self.major + self.maintenance
    }

    pub fn add(&mut self, other: &Seconds) {
        self.operational += other.operational;
        self.degraded += other.degraded;
        self.partial += other.partial;
        self.major += other.major;
        self.maintenance += other.maintenance;
    }
}

/// `(component, day, seconds)` from `since_day` on.
pub fn days(conn: &Tx<'_>, since_day: &str) -> DbResult<Vec<(String, String, Seconds)>> {
    conn.query_map(
        "SELECT component, day, operational_seconds, degraded_seconds, partial_seconds,
                major_seconds, maintenance_seconds
         FROM status_days WHERE day >= ?1 ORDER BY component, day",
        params![since_day],
        |row| {
            Ok((
                row.get("component")?,
                row.get("day")?,
                Seconds {
                    operational: row.get("operational_seconds")?,
                    degraded: row.get("degraded_seconds")?,
                    partial: row.get("partial_seconds")?,
                    major: row.get("major_seconds")?,
                    maintenance: row.get("maintenance_seconds")?,
                },
            ))
        },
    )
}

/// Each component's seconds per state since `since` (from the raw samples).
pub fn sample_seconds_since(conn: &Tx<'_>, since: i64) -> DbResult<Vec<(String, Seconds)>> {
    let rows = conn.query_map(
        "SELECT component, state, CAST(SUM(seconds) AS BIGINT) AS seconds
         FROM status_samples WHERE at >= ?1 GROUP BY component, state",
        params![since],
        |row| {
            Ok((
                row.get::<_, String>("component")?,
                row.get::<_, String>("state")?,
                row.get::<_, i64>("seconds")?,
            ))
        },
    )?;
    let mut by_component: Vec<(String, Seconds)> = Vec::new();
    for (component, state, seconds) in rows {
        let at = match by_component.iter().position(|(c, _)| *c == component) {
            Some(at) => at,
            None => {
                by_component.push((component, Seconds::default()));
                by_component.len() - 1
            }
        };
        let total = &mut by_component[at].1;
        match state_of_name(&state).flatten() {
            Some(ComponentState::Operational) => total.operational += seconds,
            Some(ComponentState::Degraded) => total.degraded += seconds,
            Some(ComponentState::PartialOutage) => total.partial += seconds,
            Some(ComponentState::Outage) => total.major += seconds,
            None => total.maintenance += seconds,
        }
    }
    Ok(by_component)
}

#[derive(Debug, Clone)]
pub struct IncidentRow {
    pub id: String,
    pub title: String,
    pub component: String,
    pub severity: String,
    pub status: String,
    pub started_at: i64,
    pub resolved_at: Option<i64>,
}

fn incident_from_row(row: &Row) -> DbResult<IncidentRow> {
    Ok(IncidentRow {
        id: row.get("id")?,
        title: row.get("title")?,
        component: row.get("component")?,
        severity: row.get("severity")?,
        status: row.get("status")?,
        started_at: row.get("started_at")?,
        resolved_at: row.get("resolved_at")?,
    })
}

const INCIDENT_COLUMNS: &str = "id, title, component, severity, status, started_at, resolved_at";

pub fn insert_incident(conn: &Tx<'_>, incident: &IncidentRow) -> DbResult<()> {
    conn.execute(
        "INSERT INTO status_incidents (id, title, component, severity, status, started_at,
                                       resolved_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            incident.id,
            incident.title,
            incident.component,
            incident.severity,
            incident.status,
            incident.started_at,
            incident.resolved_at
        ],
    )?;
    Ok(())
}

pub fn update_incident(
    conn: &Tx<'_>,
    id: &str,
    status: &str,
    severity: &str,
    resolved_at: Option<i64>,
) -> DbResult<()> {
    conn.execute(
        "UPDATE status_incidents SET status = ?1, severity = ?2, resolved_at = ?3 WHERE id = ?4",
        params![status, severity, resolved_at, id],
    )?;
    Ok(())
}

pub fn incident(conn: &Tx<'_>, id: &str) -> DbResult<Option<IncidentRow>> {
    conn.query_row(
        &format!("SELECT {INCIDENT_COLUMNS} FROM status_incidents WHERE id = ?1"),
        params![id],
        incident_from_row,
    )
    .optional()
}

/// Incidents open at any time since `since`, newest first.
pub fn incidents_since(conn: &Tx<'_>, since: i64) -> DbResult<Vec<IncidentRow>> {
    conn.query_map(
        &format!(
            "SELECT {INCIDENT_COLUMNS} FROM status_incidents
             WHERE resolved_at IS NULL OR resolved_at >= ?1 ORDER BY started_at DESC, id"
        ),
        params![since],
        incident_from_row,
    )
}

/// Every incident, newest first, paged.
pub fn incidents_page(conn: &Tx<'_>, limit: u32, offset: u64) -> DbResult<(Vec<IncidentRow>, u64)> {
    let rows = conn.query_map(
        &format!(
            "SELECT {INCIDENT_COLUMNS} FROM status_incidents
             ORDER BY started_at DESC, id LIMIT ?1 OFFSET ?2"
        ),
        params![i64::from(limit), offset as i64],
        incident_from_row,
    )?;
    let total: i64 = conn.query_row("SELECT COUNT(*) FROM status_incidents", params![], |row| {
        row.get(0)
    })?;
    Ok((rows, total.max(0) as u64))
}

pub fn insert_update(
    conn: &Tx<'_>,
    incident_id: &str,
    status: &str,
    note: &str,
    now: i64,
) -> DbResult<()> {
    conn.execute(
        "INSERT INTO status_incident_updates (incident_id, status, note, created_at)
         VALUES (?1, ?2, ?3, ?4)",
        params![incident_id, status, note, now],
    )?;
    Ok(())
}

/// `(status, note, created_at)` of an incident's updates, newest first.
pub fn updates_of(conn: &Tx<'_>, incident_id: &str) -> DbResult<Vec<(String, String, i64)>> {
    conn.query_map(
        "SELECT status, note, created_at FROM status_incident_updates
         WHERE incident_id = ?1 ORDER BY id DESC",
        params![incident_id],
        |row| Ok((row.get("status")?, row.get("note")?, row.get("created_at")?)),
    )
}

#[derive(Debug, Clone)]
pub struct MaintenanceRow {
    pub id: String,
    pub title: String,
    pub components: Vec<String>,
    pub starts_at: i64,
    pub ends_at: i64,
}

fn maintenance_from_row(row: &Row) -> DbResult<MaintenanceRow> {
    let components: String = row.get("components")?;
    Ok(MaintenanceRow {
        id: row.get("id")?,
        title: row.get("title")?,
        components: components.split(',').map(str::to_owned).collect(),
        starts_at: row.get("starts_at")?,
        ends_at: row.get("ends_at")?,
    })
}

pub fn insert_maintenance(conn: &Tx<'_>, window: &MaintenanceRow, now: i64) -> DbResult<()> {
    conn.execute(
        "INSERT INTO status_maintenance (id, title, components, starts_at, ends_at, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            window.id,
            window.title,
            window.components.join(","),
            window.starts_at,
            window.ends_at,
            now
        ],
    )?;
    Ok(())
}

/// Cancels a window not over yet; false when there is none of that id.
pub fn cancel_maintenance(conn: &Tx<'_>, id: &str, now: i64) -> DbResult<bool> {
    Ok(conn.execute(
        "UPDATE status_maintenance SET cancelled_at = ?1
         WHERE id = ?2 AND cancelled_at IS NULL AND ends_at > ?1",
        params![now, id],
    )? > 0)
}

/// Windows not cancelled that end after `after`, soonest first.
pub fn maintenance_ending_after(conn: &Tx<'_>, after: i64) -> DbResult<Vec<MaintenanceRow>> {
    conn.query_map(
        "SELECT id, title, components, starts_at, ends_at FROM status_maintenance
         WHERE cancelled_at IS NULL AND ends_at > ?1 ORDER BY starts_at, id",
        params![after],
        maintenance_from_row,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_reads_back_from_its_name() {
        for state in [
            None,
            Some(ComponentState::Operational),
            Some(ComponentState::Degraded),
            Some(ComponentState::PartialOutage),
            Some(ComponentState::Outage),
        ] {
            assert_eq!(state_of_name(state_name(state)), Some(state));
        }
        assert_eq!(state_of_name("exploded"), None);
    }
}
