//! Webhook secrets at rest. A secret has to be read back to sign each delivery, so it cannot be
//! stored as a hash the way API keys are; it is sealed instead (AES-256-GCM) under a key derived
//! from the server's link-signing key, which lives in the configuration or the data folder, not
//! in the database. A copy of the database alone (a dump, a stolen replica, a leaked backup of
//! the store) then does not let anyone sign deliveries as this server. Secrets stored before
//! sealing are sealed when the server starts ([`crate::webhooks::units::seal_stored_secrets`]).

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

/// Seals and opens webhook secrets with the server's key.
#[derive(Clone)]
pub struct SecretBox {
    key: [u8; 32],
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox(…)")
    }
}

impl SecretBox {
    /// A box keyed by HMAC-SHA256 of a fixed label under `server_key`, so the link-signing key
    /// itself never encrypts anything and this key signs nothing.
    pub fn new(server_key: &[u8]) -> SecretBox {
        use hmac::{Hmac, Mac};
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(server_key).expect("any key length");
        mac.update(b"tseeder webhook secrets v1");
        SecretBox {
            key: mac.finalize().into_bytes().into(),
        }
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

    /// The secret in a stored value: opened when sealed, as it is when stored before sealing.
    pub fn open(&self, stored: &str) -> Result<String, Unreadable> {
        let Some(encoded) = stored.strip_prefix(SEALED_PREFIX) else {
            return Ok(stored.to_owned());
        };
        let bytes = URL_SAFE_NO_PAD.decode(encoded).map_err(|_| Unreadable)?;
        if bytes.len() < NONCE_BYTES + TAG_BYTES {
            return Err(Unreadable);
        }
        let (nonce, rest) = bytes.split_at(NONCE_BYTES);
        let (sealed, tag) = rest.split_at(rest.len() - TAG_BYTES);
        let opened = decrypt_aead(
            Cipher::aes_256_gcm(),
            &self.key,
            Some(nonce),
            CONTEXT,
            sealed,
            tag,
        )
        .map_err(|_| Unreadable)?;
        String::from_utf8(opened).map_err(|_| Unreadable)
    }
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
}
