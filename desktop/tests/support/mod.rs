//! What the desktop core's tests share: a core on loopback, with its own folders and its own
//! keyring entry, so tests never touch a real profile or each other.

#![allow(dead_code)]

use std::path::Path;
use tseeder_desktop::DesktopOptions;

/// A keyring service name no other test uses.
pub fn fresh_keyring_service() -> String {
    format!("tseeder-test-{}", uuid::Uuid::new_v4().simple())
}

/// Options for a core under `dir`, its engine on 127.0.0.1 without DHT.
pub fn options(dir: &Path, keyring_service: &str, metadata_timeout_seconds: u64) -> DesktopOptions {
    let mut engine = tseeder_desktop::engine_defaults();
    engine.listen_ip = [127, 0, 0, 1].into();
    engine.dht = false;
    engine.allow_private_addresses = true;
    engine.metadata_timeout_seconds = metadata_timeout_seconds;
    DesktopOptions {
        data_dir: dir.join("app"),
        downloads_dir: dir.join("Downloads"),
        keyring_service: keyring_service.into(),
        engine,
        device_name: "test-laptop".into(),
    }
}
