//! Accounts, sessions, API keys and plans as seen by a signed-in user.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Roles in rising order of power; every route names the least role it needs.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    User,
    Support,
    Admin,
    Superadmin,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::User, Role::Support, Role::Admin, Role::Superadmin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Support => "support",
            Role::Admin => "admin",
            Role::Superadmin => "superadmin",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.as_str() == text)
    }
}

#[derive(Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RegisterRequest {
    #[schemars(email, length(max = 254))]
    pub email: String,
    #[schemars(length(min = 10, max = 256))]
    pub password: String,
    /// Must be `true`: the acceptable use policy was accepted.
    #[schemars(extend("const" = true))]
    pub accepted_aup: bool,
    /// Token from the captcha widget; required only when the server has captcha switched on.
    #[serde(default)]
    pub captcha_token: Option<String>,
}

#[derive(Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EmailRequest {
    #[schemars(email, length(max = 254))]
    pub email: String,
}

#[derive(Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TokenRequest {
    pub token: String,
}

#[derive(Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PasswordResetConfirm {
    #[schemars(length(min = 1))]
    pub token: String,
    #[schemars(length(min = 10, max = 256))]
    pub new_password: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub id: String,
    pub email: String,
    pub role: Role,
    pub plan_id: String,
    pub email_verified: bool,
    pub suspended: bool,
    pub created_at: DateTime<Utc>,
    /// How the console greets the person; the email when unset.
    pub display_name: Option<String>,
    /// The user's own device new jobs go to by default; the cloud when unset.
    pub default_device_id: Option<String>,
}

/// Answer of login and of `GET /auth/me`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SessionInfo {
    pub user: User,
    /// Present when the caller is authenticated by session cookie: send it back in the
    /// `X-CSRF-Token` header on every write.
    pub csrf_token: Option<String>,
}

/// A generic acknowledgement for calls with nothing else to say.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Ack {
    pub ok: bool,
    pub message: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SessionView {
    pub id: String,
    pub current: bool,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

#[derive(Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreateApiKey {
    #[schemars(pattern(crate::fields::LABEL_PATTERN))]
    pub name: String,
    /// A key outlives the session that made it, so making one asks for the password again.
    pub current_password: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApiKeyView {
    pub id: String,
    pub name: String,
    /// The visible start of the key, e.g. `tsk_a1b2c3d4`, to recognise it in a list.
    pub prefix: String,
    /// The organization the key works in: its jobs, files and plan.
    pub org_id: String,
    pub org_name: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

/// Answer of key creation: the only time the full secret is ever shown.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreatedApiKey {
    pub key: ApiKeyView,
    pub secret: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Plan {
    pub id: String,
    pub name: String,
    pub max_active_jobs: u32,
    pub max_storage_bytes: u64,
    pub max_job_bytes: u64,
    pub retention_days: u32,
    pub price_cents: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Usage {
    /// The organization the request works in, whose plan and quotas these are.
    pub org_id: String,
    pub plan: Plan,
    pub active_jobs: u32,
    pub storage_bytes: u64,
    pub total_jobs: u64,
}

crate::debug_redacting!(RegisterRequest { email, accepted_aup } hiding { password, captcha_token });
crate::debug_redacting!(LoginRequest { email } hiding { password });
crate::debug_redacting!(TokenRequest {} hiding { token });
crate::debug_redacting!(PasswordResetConfirm {} hiding { token, new_password });
crate::debug_redacting!(CreateApiKey { name } hiding { current_password });

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_and_tokens_never_reach_debug_output() {
        let login = LoginRequest {
            email: "a@example.org".into(),
            password: "hunter2 hunter2".into(),
        };
        let reset = PasswordResetConfirm {
            token: "secret-token".into(),
            new_password: "a new passphrase".into(),
        };
        let key = CreateApiKey {
            name: "laptop".into(),
            current_password: "hunter2 hunter2".into(),
        };
        for text in [
            format!("{login:?}"),
            format!("{reset:?}"),
            format!("{key:?}"),
        ] {
            assert!(text.contains("[redacted]"), "{text}");
            assert!(
                !text.contains("hunter2")
                    && !text.contains("secret-token")
                    && !text.contains("passphrase"),
                "{text}"
            );
        }
        assert!(format!("{login:?}").contains("a@example.org"));
    }
}
