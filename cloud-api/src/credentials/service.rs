//! Proving who a caller is (session cookies and API keys), and managing both.

use crate::credentials::store as credentials;
use crate::credentials::units;
use crate::error::{ApiError, ApiResult};
use crate::ids::{ApiKeyId, SessionId, UserId};
use crate::services::{Credential, Principal, Services};
use crate::store::to_datetime;
use crate::{crypto, store as db};
use tseeder_protocol::{ApiKeyView, CreateApiKey, CreatedApiKey, ErrorCode, SessionView};

/// Sessions and API keys: proving who a caller is, listing and revoking.
#[derive(Debug, Clone, Copy)]
pub struct Credentials<'a> {
    pub(crate) services: &'a Services,
}

impl<'a> Credentials<'a> {
    pub(crate) fn new(services: &'a Services) -> Self {
        Credentials { services }
    }
}

impl Credentials<'_> {
    /// The caller behind a session cookie, or `None` when the session is unknown, expired or
    /// revoked.
    pub async fn authenticate_session(&self, token: &str) -> ApiResult<Option<Principal>> {
        let token_hash = crypto::token_hash(token);
        let now = db::now_ms();
        let idle_hours = i64::from(self.services.settings().sessions.idle_timeout_hours);
        let idle_since = if idle_hours == 0 {
            i64::MIN
        } else {
            now - idle_hours * 3_600_000
        };
        let found = units::session_in_use(self.services.db(), token_hash, now, idle_since).await?;
        Ok(found.map(|(session, user, org)| Principal {
            user,
            credential: Credential::Session {
                id: session.id,
                csrf_token: session.csrf_token,
            },
            org,
        }))
    }

    /// The caller behind an API key, or `None` when the key is unknown or revoked.
    pub async fn authenticate_api_key(&self, secret: &str) -> ApiResult<Option<Principal>> {
        if !secret.starts_with(crypto::API_KEY_PREFIX) {
            return Ok(None);
        }
        let key_hash = crypto::token_hash(secret);
        let now = db::now_ms();
        let found = units::api_key_in_use(self.services.db(), key_hash, now).await?;
        Ok(found.map(|(key, user, org)| Principal {
            user,
            credential: Credential::ApiKey { id: key.id },
            org,
        }))
    }

    pub async fn list_sessions(&self, principal: &Principal) -> ApiResult<Vec<SessionView>> {
        let (uid, now) = (principal.user.id.clone(), db::now_ms());
        let rows = self
            .services
            .db()
            .call(move |conn| credentials::live_sessions_of_user(conn, &uid, now))
            .await?;
        let current = match &principal.credential {
            Credential::Session { id, .. } => Some(id.as_str()),
            Credential::ApiKey { .. } => None,
        };
        Ok(rows
            .into_iter()
            .map(|s| SessionView {
                current: current == Some(s.id.as_str()),
                id: s.id,
                ip: s.ip,
                user_agent: s.user_agent,
                created_at: to_datetime(s.created_at),
                last_seen_at: to_datetime(s.last_seen_at),
                expires_at: to_datetime(s.expires_at),
            })
            .collect())
    }

    /// Ends one of the caller's own sessions; another user's session id is simply not found.
    pub async fn revoke_session(&self, principal: &Principal, session_id: &str) -> ApiResult<()> {
        let (uid, sid, now) = (
            principal.user.id.clone(),
            session_id.to_owned(),
            db::now_ms(),
        );
        let revoked = self
            .services
            .db()
            .call(move |conn| credentials::revoke_session(conn, UserId(&uid), SessionId(&sid), now))
            .await?;
        if revoked {
            self.services.live().publish_revoked(&principal.user.id);
        }
        revoked.then_some(()).ok_or(ApiError::NotFound)
    }

    /// True while what a stream was opened with still holds: its credential is live and its
    /// user keeps the role they had in the organization the stream follows (leaving, removal
    /// or a role change ends it, and the client reconnects with what holds now).
    pub async fn still_holds(&self, principal: &Principal) -> ApiResult<bool> {
        let (session, key) = match &principal.credential {
            Credential::Session { id, .. } => (Some(id.clone()), None),
            Credential::ApiKey { id } => (None, Some(id.clone())),
        };
        let (org_id, user_id, role) = (
            principal.org.id.clone(),
            principal.user.id.clone(),
            principal.org.role,
        );
        let now = db::now_ms();
        Ok(
            units::still_holds(self.services.db(), session, key, org_id, user_id, role, now)
                .await?,
        )
    }

    /// A new API key, for a signed-in browser session that proves the password again: a key
    /// cannot make keys, so a leaked one cannot outlive its own revocation.
    pub async fn create_api_key(
        &self,
        principal: &Principal,
        req: CreateApiKey,
    ) -> ApiResult<CreatedApiKey> {
        if let Credential::ApiKey { .. } = principal.credential {
            return Err(ApiError::forbidden(
                ErrorCode::SessionRequired,
                "API keys are made from a signed-in session, not with another key",
            ));
        }
        let stored = Some(principal.user.password_hash.clone());
        if !crate::accounts::service::password_matches(req.current_password, stored).await? {
            return Err(ApiError::forbidden(
                ErrorCode::WrongPassword,
                "the current password is not right",
            ));
        }
        let Some(name) = tseeder_protocol::fields::label(&req.name).map(str::to_owned) else {
            return Err(ApiError::unprocessable(
                ErrorCode::InvalidName,
                "give the key a name of 1 to 100 printable characters",
            ));
        };
        let (secret, prefix) = crypto::new_api_key();
        let key_hash = crypto::token_hash(&secret);
        let id = uuid::Uuid::new_v4().to_string();
        let now = db::now_ms();
        let issued = units::IssuedKey {
            id: id.clone(),
            user_id: principal.user.id.clone(),
            org_id: principal.org.id.clone(),
            name: name.clone(),
            prefix: prefix.clone(),
            key_hash,
        };
        let org = units::store_api_key(self.services.db(), issued, now)
            .await?
            .ok_or(ApiError::NotFound)?;
        Ok(CreatedApiKey {
            key: ApiKeyView {
                id,
                name,
                prefix,
                org_id: org.id,
                org_name: org.name,
                created_at: to_datetime(now),
                last_used_at: None,
            },
            secret,
        })
    }

    pub async fn list_api_keys(&self, principal: &Principal) -> ApiResult<Vec<ApiKeyView>> {
        let uid = principal.user.id.clone();
        let rows = self
            .services
            .db()
            .call(move |conn| credentials::live_api_keys_of_user(conn, &uid))
            .await?;
        Ok(rows
            .into_iter()
            .map(|k| ApiKeyView {
                id: k.id,
                name: k.name,
                prefix: k.prefix,
                org_id: k.org_id,
                org_name: k.org_name,
                created_at: to_datetime(k.created_at),
                last_used_at: k.last_used_at.map(to_datetime),
            })
            .collect())
    }

    pub async fn revoke_api_key(&self, principal: &Principal, key_id: &str) -> ApiResult<()> {
        let (uid, kid, now) = (principal.user.id.clone(), key_id.to_owned(), db::now_ms());
        let revoked = self
            .services
            .db()
            .call(move |conn| credentials::revoke_api_key(conn, UserId(&uid), ApiKeyId(&kid), now))
            .await?;
        if revoked {
            self.services.live().publish_revoked(&principal.user.id);
        }
        revoked.then_some(()).ok_or(ApiError::NotFound)
    }
}
