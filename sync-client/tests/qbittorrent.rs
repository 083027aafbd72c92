//! tseeder-sync as Sonarr and Radarr use it: the real binary in front of a real tseeder-cloud
//! whose embedded agent downloads from aria2c seeders on 127.0.0.1, driven by the
//! `qbittorrent-api` client from PyPI (a client written against qBittorrent, not against us).
//! A magnet added by URL and a `.torrent` added as a file land in their categories' folders,
//! verified byte for byte; deleting with files removes the cloud job and the local copy,
//! deleting without keeps the copy.

use reqwest::StatusCode;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tseeder_protocol::Role;
use tseeder_testkit::cloud::TestServer;
use tseeder_testkit::free_port;
use tseeder_testkit::swarm::{SeedOptions, Seeder};

const BIN: &str = env!("CARGO_BIN_EXE_tseeder-sync");

/// The Python the test scripts install `qbittorrent-api` into.
fn python() -> PathBuf {
    std::env::var_os("TSEEDER_TEST_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var("HOME").expect("HOME"))
                .join(".cache/tseeder-schemathesis/bin/python")
        })
}

struct SyncProcess(tokio::process::Child);

impl Drop for SyncProcess {
    fn drop(&mut self) {
        let _ = self.0.start_kill();
    }
}

/// Files of a seeder by their path under the category folder, with their SHA-256.
fn seeded(seeder: &Seeder) -> BTreeMap<String, String> {
    seeder
        .files
        .iter()
        .map(|f| (f.path.clone(), f.sha256.clone()))
        .collect()
}

async fn wait_healthy(base: &str) {
    let http = reqwest::Client::new();
    for _ in 0..200 {
        if let Ok(response) = http.get(format!("{base}/health")).send().await {
            if response.status() == StatusCode::OK {
                let body: Value = response.json().await.expect("health");
                if body["cloud"] == "connected" {
                    return;
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("tseeder-sync never became healthy at {base}");
}

fn spawn_sync(cloud: &str, key_file: &Path, folder: &Path, data: &Path, port: u16) -> SyncProcess {
    let child = tokio::process::Command::new(BIN)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("TSEEDER_SYNC_CLOUD_URL", cloud)
        .env("TSEEDER_SYNC_API_KEY_FILE", key_file)
        .env("TSEEDER_SYNC_FOLDER", folder)
        .env("TSEEDER_SYNC_DATA_DIR", data)
        .env(
            "TSEEDER_SYNC_QBITTORRENT__LISTEN",
            format!("127.0.0.1:{port}"),
        )
        .env("TSEEDER_SYNC_QBITTORRENT__USERNAME", "sonarr")
        .env("TSEEDER_SYNC_QBITTORRENT__PASSWORD", "sonarr password")
        .env("TSEEDER_SYNC_QBITTORRENT__API_KEY", "qbt_test_key")
        .env("TSEEDER_SYNC_LOG", "warn")
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start tseeder-sync");
    SyncProcess(child)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sonarr_and_radarr_get_their_files_through_the_qbittorrent_api() {
    let server = TestServer::start_with(|settings| {
        settings.embedded_agent.enabled = true;
        settings.embedded_agent.poll_interval_ms = 200;
        settings.embedded_agent.progress_interval_ms = 200;
    })
    .await;
    let user = server.user(Role::User).await;
    let (_, api_key) = user.create_key("home server").await;

    let show = Seeder::start(SeedOptions {
        name: "Show.S01",
        files: &[("Show.S01E01.mkv", 700_000), ("Extras/notes.txt", 3_000)],
        ..Default::default()
    });
    let film = Seeder::start(SeedOptions {
        name: "Film.2024.mkv",
        files: &[("Film.2024.mkv", 1_200_000)],
        local_tracker: true,
        ..Default::default()
    });

    let scratch = tempfile::tempdir().expect("scratch");
    let folder = scratch.path().join("media");
    std::fs::create_dir_all(&folder).expect("folder");
    let folder = folder.canonicalize().expect("canonical");
    let key_file = scratch.path().join("api-key");
    std::fs::write(&key_file, format!("{api_key}\n")).expect("key file");
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let _sync = spawn_sync(
        &server.base,
        &key_file,
        &folder,
        &scratch.path().join("state"),
        port,
    );
    wait_healthy(&base).await;

    let torrent_file = scratch.path().join("film.torrent");
    std::fs::write(&torrent_file, &film.torrent).expect("torrent");
    let config = json!({
        "host": base,
        "username": "sonarr",
        "password": "sonarr password",
        "api_key": "qbt_test_key",
        "folder": folder,
        "magnet": show.magnet(),
        "magnet_hash": show.info_hash,
        "magnet_files": seeded(&show),
        "torrent_file": torrent_file,
        "file_hash": film.info_hash,
        "file_files": seeded(&film),
    });
    let config_file = scratch.path().join("client.json");
    std::fs::write(&config_file, config.to_string()).expect("config");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/qbittorrent_client.py");
    let run = tokio::time::timeout(
        Duration::from_secs(300),
        tokio::process::Command::new(python())
            .arg(&script)
            .arg(&config_file)
            .kill_on_drop(true)
            .output(),
    )
    .await
    .expect("the client finished in time")
    .expect("run the qbittorrent-api client");
    let stdout = String::from_utf8_lossy(&run.stdout);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{stdout}\n{stderr}");
    let seen: Value = serde_json::from_str(stdout.trim()).expect("the client's report");
    assert_eq!(seen["wrong_password"], "LoginFailed");
    assert!(
        seen["refused_because"]
            .as_str()
            .is_some_and(|why| why.contains("magnet")),
        "{seen}"
    );
    let tv_states = seen["states"]["tv"].as_array().expect("states");
    assert_eq!(tv_states.last(), Some(&json!("pausedUP")), "{seen}");

    // Both cloud jobs are gone; the film's copy stays, the show's does not.
    let jobs = user.get("/api/v1/jobs").await;
    assert_eq!(jobs.status, StatusCode::OK);
    assert_eq!(jobs.body["items"], json!([]), "{:?}", jobs.body);
    assert!(folder.join("movies/Film.2024.mkv").is_file());
    assert!(!folder.join("tv/Show.S01").exists());
}
