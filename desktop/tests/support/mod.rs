//! What the desktop core's tests share: a core on loopback, with its own folders and its own
//! keyring entry, so tests never touch a real profile or each other.

#![allow(dead_code)]

use std::path::Path;
use std::time::Duration;
use tseeder_desktop::destination::Destination;
use tseeder_desktop::{AddChoice, AddState, Desktop, DesktopOptions};

/// A keyring service name no other test uses.
pub fn fresh_keyring_service() -> String {
    format!("tseeder-test-{}", uuid::Uuid::new_v4().simple())
}

/// Options for a core under `dir`, its engine on 127.0.0.1 without DHT.
pub fn options(dir: &Path, keyring_service: &str, metadata_timeout_seconds: u64) -> DesktopOptions {
    let mut engine = tseeder_desktop::engine_defaults();
    tseeder_testkit::engine::on_loopback(&mut engine);
    engine.metadata_timeout_seconds = metadata_timeout_seconds;
    DesktopOptions {
        data_dir: dir.join("app"),
        downloads_dir: dir.join("Downloads"),
        keyring_service: keyring_service.into(),
        engine,
        device_name: "test-laptop".into(),
    }
}

/// A core under `dir` with a keyring entry of its own.
pub async fn open_desktop(dir: &Path, metadata_timeout_seconds: u64) -> Desktop {
    Desktop::open(options(
        dir,
        &fresh_keyring_service(),
        metadata_timeout_seconds,
    ))
    .await
    .expect("open")
}

/// Waits for the dialog `id` to have the torrent's files, then confirms it for this computer
/// with every file, as a user pressing Add does; returns the job's key.
pub async fn add_here_when_ready(desktop: &Desktop, id: &str) -> String {
    for _ in 0..600 {
        if desktop
            .pending_adds()
            .iter()
            .any(|pending| pending.id == id && pending.state == AddState::Ready)
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    desktop
        .confirm_add(
            id,
            AddChoice {
                destination: Destination::Local,
                selected_files: None,
                remember: false,
            },
        )
        .await
        .expect("confirm")
}
