//! End to end over a real swarm on 127.0.0.1: Debian's aria2c seeds a torrent made by mktorrent
//! (found through Debian's opentracker, or a peer hint), a user submits its magnet through the
//! public API, the embedded agent downloads it with the
//! engine and stores it, the user watches it live and downloads every file through signed links.

use cloud::{LiveStream, TestServer};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::Duration;
use swarm::{sha256_hex, SeedOptions, Seeder};
use tseeder_cloud::config::Secret;
use tseeder_cloud::Settings;
use tseeder_protocol::Role;
use tseeder_testkit::{cloud, garage, swarm};

fn fast_agent(settings: &mut Settings) {
    settings.embedded_agent.enabled = true;
    settings.embedded_agent.poll_interval_ms = 200;
    settings.embedded_agent.progress_interval_ms = 200;
    settings.storage.link_ttl_seconds = 3;
}

async fn fetch(
    url: &str,
    range: Option<&str>,
) -> (StatusCode, reqwest::header::HeaderMap, Vec<u8>) {
    let mut req = reqwest::Client::new().get(url);
    if let Some(range) = range {
        req = req.header("range", range);
    }
    let response = req.send().await.expect("download");
    let status = response.status();
    let headers = response.headers().clone();
    (
        status,
        headers,
        response.bytes().await.expect("body").to_vec(),
    )
}

/// The Content-Disposition a download of `name` must carry (RFC 5987, every byte but letters
/// and digits percent-encoded).
fn saved_as(name: &str) -> String {
    let encoded: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!("attachment; filename*=UTF-8''{encoded}")
}

async fn link(client: &cloud::Client, job_id: &str, index: u64) -> String {
    let answer = client
        .post(
            &format!("/api/v1/jobs/{job_id}/files/{index}/link"),
            json!({}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    answer.body["url"].as_str().expect("url").to_owned()
}

/// Submits the seeder's magnet, waits for completion, and checks every stored file's bytes.
async fn download_through_the_api(server: &TestServer, seeder: &Seeder) -> (cloud::Client, String) {
    let alice = server.user(Role::User).await;
    let mut stream = LiveStream::open(&alice, "/api/v1/jobs/live").await;
    let (first, _) = stream.next(Duration::from_secs(5)).await;
    assert_eq!(first, "snapshot");
    let created = alice
        .post("/api/v1/jobs", json!({ "magnet": seeder.magnet() }))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    let job_id = created.body["job"]["id"].as_str().expect("id").to_owned();
    let seen = stream.until_completed(&job_id).await;
    assert!(
        seen.iter().any(|s| s == "downloading") && seen.iter().any(|s| s == "uploading"),
        "live updates showed the work: {seen:?}"
    );

    let detail = alice.get(&format!("/api/v1/jobs/{job_id}")).await;
    assert_eq!(detail.body["job"]["status"], "completed");
    assert_eq!(detail.body["job"]["name"], seeder.name);
    let files = alice.get(&format!("/api/v1/jobs/{job_id}/files")).await;
    let files = files.body.as_array().expect("files").clone();
    assert_eq!(files.len(), seeder.files.len());
    for (file, seeded) in files.iter().zip(&seeder.files) {
        assert_eq!(file["path"], seeded.path.as_str());
        assert_eq!(file["size"], seeded.size as u64);
        let url = link(&alice, &job_id, file["index"].as_u64().expect("index")).await;
        let (status, headers, bytes) = fetch(&url, None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(sha256_hex(&bytes), seeded.sha256, "{}", seeded.path);
        // Saved under the file's own name, not the object key's id.
        assert_eq!(
            headers["content-disposition"],
            saved_as(seeded.path.rsplit('/').next().expect("name")).as_str(),
            "{}",
            seeded.path
        );
    }
    check_zip(&alice, &job_id, seeder).await;
    let usage = alice.get("/api/v1/usage").await;
    let total: u64 = seeder.files.iter().map(|f| f.size as u64).sum();
    assert_eq!(
        usage.body["storageBytes"], total,
        "storage use counts the stored files"
    );
    (alice, job_id)
}

/// The whole job as one ZIP: Python's zipfile checks every CRC and each member's bytes.
async fn check_zip(alice: &cloud::Client, job_id: &str, seeder: &Seeder) {
    let response = alice
        .http
        .get(format!("{}/api/v1/jobs/{job_id}/zip", alice.base))
        .send()
        .await
        .expect("zip");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/zip");
    let announced: u64 = response.headers()["content-length"]
        .to_str()
        .expect("length")
        .parse()
        .expect("number");
    let bytes = response.bytes().await.expect("body");
    assert_eq!(bytes.len() as u64, announced);
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("job.zip");
    std::fs::write(&path, &bytes).expect("write");
    let script = "import sys, zipfile, hashlib\n\
                  z = zipfile.ZipFile(sys.argv[1])\n\
                  assert z.testzip() is None\n\
                  print(';'.join(f'{i.filename}={hashlib.sha256(z.read(i)).hexdigest()}' for i in z.infolist()))";
    let out = std::process::Command::new("python3")
        .args(["-c", script])
        .arg(&path)
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // In torrent order, which mktorrent makes name order.
    let mut expected: Vec<String> = seeder
        .files
        .iter()
        .map(|f| format!("{}={}", f.path, f.sha256))
        .collect();
    expected.sort();
    let listed = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    let mut found: Vec<&str> = listed.split(';').collect();
    found.sort_unstable();
    assert_eq!(found, expected);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_magnet_is_downloaded_stored_and_served_from_the_local_store() {
    // Found through Debian's opentracker only: the magnet names the tracker and no peer.
    let seeder = Seeder::start(SeedOptions {
        local_tracker: true,
        ..Default::default()
    });
    assert!(seeder.magnet().contains("&tr=") && !seeder.magnet().contains("x.pe"));
    let server = TestServer::start_with(fast_agent).await;
    let (alice, job_id) = download_through_the_api(&server, &seeder).await;

    // Range, so players can seek.
    let big = &seeder.files[1];
    let url = link(&alice, &job_id, 1).await;
    let (status, headers, part) = fetch(&url, Some("bytes=1000-1999")).await;
    assert_eq!(status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(part.len(), 1000);
    assert_eq!(
        headers["content-range"],
        format!("bytes 1000-1999/{}", big.size).as_str()
    );
    let whole = swarm::generated_bytes(2, big.size);
    assert_eq!(part, whole[1000..2000]);
    let (status, _, _) = fetch(&url, Some(&format!("bytes={}-", big.size))).await;
    assert_eq!(status, StatusCode::RANGE_NOT_SATISFIABLE);

    // The offered name is signed too: it cannot be turned into a page name the browser renders.
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["content-security-policy"], "sandbox");
    let renamed = format!(
        "{}&name=evil.html",
        url.split("&name=").next().expect("url")
    );
    let (status, _, _) = fetch(&renamed, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a changed name is refused");
    // A link opens its own file only: another key under the same signature is refused.
    let other_file = url.replace("/files/1?", "/files/0?");
    let (status, _, body) = fetch(&other_file, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let body: Value = serde_json::from_slice(&body).expect("json");
    assert_eq!(body["error"]["code"], "link_invalid");
    // Another user cannot get a link to alice's files at all.
    let bob = server.user(Role::User).await;
    let refused = bob
        .post(&format!("/api/v1/jobs/{job_id}/files/0/link"), json!({}))
        .await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);
    // Links expire.
    let (status, _, _) = fetch(&url, None).await;
    assert_eq!(status, StatusCode::OK);
    tokio::time::sleep(Duration::from_secs(4)).await;
    let (status, _, body) = fetch(&url, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let body: Value = serde_json::from_slice(&body).expect("json");
    assert_eq!(body["error"]["code"], "link_expired");

    // Rotating the link-signing key (docs/operations.md): a link handed out before the rotation
    // opens its file until it expires, and no longer once the old key is dropped.
    let generated = std::fs::read_to_string(server.data_dir().join("link-signing.key"))
        .expect("the key generated at first start");
    let mut server = server;
    server.settings.storage.link_ttl_seconds = 60;
    let server = server.restart().await;
    let alice = alice.rebased(&server.base);
    let before = link(&alice, &job_id, 1).await;
    let mut server = server;
    server.settings.storage.url_signing_secret =
        Some(Secret::new("the-rotated-link-signing-key-of-40-characters"));
    server.settings.storage.previous_url_signing_secrets = vec![Secret::new(generated.trim())];
    let moved = server.base.clone();
    let server = server.restart().await;
    let alice = alice.rebased(&server.base);
    let before = before.replacen(&moved, &server.base, 1);
    let (status, _, _) = fetch(&before, None).await;
    assert_eq!(status, StatusCode::OK, "a link signed with the old key");
    let after = link(&alice, &job_id, 1).await;
    let mut server = server;
    server.settings.storage.previous_url_signing_secrets.clear();
    let moved = server.base.clone();
    let server = server.restart().await;
    let alice = alice.rebased(&server.base);
    let (before, after) = (
        before.replacen(&moved, &server.base, 1),
        after.replacen(&moved, &server.base, 1),
    );
    let (status, _, body) = fetch(&before, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "the old key dropped");
    let body: Value = serde_json::from_slice(&body).expect("json");
    assert_eq!(body["error"]["code"], "link_invalid");
    let (status, _, _) = fetch(&after, None).await;
    assert_eq!(status, StatusCode::OK, "a link signed with the new key");

    // Deleting the job deletes its files and gives the storage back.
    let objects = server.data_dir().join("objects");
    assert!(walk_count(&objects) >= 2);
    let deleted = alice.delete(&format!("/api/v1/jobs/{job_id}")).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_eq!(walk_count(&objects), 0, "stored files were deleted");
    let usage = alice.get("/api/v1/usage").await;
    assert_eq!(usage.body["storageBytes"], 0);
    // The agent left nothing behind in its work folder.
    assert_eq!(walk_count(&server.data_dir().join("agent").join("jobs")), 0);
}

fn walk_count(dir: &std::path::Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| {
            if e.path().is_dir() {
                walk_count(&e.path())
            } else {
                1
            }
        })
        .sum()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_magnet_is_downloaded_into_garage_and_served_by_presigned_links() {
    let store = garage::start_garage().await;
    let seeder = Seeder::start(SeedOptions {
        name: "garage-swarm",
        files: &[("clip.mkv", 6 * 1024 * 1024 + 123), ("notes.txt", 5000)],
        ..Default::default()
    });
    let endpoint = store.endpoint.clone();
    let server = TestServer::start_with(move |settings| {
        fast_agent(settings);
        settings.storage.link_ttl_seconds = 60;
        settings.storage.location.backend = tseeder_cloud::config::StorageBackend::S3;
        settings.storage.location.s3 = tseeder_storage::S3Config {
            endpoint,
            region: "garage".into(),
            bucket: garage::BUCKET.into(),
            access_key_id: garage::KEY_ID.into(),
            secret_access_key: garage::SECRET.into(),
            path_style: true,
            part_size: 5 * 1024 * 1024,
            parallel_parts: 2,
            max_attempts: 3,
            sign_payload: None,
        };
    })
    .await;
    let (alice, job_id) = download_through_the_api(&server, &seeder).await;
    // The link is Garage's own presigned URL, checked by Garage, and it honours Range.
    let url = link(&alice, &job_id, 0).await;
    assert!(url.starts_with(&store.endpoint), "{url}");
    assert!(url.contains("X-Amz-Signature="), "{url}");
    let (status, _, part) = fetch(&url, Some("bytes=0-9")).await;
    assert_eq!(status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(part, swarm::generated_bytes(1, 10));
    let tampered = url.replace("/files/0?", "/files/1?");
    let (status, _, _) = fetch(&tampered, None).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "Garage refuses a changed key"
    );
    // The file name is signed with the rest: a link cannot be made to save as something else.
    assert!(url.contains("response-content-disposition="), "{url}");
    let renamed = url.replace("clip%252Emkv", "clip%252Eexe");
    assert_ne!(renamed, url);
    let (status, _, _) = fetch(&renamed, None).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "Garage refuses a changed name"
    );
    assert!(
        server.data_dir().join("objects").read_dir().is_err(),
        "nothing stored locally"
    );

    let deleted = alice.delete(&format!("/api/v1/jobs/{job_id}")).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let (status, _, _) = fetch(&url, None).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "the object is gone from Garage"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_torrent_of_two_thousand_files_completes_with_every_file_listed() {
    // Its file list is far larger than the API's 64 KiB JSON limit: agent reports are sized
    // from limits.max_torrent_files instead.
    let paths: Vec<String> = (0..2000)
        .map(|i| format!("dir-{}/file-{i:04}.txt", i / 100))
        .collect();
    let files: Vec<(&str, usize)> = paths
        .iter()
        .enumerate()
        .map(|(i, p)| (p.as_str(), 40 + i % 7))
        .collect();
    let seeder = Seeder::start(SeedOptions {
        name: "many-files",
        files: &files,
        ..Default::default()
    });
    let server = TestServer::start_with(fast_agent).await;
    let alice = server.user(Role::User).await;
    let mut stream = LiveStream::open(&alice, "/api/v1/jobs/live").await;
    let created = alice
        .post("/api/v1/jobs", json!({ "magnet": seeder.magnet() }))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    let job_id = created.body["job"]["id"].as_str().expect("id").to_owned();
    stream.until_completed(&job_id).await;

    let detail = alice.get(&format!("/api/v1/jobs/{job_id}")).await;
    assert_eq!(detail.body["job"]["attempts"], 1, "{detail:?}");
    let listed = alice.get(&format!("/api/v1/jobs/{job_id}/files")).await;
    let mut listed: Vec<(String, u64)> = listed
        .body
        .as_array()
        .expect("files")
        .iter()
        .map(|f| {
            (
                f["path"].as_str().expect("path").to_owned(),
                f["size"].as_u64().expect("size"),
            )
        })
        .collect();
    let mut seeded: Vec<(String, u64)> = seeder
        .files
        .iter()
        .map(|f| (f.path.clone(), f.size as u64))
        .collect();
    listed.sort();
    seeded.sort();
    assert_eq!(listed.len(), 2000);
    assert_eq!(listed, seeded);
    // Every stored byte, through the whole-job ZIP.
    check_zip(&alice, &job_id, &seeder).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_report_the_cloud_refuses_fails_the_job_with_the_reason_at_once() {
    // Limits so tight that the file list below cannot be reported: the try fails with the
    // cloud's answer instead of downloading, uploading and being retried in silence.
    // 250 names of 232 bytes: about 74 KB of file list against a 67 KB limit.
    let paths: Vec<String> = (0..250)
        .map(|i| format!("{}-{i:03}.bin", "a-long-file-name".repeat(14)))
        .collect();
    let files: Vec<(&str, usize)> = paths.iter().map(|p| (p.as_str(), 10)).collect();
    let seeder = Seeder::start(SeedOptions {
        name: "refused-list",
        files: &files,
        ..Default::default()
    });
    let server = TestServer::start_with(|settings| {
        fast_agent(settings);
        settings.limits.max_json_body_bytes = 1024;
        settings.limits.max_torrent_bytes = 1024;
        settings.limits.max_torrent_files = 250;
    })
    .await;
    let alice = server.user(Role::User).await;
    let created = alice
        .post("/api/v1/jobs", json!({ "magnet": seeder.magnet() }))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    let job_id = created.body["job"]["id"].as_str().expect("id").to_owned();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let job = loop {
        let detail = alice.get(&format!("/api/v1/jobs/{job_id}")).await;
        if detail.body["job"]["status"] == "failed" {
            break detail.body["job"].clone();
        }
        assert!(std::time::Instant::now() < deadline, "{detail:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(job["attempts"], 1, "{job}");
    assert_eq!(
        job["error"],
        tseeder_protocol::FailureKind::Refused.user_error(),
        "{job}"
    );
    assert_eq!(walk_count(&server.data_dir().join("objects")), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn magnets_nobody_seeds_do_not_keep_another_users_job_waiting() {
    // The default embedded agent (two download slots, metadata timeout 300 s). Four magnets
    // whose only peer never answers keep fetching metadata for minutes; a healthy job of
    // another user still starts at once and completes.
    let seeder = Seeder::start(SeedOptions::default());
    let server = TestServer::start_with(|settings| {
        fast_agent(settings);
        settings.embedded_agent.engine.metadata_timeout_seconds = 300;
    })
    .await;
    assert_eq!(server.services.settings().embedded_agent.capacity, 2);
    // A peer that accepts connections and never answers: the metadata never comes.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let nobody = silent.local_addr().expect("addr").port();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = silent.accept().await {
            held.push(stream);
        }
    });
    for _ in 0..2 {
        let stuck = server.user(Role::User).await;
        for _ in 0..2 {
            let hash = format!("{:040x}", uuid::Uuid::new_v4().as_u128());
            let dead = format!("magnet:?xt=urn:btih:{hash}&x.pe=127.0.0.1:{nobody}");
            let created = stuck.post("/api/v1/jobs", json!({ "magnet": dead })).await;
            assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
        }
    }
    // The dead magnets are claimed first and are fetching metadata.
    let admin = server.user(Role::Admin).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let jobs = admin.get("/api/v1/admin/jobs?status=metadata").await;
        if jobs.body["total"] == 4 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{jobs:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    let carol = server.user(Role::User).await;
    let mut stream = LiveStream::open(&carol, "/api/v1/jobs/live").await;
    let created = carol
        .post("/api/v1/jobs", json!({ "magnet": seeder.magnet() }))
        .await;
    let job_id = created.body["job"]["id"].as_str().expect("id").to_owned();
    let completed =
        tokio::time::timeout(Duration::from_secs(60), stream.until_completed(&job_id)).await;
    assert!(
        completed.is_ok(),
        "the healthy job did not complete within 60 s"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_padded_hybrid_torrent_is_numbered_and_selected_as_the_engine_numbers_it() {
    // libtorrent pads every file to a piece boundary (BEP 47), so the torrent's own numbering
    // has padding files between the real ones; the server must list and select by it, as the
    // engine downloads by it (engine/tests/engine.rs checks the engine's side).
    let sizes = [("a.bin", 100_000), ("b.bin", 50_000), ("c.bin", 70_000)];
    let padded = swarm::PaddedTorrent::make("padded", &sizes);
    let chosen = padded
        .files
        .iter()
        .find(|f| f.path.ends_with("c.bin"))
        .expect("in the torrent")
        .index;
    assert!(chosen > 2, "c.bin follows padding: {:?}", padded.files);

    let server = TestServer::start().await;
    let alice = server.user(Role::User).await;
    let created = cloud::upload(&alice, padded.torrent.clone(), Some(&format!("[{chosen}]"))).await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    let listed: Vec<(u64, String, bool)> = created.body["files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|f| {
            (
                f["index"].as_u64().expect("index"),
                f["path"].as_str().expect("path").to_owned(),
                f["selected"].as_bool().expect("selected"),
            )
        })
        .collect();
    let expected: Vec<(u64, String, bool)> = padded
        .files
        .iter()
        .filter(|f| !f.padding)
        .map(|f| (u64::from(f.index), f.path.clone(), f.index == chosen))
        .collect();
    assert_eq!(listed, expected, "one numbering, padding files left out");
    assert_eq!(created.body["job"]["totalBytes"], 70_000);
    // A padding file's number is not a file one can choose.
    let padding = padded
        .files
        .iter()
        .find(|f| f.padding)
        .expect("padding")
        .index;
    let refused = cloud::upload(
        &alice,
        padded.torrent.clone(),
        Some(&format!("[{padding}]")),
    )
    .await;
    assert_eq!(refused.code(), "invalid_selection", "{refused:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_job_paused_and_resumed_at_once_on_the_same_agent_completes_intact() {
    // The resumed attempt starts while the paused one is still leaving: each works in a folder
    // of its own lease, and the old one's clean-up touches nothing of the new one.
    let seeder = Seeder::start(SeedOptions {
        files: &[("big.bin", 3_000_000)],
        name: "big.bin",
        upload_limit: Some("1M"),
        ..Default::default()
    });
    let server = TestServer::start_with(|settings| {
        fast_agent(settings);
        settings.dispatch.backoff_base_seconds = 1;
    })
    .await;
    let alice = server.user(Role::User).await;
    let created = alice
        .post("/api/v1/jobs", json!({ "magnet": seeder.magnet() }))
        .await;
    let job_id = created.body["job"]["id"].as_str().expect("id").to_owned();
    let mut stream = LiveStream::open(&alice, &format!("/api/v1/jobs/{job_id}/live")).await;
    loop {
        let (event, data) = stream.next(Duration::from_secs(30)).await;
        let progress = data
            .get("progress")
            .or_else(|| data.get(0).and_then(|d| d.get("progress")));
        let downloaded = progress.and_then(|p| p["downloadedBytes"].as_u64());
        if event != "removed" && downloaded.is_some_and(|d| d > 0) {
            break;
        }
    }
    let paused = alice
        .post(&format!("/api/v1/jobs/{job_id}/pause"), json!({}))
        .await;
    assert_eq!(paused.status, StatusCode::OK, "{paused:?}");
    let resumed = alice
        .post(&format!("/api/v1/jobs/{job_id}/resume"), json!({}))
        .await;
    assert_eq!(resumed.status, StatusCode::OK, "{resumed:?}");
    let completed =
        tokio::time::timeout(Duration::from_secs(60), stream.until_completed(&job_id)).await;
    assert!(completed.is_ok(), "the resumed job never completed");
    let url = link(&alice, &job_id, 0).await;
    let (status, _, bytes) = fetch(&url, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(sha256_hex(&bytes), seeder.files[0].sha256);
}
