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

#[derive(Debug, Clone)]
pub struct UserStorageRow {
    pub user_id: String,
    pub email: String,
    pub plan_id: String,
    pub bytes: u64,
    pub objects: u64,
    pub quota_bytes: u64,
}

pub fn storage_by_user(conn: &Tx<'_>, limit: u32) -> DbResult<Vec<UserStorageRow>> {
    let mut stmt = conn.prepare(
        "SELECT u.id, u.email, u.plan_id, CAST(SUM(o.size) AS BIGINT), COUNT(*), p.max_storage_bytes
         FROM objects o
         JOIN users u ON u.id = o.user_id
         JOIN plans p ON p.id = u.plan_id
         GROUP BY u.id, p.id
         ORDER BY SUM(o.size) DESC, u.email
         LIMIT ?1",
    )?;
    let rows = stmt
        .query_map(params![limit], |row| {
            Ok(UserStorageRow {
                user_id: row.get(0)?,
                email: row.get(1)?,
                plan_id: row.get(2)?,
                bytes: row.get::<_, i64>(3)? as u64,
                objects: row.get::<_, i64>(4)? as u64,
                quota_bytes: row.get::<_, i64>(5)? as u64,
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
