//! Seedr.cc as a provider, against the suite's Seedr stand-in (testkit `seedr`), on both
//! backends: an owner switches with a reason; new cloud jobs go to Seedr, their files arrive in
//! our store byte for byte and the folder is deleted on Seedr; a .torrent upload with a file
//! selection copies only the chosen files; Seedr's refusals become clear job errors and its
//! outages are waited out; a restart mid-copy resumes with Range; switching back sends the next
//! job to the agents while a Seedr job in flight still completes there.

use reqwest::StatusCode;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::time::Duration;
use tseeder_cloud::config::Secret;
use tseeder_protocol::Role;
use tseeder_storage::ObjectKey;
use tseeder_testkit::cloud::{random_magnet, upload, Client, SimAgent, TestServer};
use tseeder_testkit::seedr::{Content, SeedrSim, EMAIL, PASSWORD};
use tseeder_testkit::torrents::multi_file;

const WHY: &str = "agents are down for the data centre move";

async fn server_for(
    seedr: &SeedrSim,
    adjust: impl FnOnce(&mut tseeder_cloud::config::Settings),
) -> TestServer {
    let base = seedr.base.clone();
    TestServer::start_with(move |settings| {
        settings.providers.seedr.base_url = base;
        settings.providers.seedr.email = Some(EMAIL.into());
        settings.providers.seedr.password = Some(Secret::new(PASSWORD));
        settings.providers.seedr.poll_interval_seconds = 1;
        adjust(settings);
    })
    .await
}

fn info_hash(magnet: &str) -> String {
    magnet
        .split(['?', '&'])
        .find_map(|p| p.strip_prefix("xt=urn:btih:"))
        .expect("btih")
        .to_owned()
}

fn bytes(seed: u8, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

fn sha256(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

async fn switch(owner: &Client, provider: &str) -> Value {
    let report = owner.get("/api/v1/admin/provider").await;
    assert_eq!(report.status, StatusCode::OK, "{report:?}");
    let version = report.body["settingsVersion"].as_u64().expect("version");
    let switched = owner
        .post(
            "/api/v1/admin/provider",
            json!({ "provider": provider, "expectedVersion": version, "reason": WHY, "ticketId": "OPS-77" }),
        )
        .await;
    assert_eq!(switched.status, StatusCode::OK, "{switched:?}");
    assert_eq!(switched.body["active"], provider);
    switched.body
}

async fn submit(user: &Client, magnet: &str) -> String {
    let created = user.post("/api/v1/jobs", json!({ "magnet": magnet })).await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    created.body["job"]["id"].as_str().expect("id").to_owned()
}

/// The job once it ended (or panics after `within`).
async fn ended(user: &Client, id: &str, within: Duration) -> Value {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let job = user.get(&format!("/api/v1/jobs/{id}")).await;
        assert_eq!(job.status, StatusCode::OK, "{job:?}");
        let status = job.body["job"]["status"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        if ["completed", "failed", "cancelled"].contains(&status.as_str()) {
            return job.body["job"].clone();
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "still {status}: {}",
            job.body
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Submits `magnet` and waits for the job to fail with an error that says `reason`.
async fn fails_with(user: &Client, magnet: &str, reason: &str) {
    let id = submit(user, magnet).await;
    let job = ended(user, &id, Duration::from_secs(20)).await;
    assert_eq!(job["status"], "failed", "{job}");
    assert!(
        job["error"].as_str().unwrap_or_default().contains(reason),
        "{reason} not in {job}"
    );
}

/// Waits until Seedr holds nothing of the jobs (folders, files, transfers).
async fn until_seedr_is_empty(seedr: &SeedrSim) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while seedr.leftovers() != (0, 0, 0) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{:?}",
            seedr.leftovers()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A magnet Seedr finishes as one folder `name` holding `files`.
fn offered(seedr: &SeedrSim, name: &str, files: Vec<(String, Vec<u8>)>) -> String {
    let magnet = random_magnet(name);
    seedr.offer_magnet(
        &info_hash(&magnet),
        Content {
            name: name.into(),
            files,
        },
    );
    magnet
}

async fn stored(server: &TestServer, user: &Client, job: &str, index: u32) -> Vec<u8> {
    use futures_util::TryStreamExt;
    let key = ObjectKey::job_file(&user.user_id, job, index).expect("key");
    let chunks: Vec<bytes::Bytes> = server
        .services
        .store()
        .read(&key)
        .await
        .expect("stored")
        .try_collect()
        .await
        .expect("read");
    chunks.concat()
}

#[tokio::test]
async fn an_owner_switches_to_seedr_and_its_files_arrive_byte_for_byte() {
    let seedr = SeedrSim::start().await;
    let server = server_for(&seedr, |_| {}).await;
    let owner = server.user(Role::Superadmin).await;
    let admin = server.user(Role::Admin).await;
    let alice = server.user(Role::User).await;

    // Only the owner switches, with a reason.
    let report = admin.get("/api/v1/admin/provider").await;
    assert_eq!(report.body["active"], "agents", "{report:?}");
    assert_eq!(report.body["seedrConfigured"], true);
    let refused = admin
        .post(
            "/api/v1/admin/provider",
            json!({ "provider": "seedr", "expectedVersion": 0, "reason": WHY, "ticketId": "OPS-77" }),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{refused:?}");
    let refused = admin
        .patch(
            "/api/v1/admin/settings",
            json!({ "changes": { "providers.active": "seedr" }, "expectedVersion": 0, "reason": WHY, "ticketId": "OPS-77" }),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{refused:?}");
    let unjustified = owner
        .post(
            "/api/v1/admin/provider",
            json!({ "provider": "seedr", "expectedVersion": 0, "reason": "x", "ticketId": "OPS-77" }),
        )
        .await;
    assert_eq!(unjustified.code(), "reason_required", "{unjustified:?}");
    switch(&owner, "seedr").await;

    // A magnet job runs on Seedr; two files, one in a subfolder.
    let files = vec![
        ("concert.mkv".to_owned(), bytes(1, 300_000)),
        ("extras/poster.jpg".to_owned(), bytes(2, 12_345)),
    ];
    let magnet = offered(&seedr, "Concert", files.clone());
    let id = submit(&alice, &magnet).await;
    let job = ended(&alice, &id, Duration::from_secs(30)).await;
    assert_eq!(job["status"], "completed", "{job}");
    assert_eq!(seedr.magnets(), std::slice::from_ref(&magnet));
    // Every call carried the account's credentials.
    assert!(
        seedr.seen().iter().all(|s| s.authorized),
        "{:?}",
        seedr.seen()
    );

    let listed = alice.get(&format!("/api/v1/jobs/{id}/files")).await;
    assert_eq!(listed.status, StatusCode::OK, "{listed:?}");
    let listed = listed.body.as_array().expect("files").clone();
    assert_eq!(listed.len(), 2, "{listed:?}");
    for (path, content) in &files {
        let entry = listed
            .iter()
            .find(|f| f["path"] == path.as_str())
            .unwrap_or_else(|| panic!("{path} not in {listed:?}"));
        assert_eq!(entry["size"], content.len(), "{entry}");
        let index = entry["index"].as_u64().expect("index") as u32;
        let got = stored(&server, &alice, &id, index).await;
        assert_eq!(sha256(&got), sha256(content), "file {index} ({path})");
    }
    // The folder is gone from Seedr once copied.
    until_seedr_is_empty(&seedr).await;
    assert_eq!(seedr.deleted_folders().len(), 1);

    // The switch is a settings version in the history and the audit log.
    let history = owner.get("/api/v1/admin/settings/history").await;
    assert!(
        history.body.to_string().contains("providers.active"),
        "{}",
        history.body
    );
    let audit = owner
        .get("/api/v1/admin/audit?action=settings.change")
        .await;
    assert!(audit.body.to_string().contains("OPS-77"), "{}", audit.body);
}

#[tokio::test]
async fn switching_back_sends_new_jobs_to_agents_while_seedr_finishes_its_own() {
    let seedr = SeedrSim::start().await;
    // Slow transfers: 10 % per read of the root.
    seedr.set_progress_step(10);
    let server = server_for(&seedr, |_| {}).await;
    let owner = server.user(Role::Superadmin).await;
    let alice = server.user(Role::User).await;
    let agent = SimAgent::issued(&server, &owner, "eu-1", "eu", 2).await;
    switch(&owner, "seedr").await;
    let on_seedr = offered(&seedr, "Slow", vec![("slow.bin".into(), bytes(3, 4096))]);
    let seedr_job = submit(&alice, &on_seedr).await;
    // Agents never see it.
    assert_eq!(agent.claim().await, None);
    let report = switch(&owner, "agents").await;
    let in_flight = |report: &Value, provider: &str| {
        report["providers"]
            .as_array()
            .expect("providers")
            .iter()
            .find(|p| p["provider"] == provider)
            .map(|p| p["inFlight"].as_u64().unwrap_or(0))
    };
    assert_eq!(in_flight(&report, "seedr"), Some(1), "{report}");
    let agents_job = submit(&alice, &random_magnet("Fast")).await;
    let (claimed, _lease) = agent.claim().await.expect("claim");
    assert_eq!(claimed, agents_job);
    let report = owner.get("/api/v1/admin/provider").await.body;
    assert_eq!(in_flight(&report, "agents"), Some(1), "{report}");
    let job = ended(&alice, &seedr_job, Duration::from_secs(40)).await;
    assert_eq!(job["status"], "completed", "{job}");
    assert_eq!(stored(&server, &alice, &seedr_job, 0).await, bytes(3, 4096));
}

#[tokio::test]
async fn a_torrent_upload_copies_only_the_chosen_files() {
    let seedr = SeedrSim::start().await;
    let server = server_for(&seedr, |s| {
        s.providers.active = tseeder_protocol::ProviderKind::Seedr
    })
    .await;
    let alice = server.user(Role::User).await;
    let torrent = multi_file(
        "Album",
        &[
            (&["one.flac"], 5000),
            (&["two.flac"], 7000),
            (&["art", "cover.png"], 900),
        ],
    );
    seedr.offer_torrent(
        torrent.clone(),
        Content {
            name: "Album".into(),
            files: vec![
                ("one.flac".into(), bytes(4, 5000)),
                ("two.flac".into(), bytes(5, 7000)),
                ("art/cover.png".into(), bytes(6, 900)),
            ],
        },
    );
    let created = upload(&alice, torrent.clone(), Some("[1,2]")).await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    let id = created.body["job"]["id"].as_str().expect("id").to_owned();
    let job = ended(&alice, &id, Duration::from_secs(30)).await;
    assert_eq!(job["status"], "completed", "{job}");
    assert_eq!(seedr.uploads(), [torrent]);
    assert_eq!(stored(&server, &alice, &id, 1).await, bytes(5, 7000));
    assert_eq!(stored(&server, &alice, &id, 2).await, bytes(6, 900));
    let unwanted = ObjectKey::job_file(&alice.user_id, &id, 0).expect("key");
    assert!(server
        .services
        .store()
        .head(&unwanted)
        .await
        .expect("head")
        .is_none());
    // Only the chosen files were downloaded from Seedr.
    let downloads = seedr
        .seen()
        .iter()
        .filter(|s| s.path.starts_with("/rest/file/"))
        .count();
    assert_eq!(downloads, 2, "{:?}", seedr.seen());
}

#[tokio::test]
async fn seedrs_refusals_become_clear_job_errors_and_its_outages_are_waited_out() {
    let seedr = SeedrSim::start().await;
    let server = server_for(&seedr, |s| {
        s.providers.active = tseeder_protocol::ProviderKind::Seedr
    })
    .await;
    let alice = server.user(Role::User).await;
    let offer = |name: &str| offered(&seedr, name, vec![(format!("{name}.bin"), bytes(7, 2048))]);

    seedr.set_wrong_password(true);
    fails_with(&alice, &offer("Locked"), "credentials").await;
    seedr.set_wrong_password(false);

    seedr.set_full(true);
    fails_with(&alice, &offer("Full"), "account is full").await;
    seedr.set_full(false);

    seedr.set_failing_transfers(true);
    fails_with(&alice, &offer("Dead"), "transfer failed on Seedr").await;
    seedr.set_failing_transfers(false);
    // The failed transfer does not stay on Seedr.
    until_seedr_is_empty(&seedr).await;

    // Seedr answering 503 for a while: the job waits and then completes.
    seedr.fail_next(3);
    let id = submit(&alice, &offer("Patient")).await;
    let job = ended(&alice, &id, Duration::from_secs(60)).await;
    assert_eq!(job["status"], "completed", "{job}");
    let unavailable = seedr
        .seen()
        .iter()
        .filter(|s| s.path == "/rest/transfer/magnet")
        .count();
    assert!(
        unavailable >= 2,
        "the magnet was tried again: {:?}",
        seedr.seen()
    );
}

#[tokio::test]
async fn a_long_outage_fails_the_job_with_the_reason() {
    let seedr = SeedrSim::start().await;
    let server = server_for(&seedr, |s| {
        s.providers.active = tseeder_protocol::ProviderKind::Seedr;
        s.providers.seedr.outage_minutes = 0;
    })
    .await;
    let alice = server.user(Role::User).await;
    seedr.fail_next(1000);
    fails_with(&alice, &random_magnet("Gone"), "unreachable or failing").await;
}

#[tokio::test]
async fn a_restart_mid_copy_resumes_the_download_with_range() {
    let seedr = SeedrSim::start().await;
    let server = server_for(&seedr, |s| {
        s.providers.active = tseeder_protocol::ProviderKind::Seedr
    })
    .await;
    let alice = server.user(Role::User).await;
    let content = bytes(9, 200_000);
    let magnet = offered(&seedr, "Big", vec![("big.bin".into(), content.clone())]);
    seedr.cut_downloads(1);
    let id = submit(&alice, &magnet).await;
    // The first download stops halfway; the server stops before it tries again.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while !seedr
        .seen()
        .iter()
        .any(|s| s.path.starts_with("/rest/file/"))
    {
        assert!(tokio::time::Instant::now() < deadline, "{:?}", seedr.seen());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let server = server.restart().await;
    let alice = alice.rebased(&server.base);
    let job = ended(&alice, &id, Duration::from_secs(40)).await;
    assert_eq!(job["status"], "completed", "{job}");
    assert_eq!(
        sha256(&stored(&server, &alice, &id, 0).await),
        sha256(&content)
    );
    let ranges: Vec<_> = seedr.seen().into_iter().filter_map(|s| s.range).collect();
    assert_eq!(ranges, ["bytes=100000-"], "{:?}", seedr.seen());
}

#[tokio::test]
async fn a_folder_of_many_files_is_copied_several_files_at_a_time() {
    let seedr = SeedrSim::start().await;
    let server = server_for(&seedr, |s| {
        s.providers.active = tseeder_protocol::ProviderKind::Seedr;
        s.providers.seedr.files_at_once = 3;
    })
    .await;
    let alice = server.user(Role::User).await;
    let files: Vec<(String, Vec<u8>)> = (0..5u8)
        .map(|n| {
            (
                format!("part{n}.bin"),
                bytes(n, 50_000 + usize::from(n) * 7),
            )
        })
        .collect();
    let magnet = offered(&seedr, "Many", files.clone());
    // Each download pauses halfway, so the copies that run together are seen together.
    seedr.slow_downloads(Duration::from_millis(400));
    let id = submit(&alice, &magnet).await;
    let job = ended(&alice, &id, Duration::from_secs(40)).await;
    assert_eq!(job["status"], "completed", "{job}");
    for (index, (_, content)) in files.iter().enumerate() {
        assert_eq!(
            sha256(&stored(&server, &alice, &id, index as u32).await),
            sha256(content),
            "file {index}"
        );
    }
    assert_eq!(
        seedr.most_downloads_at_once(),
        3,
        "files_at_once = 3 with five files to copy"
    );
}

#[tokio::test]
async fn seedr_cannot_be_switched_on_without_an_account() {
    let server = TestServer::start().await;
    let owner = server.user(Role::Superadmin).await;
    let refused = owner
        .post(
            "/api/v1/admin/provider",
            json!({ "provider": "seedr", "expectedVersion": 0, "reason": WHY, "ticketId": "OPS-77" }),
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{refused:?}"
    );
    assert_eq!(refused.code(), "provider_not_configured");
    assert_eq!(
        owner.get("/api/v1/admin/provider").await.body["active"],
        "agents"
    );
}

#[tokio::test]
async fn seedrs_health_is_a_status_component_and_an_overview_alert() {
    let seedr = SeedrSim::start().await;
    let server = server_for(&seedr, |s| s.status.sample_interval_seconds = 1).await;
    let admin = server.user(Role::Admin).await;
    let seedr_state = |status: &Value| {
        status["components"]
            .as_array()
            .expect("components")
            .iter()
            .find(|c| c["id"] == "seedr")
            .map(|c| c["state"].as_str().unwrap_or_default().to_owned())
    };
    let wait_for = |want: &'static str| {
        let anon = server.anon();
        async move {
            let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
            loop {
                let status = anon.get("/api/v1/status").await.body;
                if seedr_state(&status).as_deref() == Some(want) {
                    return status;
                }
                assert!(tokio::time::Instant::now() < deadline, "{status}");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    };
    wait_for("operational").await;
    let history = server
        .anon()
        .get("/api/v1/status/history?days=1")
        .await
        .body;
    assert!(
        history["components"]
            .as_array()
            .expect("components")
            .iter()
            .any(|c| c["id"] == "seedr"),
        "{history}"
    );

    seedr.set_wrong_password(true);
    let status = wait_for("outage").await;
    assert_eq!(status["state"], "outage", "{status}");
    let overview = admin.get("/api/v1/admin/overview").await.body;
    let alert = overview["alerts"]
        .as_array()
        .expect("alerts")
        .iter()
        .find(|a| a["code"] == "provider_unhealthy")
        .unwrap_or_else(|| panic!("no provider alert in {overview}"))
        .clone();
    assert_eq!(alert["severity"], "critical", "{alert}");
    seedr.set_wrong_password(false);
    wait_for("operational").await;

    // A deployment without a Seedr account has no such component.
    let plain = TestServer::start().await;
    let status = plain.anon().get("/api/v1/status").await.body;
    assert_eq!(seedr_state(&status), None, "{status}");
}

#[tokio::test]
async fn a_transfer_whose_folder_never_appears_fails_and_is_removed_from_seedr() {
    let seedr = SeedrSim::start().await;
    // Transfers never advance.
    seedr.set_progress_step(0);
    let server = server_for(&seedr, |s| {
        s.providers.active = tseeder_protocol::ProviderKind::Seedr;
        s.providers.seedr.transfer_timeout_minutes = 0;
    })
    .await;
    let alice = server.user(Role::User).await;
    let magnet = offered(&seedr, "Stuck", vec![("stuck.bin".into(), bytes(8, 100))]);
    fails_with(&alice, &magnet, "did not appear within 0 minutes").await;
    until_seedr_is_empty(&seedr).await;
}

#[tokio::test]
async fn a_paused_seedr_job_leaves_seedr_and_a_retry_goes_where_new_jobs_go() {
    let seedr = SeedrSim::start().await;
    seedr.set_progress_step(5);
    let server = server_for(&seedr, |_| {}).await;
    let owner = server.user(Role::Superadmin).await;
    let alice = server.user(Role::User).await;
    let agent = SimAgent::issued(&server, &owner, "eu-1", "eu", 1).await;
    switch(&owner, "seedr").await;
    let magnet = offered(
        &seedr,
        "Paused",
        vec![("paused.bin".into(), bytes(10, 1000))],
    );
    let id = submit(&alice, &magnet).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while seedr.leftovers().2 == 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "never sent to Seedr"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let paused = alice
        .post(&format!("/api/v1/jobs/{id}/pause"), json!({}))
        .await;
    assert_eq!(paused.status, StatusCode::OK, "{paused:?}");
    // The transfer is removed from Seedr while the job is paused.
    until_seedr_is_empty(&seedr).await;
    // Resumed: it starts over on Seedr, where it began, and completes there.
    seedr.set_progress_step(50);
    let resumed = alice
        .post(&format!("/api/v1/jobs/{id}/resume"), json!({}))
        .await;
    assert_eq!(resumed.status, StatusCode::OK, "{resumed:?}");
    let job = ended(&alice, &id, Duration::from_secs(30)).await;
    assert_eq!(job["status"], "completed", "{job}");
    assert_eq!(seedr.magnets().len(), 2);

    // A job that failed on Seedr and is retried after the switch back runs on the agents.
    seedr.set_full(true);
    let id = submit(
        &alice,
        &offered(&seedr, "Retried", vec![("r.bin".into(), bytes(11, 10))]),
    )
    .await;
    let job = ended(&alice, &id, Duration::from_secs(20)).await;
    assert_eq!(job["status"], "failed", "{job}");
    switch(&owner, "agents").await;
    let retried = alice
        .post(&format!("/api/v1/jobs/{id}/retry"), json!({}))
        .await;
    assert_eq!(retried.status, StatusCode::OK, "{retried:?}");
    let (claimed, _) = agent.claim().await.expect("claim");
    assert_eq!(claimed, id);
}

#[tokio::test]
async fn a_hostile_file_name_from_seedr_fails_the_job_and_nothing_is_stored() {
    let seedr = SeedrSim::start().await;
    let server = server_for(&seedr, |s| {
        s.providers.active = tseeder_protocol::ProviderKind::Seedr
    })
    .await;
    let alice = server.user(Role::User).await;
    let magnet = offered(
        &seedr,
        "Hostile",
        vec![
            ("fine.bin".into(), bytes(12, 10)),
            ("../escape.bin".into(), bytes(13, 10)),
        ],
    );
    fails_with(&alice, &magnet, "escape.bin").await;
    let stored = server
        .services
        .store()
        .list(&format!("users/{}/", alice.user_id))
        .await
        .expect("list");
    assert!(stored.is_empty(), "{stored:?}");
    assert!(!seedr
        .seen()
        .iter()
        .any(|s| s.path.starts_with("/rest/file/")));
}

#[tokio::test]
async fn files_past_the_plan_fail_the_job_before_anything_is_copied() {
    let seedr = SeedrSim::start().await;
    let server = server_for(&seedr, |s| {
        s.providers.active = tseeder_protocol::ProviderKind::Seedr
    })
    .await;
    // A magnet's size is unknown when it is submitted: Seedr's folder is the first to tell it.
    server
        .execute_sql(
            "UPDATE plans SET max_job_bytes = 4096 WHERE id = 'free'",
            Vec::new(),
        )
        .await;
    let alice = server.user(Role::User).await;
    let magnet = offered(
        &seedr,
        "Too big",
        vec![
            ("a.bin".into(), bytes(1, 3000)),
            ("b.bin".into(), bytes(2, 3000)),
        ],
    );
    let id = submit(&alice, &magnet).await;
    let job = ended(&alice, &id, Duration::from_secs(20)).await;
    assert_eq!(job["status"], "failed", "{job}");
    let error = job["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("quota exceeded") && error.contains("6000 bytes") && error.contains("4096"),
        "{job}"
    );
    let files = alice.get(&format!("/api/v1/jobs/{id}/files")).await;
    assert!(
        files.body.as_array().is_none_or(|f| f.is_empty()),
        "nothing was stored: {files:?}"
    );
    until_seedr_is_empty(&seedr).await;
}
