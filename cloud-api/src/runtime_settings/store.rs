//! Queries on the versions of the runtime settings, and on the plan columns that plan settings
//! are kept in.

use crate::store::{params, DbError, DbResult, OptionalExtension, Row, Tx};
use std::collections::BTreeMap;
use tseeder_protocol::SettingChange;

/// Keys changed at runtime and their values.
pub type Overrides = BTreeMap<String, serde_json::Value>;

#[derive(Debug, Clone)]
pub struct VersionRow {
    pub version: u64,
    pub overrides: Overrides,
    pub changes: Vec<SettingChange>,
    pub actor_id: Option<String>,
    pub actor_email: String,
    pub reason: String,
    pub ticket_id: String,
    pub rollback_of: Option<u64>,
    pub created_at: i64,
}

fn json<T: serde::de::DeserializeOwned>(row: &Row, column: &str) -> DbResult<T> {
    let text: String = row.get(column)?;
    serde_json::from_str(&text).map_err(|err| DbError::Corrupt(format!("{column}: {err}")))
}

fn version_from_row(row: &Row) -> DbResult<VersionRow> {
    Ok(VersionRow {
        version: row.get::<_, i64>("version")? as u64,
        overrides: json(row, "overrides")?,
        changes: json(row, "changes")?,
        actor_id: row.get("actor_id")?,
        actor_email: row.get("actor_email")?,
        reason: row.get("reason")?,
        ticket_id: row.get("ticket_id")?,
        rollback_of: row.get::<_, Option<i64>>("rollback_of")?.map(|v| v as u64),
        created_at: row.get("created_at")?,
    })
}

const COLUMNS: &str =
    "version, overrides, changes, actor_id, actor_email, reason, ticket_id, rollback_of, created_at";

/// The newest version, if any change was ever made.
pub fn latest(conn: &Tx<'_>) -> DbResult<Option<VersionRow>> {
    conn.query_row(
        &format!("SELECT {COLUMNS} FROM settings_versions ORDER BY version DESC LIMIT 1"),
        params![],
        version_from_row,
    )
    .optional()
}

pub fn version(conn: &Tx<'_>, version: u64) -> DbResult<Option<VersionRow>> {
    conn.query_row(
        &format!("SELECT {COLUMNS} FROM settings_versions WHERE version = ?1"),
        params![version as i64],
        version_from_row,
    )
    .optional()
}

/// Newest first.
pub fn history(conn: &Tx<'_>, limit: u32, offset: u64) -> DbResult<(Vec<VersionRow>, u64)> {
    let rows = conn.query_map(
        &format!(
            "SELECT {COLUMNS} FROM settings_versions ORDER BY version DESC LIMIT ?1 OFFSET ?2"
        ),
        params![i64::from(limit), offset as i64],
        version_from_row,
    )?;
    let total: i64 =
        conn.query_row("SELECT COUNT(*) FROM settings_versions", params![], |row| {
            row.get(0)
        })?;
    Ok((rows, total.max(0) as u64))
}

/// The value each key had before it was first changed at runtime: what "back to the default"
/// means for settings kept outside the configuration file (plan limits and prices).
pub fn values_before_first_change(conn: &Tx<'_>) -> DbResult<Overrides> {
    let versions = conn.query_map(
        "SELECT changes FROM settings_versions ORDER BY version",
        params![],
        |row| json::<Vec<SettingChange>>(row, "changes"),
    )?;
    let mut first = Overrides::new();
    for change in versions.into_iter().flatten() {
        first.entry(change.key).or_insert(change.old);
    }
    Ok(first)
}

#[derive(Debug)]
pub struct NewVersion<'a> {
    pub version: u64,
    pub overrides: &'a Overrides,
    pub changes: &'a [SettingChange],
    pub actor_id: &'a str,
    pub actor_email: &'a str,
    pub reason: &'a str,
    pub ticket_id: &'a str,
    pub rollback_of: Option<u64>,
    pub now: i64,
}

/// Writes the version; a version written meanwhile by someone else makes this a unique
/// violation.
pub fn insert_version(conn: &Tx<'_>, new: &NewVersion<'_>) -> DbResult<()> {
    let overrides =
        serde_json::to_string(new.overrides).map_err(|e| DbError::Corrupt(e.to_string()))?;
    let changes =
        serde_json::to_string(new.changes).map_err(|e| DbError::Corrupt(e.to_string()))?;
    conn.execute(
        "INSERT INTO settings_versions (version, overrides, changes, actor_id, actor_email, reason,
                                        ticket_id, rollback_of, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            new.version as i64,
            overrides,
            changes,
            new.actor_id,
            new.actor_email,
            new.reason,
            new.ticket_id,
            new.rollback_of.map(|v| v as i64),
            new.now
        ],
    )?;
    Ok(())
}

/// A plan column a setting may change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanColumn {
    MaxActiveJobs,
    MaxStorageBytes,
    MaxJobBytes,
    RetentionDays,
    PriceCents,
}

impl PlanColumn {
    pub const ALL: [PlanColumn; 5] = [
        PlanColumn::MaxActiveJobs,
        PlanColumn::MaxStorageBytes,
        PlanColumn::MaxJobBytes,
        PlanColumn::RetentionDays,
        PlanColumn::PriceCents,
    ];

    pub const fn column(self) -> &'static str {
        match self {
            PlanColumn::MaxActiveJobs => "max_active_jobs",
            PlanColumn::MaxStorageBytes => "max_storage_bytes",
            PlanColumn::MaxJobBytes => "max_job_bytes",
            PlanColumn::RetentionDays => "retention_days",
            PlanColumn::PriceCents => "price_cents",
        }
    }

    pub fn parse(name: &str) -> Option<PlanColumn> {
        PlanColumn::ALL.into_iter().find(|c| c.column() == name)
    }
}

/// Every plan's id and name, in the order plans are shown.
pub fn plan_ids(conn: &Tx<'_>) -> DbResult<Vec<(String, String)>> {
    conn.query_map(
        "SELECT id, name FROM plans ORDER BY sort_order",
        params![],
        |row| Ok((row.get("id")?, row.get("name")?)),
    )
}

pub fn plan_value(conn: &Tx<'_>, plan_id: &str, column: PlanColumn) -> DbResult<Option<i64>> {
    conn.query_row(
        &format!("SELECT {} FROM plans WHERE id = ?1", column.column()),
        params![plan_id],
        |row| row.get::<_, i64>(0),
    )
    .optional()
}

pub fn set_plan_value(
    conn: &Tx<'_>,
    plan_id: &str,
    column: PlanColumn,
    value: i64,
) -> DbResult<()> {
    conn.execute(
        &format!("UPDATE plans SET {} = ?1 WHERE id = ?2", column.column()),
        params![value, plan_id],
    )?;
    Ok(())
}
