//! Queries on users, their profile settings and one-time account tokens (email verification,
//! password reset).

use crate::ids::{AgentId, UserId};
use crate::store::{params, Dialect, OptionalExtension, Row, ToValue, Tx};
use crate::store::{Cursor, Keyset, ListQuery, Total};
use crate::store::{DbError, DbResult};
use tseeder_protocol::Role;

#[derive(Clone)]
pub struct UserRow {
    pub id: String,
    pub email: String,
    pub password_hash: String,
    pub role: Role,
    pub plan_id: String,
    pub email_verified_at: Option<i64>,
    pub suspended_at: Option<i64>,
    pub suspended_reason: Option<String>,
    pub created_at: i64,
    pub display_name: Option<String>,
    pub default_device_id: Option<String>,
}

tseeder_protocol::debug_redacting!(UserRow {
    id, email, role, plan_id, email_verified_at, suspended_at, suspended_reason, created_at,
    display_name, default_device_id
} hiding { password_hash });

pub(crate) const USER_COLUMNS: &str =
    "u.id, u.email, u.password_hash, u.role, u.plan_id, u.email_verified_at, \
     u.suspended_at, u.suspended_reason, u.created_at, u.display_name, u.default_device_id";

pub(crate) fn user_from_row(row: &Row) -> DbResult<UserRow> {
    let role: String = row.get("role")?;
    Ok(UserRow {
        id: row.get("id")?,
        email: row.get("email")?,
        password_hash: row.get("password_hash")?,
        role: Role::parse(&role).ok_or_else(|| DbError::Corrupt(format!("unknown role {role}")))?,
        plan_id: row.get("plan_id")?,
        email_verified_at: row.get("email_verified_at")?,
        suspended_at: row.get("suspended_at")?,
        suspended_reason: row.get("suspended_reason")?,
        created_at: row.get("created_at")?,
        display_name: row.get("display_name")?,
        default_device_id: row.get("default_device_id")?,
    })
}

pub struct NewUser<'a> {
    pub id: &'a str,
    pub email: &'a str,
    pub password_hash: &'a str,
    pub role: Role,
    pub email_verified_at: Option<i64>,
    pub aup_accepted_at: Option<i64>,
    pub now: i64,
}

impl std::fmt::Debug for NewUser<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewUser")
            .field("id", &self.id)
            .field("email", &self.email)
            .field("password_hash", &"[redacted]")
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

/// A new account, with its personal organization.
pub fn insert_user(conn: &Tx<'_>, user: &NewUser<'_>) -> DbResult<()> {
    conn.execute(
        "INSERT INTO users (id, email, password_hash, role, email_verified_at, aup_accepted_at,
                            created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
        params![
            user.id,
            user.email,
            user.password_hash,
            user.role.as_str(),
            user.email_verified_at,
            user.aup_accepted_at,
            user.now
        ],
    )?;
    crate::orgs::store::create_personal_org(conn, user.id, user.now)
}

pub fn user_by_email(conn: &Tx<'_>, email: &str) -> DbResult<Option<UserRow>> {
    conn.query_row(
        &format!("SELECT {USER_COLUMNS} FROM users u WHERE u.email = ?1"),
        params![email],
        user_from_row,
    )
    .optional()
}

pub fn user_by_id(conn: &Tx<'_>, id: &str) -> DbResult<Option<UserRow>> {
    conn.query_row(
        &format!("SELECT {USER_COLUMNS} FROM users u WHERE u.id = ?1"),
        params![id],
        user_from_row,
    )
    .optional()
}

pub fn mark_email_verified(conn: &Tx<'_>, user_id: &str, now: i64) -> DbResult<()> {
    conn.execute(
        "UPDATE users SET email_verified_at = COALESCE(email_verified_at, ?2), updated_at = ?2
         WHERE id = ?1",
        params![user_id, now],
    )?;
    Ok(())
}

pub fn set_password_hash(conn: &Tx<'_>, user_id: &str, hash: &str, now: i64) -> DbResult<()> {
    conn.execute(
        "UPDATE users SET password_hash = ?2, updated_at = ?3 WHERE id = ?1",
        params![user_id, hash, now],
    )?;
    Ok(())
}

pub fn set_role(conn: &Tx<'_>, user_id: &str, role: Role, now: i64) -> DbResult<()> {
    conn.execute(
        "UPDATE users SET role = ?2, updated_at = ?3 WHERE id = ?1",
        params![user_id, role.as_str(), now],
    )?;
    Ok(())
}

pub fn set_plan(conn: &Tx<'_>, user_id: &str, plan_id: &str, now: i64) -> DbResult<()> {
    conn.execute(
        "UPDATE users SET plan_id = ?2, updated_at = ?3 WHERE id = ?1",
        params![user_id, plan_id, now],
    )?;
    Ok(())
}

/// Suspends with a reason, or lifts the suspension when `suspension` is `None`.
pub fn set_suspension(
    conn: &Tx<'_>,
    user_id: &str,
    suspension: Option<&str>,
    now: i64,
) -> DbResult<()> {
    conn.execute(
        "UPDATE users SET suspended_at = CASE WHEN CAST(?2 AS TEXT) IS NULL THEN NULL ELSE CAST(?3 AS BIGINT) END,
                          suspended_reason = ?2, updated_at = ?3
         WHERE id = ?1",
        params![user_id, suspension, now],
    )?;
    Ok(())
}

/// Filters of the operators' user search.
#[derive(Debug, Default, Clone)]
pub struct UserFilter {
    /// Part of an email, or a whole user id; everyone when empty.
    pub query: String,
    pub limit: u32,
    pub offset: u64,
    pub after: Option<Cursor>,
}

/// Newest users first, served by `users_by_created`: with no query the page reads only its
/// own rows; with one, the index is walked in order until the page is full.
pub fn search_users_query(dialect: Dialect, filter: &UserFilter) -> ListQuery {
    let mut conditions = Vec::new();
    let mut values = Vec::new();
    if !filter.query.is_empty() {
        values.push(format!("%{}%", escape_like(&filter.query)).to_value());
        values.push(filter.query.to_value());
        conditions.push(format!(
            "({} OR u.id = ?2)",
            dialect.like_ci("u.email", "?1")
        ));
    }
    ListQuery::keyset(
        Keyset {
            select: &format!("SELECT {USER_COLUMNS} FROM users u"),
            count_from: "users u",
            time: "u.created_at",
            id: "u.id",
        },
        conditions,
        values,
        filter.limit,
        filter.offset,
        filter.after.as_ref(),
    )
}

/// A page of the user search and its total (up to [`crate::store::TOTAL_CAP`] + 1).
pub fn search_users(conn: &Tx<'_>, filter: &UserFilter) -> DbResult<(Vec<UserRow>, Total)> {
    search_users_query(conn.dialect(), filter).run(conn, user_from_row)
}

/// Makes `%`, `_` and `\` in user input match themselves in a LIKE pattern.
pub fn escape_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        if matches!(ch, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}

/// What a one-time account token proves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenPurpose {
    VerifyEmail,
    PasswordReset,
}

impl TokenPurpose {
    fn as_str(self) -> &'static str {
        match self {
            TokenPurpose::VerifyEmail => "verify_email",
            TokenPurpose::PasswordReset => "password_reset",
        }
    }
}

pub fn insert_account_token(
    conn: &Tx<'_>,
    token_hash: &[u8],
    user_id: &str,
    purpose: TokenPurpose,
    now: i64,
    expires_at: i64,
) -> DbResult<()> {
    conn.execute(
        "INSERT INTO account_tokens (token_hash, user_id, purpose, created_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![token_hash, user_id, purpose.as_str(), now, expires_at],
    )?;
    Ok(())
}

/// Marks an unused, unexpired token used and names its user; `None` when it is not valid.
pub fn consume_account_token(
    conn: &Tx<'_>,
    token_hash: &[u8],
    purpose: TokenPurpose,
    now: i64,
) -> DbResult<Option<String>> {
    conn.query_row(
        "UPDATE account_tokens SET used_at = ?3
             WHERE token_hash = ?1 AND purpose = ?2 AND used_at IS NULL AND expires_at > ?3
             RETURNING user_id",
        params![token_hash, purpose.as_str(), now],
        |row| row.get(0),
    )
    .optional()
}

/// Retires every outstanding token of this purpose, so only the newest link works.
pub fn retire_account_tokens(
    conn: &Tx<'_>,
    user_id: &str,
    purpose: TokenPurpose,
    now: i64,
) -> DbResult<()> {
    conn.execute(
        "UPDATE account_tokens SET used_at = ?3
         WHERE user_id = ?1 AND purpose = ?2 AND used_at IS NULL",
        params![user_id, purpose.as_str(), now],
    )?;
    Ok(())
}

pub fn set_display_name(
    conn: &Tx<'_>,
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
    conn: &Tx<'_>,
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
pub fn is_live_device_of(
    conn: &Tx<'_>,
    user_id: UserId<'_>,
    device_id: AgentId<'_>,
) -> DbResult<bool> {
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
