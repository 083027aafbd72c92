//! The Add flow's bookkeeping with a real core (its SQLite file, its engine on loopback): a link
//! that arrives twice, as a second launch delivers it, opens one dialog, and a refused link opens
//! none.

mod support;

use tseeder_desktop::Desktop;

#[tokio::test]
async fn the_same_link_twice_opens_one_dialog() {
    let dir = tempfile::tempdir().expect("tempdir");
    let desktop = Desktop::open(support::options(
        dir.path(),
        &support::fresh_keyring_service(),
        2,
    ))
    .await
    .expect("open");
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
