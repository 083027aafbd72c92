//! The client's address, which rate limits, security events and sessions record. Behind reverse
//! proxies the peer is the proxy and the client is in `X-Forwarded-For`, but every proxy appends
//! to what it received, so only the entries added by proxies we trust are facts: the client is
//! the right-most address that is not one of them. The left-most entry is whatever the client
//! chose to send.

use std::net::IpAddr;

/// Networks of the operator's own reverse proxies (`trusted_proxies`, CIDR notation).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<(IpAddr, u8)>);

impl TrustedProxies {
    pub fn parse(list: &[String]) -> Result<TrustedProxies, String> {
        list.iter()
            .map(|entry| {
                let (ip, bits) = match entry.split_once('/') {
                    Some((ip, bits)) => (ip, Some(bits)),
                    None => (entry.as_str(), None),
                };
                let ip: IpAddr = ip
                    .trim()
                    .parse()
                    .map_err(|_| format!("{entry:?} is not an address or network"))?;
                let max = if ip.is_ipv4() { 32 } else { 128 };
                let bits = match bits {
                    Some(bits) => bits
                        .trim()
                        .parse::<u8>()
                        .ok()
                        .filter(|b| *b <= max)
                        .ok_or_else(|| format!("{entry:?} has a bad prefix length"))?,
                    None => max,
                };
                Ok((ip, bits))
            })
            .collect::<Result<_, _>>()
            .map(TrustedProxies)
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.0
            .iter()
            .any(|(network, bits)| match (canonical(*network), ip) {
                (IpAddr::V4(net), IpAddr::V4(ip)) => {
                    let mask = u32::MAX.checked_shl(32 - u32::from(*bits)).unwrap_or(0);
                    net.to_bits() & mask == ip.to_bits() & mask
                }
                (IpAddr::V6(net), IpAddr::V6(ip)) => {
                    let mask = u128::MAX.checked_shl(128 - u32::from(*bits)).unwrap_or(0);
                    net.to_bits() & mask == ip.to_bits() & mask
                }
                _ => false,
            })
    }
}

/// An IPv4 client seen over an IPv6 socket is the same client.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// The right-most address that is not a trusted proxy, reading `X-Forwarded-For` only when the
/// peer itself is one.
pub fn client_address(
    peer: Option<IpAddr>,
    forwarded_for: Option<&str>,
    trusted: &TrustedProxies,
) -> Option<IpAddr> {
    let mut client = canonical(peer?);
    if !trusted.contains(client) {
        return Some(client);
    }
    let Some(hops) = forwarded_for else {
        return Some(client);
    };
    for hop in hops.rsplit(',') {
        // An entry no proxy of ours would write ends what can be believed.
        let Ok(ip) = hop.trim().parse::<IpAddr>() else {
            return Some(client);
        };
        client = canonical(ip);
        if !trusted.contains(client) {
            return Some(client);
        }
    }
    Some(client)
}

/// What rate limits count by: an IPv4 address, or the /64 an IPv6 address belongs to (one
/// subscriber usually holds a whole /64, so counting single addresses would let them rotate).
pub fn limit_key(ip: Option<IpAddr>) -> String {
    match ip.map(canonical) {
        Some(IpAddr::V6(v6)) => {
            let prefix = v6.to_bits() & (u128::MAX << 64);
            format!("ip6:{}/64", std::net::Ipv6Addr::from_bits(prefix))
        }
        Some(v4) => format!("ip:{v4}"),
        None => "ip:unknown".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("ip")
    }

    fn proxies(list: &[&str]) -> TrustedProxies {
        TrustedProxies::parse(&list.iter().map(|s| s.to_string()).collect::<Vec<_>>())
            .expect("valid")
    }

    #[test]
    fn the_right_most_untrusted_hop_is_the_client() {
        let trusted = proxies(&["10.0.0.0/8", "fd00::/8"]);
        let peer = Some(ip("10.0.0.2"));
        // The client sent a made-up first entry; our proxy appended the real address.
        assert_eq!(
            client_address(peer, Some("6.6.6.6, 203.0.113.9"), &trusted),
            Some(ip("203.0.113.9"))
        );
        // Two proxies of ours in a row.
        assert_eq!(
            client_address(peer, Some("198.51.100.7, 10.1.1.1"), &trusted),
            Some(ip("198.51.100.7"))
        );
        // A peer we do not trust cannot choose its address.
        assert_eq!(
            client_address(Some(ip("198.51.100.7")), Some("1.2.3.4"), &trusted),
            Some(ip("198.51.100.7"))
        );
        // Nothing trusted: the header is ignored.
        assert_eq!(
            client_address(peer, Some("1.2.3.4"), &TrustedProxies::default()),
            Some(ip("10.0.0.2"))
        );
        // Garbage stops the walk at the last believable hop.
        assert_eq!(
            client_address(peer, Some("1.2.3.4, not-an-ip, 10.3.3.3"), &trusted),
            Some(ip("10.3.3.3"))
        );
        assert_eq!(
            client_address(Some(ip("::ffff:10.0.0.2")), Some("2001:db8::1"), &trusted),
            Some(ip("2001:db8::1"))
        );
    }

    #[test]
    fn ipv6_clients_are_limited_by_their_64() {
        assert_eq!(
            limit_key(Some(ip("2001:db8:1:2:aaaa::1"))),
            limit_key(Some(ip("2001:db8:1:2:bbbb::2")))
        );
        assert_ne!(
            limit_key(Some(ip("2001:db8:1:2::1"))),
            limit_key(Some(ip("2001:db8:1:3::1")))
        );
        assert_eq!(limit_key(Some(ip("::ffff:192.0.2.1"))), "ip:192.0.2.1");
        assert_eq!(limit_key(None), "ip:unknown");
    }

    #[test]
    fn bad_entries_are_refused() {
        assert!(TrustedProxies::parse(&["10.0.0.0/33".into()]).is_err());
        assert!(TrustedProxies::parse(&["proxy.local".into()]).is_err());
        assert!(proxies(&["127.0.0.1"]).contains(ip("127.0.0.1")));
        assert!(!proxies(&["127.0.0.1"]).contains(ip("127.0.0.2")));
    }
}
