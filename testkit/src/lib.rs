//! What the workspace's tests share, as a dev-only crate: a real control plane on 127.0.0.1:0
//! with typed clients, a seeding swarm of Debian's aria2c, Garage as S3, a Seedr.cc stand-in
//! following its REST v1 API, hand-made .torrent files and the loopback engine settings. Never
//! a dependency of a shipped binary.

pub mod agent;
pub mod cloud;
pub mod engine;
pub mod garage;
pub mod mail;
pub mod postgres;
pub mod seedr;
pub mod stripe;
pub mod swarm;
pub mod torrents;

/// A TCP port on 127.0.0.1 that was free a moment ago.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind 127.0.0.1:0")
        .local_addr()
        .expect("local address")
        .port()
}
