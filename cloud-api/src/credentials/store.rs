//! Queries on sessions and API keys: issuing, finding a live one, touching and revoking.

use crate::accounts::store::{user_from_row, UserRow, USER_COLUMNS};
use crate::ids::{ApiKeyId, SessionId, UserId};
use crate::orgs::store::WorkingOrg;
use crate::store::DbResult;
use crate::store::{params, OptionalExtension, Row, Tx};

#[derive(Debug, Clone)]
pub struct SessionRow {
    pub id: String,
    pub user_id: String,
    pub csrf_token: String,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
}

fn session_from_row(row: &Row) -> DbResult<SessionRow> {
    Ok(SessionRow {
        id: row.get("sid")?,
        user_id: row.get("user_id")?,
        csrf_token: row.get("csrf_token")?,
        ip: row.get("ip")?,
        user_agent: row.get("user_agent")?,
        created_at: row.get("s_created_at")?,
        last_seen_at: row.get("last_seen_at")?,
        expires_at: row.get("expires_at")?,
    })
}

const SESSION_COLUMNS: &str = "s.id AS sid, s.user_id, s.csrf_token, s.ip, s.user_agent, \
     s.created_at AS s_created_at, s.last_seen_at, s.expires_at";

#[derive(Debug)]
pub struct NewSession<'a> {
    pub id: &'a str,
    pub user_id: &'a str,
    pub token_hash: &'a [u8],
    pub csrf_token: &'a str,
    pub ip: Option<&'a str>,
    pub user_agent: Option<&'a str>,
    pub now: i64,
    pub expires_at: i64,
}

pub fn insert_session(conn: &Tx<'_>, session: &NewSession<'_>) -> DbResult<()> {
    conn.execute(
        "INSERT INTO sessions (id, user_id, token_hash, csrf_token, ip, user_agent, created_at,
                               last_seen_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?8)",
        params![
            session.id,
            session.user_id,
            session.token_hash,
            session.csrf_token,
            session.ip,
            session.user_agent,
            session.now,
            session.expires_at
        ],
    )?;
    Ok(())
}

/// The session behind a token (not revoked, not expired, and used since `idle_since`), its
/// user, and the organization it works in: the one chosen while the user is still a member of
/// it, their personal one otherwise.
pub fn live_session_by_token(
    conn: &Tx<'_>,
    token_hash: &[u8],
    now: i64,
    idle_since: i64,
) -> DbResult<Option<(SessionRow, UserRow, WorkingOrg)>> {
    conn.query_row(
        &format!(
            "SELECT {SESSION_COLUMNS}, {USER_COLUMNS}, m.org_id AS member_org, m.role AS member_role
                 FROM sessions s JOIN users u ON u.id = s.user_id
                 LEFT JOIN memberships m ON m.org_id = s.org_id AND m.user_id = s.user_id
                 WHERE s.token_hash = ?1 AND s.revoked_at IS NULL AND s.expires_at > ?2
                   AND s.last_seen_at > ?3"
        ),
        params![token_hash, now, idle_since],
        |row| {
            let user = user_from_row(row)?;
            let org =
                WorkingOrg::from_membership(row)?.unwrap_or_else(|| WorkingOrg::personal(&user.id));
            Ok((session_from_row(row)?, user, org))
        },
    )
    .optional()
}

/// The organization the session works in from now on (`None`: the user's personal one).
pub fn set_session_org(conn: &Tx<'_>, session_id: &str, org_id: Option<&str>) -> DbResult<()> {
    conn.execute(
        "UPDATE sessions SET org_id = ?2 WHERE id = ?1",
        params![session_id, org_id],
    )?;
    Ok(())
}

pub fn touch_session(conn: &Tx<'_>, session_id: &str, now: i64) -> DbResult<()> {
    conn.execute(
        "UPDATE sessions SET last_seen_at = ?2 WHERE id = ?1 AND last_seen_at < ?2",
        params![session_id, now],
    )?;
    Ok(())
}

pub fn live_sessions_of_user(conn: &Tx<'_>, user_id: &str, now: i64) -> DbResult<Vec<SessionRow>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {SESSION_COLUMNS} FROM sessions s
         WHERE s.user_id = ?1 AND s.revoked_at IS NULL AND s.expires_at > ?2
         ORDER BY s.last_seen_at DESC"
    ))?;
    let rows = stmt
        .query_map(params![user_id, now], session_from_row)?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

pub fn count_live_sessions(conn: &Tx<'_>, user_id: &str, now: i64) -> DbResult<u32> {
    conn.query_row(
        "SELECT COUNT(*) FROM sessions WHERE user_id = ?1 AND revoked_at IS NULL AND expires_at > ?2",
        params![user_id, now],
        |row| row.get(0),
    )
}

/// Revokes one of the user's sessions; false when the user has no such live session.
pub fn revoke_session(
    conn: &Tx<'_>,
    user_id: UserId<'_>,
    session_id: SessionId<'_>,
    now: i64,
) -> DbResult<bool> {
    let changed = conn.execute(
        "UPDATE sessions SET revoked_at = ?3
         WHERE id = ?1 AND user_id = ?2 AND revoked_at IS NULL",
        params![session_id, user_id, now],
    )?;
    Ok(changed == 1)
}

pub fn revoke_all_sessions(conn: &Tx<'_>, user_id: &str, now: i64) -> DbResult<usize> {
    conn.execute(
        "UPDATE sessions SET revoked_at = ?2 WHERE user_id = ?1 AND revoked_at IS NULL",
        params![user_id, now],
    )
}

#[derive(Debug, Clone)]
pub struct ApiKeyRow {
    pub id: String,
    pub user_id: String,
    pub org_id: String,
    pub org_name: String,
    pub name: String,
    pub prefix: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

fn api_key_from_row(row: &Row) -> DbResult<ApiKeyRow> {
    Ok(ApiKeyRow {
        id: row.get("kid")?,
        user_id: row.get("user_id")?,
        org_id: row.get("k_org_id")?,
        org_name: row.get("org_name")?,
        name: row.get("name")?,
        prefix: row.get("prefix")?,
        created_at: row.get("k_created_at")?,
        last_used_at: row.get("last_used_at")?,
    })
}

/// Read from `api_keys k JOIN organizations ko ON ko.id = k.org_id`.
const API_KEY_COLUMNS: &str = "k.id AS kid, k.user_id, k.org_id AS k_org_id, ko.name AS org_name, \
     k.name, k.prefix, k.created_at AS k_created_at, k.last_used_at";

#[derive(Debug)]
pub struct NewApiKey<'a> {
    pub id: &'a str,
    pub user_id: &'a str,
    pub org_id: &'a str,
    pub name: &'a str,
    pub prefix: &'a str,
    pub key_hash: &'a [u8],
    pub now: i64,
}

pub fn insert_api_key(conn: &Tx<'_>, key: &NewApiKey<'_>) -> DbResult<()> {
    conn.execute(
        "INSERT INTO api_keys (id, user_id, name, prefix, key_hash, created_at, org_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            key.id,
            key.user_id,
            key.name,
            key.prefix,
            key.key_hash,
            key.now,
            key.org_id
        ],
    )?;
    Ok(())
}

/// The live key with this hash, its user and its organization; a key stops working when its
/// user leaves (or is removed from) the organization it belongs to.
pub fn live_api_key_by_hash(
    conn: &Tx<'_>,
    key_hash: &[u8],
) -> DbResult<Option<(ApiKeyRow, UserRow, WorkingOrg)>> {
    conn.query_row(
        &format!(
            "SELECT {API_KEY_COLUMNS}, {USER_COLUMNS}, m.org_id AS member_org, m.role AS member_role
                 FROM api_keys k JOIN users u ON u.id = k.user_id
                 JOIN organizations ko ON ko.id = k.org_id
                 JOIN memberships m ON m.org_id = k.org_id AND m.user_id = k.user_id
                 WHERE k.key_hash = ?1 AND k.revoked_at IS NULL"
        ),
        params![key_hash],
        |row| {
            let org = WorkingOrg::from_membership(row)?.ok_or_else(|| {
                crate::store::DbError::Corrupt("a key without its membership".into())
            })?;
            Ok((api_key_from_row(row)?, user_from_row(row)?, org))
        },
    )
    .optional()
}

pub fn touch_api_key(conn: &Tx<'_>, key_id: &str, now: i64) -> DbResult<()> {
    conn.execute(
        "UPDATE api_keys SET last_used_at = ?2
         WHERE id = ?1 AND (last_used_at IS NULL OR last_used_at < ?2)",
        params![key_id, now],
    )?;
    Ok(())
}

pub fn live_api_keys_of_user(conn: &Tx<'_>, user_id: &str) -> DbResult<Vec<ApiKeyRow>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {API_KEY_COLUMNS} FROM api_keys k JOIN organizations ko ON ko.id = k.org_id
         WHERE k.user_id = ?1 AND k.revoked_at IS NULL ORDER BY k.created_at DESC"
    ))?;
    let rows = stmt
        .query_map(params![user_id], api_key_from_row)?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

pub fn revoke_api_key(
    conn: &Tx<'_>,
    user_id: UserId<'_>,
    key_id: ApiKeyId<'_>,
    now: i64,
) -> DbResult<bool> {
    let changed = conn.execute(
        "UPDATE api_keys SET revoked_at = ?3 WHERE id = ?1 AND user_id = ?2 AND revoked_at IS NULL",
        params![key_id, user_id, now],
    )?;
    Ok(changed == 1)
}

/// What ending a user's credentials ended.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Revoked {
    pub sessions: usize,
    pub api_keys: usize,
    pub devices: usize,
}

impl Revoked {
    pub fn detail(&self) -> serde_json::Value {
        serde_json::json!({
            "sessionsEnded": self.sessions,
            "apiKeysRevoked": self.api_keys,
            "devicesRevoked": self.devices,
        })
    }
}

/// Ends every way the user can act: sessions (but `keep_session`), API keys and the tokens of
/// the user's own devices, whose running jobs go back to the queue. A reset, a forced logout, a
/// suspension or "sign out everywhere" must leave no credential an attacker may hold.
pub fn revoke_credentials(
    conn: &Tx<'_>,
    user_id: &str,
    keep_session: Option<&str>,
    now: i64,
) -> DbResult<Revoked> {
    let sessions = conn.execute(
        "UPDATE sessions SET revoked_at = ?3
         WHERE user_id = ?1 AND revoked_at IS NULL AND id IS DISTINCT FROM ?2",
        params![user_id, keep_session, now],
    )?;
    let api_keys = conn.execute(
        "UPDATE api_keys SET revoked_at = ?2 WHERE user_id = ?1 AND revoked_at IS NULL",
        params![user_id, now],
    )?;
    let devices: Vec<String> = conn
        .prepare(
            "SELECT id FROM agents
             WHERE owner_user_id = ?1 AND kind = 'device' AND revoked_at IS NULL",
        )?
        .query_map(params![user_id], |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    for device in &devices {
        crate::agents::store::revoke_agent(conn, device, now)?;
        crate::dispatch::store::release_agent_leases(conn, device, now)?;
        crate::dispatch::store::fail_jobs_of_device(
            conn,
            device,
            crate::agents::service::DEVICE_REMOVED,
            now,
        )?;
    }
    Ok(Revoked {
        sessions,
        api_keys,
        devices: devices.len(),
    })
}

/// True while the session or API key with this id is neither revoked nor expired.
pub fn credential_is_live(
    conn: &Tx<'_>,
    session_id: Option<&str>,
    api_key_id: Option<&str>,
    now: i64,
) -> DbResult<bool> {
    let live: i64 = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sessions
                        WHERE id = ?1 AND revoked_at IS NULL AND expires_at > ?3)
             OR EXISTS (SELECT 1 FROM api_keys WHERE id = ?2 AND revoked_at IS NULL)",
        params![session_id, api_key_id, now],
        |row| row.get(0),
    )?;
    Ok(live == 1)
}

pub fn revoke_other_sessions(
    conn: &Tx<'_>,
    user_id: &str,
    keep_session_id: Option<&str>,
    now: i64,
) -> DbResult<usize> {
    conn.execute(
        "UPDATE sessions SET revoked_at = ?3
         WHERE user_id = ?1 AND revoked_at IS NULL AND id IS DISTINCT FROM ?2",
        params![user_id, keep_session_id, now],
    )
}
