//! Everything about torrents that the control plane must understand without downloading them:
//! strict bencode, .torrent metadata, magnet links, safe names, and fetching .torrent URLs.

pub mod bencode;
pub use tseeder_protocol::magnet;
pub mod metainfo;
pub use tseeder_protocol::names;
