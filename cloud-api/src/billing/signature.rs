//! Stripe's webhook signature, checked as Stripe specifies: `Stripe-Signature: t=…,v1=…`, an
//! HMAC-SHA256 of `<t>.<raw body>` under the endpoint's secret, compared in constant time; any
//! of several `v1` entries may match (Stripe signs with the old and the new secret while one is
//! rolled), and a timestamp further than the tolerance from now is refused as a replay.

use crate::crypto::{constant_time_eq, timestamped_hmac};

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the Stripe-Signature header is missing")]
    Missing,
    #[error("the Stripe-Signature header has no timestamp or no v1 signature")]
    Malformed,
    #[error("no v1 signature matches the endpoint secret")]
    Mismatch,
    #[error("the signature's timestamp is outside the tolerance")]
    Stale,
}

/// Checks `header` against `payload` at `now` (seconds); answers the signed timestamp.
pub fn verify(
    header: Option<&str>,
    payload: &[u8],
    secret: &str,
    tolerance_seconds: u64,
    now: i64,
) -> Result<i64, SignatureError> {
    let header = header.ok_or(SignatureError::Missing)?;
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", value)) => timestamp = value.parse::<i64>().ok(),
            Some(("v1", value)) => signatures.push(value),
            _ => {}
        }
    }
    let (Some(timestamp), false) = (timestamp, signatures.is_empty()) else {
        return Err(SignatureError::Malformed);
    };
    let expected = timestamped_hmac(secret, timestamp, payload);
    let matches = signatures
        .iter()
        .any(|signature| constant_time_eq(signature.as_bytes(), expected.as_bytes()));
    if !matches {
        return Err(SignatureError::Mismatch);
    }
    if now.abs_diff(timestamp) > tolerance_seconds {
        return Err(SignatureError::Stale);
    }
    Ok(timestamp)
}

#[cfg(test)]
mod tests {
    use super::*;
    use hmac::{Hmac, Mac};
    use sha2::Sha256;

    const SECRET: &str = "whsec_test_secret";
    const BODY: &[u8] = br#"{"id":"evt_1","type":"invoice.payment_failed"}"#;

    fn sign(secret: &str, t: i64, body: &[u8]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
        mac.update(format!("{t}.").as_bytes());
        mac.update(body);
        data_encoding::HEXLOWER.encode(&mac.finalize().into_bytes())
    }

    #[test]
    fn a_signature_of_the_raw_body_under_the_secret_is_accepted() {
        let header = format!("t=1000,v1={}", sign(SECRET, 1000, BODY));
        assert_eq!(verify(Some(&header), BODY, SECRET, 300, 1100), Ok(1000));
    }

    #[test]
    fn any_v1_may_match_while_a_secret_is_rolled() {
        let header = format!(
            "t=1000,v1={},v1={},v0=ignored",
            sign("whsec_old", 1000, BODY),
            sign(SECRET, 1000, BODY)
        );
        assert_eq!(verify(Some(&header), BODY, SECRET, 300, 1000), Ok(1000));
    }

    #[test]
    fn wrong_secret_changed_body_or_moved_timestamp_is_refused() {
        let good = sign(SECRET, 1000, BODY);
        let wrong = format!("t=1000,v1={}", sign("whsec_other", 1000, BODY));
        assert_eq!(
            verify(Some(&wrong), BODY, SECRET, 300, 1000),
            Err(SignatureError::Mismatch)
        );
        let header = format!("t=1000,v1={good}");
        assert_eq!(
            verify(Some(&header), b"{\"id\":\"evt_2\"}", SECRET, 300, 1000),
            Err(SignatureError::Mismatch)
        );
        let moved = format!("t=1001,v1={good}");
        assert_eq!(
            verify(Some(&moved), BODY, SECRET, 300, 1000),
            Err(SignatureError::Mismatch)
        );
        let v0_only = format!("t=1000,v0={good}");
        assert_eq!(
            verify(Some(&v0_only), BODY, SECRET, 300, 1000),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            verify(None, BODY, SECRET, 300, 1000),
            Err(SignatureError::Missing)
        );
        assert_eq!(
            verify(Some("v1=zz"), BODY, SECRET, 300, 1000),
            Err(SignatureError::Malformed)
        );
    }

    #[test]
    fn old_and_future_timestamps_are_refused_past_the_tolerance() {
        let header = format!("t=1000,v1={}", sign(SECRET, 1000, BODY));
        assert_eq!(verify(Some(&header), BODY, SECRET, 300, 1300), Ok(1000));
        assert_eq!(
            verify(Some(&header), BODY, SECRET, 300, 1301),
            Err(SignatureError::Stale)
        );
        assert_eq!(
            verify(Some(&header), BODY, SECRET, 300, 699),
            Err(SignatureError::Stale)
        );
    }
}
