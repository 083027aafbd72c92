//! What a magnet link says about where to find peers: its trackers (`tr`) and peer addresses
//! (`x.pe`), which librqbit does not read itself.

use std::net::SocketAddr;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MagnetHints {
    pub trackers: Vec<String>,
    pub peers: Vec<SocketAddr>,
}

/// Upper bounds, so a crafted link cannot make the engine dial thousands of addresses.
const MAX_TRACKERS: usize = 50;
const MAX_PEERS: usize = 200;

impl MagnetHints {
    /// Reads `tr` and `x.pe`; anything unparsable is skipped, never fatal.
    pub fn parse(magnet: &str) -> MagnetHints {
        let mut hints = MagnetHints::default();
        let Ok(url) = url::Url::parse(magnet) else {
            return hints;
        };
        for (key, value) in url.query_pairs() {
            match key.as_ref() {
                "tr" if hints.trackers.len() < MAX_TRACKERS => {
                    if let Ok(tracker) = url::Url::parse(&value) {
                        if matches!(tracker.scheme(), "http" | "https" | "udp") {
                            hints.trackers.push(tracker.to_string());
                        }
                    }
                }
                "x.pe" if hints.peers.len() < MAX_PEERS => {
                    if let Ok(peer) = value.parse::<SocketAddr>() {
                        hints.peers.push(peer);
                    }
                }
                _ => {}
            }
        }
        hints
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trackers_and_peers_are_read_and_junk_skipped() {
        let hints = MagnetHints::parse(
            "magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567\
             &tr=http%3A%2F%2F127.0.0.1%3A6969%2Fannounce&tr=file%3A%2F%2F%2Fetc%2Fpasswd\
             &x.pe=127.0.0.1:6881&x.pe=%5B%3A%3A1%5D:51413&x.pe=not-an-address",
        );
        assert_eq!(hints.trackers, vec!["http://127.0.0.1:6969/announce"]);
        assert_eq!(
            hints.peers,
            vec![
                "127.0.0.1:6881".parse().expect("v4"),
                "[::1]:51413".parse().expect("v6")
            ]
        );
        assert_eq!(MagnetHints::parse("not a url"), MagnetHints::default());
    }
}
