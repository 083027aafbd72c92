//! Queries on plans and on what a user currently uses of theirs.

use crate::store::DbResult;
use crate::store::{params, Row, Tx};
use tseeder_protocol::Plan;

/// The plan every account starts on (the schema's default) and falls back to.
pub const FREE_PLAN: &str = "free";

pub fn plan_exists(conn: &Tx<'_>, plan_id: &str) -> DbResult<bool> {
    Ok(conn.query_row(
        "SELECT COUNT(*) FROM plans WHERE id = ?1",
        params![plan_id],
        |row| row.get::<_, i64>(0),
    )? > 0)
}

fn plan_from_row(row: &Row) -> DbResult<Plan> {
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

pub fn list_plans(conn: &Tx<'_>) -> DbResult<Vec<Plan>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {PLAN_COLUMNS} FROM plans ORDER BY sort_order"
    ))?;
    let plans = stmt
        .query_map(params![], plan_from_row)?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(plans)
}

pub fn plan_of_user(conn: &Tx<'_>, user_id: &str) -> DbResult<Plan> {
    conn.query_row(
        &format!(
            "SELECT {PLAN_COLUMNS} FROM plans
             WHERE id = (SELECT plan_id FROM users WHERE id = ?1)"
        ),
        params![user_id],
        plan_from_row,
    )
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
pub fn reserved_bytes(conn: &Tx<'_>, user_id: &str, except_job: Option<&str>) -> DbResult<u64> {
    Ok(conn
        .query_row(
            "SELECT CAST(COALESCE(SUM(total_bytes), 0) AS BIGINT) FROM jobs
         WHERE user_id = ?1 AND device_id IS NULL AND total_bytes IS NOT NULL
           AND status NOT IN ('completed', 'cancelled', 'failed') AND id IS DISTINCT FROM ?2",
            params![user_id, except_job],
            |row| row.get::<_, i64>(0),
        )?
        .max(0) as u64)
}

/// The bytes of the stored objects the user keeps (what a quota check needs, without counting
/// the user's jobs).
pub fn stored_bytes_of_user(conn: &Tx<'_>, user_id: &str) -> DbResult<u64> {
    Ok(conn
        .query_row(
            "SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM objects WHERE user_id = ?1",
            params![user_id],
            |row| row.get::<_, i64>(0),
        )?
        .max(0) as u64)
}

/// Jobs that hold a slot, all jobs, and the bytes of the stored objects the user keeps.
pub fn usage_of_user(conn: &Tx<'_>, user_id: &str) -> DbResult<UsageCounts> {
    conn.query_row(
        "SELECT
             COUNT(*) FILTER (WHERE status NOT IN ('completed', 'cancelled', 'failed')),
             COUNT(*),
             (SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM objects WHERE user_id = ?1)
         FROM jobs WHERE user_id = ?1",
        params![user_id],
        |row| {
            Ok(UsageCounts {
                active_jobs: row.get::<_, i64>(0)? as u32,
                total_jobs: row.get::<_, i64>(1)? as u64,
                storage_bytes: row.get::<_, i64>(2)? as u64,
            })
        },
    )
}
