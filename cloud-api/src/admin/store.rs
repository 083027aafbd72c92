//! Queries behind the operators' overview and the status page: totals, counts by status, queue
//! age, storage use.

use crate::store::DbResult;
use crate::store::{params, Tx};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default)]
pub struct UserTotals {
    pub total: u64,
    pub verified: u64,
    pub suspended: u64,
    pub created_since: u64,
}

pub fn user_totals(conn: &Tx<'_>, since: i64) -> DbResult<UserTotals> {
    conn.query_row(
        "SELECT COUNT(*),
                COUNT(email_verified_at),
                COUNT(suspended_at),
                COUNT(*) FILTER (WHERE created_at >= ?1)
         FROM users",
        params![since],
        |row| {
            Ok(UserTotals {
                total: row.get::<_, i64>(0)? as u64,
                verified: row.get::<_, i64>(1)? as u64,
                suspended: row.get::<_, i64>(2)? as u64,
                created_since: row.get::<_, i64>(3)? as u64,
            })
        },
    )
}

pub fn jobs_by_status(conn: &Tx<'_>) -> DbResult<BTreeMap<String, u64>> {
    let mut stmt = conn.prepare("SELECT status, COUNT(*) FROM jobs GROUP BY status")?;
    let rows = stmt
        .query_map(params![], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)? as u64))
        })?
        .collect::<Result<BTreeMap<_, _>, _>>()?;
    Ok(rows)
}

pub fn dead_letter_count(conn: &Tx<'_>) -> DbResult<u64> {
    let count: i64 = conn.query_row(
        "SELECT COUNT(*) FROM jobs WHERE dead_lettered = 1 AND status = 'failed'",
        params![],
        |row| row.get(0),
    )?;
    Ok(count as u64)
}

/// When the job that has waited longest for an agent became claimable, if any waits.
pub fn oldest_claimable_since(conn: &Tx<'_>, now: i64) -> DbResult<Option<i64>> {
    conn.query_row(
        &format!(
            "SELECT MIN({}) FROM jobs WHERE status = 'queued' AND not_before <= ?1",
            conn.dialect().greatest("updated_at", "not_before")
        ),
        params![now],
        |row| row.get(0),
    )
}

pub fn failed_since(conn: &Tx<'_>, since: i64) -> DbResult<u64> {
    let count: i64 = conn.query_row(
        "SELECT COUNT(*) FROM jobs WHERE status = 'failed' AND updated_at >= ?1",
        params![since],
        |row| row.get(0),
    )?;
    Ok(count as u64)
}

/// Per UTC day since `since`: jobs created, completed and failed.
pub fn jobs_per_day(conn: &Tx<'_>, since: i64) -> DbResult<Vec<(String, u64, u64, u64)>> {
    let day = |column: &str| conn.dialect().utc_day(column);
    let mut stmt = conn.prepare(&format!(
        "WITH marks(day, created, completed, failed) AS (
             SELECT {}, 1, 0, 0 FROM jobs WHERE created_at >= ?1
             UNION ALL
             SELECT {}, 0, 1, 0 FROM jobs
              WHERE status = 'completed' AND completed_at >= ?1
             UNION ALL
             SELECT {}, 0, 0, 1 FROM jobs
              WHERE status = 'failed' AND updated_at >= ?1
         )
         SELECT day, SUM(created), SUM(completed), SUM(failed) FROM marks
         GROUP BY day ORDER BY day",
        day("created_at"),
        day("completed_at"),
        day("updated_at"),
    ))?;
    let rows = stmt
        .query_map(params![since], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, i64>(1)? as u64,
                row.get::<_, i64>(2)? as u64,
                row.get::<_, i64>(3)? as u64,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

pub fn storage_totals(conn: &Tx<'_>) -> DbResult<(u64, u64)> {
    conn.query_row(
        "SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT), COUNT(*) FROM objects",
        params![],
        |row| Ok((row.get::<_, i64>(0)? as u64, row.get::<_, i64>(1)? as u64)),
    )
}

/// Users whose stored bytes reach `percent` of their plan's quota.
/// Organizations whose stored files take `percent` or more of their plan's storage: the plan
/// and its quota belong to the organization (a personal one's to its user), and every member's
/// files count.
pub fn orgs_near_quota(conn: &Tx<'_>, percent: u64) -> DbResult<u64> {
    let count: i64 = conn.query_row(
        "SELECT COUNT(*) FROM (
             SELECT 1 FROM objects o
             JOIN organizations g ON g.id = o.org_id
             LEFT JOIN users pu ON pu.id = g.personal_of
             JOIN plans p ON p.id = COALESCE(pu.plan_id, g.plan_id)
             WHERE p.max_storage_bytes > 0
             GROUP BY g.id, p.max_storage_bytes
             HAVING SUM(o.size) * 100 >= p.max_storage_bytes * ?1
         ) AS near",
        params![percent as i64],
        |row| row.get(0),
    )?;
    Ok(count as u64)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgStorageRow {
    pub org_id: String,
    pub name: String,
    pub personal: bool,
    pub owner_id: String,
    pub owner_email: String,
    pub plan_id: String,
    pub bytes: u64,
    pub objects: u64,
    pub quota_bytes: u64,
}

/// The `limit` organizations whose stored files take the most, each against its own plan
/// (a personal organization's is its user's), heaviest first.
pub fn storage_by_org(conn: &Tx<'_>, limit: u32) -> DbResult<Vec<OrgStorageRow>> {
    let mut stmt = conn.prepare(
        "SELECT g.id, g.name, g.personal_of IS NOT NULL AS personal, ow.id AS owner_id,
                ow.email AS owner_email, p.id AS plan_id, CAST(SUM(o.size) AS BIGINT) AS bytes,
                COUNT(*) AS objects, p.max_storage_bytes
         FROM objects o
         JOIN organizations g ON g.id = o.org_id
         LEFT JOIN users pu ON pu.id = g.personal_of
         JOIN plans p ON p.id = COALESCE(pu.plan_id, g.plan_id)
         JOIN memberships m ON m.org_id = g.id AND m.role = 'owner'
         JOIN users ow ON ow.id = m.user_id
         GROUP BY g.id, g.name, g.personal_of, ow.id, ow.email, p.id, p.max_storage_bytes
         ORDER BY SUM(o.size) DESC, g.id
         LIMIT ?1",
    )?;
    let rows = stmt
        .query_map(params![limit], |row| {
            Ok(OrgStorageRow {
                org_id: row.get(0)?,
                name: row.get(1)?,
                personal: row.get(2)?,
                owner_id: row.get(3)?,
                owner_email: row.get(4)?,
                plan_id: row.get(5)?,
                bytes: row.get::<_, i64>(6)? as u64,
                objects: row.get::<_, i64>(7)? as u64,
                quota_bytes: row.get::<_, i64>(8)? as u64,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GIB: i64 = 1 << 30;

    fn user(conn: &Tx<'_>, id: &str) {
        conn.execute(
            "INSERT INTO users (id, email, password_hash, created_at, updated_at)
             VALUES (?1, ?1 || '@example.org', 'x', 0, 0)",
            params![id],
        )
        .expect("user");
    }

    /// An organization (personal to `personal_of`, or a team on `plan`).
    fn org(conn: &Tx<'_>, id: &str, personal_of: Option<&str>, plan: &str) {
        conn.execute(
            "INSERT INTO organizations (id, name, personal_of, plan_id, created_at, updated_at)
             VALUES (?1, ?1, ?2, ?3, 0, 0)",
            params![id, personal_of, plan],
        )
        .expect("organization");
    }

    /// A job of `user_id`'s in `org_id` whose files total `sizes`.
    fn files(conn: &Tx<'_>, user_id: &str, org_id: &str, sizes: &[i64]) {
        let job = format!("{org_id}-{user_id}-job");
        conn.execute(
            "INSERT INTO jobs (id, user_id, org_id, name, source, info_hash, status, created_at,
                               updated_at)
             VALUES (?1, ?2, ?3, 'job', 'magnet', ?1, 'completed', 0, 0)",
            params![job, user_id, org_id],
        )
        .expect("job");
        for (index, size) in sizes.iter().enumerate() {
            conn.execute(
                "INSERT INTO objects (key, user_id, org_id, job_id, file_index, path, size,
                                      created_at)
                 VALUES (?1 || ?2, ?3, ?4, ?1, ?2, 'f', ?5, 0)",
                params![job, index as i64, user_id, org_id, size],
            )
            .expect("object");
        }
    }

    fn owner(conn: &Tx<'_>, org_id: &str, user_id: &str) {
        conn.execute(
            "INSERT INTO memberships (org_id, user_id, role, created_at) VALUES (?1, ?2, 'owner', 0)",
            params![org_id, user_id],
        )
        .expect("owner");
    }

    #[test]
    fn the_storage_report_weighs_each_organization_against_its_own_plan() {
        let mut raw = rusqlite::Connection::open_in_memory().expect("open");
        crate::store::migrate::apply(&mut raw).expect("migrate");
        let conn = Tx::sqlite(&raw);
        for id in ["lead", "member", "idle"] {
            user(&conn, id);
            org(&conn, &format!("org_{id}"), Some(id), "free");
            owner(&conn, &format!("org_{id}"), id);
        }
        // The lead's own files, and a Pro team the lead owns where both store files: the
        // team's files count against the team's plan, not against either member's.
        files(&conn, "lead", "org_lead", &[GIB]);
        org(&conn, "team", None, "pro");
        owner(&conn, "team", "lead");
        files(&conn, "lead", "team", &[3 * GIB]);
        files(&conn, "member", "team", &[4 * GIB, GIB]);

        let report = storage_by_org(&conn, 10).expect("report");
        assert_eq!(
            report,
            vec![
                OrgStorageRow {
                    org_id: "team".into(),
                    name: "team".into(),
                    personal: false,
                    owner_id: "lead".into(),
                    owner_email: "lead@example.org".into(),
                    plan_id: "pro".into(),
                    bytes: 8 * GIB as u64,
                    objects: 3,
                    quota_bytes: 200 * GIB as u64,
                },
                OrgStorageRow {
                    org_id: "org_lead".into(),
                    name: "org_lead".into(),
                    personal: true,
                    owner_id: "lead".into(),
                    owner_email: "lead@example.org".into(),
                    plan_id: "free".into(),
                    bytes: GIB as u64,
                    objects: 1,
                    quota_bytes: 10 * GIB as u64,
                },
            ],
            "heaviest first; an organization with nothing stored is not listed"
        );
        assert_eq!(storage_by_org(&conn, 1).expect("report").len(), 1);
    }

    #[test]
    fn organizations_near_their_quota_are_counted_by_every_members_files() {
        let mut raw = rusqlite::Connection::open_in_memory().expect("open");
        crate::store::migrate::apply(&mut raw).expect("migrate");
        let conn = Tx::sqlite(&raw);
        for id in ["light", "split", "full", "member"] {
            user(&conn, id);
            org(&conn, &format!("org_{id}"), Some(id), "free");
        }
        // Personal organizations on the free plan (10 GiB).
        files(&conn, "light", "org_light", &[GIB]);
        files(&conn, "split", "org_split", &[5 * GIB, 4 * GIB + GIB / 2]);
        files(&conn, "full", "org_full", &[10 * GIB]);
        // A team on the free plan filled by two members, neither near 10 GiB on their own;
        // what they store there is not their personal organizations'.
        org(&conn, "team", None, "free");
        files(&conn, "light", "team", &[5 * GIB]);
        files(&conn, "member", "team", &[5 * GIB]);
        assert_eq!(orgs_near_quota(&conn, 90).expect("count"), 3);
        assert_eq!(orgs_near_quota(&conn, 100).expect("count"), 2);
        assert_eq!(orgs_near_quota(&conn, 5).expect("count"), 4);
    }
}
