//! How a delivery proves it came from this server: `Tseeder-Signature: t=<unix seconds>,v1=<hex>`,
//! the hex being HMAC-SHA256 of `<t>.<raw body>` keyed with the endpoint's secret. A receiver
//! recomputes it over the body as received, compares in constant time, and refuses a `t` far
//! from its clock (docs/webhooks.md shows it in a few lines).

pub const HEADER: &str = "tseeder-signature";

/// The header's value for `body` sent at `timestamp` (seconds since the epoch).
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    format!(
        "t={timestamp},v1={}",
        crate::crypto::timestamped_hmac(secret, timestamp, body)
    )
}

/// A new endpoint secret: `whsec_` and 32 random bytes (base64url).
pub fn new_secret() -> String {
    format!("whsec_{}", crate::crypto::random_token(32))
}

#[cfg(test)]
mod tests {
    use super::*;
    use hmac::{Hmac, Mac};
    use sha2::Sha256;

    #[test]
    fn the_signature_is_hmac_sha256_of_the_timestamp_a_dot_and_the_body() {
        let header = sign("key", 1, b"{}");
        let mut mac = Hmac::<Sha256>::new_from_slice(b"key").expect("key");
        mac.update(b"1.{}");
        let expected = hex::encode(mac.finalize().into_bytes());
        assert_eq!(header, format!("t=1,v1={expected}"));
        assert_ne!(sign("key", 2, b"{}"), header, "the timestamp is signed");
        assert_ne!(sign("other", 1, b"{}"), header, "the secret keys it");
    }
}
