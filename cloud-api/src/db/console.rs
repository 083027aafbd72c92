//! Queries behind the console's own pages: profile settings, the blog, and the counts the status
//! page and the operators' overview are computed from.

use super::DbResult;
use rusqlite::{params, Connection, OptionalExtension, Row};
use std::collections::BTreeMap;

pub fn set_display_name(
    conn: &Connection,
    user_id: &str,
    display_name: Option<&str>,
    now: i64,
) -> DbResult<()> {
    conn.execute(
        "UPDATE users SET display_name = ?2, updated_at = ?3 WHERE id = ?1",
        params![user_id, display_name, now],
    )?;
    Ok(())
}

pub fn set_default_device(
    conn: &Connection,
    user_id: &str,
    device_id: Option<&str>,
    now: i64,
) -> DbResult<()> {
    conn.execute(
        "UPDATE users SET default_device_id = ?2, updated_at = ?3 WHERE id = ?1",
        params![user_id, device_id, now],
    )?;
    Ok(())
}

/// Whether `device_id` is a live (not revoked) device of `user_id`.
pub fn is_live_device_of(conn: &Connection, user_id: &str, device_id: &str) -> DbResult<bool> {
    Ok(conn
        .query_row(
            "SELECT 1 FROM agents
             WHERE id = ?1 AND owner_user_id = ?2 AND kind = 'device' AND revoked_at IS NULL",
            params![device_id, user_id],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

pub fn revoke_other_sessions(
    conn: &Connection,
    user_id: &str,
    keep_session_id: Option<&str>,
    now: i64,
) -> DbResult<usize> {
    Ok(conn.execute(
        "UPDATE sessions SET revoked_at = ?3
         WHERE user_id = ?1 AND revoked_at IS NULL AND id IS NOT ?2",
        params![user_id, keep_session_id, now],
    )?)
}

// The blog.

#[derive(Debug, Clone)]
pub struct PostRow {
    pub id: String,
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub body: String,
    pub author_email: Option<String>,
    pub published_at: Option<i64>,
    pub updated_at: i64,
}

const POST_COLUMNS: &str = "p.id, p.slug, p.title, p.summary, p.body, u.email AS author_email, \
     p.published_at, p.updated_at";

fn post_from_row(row: &Row<'_>) -> rusqlite::Result<PostRow> {
    Ok(PostRow {
        id: row.get("id")?,
        slug: row.get("slug")?,
        title: row.get("title")?,
        summary: row.get("summary")?,
        body: row.get("body")?,
        author_email: row.get("author_email")?,
        published_at: row.get("published_at")?,
        updated_at: row.get("updated_at")?,
    })
}

#[derive(Debug)]
pub struct NewPost<'a> {
    pub id: &'a str,
    pub slug: &'a str,
    pub title: &'a str,
    pub summary: &'a str,
    pub body: &'a str,
    pub author_id: &'a str,
    pub published_at: Option<i64>,
    pub now: i64,
}

pub fn insert_post(conn: &Connection, post: &NewPost<'_>) -> DbResult<()> {
    conn.execute(
        "INSERT INTO blog_posts
             (id, slug, title, summary, body, author_id, published_at, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
        params![
            post.id,
            post.slug,
            post.title,
            post.summary,
            post.body,
            post.author_id,
            post.published_at,
            post.now
        ],
    )?;
    Ok(())
}

/// Replaces a post's content; a post keeps its first publication time while it stays published.
pub fn update_post(conn: &Connection, post: &NewPost<'_>) -> DbResult<bool> {
    let changed = conn.execute(
        "UPDATE blog_posts
         SET slug = ?2, title = ?3, summary = ?4, body = ?5,
             published_at = CASE WHEN ?6 IS NULL THEN NULL ELSE COALESCE(published_at, ?6) END,
             updated_at = ?7
         WHERE id = ?1",
        params![
            post.id,
            post.slug,
            post.title,
            post.summary,
            post.body,
            post.published_at,
            post.now
        ],
    )?;
    Ok(changed == 1)
}

pub fn delete_post(conn: &Connection, id: &str) -> DbResult<bool> {
    Ok(conn.execute("DELETE FROM blog_posts WHERE id = ?1", params![id])? == 1)
}

pub fn post_by_id(conn: &Connection, id: &str) -> DbResult<Option<PostRow>> {
    Ok(conn
        .query_row(
            &format!(
                "SELECT {POST_COLUMNS} FROM blog_posts p LEFT JOIN users u ON u.id = p.author_id
                 WHERE p.id = ?1"
            ),
            params![id],
            post_from_row,
        )
        .optional()?)
}

pub fn published_post_by_slug(conn: &Connection, slug: &str) -> DbResult<Option<PostRow>> {
    Ok(conn
        .query_row(
            &format!(
                "SELECT {POST_COLUMNS} FROM blog_posts p LEFT JOIN users u ON u.id = p.author_id
                 WHERE p.slug = ?1 AND p.published_at IS NOT NULL"
            ),
            params![slug],
            post_from_row,
        )
        .optional()?)
}

/// Newest first; drafts only when `include_drafts`.
pub fn list_posts(
    conn: &Connection,
    include_drafts: bool,
    limit: u32,
    offset: u64,
) -> DbResult<(Vec<PostRow>, u64)> {
    let total: i64 = conn.query_row(
        "SELECT COUNT(*) FROM blog_posts WHERE ?1 OR published_at IS NOT NULL",
        params![include_drafts],
        |row| row.get(0),
    )?;
    let mut stmt = conn.prepare(&format!(
        "SELECT {POST_COLUMNS} FROM blog_posts p LEFT JOIN users u ON u.id = p.author_id
         WHERE ?1 OR p.published_at IS NOT NULL
         ORDER BY COALESCE(p.published_at, p.updated_at) DESC, p.id
         LIMIT ?2 OFFSET ?3"
    ))?;
    let rows = stmt
        .query_map(params![include_drafts, limit, offset as i64], post_from_row)?
        .collect::<Result<Vec<_>, _>>()?;
    Ok((rows, total.max(0) as u64))
}

// Counts for the status page and the overview.

#[derive(Debug, Clone, Default)]
pub struct UserTotals {
    pub total: u64,
    pub verified: u64,
    pub suspended: u64,
    pub created_since: u64,
}

pub fn user_totals(conn: &Connection, since: i64) -> DbResult<UserTotals> {
    Ok(conn.query_row(
        "SELECT COUNT(*),
                COUNT(email_verified_at),
                COUNT(suspended_at),
                COALESCE(SUM(created_at >= ?1), 0)
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
    )?)
}

pub fn jobs_by_status(conn: &Connection) -> DbResult<BTreeMap<String, u64>> {
    let mut stmt = conn.prepare("SELECT status, COUNT(*) FROM jobs GROUP BY status")?;
    let rows = stmt
        .query_map([], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)? as u64))
        })?
        .collect::<Result<BTreeMap<_, _>, _>>()?;
    Ok(rows)
}

pub fn dead_letter_count(conn: &Connection) -> DbResult<u64> {
    let count: i64 = conn.query_row(
        "SELECT COUNT(*) FROM jobs WHERE dead_lettered = 1 AND status = 'failed'",
        [],
        |row| row.get(0),
    )?;
    Ok(count as u64)
}

/// When the job that has waited longest for an agent became claimable, if any waits.
pub fn oldest_claimable_since(conn: &Connection, now: i64) -> DbResult<Option<i64>> {
    Ok(conn.query_row(
        "SELECT MIN(MAX(updated_at, not_before)) FROM jobs
         WHERE status = 'queued' AND not_before <= ?1",
        params![now],
        |row| row.get(0),
    )?)
}

pub fn failed_since(conn: &Connection, since: i64) -> DbResult<u64> {
    let count: i64 = conn.query_row(
        "SELECT COUNT(*) FROM jobs WHERE status = 'failed' AND updated_at >= ?1",
        params![since],
        |row| row.get(0),
    )?;
    Ok(count as u64)
}

/// Per UTC day since `since`: jobs created, completed and failed.
pub fn jobs_per_day(conn: &Connection, since: i64) -> DbResult<Vec<(String, u64, u64, u64)>> {
    let mut stmt = conn.prepare(
        "WITH marks(day, created, completed, failed) AS (
             SELECT date(created_at / 1000, 'unixepoch'), 1, 0, 0 FROM jobs WHERE created_at >= ?1
             UNION ALL
             SELECT date(completed_at / 1000, 'unixepoch'), 0, 1, 0 FROM jobs
              WHERE status = 'completed' AND completed_at >= ?1
             UNION ALL
             SELECT date(updated_at / 1000, 'unixepoch'), 0, 0, 1 FROM jobs
              WHERE status = 'failed' AND updated_at >= ?1
         )
         SELECT day, SUM(created), SUM(completed), SUM(failed) FROM marks
         GROUP BY day ORDER BY day",
    )?;
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

pub fn storage_totals(conn: &Connection) -> DbResult<(u64, u64)> {
    Ok(conn.query_row(
        "SELECT COALESCE(SUM(size), 0), COUNT(*) FROM objects",
        [],
        |row| Ok((row.get::<_, i64>(0)? as u64, row.get::<_, i64>(1)? as u64)),
    )?)
}

/// Users whose stored bytes reach `percent` of their plan's quota.
pub fn users_near_quota(conn: &Connection, percent: u64) -> DbResult<u64> {
    let count: i64 = conn.query_row(
        "SELECT COUNT(*) FROM (
             SELECT 1 FROM objects o
             JOIN users u ON u.id = o.user_id
             JOIN plans p ON p.id = u.plan_id
             WHERE p.max_storage_bytes > 0
             GROUP BY u.id, p.max_storage_bytes
             HAVING SUM(o.size) * 100 >= p.max_storage_bytes * ?1
         )",
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

pub fn storage_by_user(conn: &Connection, limit: u32) -> DbResult<Vec<UserStorageRow>> {
    let mut stmt = conn.prepare(
        "SELECT u.id, u.email, u.plan_id, SUM(o.size), COUNT(*), p.max_storage_bytes
         FROM objects o
         JOIN users u ON u.id = o.user_id
         JOIN plans p ON p.id = u.plan_id
         GROUP BY u.id
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

    /// A user on the free plan (10 GiB) with one job whose files total `sizes`.
    fn user_with_files(conn: &Connection, id: &str, sizes: &[i64]) {
        conn.execute(
            "INSERT INTO users (id, email, password_hash, created_at, updated_at)
             VALUES (?1, ?1 || '@example.org', 'x', 0, 0)",
            params![id],
        )
        .expect("user");
        conn.execute(
            "INSERT INTO jobs (id, user_id, name, source, info_hash, status, created_at, updated_at)
             VALUES (?1 || '-job', ?1, 'job', 'magnet', ?1, 'completed', 0, 0)",
            params![id],
        )
        .expect("job");
        for (index, size) in sizes.iter().enumerate() {
            conn.execute(
                "INSERT INTO objects (key, user_id, job_id, file_index, path, size, created_at)
                 VALUES (?1 || ?2, ?1, ?1 || '-job', ?2, 'f', ?3, 0)",
                params![id, index as i64, size],
            )
            .expect("object");
        }
    }

    #[test]
    fn users_near_their_quota_are_counted_by_their_whole_use() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut conn = Connection::open(dir.path().join("t.db")).expect("open");
        super::super::migrate::apply(&mut conn).expect("migrate");
        user_with_files(&conn, "light", &[GIB]);
        user_with_files(&conn, "split", &[5 * GIB, 4 * GIB + GIB / 2]);
        user_with_files(&conn, "full", &[10 * GIB]);
        assert_eq!(users_near_quota(&conn, 90).expect("count"), 2);
        assert_eq!(users_near_quota(&conn, 100).expect("count"), 1);
        assert_eq!(users_near_quota(&conn, 5).expect("count"), 3);
    }
}
