//! The real `tseeder-agent` binary against an in-process cloud API and an aria2c seeder on
//! 127.0.0.1: an agent killed with SIGKILL mid-download loses its lease, a second agent finishes
//! the job, and the stored bytes are right. A SIGTERM hands the job back at once.

use cloud::{Client, LiveStream, TestServer};
use serde_json::json;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};
use swarm::{sha256_hex, SeedOptions, Seeder};
use tseeder_protocol::Role;
use tseeder_testkit::agent::{agent_command, AgentProcess};
use tseeder_testkit::{cloud, swarm};

fn start_agent(server: &TestServer, token: &str, name: &str, work: &Path) -> AgentProcess {
    let child = agent_command(
        Path::new(env!("CARGO_BIN_EXE_tseeder-agent")),
        &server.base,
        token,
        name,
        work,
    )
    .env("TSEEDER_AGENT_STORAGE__BACKEND", "local")
    .env(
        "TSEEDER_AGENT_STORAGE__LOCAL_DIR",
        server.data_dir().join("objects"),
    )
    .spawn()
    .expect("start tseeder-agent");
    AgentProcess(child)
}

fn quick_leases(settings: &mut tseeder_cloud::Settings) {
    settings.dispatch.lease_seconds = 3;
    settings.dispatch.heartbeat_seconds = 1;
    settings.dispatch.sweep_interval_ms = 300;
}

/// Waits until the job's live progress passes `bytes`.
async fn wait_for_progress(stream: &mut LiveStream, bytes: u64) {
    loop {
        let (_, data) = stream.next(Duration::from_secs(60)).await;
        let items = data.as_array().cloned().unwrap_or_else(|| vec![data]);
        for item in items {
            if item["progress"]["downloadedBytes"].as_u64().unwrap_or(0) > bytes {
                return;
            }
        }
    }
}

async fn wait_for_status(
    client: &Client,
    job_id: &str,
    want: &str,
    within: Duration,
) -> serde_json::Value {
    let deadline = Instant::now() + within;
    loop {
        let job = client.get(&format!("/api/v1/jobs/{job_id}")).await;
        if job.body["job"]["status"] == want {
            return job.body;
        }
        assert!(
            Instant::now() < deadline,
            "job never became {want}: {job:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn check_stored_file(client: &Client, job_id: &str, seeder: &Seeder) {
    let link = client
        .post(&format!("/api/v1/jobs/{job_id}/files/0/link"), json!({}))
        .await;
    let url = link.body["url"].as_str().expect("url");
    let bytes = reqwest::get(url)
        .await
        .expect("get")
        .bytes()
        .await
        .expect("body");
    assert_eq!(sha256_hex(&bytes), seeder.files[0].sha256);
}

/// A slow seeder (so a download is still running when the test acts), a server, an operator,
/// and a user whose job for the seeder's magnet is already submitted and followed live.
struct Scene {
    seeder: Seeder,
    server: TestServer,
    admin: Client,
    alice: Client,
    work: tempfile::TempDir,
    job_id: String,
    stream: LiveStream,
}

async fn scene(
    name: &'static str,
    upload_limit: &'static str,
    adjust: impl FnOnce(&mut tseeder_cloud::Settings),
) -> Scene {
    let seeder = Seeder::start(SeedOptions {
        name,
        files: &[(name, 16 * 1024 * 1024)],
        upload_limit: Some(upload_limit),
        piece_log2: 18,
        ..Default::default()
    });
    let server = TestServer::start_with(adjust).await;
    let admin = server.user(Role::Admin).await;
    let alice = server.user(Role::User).await;
    let work = tempfile::tempdir().expect("tempdir");
    let created = alice
        .post("/api/v1/jobs", json!({ "magnet": seeder.magnet() }))
        .await;
    let job_id = created.body["job"]["id"].as_str().expect("id").to_owned();
    let stream = LiveStream::open(&alice, &format!("/api/v1/jobs/{job_id}/live")).await;
    Scene {
        seeder,
        server,
        admin,
        alice,
        work,
        job_id,
        stream,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_killed_agents_job_is_finished_by_another_agent_with_the_right_bytes() {
    let Scene {
        seeder,
        server,
        admin,
        alice,
        work,
        job_id,
        mut stream,
    } = scene("slow.bin", "2M", quick_leases).await;

    let first = start_agent(
        &server,
        &cloud::issue_agent_token(&admin, "first", "eu").await,
        "first",
        work.path(),
    );
    wait_for_progress(&mut stream, 512 * 1024).await;
    let mut first = first;
    first.0.kill().expect("SIGKILL");
    first.0.wait().expect("reaped");

    let _second = start_agent(
        &server,
        &cloud::issue_agent_token(&admin, "second", "eu").await,
        "second",
        work.path(),
    );
    let done = wait_for_status(&alice, &job_id, "completed", Duration::from_secs(120)).await;
    assert_eq!(done["job"]["attempts"], 2, "one lost try, one good one");
    check_stored_file(&alice, &job_id, &seeder).await;
    let events = alice.get(&format!("/api/v1/jobs/{job_id}/events")).await;
    let kinds: Vec<_> = events
        .body
        .as_array()
        .expect("events")
        .iter()
        .map(|e| e["kind"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(
        kinds.iter().filter(|k| *k == "claimed").count(),
        2,
        "{kinds:?}"
    );
    assert!(
        events
            .body
            .as_array()
            .expect("events")
            .iter()
            .any(|e| e["message"]
                .as_str()
                .is_some_and(|m| m.contains("lease expired"))),
        "the lost lease is in the history: {kinds:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stopped_agent_hands_its_job_back_without_spending_a_try() {
    // The seeder is bound, not ignored: `..` would drop (and stop) it right here.
    let Scene {
        seeder: _seeder,
        server,
        admin,
        alice,
        work,
        job_id,
        mut stream,
    } = scene("handback.bin", "1M", |settings| {
        quick_leases(settings);
        // Long enough that only the hand-back can explain a quick requeue.
        settings.dispatch.lease_seconds = 120;
    })
    .await;
    let agent = start_agent(
        &server,
        &cloud::issue_agent_token(&admin, "polite", "eu").await,
        "polite",
        work.path(),
    );
    wait_for_progress(&mut stream, 256 * 1024).await;
    let status = Command::new("kill")
        .args(["-TERM", &agent.0.id().to_string()])
        .status()
        .expect("kill -TERM");
    assert!(status.success());
    let queued = wait_for_status(&alice, &job_id, "queued", Duration::from_secs(20)).await;
    assert_eq!(queued["job"]["attempts"], 0, "handing back spends no try");
    let mut agent = agent;
    let exit = agent.0.wait().expect("exit");
    assert!(exit.success(), "graceful exit: {exit}");
    assert_eq!(
        std::fs::read_dir(work.path().join("polite").join("jobs"))
            .map(|d| d.count())
            .unwrap_or(0),
        0,
        "the agent cleaned its disk"
    );
}
