//! Accounts: registration with email verification, login and logout, password reset, and a
//! user's own profile and password.

use crate::accounts::store as q;
use crate::accounts::store::TokenPurpose;
use crate::accounts::units;
use crate::credentials::store as credentials;
use crate::credentials::store::NewSession;
use crate::error::{ApiError, ApiResult};
use crate::ids::{SessionId, UserId};
use crate::mail::Email;
use crate::ratelimit::LimitedAction;
use crate::services::{user_view, Credential, Principal, RequestMeta, Services};
use crate::{crypto, store as db};
use tseeder_protocol::{
    Ack, ChangePassword, ErrorCode, LoginRequest, PasswordResetConfirm, RegisterRequest,
    SecurityEventKind, SessionInfo, UpdateProfile, User,
};

pub const MIN_PASSWORD_CHARS: usize = 10;

pub(crate) const EMAIL_TAKEN: (ErrorCode, &str) = (
    ErrorCode::EmailTaken,
    "an account with this email already exists",
);

pub const MAX_PASSWORD_CHARS: usize = 256;

/// A freshly opened session: what to show the client, and the secret for its cookie.
#[derive(Debug)]
pub struct NewLogin {
    pub info: SessionInfo,
    pub session_token: String,
}

/// Lowercases and checks an email address; the stored form is always this one.
pub fn normalize_email(raw: &str) -> ApiResult<String> {
    let email = raw.trim().to_lowercase();
    let valid = email.len() <= 254
        && email.parse::<lettre::Address>().is_ok()
        && email
            .rsplit_once('@')
            .is_some_and(|(_, domain)| domain.contains('.') && !domain.ends_with('.'));
    if !valid {
        return Err(ApiError::unprocessable(
            ErrorCode::InvalidEmail,
            "enter a valid email address",
        ));
    }
    Ok(email)
}

pub fn check_password_rules(password: &str) -> ApiResult<()> {
    let chars = password.chars().count();
    if !(MIN_PASSWORD_CHARS..=MAX_PASSWORD_CHARS).contains(&chars) {
        return Err(ApiError::unprocessable(
            ErrorCode::WeakPassword,
            format!("passwords need {MIN_PASSWORD_CHARS} to {MAX_PASSWORD_CHARS} characters"),
        ));
    }
    Ok(())
}

/// Password hashes run at most this many at once: each takes ~19 MiB and a core for a moment,
/// and a burst of sign-ins must queue rather than take all memory and every blocking thread.
fn password_work() -> &'static tokio::sync::Semaphore {
    static PERMITS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    PERMITS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
        tokio::sync::Semaphore::new(cores.clamp(2, 16))
    })
}

pub(crate) async fn hash_password(password: String) -> ApiResult<String> {
    let _permit = password_work()
        .acquire()
        .await
        .map_err(ApiError::internal)?;
    tokio::task::spawn_blocking(move || crypto::hash_password(&password))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)
}

pub(crate) async fn password_matches(password: String, stored: Option<String>) -> ApiResult<bool> {
    let _permit = password_work()
        .acquire()
        .await
        .map_err(ApiError::internal)?;
    tokio::task::spawn_blocking(move || crypto::verify_password(&password, stored.as_deref()))
        .await
        .map_err(ApiError::internal)
}

pub(crate) fn suspended_error() -> ApiError {
    ApiError::forbidden(ErrorCode::AccountSuspended, "this account is suspended")
}

pub(crate) fn ip_key(meta: &RequestMeta) -> String {
    let ip = meta.ip.as_deref().and_then(|ip| ip.parse().ok());
    crate::http::client_address::limit_key(ip)
}

const MAX_DISPLAY_NAME_CHARS: usize = 80;

/// Sign-up, verification, sign-in, password reset and profile.
#[derive(Debug, Clone, Copy)]
pub struct Accounts<'a> {
    pub(crate) services: &'a Services,
}

impl<'a> Accounts<'a> {
    pub(crate) fn new(services: &'a Services) -> Self {
        Accounts { services }
    }
}

impl Accounts<'_> {
    /// Creates an unverified account and mails its confirmation link. The answer is the same
    /// whether or not the address already has an account, so it does not reveal who does: the
    /// owner of an existing account is mailed instead, and the same work (password hash, one
    /// transaction, one queued mail) is done either way.
    pub async fn register(&self, meta: &RequestMeta, req: RegisterRequest) -> ApiResult<Ack> {
        if !self.services.runtime().registration.open {
            return Err(ApiError::forbidden(
                ErrorCode::RegistrationClosed,
                "sign-up is closed for now; existing accounts can still sign in",
            ));
        }
        let limits = &self.services.settings().rate_limits;
        self.services
            .rate_limit(
                LimitedAction::Register,
                &ip_key(meta),
                limits.register_per_ip,
                meta,
            )
            .await?;
        let email = normalize_email(&req.email)?;
        check_password_rules(&req.password)?;
        if !req.accepted_aup {
            return Err(ApiError::unprocessable(
                ErrorCode::AupNotAccepted,
                "you must accept the acceptable use policy",
            ));
        }
        self.check_captcha(meta, &email, req.captcha_token.as_deref())
            .await?;

        let password_hash = hash_password(req.password).await?;
        let token = crypto::random_token(32);
        let ttl_ms = i64::from(
            self.services
                .settings()
                .sessions
                .email_verification_ttl_hours,
        ) * 3_600_000;
        let now = db::now_ms();
        let registration = units::Registration {
            verification: self.verification_mail(&email, &token),
            taken_notice: self.taken_address_mail(&email),
            user_id: uuid::Uuid::now_v7().to_string(),
            email,
            password_hash,
            token_hash: crypto::token_hash(&token),
            token_expires_at: now + ttl_ms,
        };
        let outcome = units::register(self.services.db(), registration, now).await;
        match outcome {
            Ok(()) => self.services.mail().mail_queued(),
            // Registered by a request running at the same moment: the same answer, no mail.
            Err(err) if err.is_unique_violation() => {}
            Err(err) => return Err(err.into()),
        }
        Ok(Ack {
            ok: true,
            message: "check your inbox: we sent a link to confirm the address".into(),
        })
    }

    async fn check_captcha(
        &self,
        meta: &RequestMeta,
        email: &str,
        token: Option<&str>,
    ) -> ApiResult<()> {
        let Some(verifier) = self.services.captcha() else {
            return Ok(());
        };
        let token = token
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                ApiError::unprocessable(
                    ErrorCode::CaptchaRequired,
                    "complete the captcha to continue",
                )
            })?;
        let passed = verifier
            .verify(token, meta.ip.as_deref())
            .await
            .map_err(|err| {
                tracing::warn!(%err, "captcha verification unavailable");
                ApiError::Upstream {
                    code: ErrorCode::CaptchaUnavailable,
                    message: "the captcha check is unavailable; try again shortly".into(),
                }
            })?;
        if !passed {
            self.services
                .security_event(
                    SecurityEventKind::CaptchaFailed,
                    None,
                    Some(email.to_owned()),
                    meta,
                    serde_json::json!({}),
                )
                .await;
            return Err(ApiError::forbidden(
                ErrorCode::CaptchaFailed,
                "the captcha was not accepted; try again",
            ));
        }
        Ok(())
    }

    fn verification_mail(&self, email: &str, token: &str) -> Email {
        let link = format!(
            "{}/verify-email?token={token}",
            self.services.settings().public_url_trimmed()
        );
        Email {
            to: email.to_owned(),
            subject: "Confirm your tseeder account".into(),
            text: format!(
                "Welcome to tseeder.\r\n\r\nConfirm your email address by opening this link:\r\n\r\n{link}\r\n\r\nIf you did not create an account, ignore this message.\r\n"
            ),
        }
    }

    /// What the owner of an address hears when someone signs up with it again.
    fn taken_address_mail(&self, email: &str) -> Email {
        let base = self.services.settings().public_url_trimmed();
        Email {
            to: email.to_owned(),
            subject: "Someone tried to create a tseeder account with your address".into(),
            text: format!(
                "Someone tried to create a tseeder account with this address, which already has one.\r\n\r\nIf it was you, sign in at {base}/login, or choose a new password at {base}/forgot-password.\r\n\r\nIf it was not you, ignore this message; your account is unchanged.\r\n"
            ),
        }
    }

    pub async fn verify_email(&self, token: &str) -> ApiResult<Ack> {
        let token_hash = crypto::token_hash(token.trim());
        let verified = units::verify_email(self.services.db(), token_hash, db::now_ms()).await?;
        if !verified {
            return Err(ApiError::bad_request(
                ErrorCode::InvalidToken,
                "this link is invalid, already used or expired",
            ));
        }
        Ok(Ack {
            ok: true,
            message: "email address confirmed; you can sign in".into(),
        })
    }

    /// Sends a new verification link when the address belongs to an unverified account. The
    /// answer is the same either way, so it does not reveal who has an account.
    pub async fn resend_verification(&self, meta: &RequestMeta, raw_email: &str) -> ApiResult<Ack> {
        let email = normalize_email(raw_email)?;
        let limits = &self.services.settings().rate_limits;
        self.services
            .rate_limit(
                LimitedAction::VerifyResend,
                &ip_key(meta),
                limits.reset_per_ip,
                meta,
            )
            .await?;
        self.services
            .rate_limit(
                LimitedAction::VerifyResend,
                &email,
                limits.reset_per_account,
                meta,
            )
            .await?;
        let token = crypto::random_token(32);
        let ttl_ms = i64::from(
            self.services
                .settings()
                .sessions
                .email_verification_ttl_hours,
        ) * 3_600_000;
        let now = db::now_ms();
        let link = units::Link {
            mail: self.verification_mail(&email, &token),
            email,
            purpose: TokenPurpose::VerifyEmail,
            token_hash: crypto::token_hash(&token),
            expires_at: now + ttl_ms,
        };
        let queued = units::issue_link(self.services.db(), link, now).await?;
        if queued {
            self.services.mail().mail_queued();
        }
        Ok(Ack {
            ok: true,
            message: "if that account is waiting for confirmation, a new link is on its way".into(),
        })
    }

    pub async fn login(&self, meta: &RequestMeta, req: LoginRequest) -> ApiResult<NewLogin> {
        let limits = &self.services.settings().rate_limits;
        self.services
            .rate_limit(
                LimitedAction::Login,
                &ip_key(meta),
                limits.login_per_ip,
                meta,
            )
            .await?;
        let email = req.email.trim().to_lowercase();
        self.services
            .rate_limit(LimitedAction::Login, &email, limits.login_per_account, meta)
            .await?;

        let lookup = email.clone();
        let user = self
            .services
            .db()
            .call(move |conn| q::user_by_email(conn, &lookup))
            .await?;
        let stored = user.as_ref().map(|u| u.password_hash.clone());
        let user = match user {
            Some(user) if password_matches(req.password, stored).await? => user,
            other => {
                // Still spend the hashing work when there is no such user.
                if other.is_none() {
                    let _ = password_matches(String::new(), None).await;
                }
                self.services
                    .security_event(
                        SecurityEventKind::LoginFailed,
                        other.map(|u| u.id),
                        Some(email),
                        meta,
                        serde_json::json!({}),
                    )
                    .await;
                return Err(ApiError::Unauthorized {
                    code: ErrorCode::InvalidCredentials,
                    message: "wrong email or password".into(),
                });
            }
        };
        if user.suspended_at.is_some() {
            self.services
                .security_event(
                    SecurityEventKind::SuspendedLogin,
                    Some(user.id.clone()),
                    Some(user.email.clone()),
                    meta,
                    serde_json::json!({}),
                )
                .await;
            return Err(suspended_error());
        }
        if user.email_verified_at.is_none() {
            return Err(ApiError::forbidden(
                ErrorCode::EmailNotVerified,
                "confirm your email address first; we can send the link again",
            ));
        }
        self.open_session(meta, user).await
    }

    async fn open_session(&self, meta: &RequestMeta, user: q::UserRow) -> ApiResult<NewLogin> {
        let session_token = crypto::random_token(32);
        let token_hash = crypto::token_hash(&session_token);
        let csrf_token = crypto::random_token(32);
        let session_id = uuid::Uuid::new_v4().to_string();
        let now = db::now_ms();
        let expires_at = now + i64::from(self.services.settings().sessions.ttl_hours) * 3_600_000;
        let (ip, agent) = (
            meta.ip.clone(),
            meta.user_agent
                .as_deref()
                .map(|ua| ua.chars().take(300).collect::<String>()),
        );
        let (sid, csrf, uid) = (session_id.clone(), csrf_token.clone(), user.id.clone());
        self.services
            .db()
            .call(move |conn| {
                credentials::insert_session(
                    conn,
                    &NewSession {
                        id: &sid,
                        user_id: &uid,
                        token_hash: &token_hash,
                        csrf_token: &csrf,
                        ip: ip.as_deref(),
                        user_agent: agent.as_deref(),
                        now,
                        expires_at,
                    },
                )
            })
            .await?;
        Ok(NewLogin {
            info: SessionInfo {
                user: user_view(&user),
                csrf_token: Some(csrf_token),
            },
            session_token,
        })
    }

    /// Ends the caller's session; with an API key there is nothing to end.
    pub async fn logout(&self, principal: &Principal) -> ApiResult<Ack> {
        if let Credential::Session { id, .. } = &principal.credential {
            let (uid, sid, now) = (principal.user.id.clone(), id.clone(), db::now_ms());
            self.services
                .db()
                .call(move |conn| {
                    credentials::revoke_session(conn, UserId(&uid), SessionId(&sid), now)
                })
                .await?;
            self.services.live().publish_revoked(&principal.user.id);
        }
        Ok(Ack {
            ok: true,
            message: "signed out".into(),
        })
    }

    pub fn me(&self, principal: &Principal) -> SessionInfo {
        SessionInfo {
            user: user_view(&principal.user),
            csrf_token: match &principal.credential {
                Credential::Session { csrf_token, .. } => Some(csrf_token.clone()),
                Credential::ApiKey { .. } => None,
            },
        }
    }

    /// Mails a reset link when the account exists; answers the same either way.
    pub async fn request_password_reset(
        &self,
        meta: &RequestMeta,
        raw_email: &str,
    ) -> ApiResult<Ack> {
        let email = normalize_email(raw_email)?;
        let limits = &self.services.settings().rate_limits;
        self.services
            .rate_limit(
                LimitedAction::Reset,
                &ip_key(meta),
                limits.reset_per_ip,
                meta,
            )
            .await?;
        self.services
            .rate_limit(LimitedAction::Reset, &email, limits.reset_per_account, meta)
            .await?;
        let token = crypto::random_token(32);
        let ttl_ms =
            i64::from(self.services.settings().sessions.password_reset_ttl_minutes) * 60_000;
        let now = db::now_ms();
        let link = format!(
            "{}/reset-password?token={token}",
            self.services.settings().public_url_trimmed()
        );
        let minutes = self.services.settings().sessions.password_reset_ttl_minutes;
        let mail = Email {
            to: email.clone(),
            subject: "Reset your tseeder password".into(),
            text: format!(
                "Someone asked to reset the password of this tseeder account.\r\n\r\nChoose a new password within {minutes} minutes:\r\n\r\n{link}\r\n\r\nIf it was not you, ignore this message; your password stays as it is.\r\n"
            ),
        };
        // Queued in the same transaction, so the answer takes as long with or without an
        // account and a slow mail server shows in neither.
        let link = units::Link {
            email,
            purpose: TokenPurpose::PasswordReset,
            token_hash: crypto::token_hash(&token),
            expires_at: now + ttl_ms,
            mail,
        };
        let issued = units::issue_link(self.services.db(), link, now).await?;
        if issued {
            self.services.mail().mail_queued();
        }
        Ok(Ack {
            ok: true,
            message: "if an account uses that address, a reset link is on its way".into(),
        })
    }

    /// Sets a new password from a single-use reset token and ends every session of the account.
    pub async fn confirm_password_reset(
        &self,
        meta: &RequestMeta,
        req: PasswordResetConfirm,
    ) -> ApiResult<Ack> {
        check_password_rules(&req.new_password)?;
        let limits = &self.services.settings().rate_limits;
        self.services
            .rate_limit(
                LimitedAction::ResetConfirm,
                &ip_key(meta),
                limits.reset_per_ip,
                meta,
            )
            .await?;
        let password_hash = hash_password(req.new_password).await?;
        let token_hash = crypto::token_hash(req.token.trim());
        let changed =
            units::reset_password(self.services.db(), token_hash, password_hash, db::now_ms())
                .await?;
        let Some(user_id) = changed else {
            return Err(ApiError::bad_request(
                ErrorCode::InvalidToken,
                "this reset link is invalid, already used or expired",
            ));
        };
        self.services.live().publish_revoked(&user_id);
        Ok(Ack {
            ok: true,
            message: "password changed; every session, API key and device was signed out".into(),
        })
    }

    pub async fn update_profile(
        &self,
        principal: &Principal,
        req: UpdateProfile,
    ) -> ApiResult<User> {
        let display_name = req.display_name.map(|name| name.trim().to_owned());
        if display_name
            .as_ref()
            .is_some_and(|name| name.chars().count() > MAX_DISPLAY_NAME_CHARS)
        {
            return Err(ApiError::unprocessable(
                ErrorCode::InvalidDisplayName,
                format!("a display name is limited to {MAX_DISPLAY_NAME_CHARS} characters"),
            ));
        }
        let device = req.default_device_id.map(|id| id.trim().to_owned());
        let updated = units::update_profile(
            self.services.db(),
            principal.user.id.clone(),
            display_name,
            device,
            db::now_ms(),
        )
        .await?;
        updated.map(|row| user_view(&row)).ok_or_else(|| {
            ApiError::unprocessable(
                ErrorCode::UnknownDevice,
                "that device is not one of your registered computers",
            )
        })
    }

    /// Changes the password after checking the current one; every other session is signed out.
    pub async fn change_password(
        &self,
        principal: &Principal,
        meta: &RequestMeta,
        req: ChangePassword,
    ) -> ApiResult<Ack> {
        check_password_rules(&req.new_password)?;
        let limit = self
            .services
            .settings()
            .rate_limits
            .password_change_per_account;
        let account = format!("user:{}", principal.user.id);
        self.services
            .rate_limit(LimitedAction::PasswordChange, &account, limit, meta)
            .await?;
        let stored = Some(principal.user.password_hash.clone());
        if !password_matches(req.current_password, stored).await? {
            self.services
                .security_event(
                    SecurityEventKind::PasswordChangeFailed,
                    Some(principal.user.id.clone()),
                    Some(principal.user.email.clone()),
                    meta,
                    serde_json::json!({}),
                )
                .await;
            return Err(ApiError::forbidden(
                ErrorCode::WrongPassword,
                "the current password is not right",
            ));
        }
        let hash = hash_password(req.new_password).await?;
        let keep = match &principal.credential {
            Credential::Session { id, .. } => Some(id.clone()),
            Credential::ApiKey { .. } => None,
        };
        let everywhere = req.sign_out_everywhere;
        let revoked = units::change_password(
            self.services.db(),
            principal.user.id.clone(),
            hash,
            keep,
            everywhere,
            db::now_ms(),
        )
        .await?;
        self.services.live().publish_revoked(&principal.user.id);
        let message = if everywhere {
            format!(
                "password changed; {} other sessions, {} API keys and {} devices were signed out",
                revoked.sessions, revoked.api_keys, revoked.devices
            )
        } else {
            format!(
                "password changed; {} other sessions were signed out",
                revoked.sessions
            )
        };
        Ok(Ack { ok: true, message })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalized_and_checked() {
        assert_eq!(
            normalize_email("  Alice@Example.ORG ").expect("valid"),
            "alice@example.org"
        );
        for bad in [
            "",
            "alice",
            "alice@",
            "@example.org",
            "a b@example.org",
            "alice@localhost",
        ] {
            assert!(normalize_email(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn password_rules() {
        assert!(check_password_rules("short").is_err());
        assert!(check_password_rules(&"x".repeat(300)).is_err());
        assert!(check_password_rules("long enough pass").is_ok());
    }
}
