//! Which network addresses untrusted input may make us reach. Torrent trackers, peers and
//! `.torrent` URLs come from strangers; left unchecked they turn an agent (which may run inside
//! the API host) into a way to probe loopback services, the private network and cloud metadata
//! endpoints. One list decides for the engine, the `.torrent` fetcher and the desktop app.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// An inclusive range of addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range<T> {
    pub first: T,
    pub last: T,
}

/// IPv4 blocks that are not the public internet: "this network", private (RFC 1918), carrier-grade
/// NAT (where some clouds put metadata services), loopback, link-local (the usual metadata
/// address 169.254.169.254), IETF protocol assignments, documentation, the old 6to4 relay
/// anycast, benchmarking, multicast and reserved (with broadcast).
const V4_BLOCKED: &[(Ipv4Addr, u8)] = &[
    (Ipv4Addr::new(0, 0, 0, 0), 8),
    (Ipv4Addr::new(10, 0, 0, 0), 8),
    (Ipv4Addr::new(100, 64, 0, 0), 10),
    (Ipv4Addr::new(127, 0, 0, 0), 8),
    (Ipv4Addr::new(169, 254, 0, 0), 16),
    (Ipv4Addr::new(172, 16, 0, 0), 12),
    (Ipv4Addr::new(192, 0, 0, 0), 24),
    (Ipv4Addr::new(192, 0, 2, 0), 24),
    (Ipv4Addr::new(192, 88, 99, 0), 24),
    (Ipv4Addr::new(192, 168, 0, 0), 16),
    (Ipv4Addr::new(198, 18, 0, 0), 15),
    (Ipv4Addr::new(198, 51, 100, 0), 24),
    (Ipv4Addr::new(203, 0, 113, 0), 24),
    (Ipv4Addr::new(224, 0, 0, 0), 4),
    (Ipv4Addr::new(240, 0, 0, 0), 4),
];

/// IPv6 blocks that are never the public internet, whatever follows the prefix: discard-only,
/// IETF protocol assignments (Teredo, whose embedded IPv4 address is obfuscated, is in it),
/// documentation, local-use NAT64, unique-local (ULA), link-local, site-local and multicast.
const V6_BLOCKED: &[(Ipv6Addr, u8)] = &[
    (Ipv6Addr::new(0x100, 0, 0, 0, 0, 0, 0, 0), 64),
    (Ipv6Addr::new(0x2001, 0, 0, 0, 0, 0, 0, 0), 23),
    (Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0), 32),
    (Ipv6Addr::new(0x3fff, 0, 0, 0, 0, 0, 0, 0), 20),
    (Ipv6Addr::new(0x64, 0xff9b, 1, 0, 0, 0, 0, 0), 48),
    (Ipv6Addr::new(0xfc00, 0, 0, 0, 0, 0, 0, 0), 7),
    (Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0), 10),
    (Ipv6Addr::new(0xfec0, 0, 0, 0, 0, 0, 0, 0), 10),
    (Ipv6Addr::new(0xff00, 0, 0, 0, 0, 0, 0, 0), 8),
];

/// IPv6 forms that carry an IPv4 address a packet may end up at: IPv4-mapped, IPv4-compatible
/// (which also covers `::` and `::1`) and the NAT64 well-known prefix keep it in the last 32
/// bits; 6to4 (`2002::/16`) right after its first 16 bits.
#[derive(Debug, Clone, Copy)]
enum Embedding {
    Low32(u128),
    SixToFour,
}

const EMBEDDINGS: &[Embedding] = &[
    Embedding::Low32(0xffff_0000_0000),
    Embedding::Low32(0),
    Embedding::Low32(0x0064_ff9b_0000_0000_0000_0000_0000_0000),
    Embedding::SixToFour,
];

impl Embedding {
    fn extract(self, v6: Ipv6Addr) -> Option<Ipv4Addr> {
        let bits = v6.to_bits();
        match self {
            Embedding::Low32(prefix) => {
                (bits >> 32 == prefix >> 32).then(|| Ipv4Addr::from_bits(bits as u32))
            }
            Embedding::SixToFour => {
                (bits >> 112 == 0x2002).then(|| Ipv4Addr::from_bits((bits >> 80) as u32))
            }
        }
    }

    /// The IPv6 addresses that carry an IPv4 address of `range`.
    fn embed(self, range: Range<Ipv4Addr>) -> Range<Ipv6Addr> {
        let (first, last) = (range.first.to_bits() as u128, range.last.to_bits() as u128);
        let (first, last) = match self {
            Embedding::Low32(prefix) => (prefix | first, prefix | last),
            Embedding::SixToFour => (
                (0x2002 << 112) | (first << 80),
                (0x2002 << 112) | (last << 80) | ((1 << 80) - 1),
            ),
        };
        Range {
            first: Ipv6Addr::from_bits(first),
            last: Ipv6Addr::from_bits(last),
        }
    }
}

fn v4_range((start, len): (Ipv4Addr, u8)) -> Range<Ipv4Addr> {
    let host_bits = u32::MAX.checked_shr(u32::from(len)).unwrap_or(0);
    Range {
        first: start,
        last: Ipv4Addr::from_bits(start.to_bits() | host_bits),
    }
}

fn v6_range((start, len): (Ipv6Addr, u8)) -> Range<Ipv6Addr> {
    let host_bits = u128::MAX.checked_shr(u32::from(len)).unwrap_or(0);
    Range {
        first: start,
        last: Ipv6Addr::from_bits(start.to_bits() | host_bits),
    }
}

fn contains<T: PartialOrd>(range: &Range<T>, ip: &T) -> bool {
    range.first <= *ip && *ip <= range.last
}

/// True for addresses on the public internet: the only ones untrusted input may reach unless an
/// operator allows private addresses.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => !V4_BLOCKED
            .iter()
            .any(|block| contains(&v4_range(*block), &v4)),
        IpAddr::V6(v6) => {
            if V6_BLOCKED
                .iter()
                .any(|block| contains(&v6_range(*block), &v6))
            {
                return false;
            }
            match EMBEDDINGS.iter().find_map(|e| e.extract(v6)) {
                Some(v4) => is_public(IpAddr::V4(v4)),
                None => true,
            }
        }
    }
}

/// Every IPv4 range [`is_public`] refuses.
pub fn blocked_v4_ranges() -> Vec<Range<Ipv4Addr>> {
    V4_BLOCKED.iter().copied().map(v4_range).collect()
}

/// Every IPv6 range [`is_public`] refuses, including the forms that embed a refused IPv4 range.
pub fn blocked_v6_ranges() -> Vec<Range<Ipv6Addr>> {
    let mut ranges: Vec<_> = V6_BLOCKED.iter().copied().map(v6_range).collect();
    for embedding in EMBEDDINGS {
        ranges.extend(blocked_v4_ranges().into_iter().map(|r| embedding.embed(r)));
    }
    ranges
}

/// The refused ranges in the P2P blocklist format BitTorrent clients read
/// (`name:first-last`, one per line).
pub fn p2p_blocklist() -> String {
    let mut text = String::from("# addresses tseeder never connects to for untrusted input\n");
    for range in blocked_v4_ranges() {
        text.push_str(&format!("private:{}-{}\n", range.first, range.last));
    }
    for range in blocked_v6_ranges() {
        text.push_str(&format!("private:{}-{}\n", range.first, range.last));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("an address")
    }

    #[test]
    fn local_private_and_special_addresses_are_refused() {
        for text in [
            "127.0.0.1",
            "127.255.255.254",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "100.100.100.200",
            "0.0.0.0",
            "0.1.2.3",
            "192.0.0.170",
            "198.18.0.1",
            "224.0.0.1",
            "239.255.255.250",
            "255.255.255.255",
            "::",
            "::1",
            "fd00::1",
            "fd00:ec2::254",
            "fe80::1",
            "fec0::1",
            "ff02::1",
            "2001:db8::1",
            "2001:0:4136:e378:8000:63bf:3fff:fdd2",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::127.0.0.1",
            "::10.0.0.1",
            "64:ff9b::127.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "64:ff9b:1::1.1.1.1",
            "2002:7f00:1::1",
            "2002:c0a8:101::",
            "2002:a9fe:a9fe:ffff:ffff:ffff:ffff:ffff",
        ] {
            assert!(!is_public(ip(text)), "{text} counted as public");
        }
    }

    #[test]
    fn public_addresses_are_allowed_in_every_form() {
        for text in [
            "1.1.1.1",
            "8.8.8.8",
            "93.184.216.34",
            "100.128.0.1",
            "172.32.0.1",
            "2606:4700::1111",
            "2a00:1450:4001:82a::200e",
            "::ffff:1.1.1.1",
            "64:ff9b::808:808",
            "2002:808:808::1",
        ] {
            assert!(is_public(ip(text)), "{text} counted as private");
        }
    }

    #[test]
    fn the_blocklist_refuses_exactly_what_is_public_refuses() {
        let blocklist = p2p_blocklist();
        let ranges: Vec<(IpAddr, IpAddr)> = blocklist
            .lines()
            .filter(|line| !line.starts_with('#'))
            .map(|line| {
                let (_, span) = line.split_once(':').expect("a name");
                let (first, last) = span.split_once('-').expect("a range");
                (ip(first), ip(last))
            })
            .collect();
        let listed = |addr: IpAddr| {
            ranges
                .iter()
                .any(|(first, last)| match (addr, first, last) {
                    (IpAddr::V4(a), IpAddr::V4(f), IpAddr::V4(l)) => f <= &a && &a <= l,
                    (IpAddr::V6(a), IpAddr::V6(f), IpAddr::V6(l)) => f <= &a && &a <= l,
                    _ => false,
                })
        };
        let mut samples: Vec<IpAddr> = Vec::new();
        for range in blocked_v4_ranges() {
            let (first, last) = (range.first.to_bits(), range.last.to_bits());
            for bits in [first.wrapping_sub(1), first, last, last.wrapping_add(1)] {
                let v4 = Ipv4Addr::from_bits(bits);
                samples.push(IpAddr::V4(v4));
                for embedding in EMBEDDINGS {
                    let one = Range {
                        first: v4,
                        last: v4,
                    };
                    samples.push(IpAddr::V6(embedding.embed(one).first));
                    samples.push(IpAddr::V6(embedding.embed(one).last));
                }
            }
        }
        for range in blocked_v6_ranges() {
            let (first, last) = (range.first.to_bits(), range.last.to_bits());
            for bits in [first.wrapping_sub(1), first, last, last.wrapping_add(1)] {
                samples.push(IpAddr::V6(Ipv6Addr::from_bits(bits)));
            }
        }
        for addr in samples {
            assert_eq!(listed(addr), !is_public(addr), "{addr} disagrees");
        }
    }
}
