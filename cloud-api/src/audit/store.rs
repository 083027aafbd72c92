//! Queries on the audit log (what operators did) and security events (what attackers tried).

use crate::store::DbResult;
use crate::store::{
    capped_count, count_cap, params, where_clause, Cursor, ListQuery, Row, ToValue, Total, Tx,
    Value,
};
use tseeder_protocol::{AuditAction, SecurityEventKind};

#[derive(Debug)]
pub struct NewAudit<'a> {
    /// None for what the service does on its own (sweeps).
    pub actor_id: Option<&'a str>,
    pub actor_email: &'a str,
    pub action: AuditAction,
    pub target_id: &'a str,
    pub reason: Option<&'a str>,
    pub ticket_id: Option<&'a str>,
    pub detail: &'a serde_json::Value,
    pub ip: Option<&'a str>,
    pub now: i64,
}

pub fn insert_audit(conn: &Tx<'_>, entry: &NewAudit<'_>) -> DbResult<()> {
    conn.execute(
        "INSERT INTO audit_log (actor_id, actor_email, action, target_type, target_id, reason,
                                ticket_id, detail, ip, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            entry.actor_id,
            entry.actor_email,
            entry.action.as_str(),
            entry.action.target_type(),
            entry.target_id,
            entry.reason,
            entry.ticket_id,
            entry.detail.to_string(),
            entry.ip,
            entry.now
        ],
    )?;
    Ok(())
}

#[derive(Debug, Clone)]
pub struct AuditRow {
    pub id: i64,
    pub actor_id: Option<String>,
    pub actor_email: String,
    pub action: String,
    pub target_type: String,
    pub target_id: String,
    pub reason: Option<String>,
    pub ticket_id: Option<String>,
    pub detail: String,
    pub ip: Option<String>,
    pub created_at: i64,
}

fn audit_from_row(row: &Row) -> DbResult<AuditRow> {
    Ok(AuditRow {
        id: row.get("id")?,
        actor_id: row.get("actor_id")?,
        actor_email: row.get("actor_email")?,
        action: row.get("action")?,
        target_type: row.get("target_type")?,
        target_id: row.get("target_id")?,
        reason: row.get("reason")?,
        ticket_id: row.get("ticket_id")?,
        detail: row.get("detail")?,
        ip: row.get("ip")?,
        created_at: row.get("created_at")?,
    })
}

/// Newest first; `action` and `target_id` narrow the list when given (each served by its own
/// index); the total is counted up to the cap.
pub fn list_audit(
    conn: &Tx<'_>,
    action: Option<&str>,
    target_id: Option<&str>,
    limit: u32,
    offset: u64,
    after: Option<&Cursor>,
) -> DbResult<(Vec<AuditRow>, Total)> {
    let mut conditions = Vec::new();
    let mut values = Vec::new();
    if let Some(action) = action {
        values.push(action.to_value());
        conditions.push(format!("action = ?{}", values.len()));
    }
    if let Some(target_id) = target_id {
        values.push(target_id.to_value());
        conditions.push(format!("target_id = ?{}", values.len()));
    }
    let count = capped_count(
        &format!("audit_log {}", where_clause(&conditions)),
        count_cap(limit, offset),
    );
    let count_values = values.len();
    let (filter, limit) = page_by_id(&mut conditions, &mut values, limit, offset, after);
    let rows = format!("SELECT * FROM audit_log {filter} ORDER BY id DESC {limit}");
    ListQuery {
        rows,
        count,
        values,
        count_values,
    }
    .run(conn, audit_from_row)
}

/// The `WHERE …` and `LIMIT … OFFSET …` of a list newest first by a growing integer id: after
/// the cursor's id when there is one, otherwise skipping `offset` rows.
fn page_by_id(
    conditions: &mut Vec<String>,
    values: &mut Vec<Value>,
    limit: u32,
    offset: u64,
    after: Option<&Cursor>,
) -> (String, String) {
    if let Some(cursor) = after {
        values.push(cursor.at.to_value());
        conditions.push(format!("id < ?{}", values.len()));
    }
    let filter = where_clause(conditions);
    (
        filter,
        ListQuery::limit(values, limit, offset, after.is_some()),
    )
}

#[derive(Debug)]
pub struct NewSecurityEvent<'a> {
    pub kind: SecurityEventKind,
    pub user_id: Option<&'a str>,
    pub email: Option<&'a str>,
    pub ip: Option<&'a str>,
    pub detail: &'a serde_json::Value,
    pub now: i64,
}

/// Returns the new row's id.
pub fn insert_security_event(conn: &Tx<'_>, event: &NewSecurityEvent<'_>) -> DbResult<i64> {
    conn.query_row(
        "INSERT INTO security_events (kind, user_id, email, ip, detail, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id",
        params![
            event.kind.as_str(),
            event.user_id,
            event.email,
            event.ip,
            event.detail.to_string(),
            event.now
        ],
        |row| row.get(0),
    )
}

pub fn set_security_event_detail(
    conn: &Tx<'_>,
    id: i64,
    detail: &serde_json::Value,
) -> DbResult<()> {
    conn.execute(
        "UPDATE security_events SET detail = ?2 WHERE id = ?1",
        params![id, detail.to_string()],
    )?;
    Ok(())
}

#[derive(Debug, Clone)]
pub struct SecurityEventRow {
    pub id: i64,
    pub kind: String,
    pub user_id: Option<String>,
    pub email: Option<String>,
    pub ip: Option<String>,
    pub detail: String,
    pub created_at: i64,
}

pub fn list_security_events(
    conn: &Tx<'_>,
    kind: Option<&str>,
    limit: u32,
    offset: u64,
    after: Option<&Cursor>,
) -> DbResult<(Vec<SecurityEventRow>, Total)> {
    let mut conditions = Vec::new();
    let mut values = Vec::new();
    if let Some(kind) = kind {
        values.push(kind.to_value());
        conditions.push("kind = ?1".to_owned());
    }
    let count = capped_count(
        &format!("security_events {}", where_clause(&conditions)),
        count_cap(limit, offset),
    );
    let count_values = values.len();
    let (filter, limit) = page_by_id(&mut conditions, &mut values, limit, offset, after);
    let rows = format!(
        "SELECT id, kind, user_id, email, ip, detail, created_at FROM security_events
         {filter} ORDER BY id DESC {limit}"
    );
    ListQuery {
        rows,
        count,
        values,
        count_values,
    }
    .run(conn, |row| {
        Ok(SecurityEventRow {
            id: row.get(0)?,
            kind: row.get(1)?,
            user_id: row.get(2)?,
            email: row.get(3)?,
            ip: row.get(4)?,
            detail: row.get(5)?,
            created_at: row.get(6)?,
        })
    })
}

pub fn count_security_events_since(conn: &Tx<'_>, kind: &str, since: i64) -> DbResult<u64> {
    let count: i64 = conn.query_row(
        "SELECT COUNT(*) FROM security_events WHERE kind = ?1 AND created_at >= ?2",
        params![kind, since],
        |row| row.get(0),
    )?;
    Ok(count as u64)
}
