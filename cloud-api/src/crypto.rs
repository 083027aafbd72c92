//! Secrets we mint and check: random tokens, their stored hashes, and argon2id passwords.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

/// Prefix that makes tseeder API keys recognisable (and findable by secret scanners).
pub const API_KEY_PREFIX: &str = "tsk_";

/// A URL-safe random token carrying `bytes` bytes of entropy.
pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}

/// What the database stores for a bearer token: its SHA-256. Tokens carry 256 random bits, so
/// a fast hash is enough; a stolen database still cannot be replayed.
pub fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// The hex HMAC-SHA256 of `<timestamp>.<body>` keyed with `secret`: how tseeder signs its own
/// webhooks and how Stripe signs the ones it sends us.
pub fn timestamped_hmac(secret: &str, timestamp: i64, body: &[u8]) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// A new API key secret and its visible prefix.
pub fn new_api_key() -> (String, String) {
    let secret = format!("{API_KEY_PREFIX}{}", random_token(32));
    let prefix = secret.chars().take(API_KEY_PREFIX.len() + 8).collect();
    (secret, prefix)
}

/// Equality whose running time does not depend on where the inputs differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct PasswordError(String);

/// argon2id with the crate's recommended parameters. CPU-heavy: call from a blocking thread.
pub fn hash_password(password: &str) -> Result<String, PasswordError> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| PasswordError(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| PasswordError(e.to_string()))
}

/// Checks `password` against `stored`; with no stored hash it still spends the same work, so
/// response times do not tell which emails have accounts.
pub fn verify_password(password: &str, stored: Option<&str>) -> bool {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let dummy = DUMMY.get_or_init(|| hash_password("not a real password").unwrap_or_default());
    let candidate = stored.unwrap_or(dummy);
    let Ok(parsed) = PasswordHash::new(candidate) else {
        return false;
    };
    let matches = Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok();
    matches && stored.is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_round_trip_and_use_argon2id() {
        let hash = hash_password("correct horse battery").expect("hash");
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", Some(&hash)));
        assert!(!verify_password("wrong horse battery", Some(&hash)));
        assert!(!verify_password("correct horse battery", None));
    }

    #[test]
    fn tokens_are_long_random_and_hashed() {
        let a = random_token(32);
        assert!(a.len() >= 43);
        assert_ne!(a, random_token(32));
        assert_eq!(token_hash(&a).len(), 32);
        let (key, prefix) = new_api_key();
        assert!(key.starts_with("tsk_") && key.starts_with(&prefix));
        assert_eq!(prefix.len(), 12);
    }

    #[test]
    fn constant_time_eq_compares() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
    }
}
