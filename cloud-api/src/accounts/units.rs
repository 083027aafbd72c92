//! Accounts' units of work: a sign-up, a confirmed address, a link mailed, a password set or
//! reset, a profile changed. Each is one store operation (the change, the tokens it retires, the
//! mail it queues, the credentials it revokes), so a service never holds a transaction.

use crate::accounts::store as q;
use crate::accounts::store::{NewUser, TokenPurpose, UserRow};
use crate::credentials::store as credentials;
use crate::ids::{AgentId, UserId};
use crate::mail::{store as mail_queue, Email};
use crate::store::{DbResult, Store};
use tseeder_protocol::Role;

/// A sign-up as the service prepared it: the account, its verification token and both mails.
#[derive(Debug)]
pub struct Registration {
    pub user_id: String,
    pub email: String,
    pub password_hash: String,
    pub token_hash: Vec<u8>,
    pub token_expires_at: i64,
    /// Sent when the address is new.
    pub verification: Email,
    /// Sent instead when the address already has an account.
    pub taken_notice: Email,
}

/// Creates the account with its verification token and queues its mail; an address that has an
/// account already only gets the notice.
pub async fn register(store: &Store, new: Registration, now: i64) -> DbResult<()> {
    store
        .transaction(move |tx| {
            if q::user_by_email(tx, &new.email)?.is_some() {
                return mail_queue::enqueue(tx, &new.taken_notice, now);
            }
            q::insert_user(
                tx,
                &NewUser {
                    id: &new.user_id,
                    email: &new.email,
                    password_hash: &new.password_hash,
                    role: Role::User,
                    email_verified_at: None,
                    aup_accepted_at: Some(now),
                    now,
                },
            )?;
            q::insert_account_token(
                tx,
                &new.token_hash,
                &new.user_id,
                TokenPurpose::VerifyEmail,
                now,
                new.token_expires_at,
            )?;
            mail_queue::enqueue(tx, &new.verification, now)
        })
        .await
}

/// Spends a verification token and marks its account's address confirmed; false when the
/// token is unknown, used or expired.
pub async fn verify_email(store: &Store, token_hash: Vec<u8>, now: i64) -> DbResult<bool> {
    store
        .transaction(move |tx| {
            let Some(user_id) =
                q::consume_account_token(tx, &token_hash, TokenPurpose::VerifyEmail, now)?
            else {
                return Ok(false);
            };
            q::mark_email_verified(tx, &user_id, now)?;
            Ok(true)
        })
        .await
}

/// A single-use link for the account at an address: its token and the mail carrying it.
#[derive(Debug)]
pub struct Link {
    pub email: String,
    pub purpose: TokenPurpose,
    pub token_hash: Vec<u8>,
    pub expires_at: i64,
    pub mail: Email,
}

/// Replaces the account's earlier links of the same purpose with this one and queues its mail;
/// false (nothing done) when no account uses the address, or, for a verification link, when the
/// address is confirmed already.
pub async fn issue_link(store: &Store, link: Link, now: i64) -> DbResult<bool> {
    store
        .transaction(move |tx| {
            let Some(user) = q::user_by_email(tx, &link.email)? else {
                return Ok(false);
            };
            if link.purpose == TokenPurpose::VerifyEmail && user.email_verified_at.is_some() {
                return Ok(false);
            }
            q::retire_account_tokens(tx, &user.id, link.purpose, now)?;
            q::insert_account_token(
                tx,
                &link.token_hash,
                &user.id,
                link.purpose,
                now,
                link.expires_at,
            )?;
            mail_queue::enqueue(tx, &link.mail, now)?;
            Ok(true)
        })
        .await
}

/// Spends a reset token: sets the new password, confirms the address (the mail reached it) and
/// revokes every credential. Answers whose password changed, if the token was good.
pub async fn reset_password(
    store: &Store,
    token_hash: Vec<u8>,
    password_hash: String,
    now: i64,
) -> DbResult<Option<String>> {
    store
        .transaction(move |tx| {
            let Some(user_id) =
                q::consume_account_token(tx, &token_hash, TokenPurpose::PasswordReset, now)?
            else {
                return Ok(None);
            };
            q::set_password_hash(tx, &user_id, &password_hash, now)?;
            q::mark_email_verified(tx, &user_id, now)?;
            q::retire_account_tokens(tx, &user_id, TokenPurpose::PasswordReset, now)?;
            credentials::revoke_credentials(tx, &user_id, None, now)?;
            Ok(Some(user_id))
        })
        .await
}

/// Sets what is given of a user's display name (empty clears it) and default device (empty
/// clears it; otherwise one of the user's live devices). Nothing when the device is not.
pub async fn update_profile(
    store: &Store,
    user_id: String,
    display_name: Option<String>,
    default_device: Option<String>,
    now: i64,
) -> DbResult<Option<UserRow>> {
    store
        .transaction(move |tx| {
            let uid = &user_id;
            if let Some(name) = &display_name {
                let name = (!name.is_empty()).then_some(name.as_str());
                q::set_display_name(tx, uid, name, now)?;
            }
            if let Some(device) = &default_device {
                if !device.is_empty() && !q::is_live_device_of(tx, UserId(uid), AgentId(device))? {
                    return Ok(None);
                }
                let device = (!device.is_empty()).then_some(device.as_str());
                q::set_default_device(tx, uid, device, now)?;
            }
            q::user_by_id(tx, uid)
        })
        .await
}

/// Sets a user's new password and signs out their other sessions (every credential but
/// `keep` when `everywhere`).
pub async fn change_password(
    store: &Store,
    user_id: String,
    password_hash: String,
    keep: Option<String>,
    everywhere: bool,
    now: i64,
) -> DbResult<credentials::Revoked> {
    store
        .transaction(move |tx| {
            q::set_password_hash(tx, &user_id, &password_hash, now)?;
            if everywhere {
                return credentials::revoke_credentials(tx, &user_id, keep.as_deref(), now);
            }
            let sessions = credentials::revoke_other_sessions(tx, &user_id, keep.as_deref(), now)?;
            Ok(credentials::Revoked {
                sessions,
                ..Default::default()
            })
        })
        .await
}
