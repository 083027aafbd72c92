//! Two `tseeder-cloud` replicas (real processes) sharing one PostgreSQL database and Garage:
//! a session opened on one works on the other, a change made through one reaches a live stream
//! held by the other, a rate limit holds across both, 500 queued jobs claimed by agents talking
//! to both are each handed out exactly once, and after `kill -9` of one replica the other
//! carries on with nothing lost; and two real `tseeder-agent`s, each given both replicas' URLs,
//! download from a real swarm into Garage jobs submitted through one replica and watched live
//! through the other.

use cloud::{Client, LiveStream, SimAgent, PASSWORD};
use reqwest::StatusCode;
use serde_json::json;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::Duration;
use tseeder_testkit::agent::{agent_command, AgentProcess};
use tseeder_testkit::postgres::{fresh_database, PostgresServer, SHARED_URL};
use tseeder_testkit::swarm::{sha256_hex, SeedOptions, Seeder};
use tseeder_testkit::{cloud, free_port, garage};

const BIN: &str = env!("CARGO_BIN_EXE_tseeder-cloud");
const SIGNING_SECRET: &str = "a-link-signing-secret-every-replica-shares";

/// What every replica of the test cluster is configured with, and the servers they share.
struct Cluster {
    database: String,
    scratch: tempfile::TempDir,
    garage: garage::Garage,
    /// The suite's shared PostgreSQL server when there is one, else one of the test's own.
    _postgres: Option<PostgresServer>,
}

struct Replica {
    child: Child,
    base: String,
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Cluster {
    /// A fresh database on PostgreSQL and a Garage node, for replicas to start on.
    async fn start() -> Cluster {
        let shared = std::env::var(SHARED_URL).ok().filter(|url| !url.is_empty());
        let (server_url, own) = match shared {
            Some(url) => (url, None),
            None => {
                let server = PostgresServer::start();
                (server.url.clone(), Some(server))
            }
        };
        let garage = garage::start_garage().await;
        Cluster {
            database: fresh_database(&server_url).await,
            scratch: tempfile::tempdir().expect("tempdir"),
            garage,
            _postgres: own,
        }
    }

    fn command(&self, name: &str) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("TSEEDER_DATA_DIR", self.scratch.path().join(name))
            .env("TSEEDER_DATABASE__URL", &self.database)
            .env("TSEEDER_CLUSTER__ENABLED", "true")
            .env("TSEEDER_EMBEDDED_AGENT__ENABLED", "false")
            .env("TSEEDER_STORAGE__URL_SIGNING_SECRET", SIGNING_SECRET)
            .env("TSEEDER_DISPATCH__LEASE_SECONDS", "60")
            .env("TSEEDER_RATE_LIMITS__RESET_PER_ACCOUNT__COUNT", "3")
            .env("TSEEDER_RATE_LIMITS__JOBS_PER_ACCOUNT__COUNT", "100000")
            .env("TSEEDER_RATE_LIMITS__JOBS_PER_IP__COUNT", "100000")
            .env("TSEEDER_RATE_LIMITS__LOGIN_PER_IP__COUNT", "100000")
            .env("TSEEDER_LOG", "warn");
        self.garage
            .storage_env(&mut cmd, "TSEEDER_STORAGE__", garage::SECRET);
        cmd
    }

    async fn replica(&self, name: &str) -> Replica {
        let port = free_port();
        let base = format!("http://127.0.0.1:{port}");
        let child = self
            .command(name)
            .env("TSEEDER_LISTEN", format!("127.0.0.1:{port}"))
            .env("TSEEDER_PUBLIC_URL", &base)
            .arg("serve")
            .spawn()
            .expect("start a replica");
        let replica = Replica { child, base };
        for _ in 0..200 {
            if let Ok(answer) = reqwest::get(format!("{}/health", replica.base)).await {
                if answer.status() == StatusCode::OK {
                    return replica;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("replica {name} did not become healthy");
    }

    fn create_user(&self, email: &str, role: &str) {
        let out = self
            .command("cli")
            .env("TSEEDER_ADMIN_PASSWORD", PASSWORD)
            .args(["admin", "create-user", "--email", email, "--role", role])
            .output()
            .expect("create-user");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// A statement straight on the shared database, for setup the API has no quick way to.
    async fn execute(&self, sql: &'static str) {
        let url = self.database.clone();
        tokio::task::spawn_blocking(move || {
            let mut client = postgres::Client::connect(&url, postgres::NoTls).expect("connect");
            client.batch_execute(sql).expect("statement");
        })
        .await
        .expect("statement");
    }
}

async fn signed_in(base: &str, email: &str) -> Client {
    let mut client = Client::new(base);
    let answer = client.login(email, PASSWORD).await;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    client
}

fn agent_on(base: &str, token: &str) -> SimAgent {
    SimAgent {
        http: reqwest::Client::new(),
        base: base.to_owned(),
        token: token.to_owned(),
    }
}

/// Claims `want` jobs, or (with `None`) until nothing has been handed out for 3 s; a
/// busier agent is sometimes told to leave a fresh job to a less loaded one, so one empty answer
/// does not mean an empty queue.
async fn claim_jobs(agent: SimAgent, want: Option<usize>) -> Vec<String> {
    let mut claimed = Vec::new();
    let mut empty_answers = 0;
    while want.is_none_or(|want| claimed.len() < want) {
        match agent.claim().await {
            Some((job, _lease)) => {
                claimed.push(job);
                empty_answers = 0;
            }
            None => {
                empty_answers += 1;
                if empty_answers > 60 {
                    assert!(want.is_none(), "an agent got only {} jobs", claimed.len());
                    break;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
    claimed
}

#[tokio::test]
async fn two_replicas_share_sessions_live_changes_limits_and_the_queue() {
    let cluster = Cluster::start().await;
    cluster.create_user("root@example.org", "superadmin");
    cluster.create_user("alice@example.org", "user");
    let a = cluster.replica("a").await;
    let b = cluster.replica("b").await;

    // A session opened through A is good on B.
    let admin_a = signed_in(&a.base, "root@example.org").await;
    let admin_b = admin_a.rebased(&b.base);
    assert_eq!(admin_b.get("/api/v1/auth/me").await.status, StatusCode::OK);

    // A change made through A reaches the stream B holds, progress included.
    let alice_a = signed_in(&a.base, "alice@example.org").await;
    let alice_b = alice_a.rebased(&b.base);
    let mut stream = LiveStream::open(&alice_b, "/api/v1/jobs/live").await;
    let (first, _) = stream.next(Duration::from_secs(10)).await;
    assert_eq!(first, "snapshot");
    let token = cloud::issue_agent_token(&admin_a, "fra-1", "eu").await;
    let agent_b = agent_on(&b.base, &token);
    agent_b.register("fra-1", "eu", 4).await;
    let created = alice_a
        .post(
            "/api/v1/jobs",
            json!({ "magnet": cloud::random_magnet("watched") }),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    let job_id = created.body["job"]["id"].as_str().expect("id").to_owned();
    let (claimed, lease) = agent_b.claim().await.expect("the job is claimed through B");
    assert_eq!(claimed, job_id);
    let agent_a = agent_on(&a.base, &token);
    let (status, body) = agent_a.progress(&job_id, &lease).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["action"], "continue", "{body}");
    let mut saw_progress = false;
    for _ in 0..20 {
        let (event, data) = stream.next(Duration::from_secs(10)).await;
        eprintln!("B heard {event}: {data}");
        if event == "job"
            && data["job"]["id"] == job_id.as_str()
            && data["progress"]["downloadedBytes"] == 10
        {
            saw_progress = true;
            break;
        }
    }
    assert!(saw_progress, "B's stream shows what the agent told A");
    // B keeps the progress it heard: a stream opened there now starts with it.
    let mut later = LiveStream::open(&alice_b, "/api/v1/jobs/live").await;
    let (first, snapshot) = later.next(Duration::from_secs(10)).await;
    assert_eq!(first, "snapshot");
    let watched = snapshot
        .as_array()
        .and_then(|jobs| jobs.iter().find(|job| job["job"]["id"] == job_id.as_str()))
        .cloned()
        .expect("the job is in the snapshot");
    assert_eq!(watched["progress"]["downloadedBytes"], 10, "{watched}");
    let (status, _) = agent_b.fail(&job_id, &lease, false).await;
    assert_eq!(status, StatusCode::OK);

    // Three password reset requests per account, counted across both replicas.
    let anon_a = Client::new(&a.base);
    let anon_b = Client::new(&b.base);
    let reset = json!({ "email": "alice@example.org" });
    for anon in [&anon_a, &anon_b, &anon_a] {
        let answer = anon
            .post("/api/v1/auth/password-reset/request", reset.clone())
            .await;
        assert_ne!(answer.status, StatusCode::TOO_MANY_REQUESTS, "{answer:?}");
    }
    let over = anon_b
        .post("/api/v1/auth/password-reset/request", reset)
        .await;
    assert_eq!(over.status, StatusCode::TOO_MANY_REQUESTS, "{over:?}");

    // A runtime setting changed through A is in force on B at once (PostgreSQL's NOTIFY).
    let closed = admin_a
        .patch(
            "/api/v1/admin/settings",
            json!({ "changes": { "registration.open": false }, "expectedVersion": 0,
                    "reason": "closing sign-up during the migration", "ticketId": "OPS-3" }),
        )
        .await;
    assert_eq!(closed.status, StatusCode::OK, "{closed:?}");
    let mut b_closed = false;
    for _ in 0..50 {
        let site = anon_b.get("/api/v1/config").await;
        if site.body["registrationOpen"] == false {
            b_closed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(b_closed, "B follows the settings A changed");

    // 500 queued jobs, four agents on two replicas, and replica A killed half way.
    cluster
        .execute("UPDATE plans SET max_active_jobs = 1000 WHERE id = 'free'")
        .await;
    for n in 0..500 {
        let via = if n % 2 == 0 { &alice_a } else { &alice_b };
        let answer = via
            .post(
                "/api/v1/jobs",
                json!({ "magnet": cloud::random_magnet(&format!("bulk-{n}")) }),
            )
            .await;
        assert_eq!(answer.status, StatusCode::CREATED, "job {n}: {answer:?}");
    }
    let mut tokens = Vec::new();
    for n in 0..4 {
        let token = cloud::issue_agent_token(&admin_b, &format!("bulk-{n}"), "eu").await;
        agent_on(&b.base, &token)
            .register(&format!("bulk-{n}"), "eu", 1000)
            .await;
        tokens.push(token);
    }
    let first_round = tokens.iter().enumerate().map(|(n, token)| {
        let base = if n % 2 == 0 { &a.base } else { &b.base };
        tokio::spawn(claim_jobs(agent_on(base, token), Some(60)))
    });
    let mut claimed: Vec<String> = Vec::new();
    for round in first_round.collect::<Vec<_>>() {
        claimed.extend(round.await.expect("agent"));
    }
    assert_eq!(claimed.len(), 240, "each agent got its 60 jobs");
    let pid = a.child.id().to_string();
    let killed = Command::new("kill")
        .args(["-9", &pid])
        .status()
        .expect("kill");
    assert!(killed.success());
    drop(a);
    // The agents A served fail over to B; every job is still handed out exactly once.
    let second_round = tokens
        .iter()
        .map(|token| tokio::spawn(claim_jobs(agent_on(&b.base, token), None)));
    for round in second_round.collect::<Vec<_>>() {
        claimed.extend(round.await.expect("agent"));
    }
    let unique: HashSet<&String> = claimed.iter().collect();
    assert_eq!(unique.len(), claimed.len(), "no job was handed out twice");
    assert_eq!(claimed.len(), 500, "every queued job was handed out");
    let jobs = alice_b.get("/api/v1/jobs?perPage=1&status=queued").await;
    assert_eq!(jobs.status, StatusCode::OK, "B serves after A died");
    assert_eq!(jobs.body["total"], 0, "{jobs:?}");
    drop(b);
}

/// The `tseeder-agent` built beside `tseeder-cloud` (the workspace's tests build every binary).
fn agent_binary() -> PathBuf {
    let path = Path::new(BIN).with_file_name("tseeder-agent");
    assert!(
        path.exists(),
        "{} is missing: build the workspace (cargo nextest run --workspace)",
        path.display()
    );
    path
}

fn start_agent(cluster: &Cluster, urls: &str, token: &str, name: &str) -> AgentProcess {
    let mut command = agent_command(&agent_binary(), urls, token, name, cluster.scratch.path());
    command.env("TSEEDER_AGENT_CAPACITY", "1");
    cluster
        .garage
        .storage_env(&mut command, "TSEEDER_AGENT_STORAGE__", garage::SECRET);
    let child = command.spawn().expect("start tseeder-agent");
    AgentProcess(child)
}

#[tokio::test]
async fn real_agents_on_both_replicas_fetch_a_real_swarm_into_garage() {
    let cluster = Cluster::start().await;
    cluster.create_user("root@example.org", "superadmin");
    cluster.create_user("alice@example.org", "user");
    cluster.create_user("bob@example.org", "user");
    let a = cluster.replica("a").await;
    let b = cluster.replica("b").await;
    let seeder = Seeder::start(SeedOptions {
        name: "cluster-swarm",
        files: &[("film.mkv", 3 * 1024 * 1024 + 17), ("notes.txt", 4000)],
        ..Default::default()
    });

    let admin = signed_in(&a.base, "root@example.org").await;
    let urls_a_first = format!("{},{}", a.base, b.base);
    let urls_b_first = format!("{},{}", b.base, a.base);
    let token_1 = cloud::issue_agent_token(&admin, "fra-1", "eu").await;
    let token_2 = cloud::issue_agent_token(&admin, "fra-2", "eu").await;
    let _agents = [
        start_agent(&cluster, &urls_a_first, &token_1, "fra-1"),
        start_agent(&cluster, &urls_b_first, &token_2, "fra-2"),
    ];

    // Both agents are claiming before any job exists, so that each takes one: an agent still
    // starting would leave both jobs to the other, one after the other.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let fleet = admin.get("/api/v1/admin/agents").await;
        let heard_from = |name: &str| {
            fleet.body.as_array().is_some_and(|agents| {
                agents
                    .iter()
                    .any(|agent| agent["name"] == name && agent["lastHeartbeatAt"].is_string())
            })
        };
        if heard_from("fra-1") && heard_from("fra-2") {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "both agents never reported: {:?}",
            fleet.body
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Each user submits through A and watches through B; each agent takes one job.
    let mut watched = Vec::new();
    for email in ["alice@example.org", "bob@example.org"] {
        let through_a = signed_in(&a.base, email).await;
        let through_b = through_a.rebased(&b.base);
        let stream = LiveStream::open(&through_b, "/api/v1/jobs/live").await;
        let created = through_a
            .post("/api/v1/jobs", json!({ "magnet": seeder.magnet() }))
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
        let job_id = created.body["job"]["id"].as_str().expect("id").to_owned();
        watched.push((through_a, through_b, stream, job_id));
    }
    let mut agents_used = HashSet::new();
    for (through_a, through_b, stream, job_id) in &mut watched {
        let seen = stream.until_completed(job_id).await;
        assert!(
            seen.iter().any(|s| s == "downloading") || seen.iter().any(|s| s == "uploading"),
            "B's stream showed the work: {seen:?}"
        );
        let detail = through_b.get(&format!("/api/v1/jobs/{job_id}")).await;
        assert_eq!(detail.body["job"]["status"], "completed");
        let events = through_b
            .get(&format!("/api/v1/jobs/{job_id}/events"))
            .await;
        for event in events.body.as_array().expect("events") {
            if let Some(message) = event["message"].as_str() {
                if let Some(name) = ["fra-1", "fra-2"].iter().find(|n| message.contains(**n)) {
                    agents_used.insert(name.to_string());
                }
            }
        }
        let files = through_a.get(&format!("/api/v1/jobs/{job_id}/files")).await;
        let files = files.body.as_array().expect("files").clone();
        assert_eq!(files.len(), seeder.files.len());
        for (file, seeded) in files.iter().zip(&seeder.files) {
            let index = file["index"].as_u64().expect("index");
            // A link signed by one replica is honoured by the other.
            let link = through_a
                .post(
                    &format!("/api/v1/jobs/{job_id}/files/{index}/link"),
                    json!({}),
                )
                .await;
            assert_eq!(link.status, StatusCode::OK, "{link:?}");
            let url = link.body["url"]
                .as_str()
                .expect("url")
                .replace(&a.base, &b.base);
            let bytes = reqwest::get(&url)
                .await
                .expect("download")
                .bytes()
                .await
                .expect("bytes");
            assert_eq!(sha256_hex(&bytes), seeded.sha256, "{}", seeded.path);
        }
    }
    assert_eq!(
        agents_used.len(),
        2,
        "each agent (capacity 1) ran one of the two jobs: {agents_used:?}"
    );

    // Replica A dies: fra-1, which asks A first, goes on through B and still takes work.
    let admin_b = admin.rebased(&b.base);
    drop(watched);
    drop(a);
    let killed_at = chrono::Utc::now();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let fleet = admin_b.get("/api/v1/admin/agents").await;
        let seen = fleet
            .body
            .as_array()
            .expect("fleet")
            .iter()
            .find(|agent| agent["name"] == "fra-1")
            .and_then(|agent| agent["lastHeartbeatAt"].as_str())
            .and_then(|at| chrono::DateTime::parse_from_rfc3339(at).ok());
        if seen.is_some_and(|at| at > killed_at) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "fra-1 never reached B after A died (last seen {seen:?})"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    cluster.create_user("carol@example.org", "user");
    let carol = signed_in(&b.base, "carol@example.org").await;
    let mut stream = LiveStream::open(&carol, "/api/v1/jobs/live").await;
    let created = carol
        .post("/api/v1/jobs", json!({ "magnet": seeder.magnet() }))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    let job_id = created.body["job"]["id"].as_str().expect("id").to_owned();
    stream.until_completed(&job_id).await;
}
