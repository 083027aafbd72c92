//! Queries on plans and on what a user currently uses of theirs.

use crate::store::DbResult;
use rusqlite::{params, Connection, Row};
use tseeder_protocol::Plan;

fn plan_from_row(row: &Row<'_>) -> rusqlite::Result<Plan> {
    Ok(Plan {
        id: row.get("id")?,
        name: row.get("name")?,
        max_active_jobs: row.get("max_active_jobs")?,
        max_storage_bytes: row.get::<_, i64>("max_storage_bytes")? as u64,
        max_job_bytes: row.get::<_, i64>("max_job_bytes")? as u64,
        retention_days: row.get("retention_days")?,
        price_cents: row.get("price_cents")?,
    })
}

const PLAN_COLUMNS: &str =
    "id, name, max_active_jobs, max_storage_bytes, max_job_bytes, retention_days, price_cents";

pub fn list_plans(conn: &Connection) -> DbResult<Vec<Plan>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {PLAN_COLUMNS} FROM plans ORDER BY sort_order"
    ))?;
    let plans = stmt
        .query_map([], plan_from_row)?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(plans)
}

pub fn plan_of_user(conn: &Connection, user_id: &str) -> DbResult<Plan> {
    Ok(conn.query_row(
        &format!(
            "SELECT {PLAN_COLUMNS} FROM plans
             WHERE id = (SELECT plan_id FROM users WHERE id = ?1)"
        ),
        params![user_id],
        plan_from_row,
    )?)
}

#[derive(Debug, Clone, Copy)]
pub struct UsageCounts {
    pub active_jobs: u32,
    pub total_jobs: u64,
    pub storage_bytes: u64,
}

/// Bytes the user's unfinished cloud jobs of known size will store: counted against the quota
/// beside what is stored, so jobs running side by side cannot each take the whole room left.
/// Jobs kept on the user's own devices store nothing in the cloud.
pub fn reserved_bytes(conn: &Connection, user_id: &str, except_job: Option<&str>) -> DbResult<u64> {
    Ok(conn
        .query_row(
            "SELECT COALESCE(SUM(total_bytes), 0) FROM jobs
         WHERE user_id = ?1 AND device_id IS NULL AND total_bytes IS NOT NULL
           AND status NOT IN ('completed', 'cancelled', 'failed') AND id IS NOT ?2",
            params![user_id, except_job],
            |row| row.get::<_, i64>(0),
        )?
        .max(0) as u64)
}

/// Jobs that hold a slot, all jobs, and the bytes of the stored objects the user keeps.
pub fn usage_of_user(conn: &Connection, user_id: &str) -> DbResult<UsageCounts> {
    Ok(conn.query_row(
        "SELECT
             COALESCE(SUM(status NOT IN ('completed', 'cancelled', 'failed')), 0),
             COUNT(*),
             (SELECT COALESCE(SUM(size), 0) FROM objects WHERE user_id = ?1)
         FROM jobs WHERE user_id = ?1",
        params![user_id],
        |row| {
            Ok(UsageCounts {
                active_jobs: row.get::<_, i64>(0)? as u32,
                total_jobs: row.get::<_, i64>(1)? as u64,
                storage_bytes: row.get::<_, i64>(2)? as u64,
            })
        },
    )?)
}
