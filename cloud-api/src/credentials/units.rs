//! Credentials' store calls that take several queries: a session or API key found and its
//! last use noted, whether a stream's credential and role still hold, a key stored and its
//! organization read back, failure counts updated. Each is one store call, so no service
//! composes queries itself.

use crate::accounts::store::UserRow;
use crate::audit::store as audit;
use crate::credentials::failures::detail;
use crate::credentials::store as credentials;
use crate::credentials::store::{ApiKeyRow, NewApiKey, SessionRow};
use crate::orgs::store::{OrgRow, WorkingOrg};
use crate::store::{DbResult, Store};
use tseeder_protocol::OrgRole;

/// Last-seen times are kept to the minute, so most requests read without writing.
pub const ACTIVITY_RESOLUTION_MS: i64 = 60_000;

/// A new API key as the service made it; only the hash of its secret is stored.
#[derive(Debug)]
pub struct IssuedKey {
    pub id: String,
    pub user_id: String,
    pub org_id: String,
    pub name: String,
    pub prefix: String,
    pub key_hash: Vec<u8>,
}

/// Stores a new API key of the user's in an organization; answers that organization.
pub async fn store_api_key(store: &Store, key: IssuedKey, now: i64) -> DbResult<Option<OrgRow>> {
    store
        .call(move |conn| {
            credentials::insert_api_key(
                conn,
                &NewApiKey {
                    id: &key.id,
                    user_id: &key.user_id,
                    org_id: &key.org_id,
                    name: &key.name,
                    prefix: &key.prefix,
                    key_hash: &key.key_hash,
                    now,
                },
            )?;
            crate::orgs::store::org(conn, &key.org_id)
        })
        .await
}

/// Whether the credential is live and its user still has `role` in the organization.
pub async fn still_holds(
    store: &Store,
    session: Option<String>,
    key: Option<String>,
    org_id: String,
    user_id: String,
    role: OrgRole,
    now: i64,
) -> DbResult<bool> {
    store
        .call(move |conn| {
            Ok(
                credentials::credential_is_live(conn, session.as_deref(), key.as_deref(), now)?
                    && crate::orgs::store::role_in(conn, &org_id, &user_id)? == Some(role),
            )
        })
        .await
}

/// The live API key with this hash, its user and organization; its last use is noted at
/// most once a minute.
pub async fn api_key_in_use(
    store: &Store,
    key_hash: Vec<u8>,
    now: i64,
) -> DbResult<Option<(ApiKeyRow, UserRow, WorkingOrg)>> {
    store
        .call(move |conn| {
            let found = credentials::live_api_key_by_hash(conn, &key_hash)?;
            if let Some((key, _, _)) = &found {
                if key
                    .last_used_at
                    .is_none_or(|at| now - at > ACTIVITY_RESOLUTION_MS)
                {
                    credentials::touch_api_key(conn, &key.id, now)?;
                }
            }
            Ok(found)
        })
        .await
}

/// The live session with this token hash (used since `idle_since`), its user and
/// organization; its last use is noted at most once a minute.
pub async fn session_in_use(
    store: &Store,
    token_hash: Vec<u8>,
    now: i64,
    idle_since: i64,
) -> DbResult<Option<(SessionRow, UserRow, WorkingOrg)>> {
    store
        .call(move |conn| {
            let found = credentials::live_session_by_token(conn, &token_hash, now, idle_since)?;
            if let Some((session, _, _)) = &found {
                if now - session.last_seen_at > ACTIVITY_RESOLUTION_MS {
                    credentials::touch_session(conn, &session.id, now)?;
                }
            }
            Ok(found)
        })
        .await
}

/// Writes the new counts into the security events that tally repeated failures.
pub async fn recount_failures(store: &Store, changed: Vec<(i64, u64)>) -> DbResult<()> {
    store
        .call(move |conn| {
            for (row_id, count) in &changed {
                audit::set_security_event_detail(conn, *row_id, &detail(*count))?;
            }
            Ok(())
        })
        .await
}
