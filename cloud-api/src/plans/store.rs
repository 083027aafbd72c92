//! Queries on plans and on what a user currently uses of theirs.

use crate::store::DbResult;
use crate::store::{params, Row, Tx};
use tseeder_protocol::{Plan, Usage};

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

/// The plan id of the organization `org` (an SQL expression): a personal organization uses its
/// user's plan (which billing and operators set on the account), a team its own.
pub(crate) fn org_plan_id(org: &str) -> String {
    format!(
        "(SELECT COALESCE(pu.plan_id, po.plan_id) FROM organizations po
          LEFT JOIN users pu ON pu.id = po.personal_of WHERE po.id = {org})"
    )
}

pub fn plan_of_org(conn: &Tx<'_>, org_id: &str) -> DbResult<Plan> {
    conn.query_row(
        &format!(
            "SELECT {PLAN_COLUMNS} FROM plans WHERE id = {}",
            org_plan_id("?1")
        ),
        params![org_id],
        plan_from_row,
    )
}

/// Puts the organization on a plan: a personal one through its user's account (answered), a
/// team its own.
pub fn set_plan_of_org(
    conn: &Tx<'_>,
    org_id: &str,
    plan_id: &str,
    now: i64,
) -> DbResult<Option<String>> {
    let personal_user = crate::orgs::store::personal_user(conn, org_id)?;
    match &personal_user {
        Some(user_id) => crate::accounts::store::set_plan(conn, user_id, plan_id, now)?,
        None => crate::orgs::store::set_plan(conn, org_id, plan_id, now)?,
    }
    Ok(personal_user)
}

#[derive(Debug, Clone, Copy)]
pub struct UsageCounts {
    pub active_jobs: u32,
    pub total_jobs: u64,
    pub storage_bytes: u64,
}

/// [`reserved_bytes`]'s query (`?1` the organization, `?2` a job left out), read from the
/// `jobs_reserving_by_org` index alone: a claim runs it, so it must not walk every job the
/// organization ever had.
pub const RESERVED_BYTES_SQL: &str =
    "SELECT CAST(COALESCE(SUM(total_bytes), 0) AS BIGINT) FROM jobs
     WHERE org_id = ?1 AND device_id IS NULL AND total_bytes IS NOT NULL
       AND status NOT IN ('completed', 'cancelled', 'failed') AND id IS DISTINCT FROM ?2";

/// [`stored_bytes_of_org`]'s query (`?1` the organization), read from `objects_by_org`.
pub const STORED_BYTES_SQL: &str =
    "SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM objects WHERE org_id = ?1";

/// Bytes the organization's unfinished cloud jobs of known size will store: counted against
/// the quota beside what is stored, so jobs running side by side cannot each take the whole
/// room left. Jobs kept on members' own devices store nothing in the cloud.
pub fn reserved_bytes(conn: &Tx<'_>, org_id: &str, except_job: Option<&str>) -> DbResult<u64> {
    Ok(conn
        .query_row(RESERVED_BYTES_SQL, params![org_id, except_job], |row| {
            row.get::<_, i64>(0)
        })?
        .max(0) as u64)
}

/// What the organization's quota already holds: its stored files and what its unfinished cloud
/// jobs (but `except_job`) will store.
pub fn committed_bytes(conn: &Tx<'_>, org_id: &str, except_job: Option<&str>) -> DbResult<u64> {
    Ok(
        stored_bytes_of_org(conn, org_id)?
            .saturating_add(reserved_bytes(conn, org_id, except_job)?),
    )
}

/// The bytes of the stored objects of the organization's jobs (what a quota check needs,
/// without counting the jobs).
pub fn stored_bytes_of_org(conn: &Tx<'_>, org_id: &str) -> DbResult<u64> {
    Ok(conn
        .query_row(STORED_BYTES_SQL, params![org_id], |row| {
            row.get::<_, i64>(0)
        })?
        .max(0) as u64)
}

/// The organization's plan and what every member's jobs use of it.
pub fn usage_of(conn: &Tx<'_>, org_id: &str) -> DbResult<Usage> {
    let counts = usage_of_org(conn, org_id)?;
    Ok(Usage {
        org_id: org_id.to_owned(),
        plan: plan_of_org(conn, org_id)?,
        active_jobs: counts.active_jobs,
        storage_bytes: counts.storage_bytes,
        total_jobs: counts.total_jobs,
    })
}

/// Jobs that hold a slot, all jobs, and the bytes stored, of everyone in the organization.
pub fn usage_of_org(conn: &Tx<'_>, org_id: &str) -> DbResult<UsageCounts> {
    let (active_jobs, total_jobs) = conn.query_row(
        "SELECT COUNT(*) FILTER (WHERE status NOT IN ('completed', 'cancelled', 'failed')), COUNT(*)
         FROM jobs WHERE org_id = ?1",
        params![org_id],
        |row| Ok((row.get::<_, i64>(0)?, row.get::<_, i64>(1)?)),
    )?;
    Ok(UsageCounts {
        active_jobs: active_jobs as u32,
        total_jobs: total_jobs as u64,
        storage_bytes: stored_bytes_of_org(conn, org_id)?,
    })
}
