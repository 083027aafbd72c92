//! What the engine may dial for a torrent: trackers and peer hints from magnets and `.torrent`
//! files are untrusted, so those that are, or resolve to, private addresses are dropped before
//! librqbit sees them (see `tseeder_protocol::netpolicy`). Everything dialled later over TCP
//! goes through the policy proxy in `socks.rs`; this filter also covers UDP trackers, which
//! the proxy cannot carry.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;
use tseeder_protocol::netpolicy;

/// How long one tracker name may take to resolve before the tracker is dropped.
const RESOLVE_TIMEOUT: Duration = Duration::from_secs(3);

#[derive(Debug, Clone, Copy)]
pub(crate) struct NetworkPolicy {
    pub allow_private: bool,
}

impl NetworkPolicy {
    pub(crate) fn peers(&self, peers: Vec<SocketAddr>) -> Vec<SocketAddr> {
        peers
            .into_iter()
            .filter(|peer| self.allow_private || netpolicy::is_public(peer.ip()))
            .filter(|peer| peer.port() != 0)
            .collect()
    }

    /// Keeps trackers whose every address is public. A UDP tracker's name is replaced by the
    /// address it was checked at, so a later lookup cannot point it elsewhere; HTTP trackers
    /// keep their names (TLS and virtual hosts need them) and are re-checked by the proxy on
    /// every connection.
    pub(crate) async fn trackers(&self, trackers: Vec<String>) -> Vec<String> {
        let mut allowed = Vec::new();
        for tracker in trackers {
            let Ok(mut url) = url::Url::parse(&tracker) else {
                continue;
            };
            if !matches!(url.scheme(), "http" | "https" | "udp") || url.host().is_none() {
                continue;
            }
            if self.allow_private {
                allowed.push(url.to_string());
                continue;
            }
            let Some(ip) = self.public_address_of(&url).await else {
                tracing::info!(tracker = %url, "tracker dropped: not a public address");
                continue;
            };
            if url.scheme() == "udp" && url.set_ip_host(ip).is_err() {
                continue;
            }
            allowed.push(url.to_string());
        }
        allowed.dedup();
        allowed
    }

    async fn public_address_of(&self, url: &url::Url) -> Option<IpAddr> {
        let port = url.port_or_known_default().unwrap_or(80);
        let addresses: Vec<IpAddr> = match url.host()? {
            url::Host::Ipv4(ip) => vec![IpAddr::V4(ip)],
            url::Host::Ipv6(ip) => vec![IpAddr::V6(ip)],
            url::Host::Domain(name) => {
                let lookup = tokio::net::lookup_host((name, port));
                match tokio::time::timeout(RESOLVE_TIMEOUT, lookup).await {
                    Ok(Ok(found)) => found.map(|a| a.ip()).collect(),
                    _ => Vec::new(),
                }
            }
        };
        // A name with any private address could be steered to it: refuse the whole name.
        if addresses.is_empty() || !addresses.iter().all(|ip| netpolicy::is_public(*ip)) {
            return None;
        }
        addresses.first().copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn private_trackers_and_peers_are_dropped_public_ones_kept() {
        let policy = NetworkPolicy {
            allow_private: false,
        };
        let trackers = policy
            .trackers(vec![
                "http://127.0.0.1:6969/announce".into(),
                "udp://[::1]:6969".into(),
                "http://localhost:80/announce".into(),
                "http://169.254.169.254/latest/meta-data/".into(),
                "udp://[64:ff9b::a00:1]:80".into(),
                "https://[2002:c0a8:101::1]/announce".into(),
                "file:///etc/passwd".into(),
                "http://93.184.216.34/announce".into(),
                "udp://1.1.1.1:6969/announce".into(),
            ])
            .await;
        assert_eq!(
            trackers,
            vec![
                "http://93.184.216.34/announce",
                "udp://1.1.1.1:6969/announce"
            ]
        );
        let peers = policy.peers(vec![
            "127.0.0.1:6881".parse().expect("peer"),
            "10.0.0.8:6881".parse().expect("peer"),
            "[::ffff:192.168.1.1]:6881".parse().expect("peer"),
            "1.2.3.4:0".parse().expect("peer"),
            "1.2.3.4:6881".parse().expect("peer"),
        ]);
        assert_eq!(peers, vec!["1.2.3.4:6881".parse().expect("peer")]);
    }

    #[tokio::test]
    async fn allowing_private_addresses_keeps_loopback_swarms_working() {
        let policy = NetworkPolicy {
            allow_private: true,
        };
        let trackers = policy
            .trackers(vec!["http://127.0.0.1:6969/announce".into()])
            .await;
        assert_eq!(trackers, vec!["http://127.0.0.1:6969/announce"]);
        let peers = policy.peers(vec!["127.0.0.1:6881".parse().expect("peer")]);
        assert_eq!(peers.len(), 1);
    }
}
