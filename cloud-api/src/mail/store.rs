//! Queries on the mail queue: enqueue inside the caller's transaction, take due mail one by
//! one (a claim pushes its next try away, so two deliverers never send the same mail), then
//! delete it once delivered or schedule the next try.

use crate::mail::Email;
use crate::store::DbResult;
use crate::store::{params, Tx};

#[derive(Debug, Clone)]
pub struct QueuedMail {
    pub id: i64,
    pub email: Email,
    pub attempts: u32,
}

pub fn enqueue(conn: &Tx<'_>, email: &Email, now: i64) -> DbResult<()> {
    conn.execute(
        "INSERT INTO mail_queue (recipient, subject, body, next_attempt_at, created_at)
         VALUES (?1, ?2, ?3, ?4, ?4)",
        params![email.to, email.subject, email.text, now],
    )?;
    Ok(())
}

/// Ids of mail due for a try, oldest first.
pub fn due(conn: &Tx<'_>, now: i64, limit: u32) -> DbResult<Vec<i64>> {
    let mut statement = conn.prepare(
        "SELECT id FROM mail_queue WHERE next_attempt_at IS NOT NULL AND next_attempt_at <= ?1
         ORDER BY next_attempt_at, id LIMIT ?2",
    )?;
    let ids = statement
        .query_map(params![now, limit], |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(ids)
}

/// Takes the mail for one try: `None` when another deliverer took it first.
pub fn claim(conn: &Tx<'_>, id: i64, now: i64, hold_until: i64) -> DbResult<Option<QueuedMail>> {
    let taken = conn.execute(
        "UPDATE mail_queue SET next_attempt_at = ?3, attempts = attempts + 1
         WHERE id = ?1 AND next_attempt_at IS NOT NULL AND next_attempt_at <= ?2",
        params![id, now, hold_until],
    )?;
    if taken == 0 {
        return Ok(None);
    }
    Ok(Some(conn.query_row(
        "SELECT id, recipient, subject, body, attempts FROM mail_queue WHERE id = ?1",
        params![id],
        |row| {
            Ok(QueuedMail {
                id: row.get(0)?,
                email: Email {
                    to: row.get(1)?,
                    subject: row.get(2)?,
                    text: row.get(3)?,
                },
                attempts: row.get(4)?,
            })
        },
    )?))
}

pub fn delivered(conn: &Tx<'_>, id: i64) -> DbResult<()> {
    conn.execute("DELETE FROM mail_queue WHERE id = ?1", params![id])?;
    Ok(())
}

/// Records a failed try; `next_attempt_at` `None` gives up.
pub fn failed(conn: &Tx<'_>, id: i64, error: &str, next_attempt_at: Option<i64>) -> DbResult<()> {
    conn.execute(
        "UPDATE mail_queue SET last_error = ?2, next_attempt_at = ?3 WHERE id = ?1",
        params![id, error, next_attempt_at],
    )?;
    Ok(())
}

/// Mail not yet delivered and not given up.
pub fn pending(conn: &Tx<'_>) -> DbResult<u64> {
    Ok(conn.query_row(
        "SELECT COUNT(*) FROM mail_queue WHERE next_attempt_at IS NOT NULL",
        params![],
        |row| row.get::<_, i64>(0),
    )? as u64)
}
