//! Untrusted trackers and peer hints that point at private addresses are never contacted: the
//! server-side request forgery a crafted magnet or .torrent could otherwise cause.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tseeder_engine::{Engine, EngineConfig, EngineError, TorrentSource};

/// A loopback port standing for an internal service: it counts who connects.
async fn internal_service() -> (SocketAddr, Arc<AtomicUsize>) {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    let count = Arc::new(AtomicUsize::new(0));
    let counter = count.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_secs(30)).await;
                drop(stream);
            });
        }
    });
    (address, count)
}

async fn engine(dir: &Path, allow_private_addresses: bool) -> Engine {
    let mut config = EngineConfig {
        metadata_timeout_seconds: 5,
        ..EngineConfig::default()
    };
    tseeder_testkit::engine::on_loopback(&mut config);
    // This test is about the policy itself: the loopback helper's exemption is overridden.
    config.allow_private_addresses = allow_private_addresses;
    Engine::start(config, &dir.join("session"))
        .await
        .expect("engine")
}

/// A one-file .torrent announcing to `tracker`.
fn torrent_announcing_to(tracker: &str) -> Vec<u8> {
    let mut info = b"d6:lengthi5e4:name5:a.bin12:piece lengthi16384e6:pieces20:".to_vec();
    info.extend_from_slice(&[7u8; 20]);
    info.push(b'e');
    let mut torrent = format!("d8:announce{}:{tracker}4:info", tracker.len()).into_bytes();
    torrent.extend_from_slice(&info);
    torrent.push(b'e');
    torrent
}

struct Probe {
    tracker: Arc<AtomicUsize>,
    peer: Arc<AtomicUsize>,
    torrent_tracker: Arc<AtomicUsize>,
}

impl Probe {
    fn hits(&self) -> (usize, usize, usize) {
        (
            self.tracker.load(Ordering::SeqCst),
            self.peer.load(Ordering::SeqCst),
            self.torrent_tracker.load(Ordering::SeqCst),
        )
    }
}

/// Resolves a magnet whose tracker and peer hint are internal services, and downloads a .torrent
/// that announces to a third, giving the engine a few seconds to dial them.
async fn try_to_reach_internal_services(engine: &Engine, work: &Path) -> (Probe, EngineError) {
    let (tracker, tracker_hits) = internal_service().await;
    let (peer, peer_hits) = internal_service().await;
    let (announce, announce_hits) = internal_service().await;
    let magnet = format!(
        "magnet:?xt=urn:btih:{}&tr=http%3A%2F%2F{tracker}%2Finternal%3Fdo%3Ddelete&x.pe={peer}",
        "cd".repeat(20)
    );
    let error = engine
        .resolve(&TorrentSource::Magnet(magnet))
        .await
        .expect_err("nobody seeds this magnet");

    let torrent = torrent_announcing_to(&format!("http://{announce}/announce"));
    let resolved = engine
        .resolve(&TorrentSource::Torrent(torrent.into()))
        .await
        .expect("a .torrent resolves without the network");
    let download = engine
        .download(&resolved, &work.join("job"), None)
        .await
        .expect("start");
    tokio::time::sleep(Duration::from_secs(4)).await;
    download.remove(true).await.expect("remove");
    let probe = Probe {
        tracker: tracker_hits,
        peer: peer_hits,
        torrent_tracker: announce_hits,
    };
    (probe, error)
}

#[tokio::test(flavor = "multi_thread")]
async fn trackers_and_peer_hints_on_private_addresses_are_never_contacted() {
    let work = tempfile::tempdir().expect("tempdir");
    let engine = engine(work.path(), false).await;
    let (probe, error) = try_to_reach_internal_services(&engine, work.path()).await;
    // Without DHT (a loopback test engine) nothing is left to ask.
    assert!(
        matches!(
            error,
            EngineError::NoPeerSource | EngineError::MetadataTimeout(5)
        ),
        "{error:?}"
    );
    assert_eq!(probe.hits(), (0, 0, 0), "an internal service was contacted");
    engine.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn allowing_private_addresses_lets_test_swarms_and_lans_be_reached() {
    // The same attempt with the setting on reaches all three: the test above can fail.
    let work = tempfile::tempdir().expect("tempdir");
    let engine = engine(work.path(), true).await;
    let (probe, _) = try_to_reach_internal_services(&engine, work.path()).await;
    let (tracker, peer, torrent_tracker) = probe.hits();
    assert!(
        tracker > 0 && peer > 0 && torrent_tracker > 0,
        "{:?}",
        probe.hits()
    );
    engine.stop().await;
}
