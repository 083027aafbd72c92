//! Moving a SQLite deployment into PostgreSQL with the real binary: every row arrives (users
//! keep their keys, jobs their files and history, operators their audit trail), the service
//! carries on from the new store, and a target that already holds data is refused.

use cloud::{random_magnet, upload, SimAgent, TestServer};
use reqwest::StatusCode;
use serde_json::json;
use std::path::Path;
use std::process::{Command, Output};
use tseeder_cloud::config::Secret;
use tseeder_protocol::Role;
use tseeder_testkit::postgres::{fresh_database, PostgresServer, SHARED_URL};
use tseeder_testkit::{cloud, torrents};

const BIN: &str = env!("CARGO_BIN_EXE_tseeder-cloud");

fn migrate(data: &Path, to: &str) -> Output {
    Command::new(BIN)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("TSEEDER_DATA_DIR", data)
        .args(["admin", "migrate-store", "--to", to])
        .output()
        .expect("run migrate-store")
}

/// The run's shared server, or one of this test's own.
fn postgres() -> (String, Option<PostgresServer>) {
    match std::env::var(SHARED_URL) {
        Ok(url) if !url.is_empty() => (url, None),
        _ => {
            let server = PostgresServer::start();
            (server.url.clone(), Some(server))
        }
    }
}

#[tokio::test]
async fn a_sqlite_deployment_moves_into_postgres_with_every_row() {
    let (server_url, _own) = postgres();
    let target = fresh_database(&server_url).await;

    let mut sqlite = TestServer::start_with(|s| s.database.url = None).await;
    let admin = sqlite.user(Role::Admin).await;
    let agent = SimAgent::issued(&sqlite, &admin, "fra-1", "eu", 2).await;
    let alice = sqlite.user(Role::User).await;
    let (_, key) = alice.create_key("sonarr").await;
    let torrent = torrents::multi_file("pack", &[(&["a.bin"], 1000), (&["b.bin"], 2000)]);
    let uploaded = upload(&alice, torrent, None).await;
    assert_eq!(uploaded.status, StatusCode::CREATED, "{}", uploaded.body);
    let magnet = alice
        .post("/api/v1/jobs", json!({ "magnet": random_magnet("second") }))
        .await;
    assert_eq!(magnet.status, StatusCode::CREATED, "{}", magnet.body);
    assert!(
        agent.claim().await.is_some(),
        "a job is leased when the copy runs"
    );
    // More rows than the copy reads at once, for a table with a plain key and one with a
    // two-column key, so the copy pages through them.
    let magnet_job = magnet.body["job"]["id"].as_str().expect("id").to_owned();
    {
        let mut db =
            rusqlite::Connection::open(sqlite.data_dir().join("tseeder.db")).expect("sqlite");
        let tx = db.transaction().expect("tx");
        for n in 0..12_001 {
            tx.execute(
                "INSERT INTO security_events (kind, email, detail, created_at) VALUES ('login_failed', ?1, '{}', ?2)",
                rusqlite::params![format!("bulk{n}@example.org"), 1_700_000_000_000i64 + n],
            )
            .expect("security event");
        }
        for idx in 0..6_001 {
            tx.execute(
                "INSERT INTO job_files (job_id, idx, path, size) VALUES (?1, ?2, ?3, 1)",
                rusqlite::params![magnet_job, idx, format!("bulk/{idx}.bin")],
            )
            .expect("job file");
        }
        tx.commit().expect("commit");
    }
    let jobs_before = alice.get("/api/v1/jobs").await.body;
    let audit_before = admin.get("/api/v1/admin/audit").await.body;
    let data = sqlite.data_dir();
    sqlite.stop().await;

    let copied = migrate(&data, &target);
    let stdout = String::from_utf8_lossy(&copied.stdout);
    assert!(
        copied.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&copied.stderr)
    );
    assert!(stdout.contains("verified"), "{stdout}");
    for table in [
        "users",
        "jobs",
        "job_files",
        "job_events",
        "audit_log",
        "agents",
    ] {
        let line = stdout
            .lines()
            .find(|line| line.trim_start().starts_with(table))
            .unwrap_or_else(|| panic!("{table} is reported: {stdout}"));
        assert!(!line.contains(" 0 rows"), "{table} was copied: {line}");
    }
    for (table, at_least) in [("security_events", 12_001), ("job_files", 6_001)] {
        let line = stdout
            .lines()
            .find(|line| line.trim_start().starts_with(table))
            .unwrap_or_else(|| panic!("{table} is reported: {stdout}"));
        let rows: u64 = line
            .split_whitespace()
            .nth(1)
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("a row count: {line}"));
        assert!(rows >= at_least, "{table} copied page by page: {line}");
    }

    let pg = TestServer::start_with(|s| s.database.url = Some(Secret::new(target.clone()))).await;
    let alice_now = alice.rebased(&pg.base).with_key(&key);
    let jobs_after = alice_now.get("/api/v1/jobs").await;
    assert_eq!(jobs_after.status, StatusCode::OK, "the API key still works");
    assert_eq!(jobs_after.body, jobs_before, "the job list is the same");
    let admin_now = admin.rebased(&pg.base);
    let audit_after = admin_now.get("/api/v1/admin/audit").await;
    assert_eq!(
        audit_after.status,
        StatusCode::OK,
        "the operator's session still works"
    );
    assert_eq!(
        audit_after.body, audit_before,
        "the audit trail is the same"
    );
    // Numbered rows continue after the copied ones instead of colliding with them.
    let third = admin_now
        .post("/api/v1/jobs", json!({ "magnet": random_magnet("third") }))
        .await;
    assert_eq!(third.status, StatusCode::CREATED, "{}", third.body);

    let again = migrate(&data, &target);
    assert!(
        !again.status.success(),
        "a second copy into the same store is refused"
    );
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("already holds data"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
}
