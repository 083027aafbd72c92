//! Everything about torrents that the control plane must understand without downloading them:
//! strict bencode, .torrent metadata, magnet links, safe names, and fetching .torrent URLs.

pub mod bencode;
#[cfg(test)]
pub(crate) mod fixtures;
pub use tseeder_protocol::magnet;
pub mod metainfo;
pub use tseeder_protocol::names;
