//! The Add flow's bookkeeping with a real core (its SQLite file, its engine on loopback): a link
//! that arrives twice, as a second launch delivers it, opens one dialog, and a refused link opens
//! none.

use tseeder_desktop::{Desktop, DesktopOptions};

fn options(dir: &std::path::Path) -> DesktopOptions {
    let mut engine = tseeder_desktop::engine_defaults();
    engine.listen_ip = [127, 0, 0, 1].into();
    engine.dht = false;
    engine.metadata_timeout_seconds = 2;
    DesktopOptions {
        data_dir: dir.join("app"),
        downloads_dir: dir.join("Downloads"),
        keyring_service: format!("tseeder-test-{}", uuid::Uuid::new_v4().simple()),
        engine,
        device_name: "test-laptop".into(),
    }
}

#[tokio::test]
async fn the_same_link_twice_opens_one_dialog() {
    let dir = tempfile::tempdir().expect("tempdir");
    let desktop = Desktop::open(options(dir.path())).await.expect("open");
    let magnet = "magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567&dn=twice.bin";

    let first = desktop.receive_link(magnet).await.expect("first");
    let second = desktop.receive_link(magnet).await.expect("second");
    assert_eq!(first.id, second.id);
    assert_eq!(desktop.pending_adds().len(), 1);

    let other = "magnet:?xt=urn:btih:89abcdef0123456789abcdef0123456789abcdef&dn=other.bin";
    let third = desktop.receive_link(other).await.expect("other");
    assert_ne!(third.id, first.id);
    assert_eq!(desktop.pending_adds().len(), 2);

    // Once the first is dismissed, the same link may be asked about again.
    desktop.dismiss_add(&first.id);
    let again = desktop.receive_link(magnet).await.expect("again");
    assert_ne!(again.id, first.id);
    assert_eq!(desktop.pending_adds().len(), 2);

    assert!(desktop.receive_link("javascript:alert(1)").await.is_err());
    assert_eq!(desktop.pending_adds().len(), 2);
    desktop.shutdown().await;
}
