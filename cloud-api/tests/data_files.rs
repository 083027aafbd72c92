//! What the service keeps on disk is its own: the database (with its WAL), the mail outbox and
//! the link-signing key are private to its user, and a key it cannot read is never replaced.

use cloud::TestServer;
use std::os::unix::fs::PermissionsExt;
use tseeder_cloud::Settings;
use tseeder_testkit::cloud;

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|err| panic!("{}: {err}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

#[tokio::test]
async fn the_database_outbox_and_signing_key_are_private() {
    // The embedded SQLite file, also when the run's other servers use PostgreSQL.
    let server = TestServer::start_with(|s| s.database.url = None).await;
    // A write makes sure the WAL exists.
    server.user(tseeder_protocol::Role::User).await;
    let data = server.data_dir();
    assert_eq!(mode(&data.join("tseeder.db")), 0o600);
    assert_eq!(mode(&data.join("tseeder.db-wal")), 0o600);
    assert_eq!(mode(&data.join("outbox")), 0o700);
    assert_eq!(mode(&data.join("link-signing.key")), 0o600);
}

#[tokio::test]
async fn a_signing_key_that_cannot_be_read_stops_the_start_instead_of_being_replaced() {
    let dir = tempfile::tempdir().expect("tempdir");
    let settings = Settings {
        data_dir: dir.path().join("data"),
        ..Settings::default()
    };
    let key = settings.data_dir.join("link-signing.key");
    // Unreadable as a file (even for root): a folder in its place.
    std::fs::create_dir_all(key.join("not-a-key")).expect("mkdir");
    let started = tseeder_cloud::server::start_services(settings.clone()).await;
    assert!(started.is_err(), "the service started with a new key");
    assert!(key.join("not-a-key").exists(), "nothing was replaced");

    // A key file that exists is used as it is, across restarts.
    std::fs::remove_dir_all(&key).expect("rm");
    std::fs::write(&key, "k".repeat(43)).expect("key");
    tseeder_cloud::server::start_services(settings)
        .await
        .expect("start");
    assert_eq!(std::fs::read_to_string(&key).expect("key"), "k".repeat(43));
}
