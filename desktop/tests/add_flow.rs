//! The Add flow's bookkeeping with a real core (its SQLite file, its engine on loopback): a link
//! that arrives twice, as a second launch delivers it, opens one dialog, a refused link opens
//! none, and no link starts anything on its own.

mod support;

use std::time::Duration;
use tseeder_desktop::destination::{Decision, Destination, Remembered};
use tseeder_desktop::settings::DesktopSettings;

#[tokio::test]
async fn the_same_link_twice_opens_one_dialog() {
    let dir = tempfile::tempdir().expect("tempdir");
    let desktop = support::open_desktop(dir.path(), 2).await;
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

#[tokio::test]
async fn no_link_starts_anything_whatever_its_dest_says() {
    let dir = tempfile::tempdir().expect("tempdir");
    let desktop = support::open_desktop(dir.path(), 2).await;
    // Even a user who chose "always this computer" gets the dialog: only their own "add without
    // asking" setting skips it.
    desktop
        .save_settings(DesktopSettings {
            default_destination: Remembered::AlwaysLocal,
            ..desktop.settings()
        })
        .await
        .expect("settings");
    let magnet = |n: u8| {
        format!(
            "magnet:?xt=urn:btih:{}&dn=link-{n}.bin",
            format!("{n:02x}").repeat(20)
        )
    };
    let link = |n: u8, dest: &str| {
        format!(
            "tseeder://add?uri={}&dest={dest}",
            percent_encoding::utf8_percent_encode(&magnet(n), percent_encoding::NON_ALPHANUMERIC)
        )
    };
    for (n, dest, suggested) in [
        (1, "local", Destination::Local),
        // Signed out, the cloud cannot be preselected; the dialog says why.
        (2, "cloud", Destination::Local),
        (3, "ask", Destination::Local),
    ] {
        let add = desktop.receive_link(&link(n, dest)).await.expect("link");
        match &add.decision {
            Decision::Ask { suggested: s, .. } => assert_eq!(*s, suggested, "dest={dest}"),
            other => panic!("dest={dest} decided {other:?}"),
        }
    }
    let bare = desktop.receive_link(&magnet(4)).await.expect("magnet");
    assert!(matches!(bare.decision, Decision::Ask { .. }));
    // Longer than the metadata timeout: whatever the dialogs did meanwhile, nothing was added.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(desktop.jobs().is_empty(), "{:?}", desktop.jobs());
    assert_eq!(desktop.pending_adds().len(), 4);

    // The user's own setting, and only it, adds at once, to the user's destination.
    desktop
        .save_settings(DesktopSettings {
            add_without_asking: true,
            ..desktop.settings()
        })
        .await
        .expect("settings");
    let added = desktop.receive_link(&link(5, "cloud")).await.expect("link");
    assert_eq!(
        added.decision,
        Decision::Submit {
            destination: Destination::Local
        }
    );
    desktop.shutdown().await;
}

#[tokio::test]
async fn quitting_with_dialogs_open_does_not_wait_for_their_metadata() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Two minutes to find metadata, as the app has: nothing here has any to find.
    let desktop = support::open_desktop(dir.path(), 120).await;
    // A peer that takes the connection and never says a word: the fetch waits on it.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let peer = silent.local_addr().expect("addr");
    let held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((socket, _)) = silent.accept().await {
            open.push(socket);
        }
    });
    let link = |hash: char, name: &str| {
        format!(
            "magnet:?xt=urn:btih:{}&dn={name}&x.pe={peer}",
            hash.to_string().repeat(40)
        )
    };
    let dismissed = desktop
        .receive_link(&link('a', "cancelled.bin"))
        .await
        .expect("link");
    desktop
        .receive_link(&link('b', "open.bin"))
        .await
        .expect("link");
    tokio::time::sleep(Duration::from_millis(300)).await;
    desktop.dismiss_add(&dismissed.id);
    assert_eq!(desktop.pending_adds().len(), 1);
    // Neither fetch holds the app open until its two minutes are up.
    tokio::time::timeout(Duration::from_secs(20), desktop.shutdown())
        .await
        .expect("the app quits without waiting for metadata");
    held.abort();
}

/// A peer on 127.0.0.1 that accepts connections and never answers; each accepted connection is
/// handed to the test.
async fn silent_peer() -> (
    std::net::SocketAddr,
    tokio::sync::mpsc::UnboundedReceiver<tokio::net::TcpStream>,
) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (accepted, connections) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            if accepted.send(socket).is_err() {
                return;
            }
        }
    });
    (addr, connections)
}

/// Reads until the other side closes the connection.
async fn until_closed(socket: &mut tokio::net::TcpStream) {
    use tokio::io::AsyncReadExt;
    let mut buffer = [0u8; 1024];
    while matches!(socket.read(&mut buffer).await, Ok(n) if n > 0) {}
}

#[tokio::test]
async fn dismissing_a_dialog_stops_its_metadata_fetch_at_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let desktop = support::open_desktop(dir.path(), 120).await;
    let (peer_a, mut to_a) = silent_peer().await;
    let (peer_b, mut to_b) = silent_peer().await;
    let link = |hash: char, peer: std::net::SocketAddr| {
        format!(
            "magnet:?xt=urn:btih:{}&dn={hash}.bin&x.pe={peer}",
            hash.to_string().repeat(40)
        )
    };
    let dismissed = desktop
        .receive_link(&link('a', peer_a))
        .await
        .expect("link");
    desktop
        .receive_link(&link('b', peer_b))
        .await
        .expect("link");
    let wait = Duration::from_secs(20);
    let mut at_a = tokio::time::timeout(wait, to_a.recv())
        .await
        .expect("the first fetch reaches its peer")
        .expect("connection");
    let mut at_b = tokio::time::timeout(wait, to_b.recv())
        .await
        .expect("the second fetch reaches its peer")
        .expect("connection");

    desktop.dismiss_add(&dismissed.id);
    tokio::time::timeout(Duration::from_secs(5), until_closed(&mut at_a))
        .await
        .expect("the dismissed dialog's fetch lets go of its peer at once");
    assert!(
        tokio::time::timeout(Duration::from_secs(2), until_closed(&mut at_b))
            .await
            .is_err(),
        "the open dialog's fetch goes on"
    );
    tokio::time::timeout(Duration::from_secs(20), desktop.shutdown())
        .await
        .expect("quit");
}
