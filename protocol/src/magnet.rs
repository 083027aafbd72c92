//! Magnet links from users and web pages: parsed strictly, reduced to what we trust (info hashes,
//! a display name, tracker and peer hints) and written back in one canonical form.

use crate::names;
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Magnet {
    /// Lowercase hex SHA-1 info hash (BitTorrent v1).
    pub info_hash_v1: Option<String>,
    /// Lowercase hex SHA-256 info hash (BitTorrent v2).
    pub info_hash_v2: Option<String>,
    pub display_name: Option<String>,
    pub trackers: Vec<String>,
    /// `host:port` peer hints from `x.pe`.
    pub peers: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MagnetError {
    #[error("a magnet link starts with \"magnet:?\"")]
    Scheme,
    #[error("the magnet link is longer than {0} characters")]
    TooLong(usize),
    #[error("the magnet link has no BitTorrent info hash (xt=urn:btih:… or urn:btmh:…)")]
    NoInfoHash,
    #[error("malformed info hash {0:?}")]
    BadInfoHash(String),
    #[error("the magnet link repeats different info hashes of one kind")]
    ConflictingHashes,
    #[error("the magnet link is not valid percent-encoded UTF-8")]
    Encoding,
}

const MAX_HINTS: usize = 64;

pub fn parse(text: &str, max_len: usize) -> Result<Magnet, MagnetError> {
    let text = text.trim();
    if text.len() > max_len {
        return Err(MagnetError::TooLong(max_len));
    }
    let query = text
        .strip_prefix("magnet:?")
        .or_else(|| {
            text.get(..8)
                .filter(|p| p.eq_ignore_ascii_case("magnet:?"))
                .map(|_| &text[8..])
        })
        .ok_or(MagnetError::Scheme)?;
    let mut magnet = Magnet {
        info_hash_v1: None,
        info_hash_v2: None,
        display_name: None,
        trackers: Vec::new(),
        peers: Vec::new(),
    };
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, raw_value) = pair.split_once('=').unwrap_or((pair, ""));
        let value = percent_decode_str(&raw_value.replace('+', " "))
            .decode_utf8()
            .map_err(|_| MagnetError::Encoding)?
            .into_owned();
        match key.to_ascii_lowercase().as_str() {
            "xt" | "xt.1" | "xt.2" | "xt.3" => add_exact_topic(&mut magnet, &value)?,
            "dn" => {
                let name = names::display_name(&value);
                if !name.is_empty() {
                    magnet.display_name = Some(name);
                }
            }
            "tr" => {
                if let Some(url) = tracker_url(value.as_bytes()) {
                    if !magnet.trackers.contains(&url) && magnet.trackers.len() < MAX_HINTS {
                        magnet.trackers.push(url);
                    }
                }
            }
            "x.pe" => {
                if let Some(peer) = peer_hint(&value) {
                    if !magnet.peers.contains(&peer) && magnet.peers.len() < MAX_HINTS {
                        magnet.peers.push(peer);
                    }
                }
            }
            _ => {}
        }
    }
    if magnet.info_hash_v1.is_none() && magnet.info_hash_v2.is_none() {
        return Err(MagnetError::NoInfoHash);
    }
    Ok(magnet)
}

fn add_exact_topic(magnet: &mut Magnet, value: &str) -> Result<(), MagnetError> {
    let lower = value.to_ascii_lowercase();
    let (slot, hash) = if let Some(hash) = lower.strip_prefix("urn:btih:") {
        let hex = match hash.len() {
            40 if hash.bytes().all(|b| b.is_ascii_hexdigit()) => hash.to_owned(),
            32 => data_encoding::BASE32
                .decode(hash.to_ascii_uppercase().as_bytes())
                .map(hex::encode)
                .map_err(|_| MagnetError::BadInfoHash(value.to_owned()))?,
            _ => return Err(MagnetError::BadInfoHash(value.to_owned())),
        };
        (&mut magnet.info_hash_v1, hex)
    } else if let Some(multihash) = lower.strip_prefix("urn:btmh:") {
        // Multihash: 0x12 (sha2-256), 0x20 (32 bytes), then the digest.
        let digest = multihash
            .strip_prefix("1220")
            .filter(|d| d.len() == 64 && d.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or_else(|| MagnetError::BadInfoHash(value.to_owned()))?;
        (&mut magnet.info_hash_v2, digest.to_owned())
    } else {
        // Other topics (ed2k, sha1 of a plain file…) are not BitTorrent; ignore them.
        return Ok(());
    };
    match slot {
        Some(existing) if *existing != hash => Err(MagnetError::ConflictingHashes),
        _ => {
            *slot = Some(hash);
            Ok(())
        }
    }
}

/// A tracker URL we are willing to announce to: http, https or udp, printable, bounded.
pub fn tracker_url(raw: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(raw).ok()?.trim();
    if text.len() > 512 {
        return None;
    }
    let url = url::Url::parse(text).ok()?;
    matches!(url.scheme(), "http" | "https" | "udp")
        .then_some(())
        .filter(|_| url.host().is_some())?;
    Some(url.to_string())
}

fn peer_hint(text: &str) -> Option<String> {
    let addr: std::net::SocketAddr = text.trim().parse().ok()?;
    (addr.port() != 0).then(|| addr.to_string())
}

const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

impl Magnet {
    /// The canonical link: hashes first, then name, trackers and peers, all re-encoded.
    pub fn to_uri(&self) -> String {
        let mut uri = String::from("magnet:?");
        let mut parts = Vec::new();
        if let Some(v1) = &self.info_hash_v1 {
            parts.push(format!("xt=urn:btih:{v1}"));
        }
        if let Some(v2) = &self.info_hash_v2 {
            parts.push(format!("xt=urn:btmh:1220{v2}"));
        }
        if let Some(name) = &self.display_name {
            parts.push(format!("dn={}", utf8_percent_encode(name, COMPONENT)));
        }
        for tracker in &self.trackers {
            parts.push(format!("tr={}", utf8_percent_encode(tracker, COMPONENT)));
        }
        for peer in &self.peers {
            parts.push(format!("x.pe={}", utf8_percent_encode(peer, COMPONENT)));
        }
        uri.push_str(&parts.join("&"));
        uri
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HASH: &str = "c9e15763f722f23e98a29decdfae341b98d53056";

    #[test]
    fn reads_hex_and_base32_hashes_names_and_hints() {
        let m = parse(
            &format!(
                "magnet:?xt=urn:btih:{}&dn=Big+Buck%20Bunny&tr=udp%3A%2F%2Ftracker.example%3A1337&x.pe=127.0.0.1:6881&tr=javascript:alert(1)",
                HASH.to_uppercase()
            ),
            4096,
        )
        .expect("valid");
        assert_eq!(m.info_hash_v1.as_deref(), Some(HASH));
        assert_eq!(m.display_name.as_deref(), Some("Big Buck Bunny"));
        assert_eq!(m.trackers, vec!["udp://tracker.example:1337"]);
        assert_eq!(m.peers, vec!["127.0.0.1:6881"]);

        let b32 = data_encoding::BASE32.encode(&hex::decode(HASH).expect("hex"));
        let m2 = parse(&format!("magnet:?xt=urn:btih:{b32}"), 4096).expect("base32");
        assert_eq!(m2.info_hash_v1.as_deref(), Some(HASH));
    }

    #[test]
    fn reads_v2_and_hybrid_links() {
        let v2 = "a".repeat(64);
        let m = parse(
            &format!("magnet:?xt=urn:btih:{HASH}&xt=urn:btmh:1220{v2}"),
            4096,
        )
        .expect("hybrid");
        assert_eq!(m.info_hash_v2.as_deref(), Some(v2.as_str()));
        assert_eq!(parse(&m.to_uri(), 4096).expect("round trip"), m);
    }

    #[test]
    fn refuses_bad_links() {
        for bad in [
            "http://example.com/a.torrent".to_owned(),
            "magnet:?dn=nothing".to_owned(),
            "magnet:?xt=urn:btih:1234".to_owned(),
            format!("magnet:?xt=urn:btih:{}", "z".repeat(40)),
            "magnet:?xt=urn:btmh:1220abcd".to_owned(),
            format!("magnet:?xt=urn:btih:{HASH}&xt=urn:btih:{}", "0".repeat(40)),
            "magnet:?xt=urn:btih:%FF%FE".to_owned(),
            format!("magnet:?xt=urn:btih:{HASH}&dn={}", "a".repeat(5000)),
        ] {
            assert!(parse(&bad, 4096).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn display_names_are_cleaned_and_re_encoded() {
        let m = parse(
            &format!("magnet:?xt=urn:btih:{HASH}&dn=..%2F..%2Fetc%0A"),
            4096,
        )
        .expect("valid");
        assert_eq!(m.display_name.as_deref(), Some("../../etc"));
        assert!(m.to_uri().contains("dn=..%2F..%2Fetc"));
    }
}
