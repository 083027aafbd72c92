//! Webhook secrets at rest. A secret has to be read back to sign each delivery, so it cannot be
//! stored as a hash the way API keys are; it is sealed instead (AES-256-GCM) under a key derived
//! from the server's link-signing key, which lives in the configuration or the data folder, not
//! in the database. A copy of the database alone (a dump, a stolen replica, a leaked backup of
//! the store) then does not let anyone sign deliveries as this server. Secrets stored before
//! sealing, and secrets sealed under a key the server replaced (a rotation keeps the old key in
//! `storage.previous_url_signing_secrets` for one start), are sealed under the current key when
//! the server starts ([`crate::webhooks::units::seal_stored_secrets`]).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use openssl::symm::{decrypt_aead, encrypt_aead, Cipher};
use rand::RngCore;

/// Marks a sealed value; anything else in the column is a secret stored before sealing.
pub const SEALED_PREFIX: &str = "sealed1:";

/// Bound to every sealed value, so a sealed secret cannot be passed off as another kind of
/// sealed data.
const CONTEXT: &[u8] = b"tseeder webhook secret";
const NONCE_BYTES: usize = 12;
const TAG_BYTES: usize = 16;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("the stored webhook secret cannot be opened with this server's key (was the link-signing key changed?)")]
pub struct Unreadable;

/// Seals and opens webhook secrets with the server's key; opens, too, what was sealed under the
/// keys it replaced (`storage.previous_url_signing_secrets`), so a key can be rotated.
#[derive(Clone)]
pub struct SecretBox {
    key: [u8; 32],
    previous: Vec<[u8; 32]>,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox(…)")
    }
}

/// What a stored secret needs so that the current key opens it.
#[derive(Debug, PartialEq, Eq)]
pub enum Renewal {
    /// Sealed under the current key already.
    Current,
    /// Stored in the clear, or sealed under a previous key: this is its new stored form.
    Reseal(String),
}

impl SecretBox {
    /// A box keyed by HMAC-SHA256 of a fixed label under `server_key`, so the link-signing key
    /// itself never encrypts anything and this key signs nothing.
    pub fn new(server_key: &[u8]) -> SecretBox {
        SecretBox {
            key: derive(server_key),
            previous: Vec::new(),
        }
    }

    /// Also opens what was sealed under any of `server_keys`, the keys this one replaced.
    pub fn with_previous<'k>(mut self, server_keys: impl IntoIterator<Item = &'k [u8]>) -> Self {
        self.previous = server_keys.into_iter().map(derive).collect();
        self
    }

    /// `secret` sealed under a fresh random nonce: `sealed1:` and base64url of nonce, ciphertext
    /// and tag.
    pub fn seal(&self, secret: &str) -> String {
        let mut nonce = [0u8; NONCE_BYTES];
        rand::rng().fill_bytes(&mut nonce);
        let mut tag = [0u8; TAG_BYTES];
        let sealed = encrypt_aead(
            Cipher::aes_256_gcm(),
            &self.key,
            Some(&nonce),
            CONTEXT,
            secret.as_bytes(),
            &mut tag,
        )
        .expect("AES-256-GCM with a 32-byte key and a 12-byte nonce");
        let mut out = Vec::with_capacity(NONCE_BYTES + sealed.len() + TAG_BYTES);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        out.extend_from_slice(&tag);
        format!("{SEALED_PREFIX}{}", URL_SAFE_NO_PAD.encode(out))
    }

    /// The secret in a stored value: opened when sealed (under the current key or a previous
    /// one), as it is when stored before sealing.
    pub fn open(&self, stored: &str) -> Result<String, Unreadable> {
        let Some(encoded) = stored.strip_prefix(SEALED_PREFIX) else {
            return Ok(stored.to_owned());
        };
        std::iter::once(&self.key)
            .chain(&self.previous)
            .find_map(|key| open_with(key, encoded))
            .ok_or(Unreadable)
    }

    /// Whether a stored value must be sealed again for the current key alone to open it.
    pub fn renewal(&self, stored: &str) -> Result<Renewal, Unreadable> {
        let secret = match stored.strip_prefix(SEALED_PREFIX) {
            None => stored.to_owned(),
            Some(encoded) if open_with(&self.key, encoded).is_some() => {
                return Ok(Renewal::Current)
            }
            Some(encoded) => self
                .previous
                .iter()
                .find_map(|key| open_with(key, encoded))
                .ok_or(Unreadable)?,
        };
        Ok(Renewal::Reseal(self.seal(&secret)))
    }
}

fn derive(server_key: &[u8]) -> [u8; 32] {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(server_key).expect("any key length");
    mac.update(b"tseeder webhook secrets v1");
    mac.finalize().into_bytes().into()
}

fn open_with(key: &[u8; 32], encoded: &str) -> Option<String> {
    let bytes = URL_SAFE_NO_PAD.decode(encoded).ok()?;
    if bytes.len() < NONCE_BYTES + TAG_BYTES {
        return None;
    }
    let (nonce, rest) = bytes.split_at(NONCE_BYTES);
    let (sealed, tag) = rest.split_at(rest.len() - TAG_BYTES);
    let opened = decrypt_aead(
        Cipher::aes_256_gcm(),
        key,
        Some(nonce),
        CONTEXT,
        sealed,
        tag,
    )
    .ok()?;
    String::from_utf8(opened).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_secret_opens_only_with_the_same_key_and_unaltered() {
        let sealer = SecretBox::new(b"the server's link-signing key, 32+ chars");
        let sealed = sealer.seal("whsec_abc");
        assert!(sealed.starts_with(SEALED_PREFIX));
        assert!(!sealed.contains("whsec_abc"), "{sealed}");
        assert_ne!(sealer.seal("whsec_abc"), sealed, "a fresh nonce each time");
        assert_eq!(sealer.open(&sealed), Ok("whsec_abc".to_owned()));

        let other = SecretBox::new(b"another server's key, also 32+ chars");
        assert_eq!(other.open(&sealed), Err(Unreadable));

        let encoded = sealed.strip_prefix(SEALED_PREFIX).expect("prefix");
        let mut bytes = URL_SAFE_NO_PAD.decode(encoded).expect("base64");
        let middle = bytes.len() / 2;
        bytes[middle] ^= 1;
        let altered = format!("{SEALED_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes));
        assert_eq!(sealer.open(&altered), Err(Unreadable));
        for broken in ["sealed1:", "sealed1:!!", "sealed1:AAAA"] {
            assert_eq!(sealer.open(broken), Err(Unreadable), "{broken}");
        }
    }

    #[test]
    fn a_secret_stored_before_sealing_reads_as_it_is() {
        let sealer = SecretBox::new(b"the server's link-signing key, 32+ chars");
        assert_eq!(sealer.open("whsec_old"), Ok("whsec_old".to_owned()));
        assert!(!"whsec_old".starts_with(SEALED_PREFIX));
    }

    #[test]
    fn a_rotated_key_still_opens_what_the_previous_one_sealed_until_it_is_resealed() {
        let old = SecretBox::new(b"the key before rotation, 32+ characters");
        let sealed_before = old.seal("whsec_abc");
        let rotated = SecretBox::new(b"the key after rotation, 32+ characters!")
            .with_previous([&b"the key before rotation, 32+ characters"[..]]);
        assert_eq!(rotated.open(&sealed_before), Ok("whsec_abc".to_owned()));

        let Ok(Renewal::Reseal(resealed)) = rotated.renewal(&sealed_before) else {
            panic!("a secret sealed under a previous key is sealed again");
        };
        let without_old = SecretBox::new(b"the key after rotation, 32+ characters!");
        assert_eq!(without_old.open(&resealed), Ok("whsec_abc".to_owned()));
        assert_eq!(rotated.renewal(&resealed), Ok(Renewal::Current));
        assert!(
            matches!(rotated.renewal("whsec_plain"), Ok(Renewal::Reseal(sealed)) if without_old.open(&sealed) == Ok("whsec_plain".to_owned())),
            "a secret in the clear is sealed under the current key"
        );
        let stranger = SecretBox::new(b"a key this server never had, 32+ chars");
        assert_eq!(rotated.renewal(&stranger.seal("whsec_x")), Err(Unreadable));
    }
}
