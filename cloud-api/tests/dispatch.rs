//! The dispatcher with simulated agents speaking the agent protocol over HTTP: regions and
//! failover, load and freshness, leases that expire and cannot be reused, back-off and the
//! dead-letter queue, control messages, devices, revocation, and a restart of the API with
//! jobs queued and running.

use cloud::{random_magnet, Client, SimAgent, TestServer};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::Duration;
use tseeder_cloud::Settings;
use tseeder_protocol::Role;
use tseeder_testkit::cloud;

async fn submit(user: &Client, body: Value) -> String {
    let created = user.post("/api/v1/jobs", body).await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    created.body["job"]["id"].as_str().expect("id").to_owned()
}

async fn job(user: &Client, id: &str) -> Value {
    user.get(&format!("/api/v1/jobs/{id}")).await.body["job"].clone()
}

fn settings_with(
    adjust: impl FnOnce(&mut tseeder_cloud::config::DispatchSettings),
) -> impl FnOnce(&mut Settings) {
    move |settings| {
        settings.dispatch.sweep_interval_ms = 200;
        adjust(&mut settings.dispatch);
    }
}

#[tokio::test]
async fn jobs_go_to_their_region_first_and_fail_over_after_the_wait() {
    let server = TestServer::start_with(settings_with(|d| d.failover_after_seconds = 2)).await;
    let admin = server.user(Role::Admin).await;
    let alice = server.user(Role::User).await;
    let us = SimAgent::issued(&server, &admin, "us-1", "us", 2).await;
    let eu = SimAgent::issued(&server, &admin, "eu-1", "eu", 1).await;
    let for_eu = submit(
        &alice,
        json!({ "magnet": random_magnet("eu-a"), "region": "eu" }),
    )
    .await;
    let also_eu = submit(
        &alice,
        json!({ "magnet": random_magnet("eu-b"), "region": "eu" }),
    )
    .await;

    assert_eq!(
        us.claim().await,
        None,
        "another region's job waits for its own region"
    );
    let (taken, lease) = eu.claim().await.expect("eu takes its job");
    assert_eq!(taken, for_eu);
    // Downloading, it holds eu's one download slot (fetching metadata it would not).
    eu.progress(&taken, &lease).await;
    assert_eq!(eu.claim().await, None, "eu is full");
    tokio::time::sleep(Duration::from_millis(2300)).await;
    let (failed_over, _) = us.claim().await.expect("after the wait, any region");
    assert_eq!(failed_over, also_eu);
    let fleet = admin.get("/api/v1/admin/agents").await;
    let eu_view = fleet
        .body
        .as_array()
        .expect("fleet")
        .iter()
        .find(|a| a["name"] == "eu-1")
        .cloned()
        .expect("eu");
    assert_eq!(eu_view["activeJobs"], 1);
    assert_eq!(eu_view["capacity"], 1);
    assert_eq!(eu_view["stale"], false);
}

#[tokio::test]
async fn claims_are_fair_across_users_whatever_their_backlog() {
    let server = TestServer::start_with(settings_with(|d| d.load_balance_wait_seconds = 0)).await;
    server
        .execute_sql(
            "UPDATE plans SET max_active_jobs = 100 WHERE id = 'free'",
            Vec::new(),
        )
        .await;
    let admin = server.user(Role::Admin).await;
    let alice = server.user(Role::User).await;
    let bob = server.user(Role::User).await;
    let carol = server.user(Role::User).await;
    let mut backlog = Vec::new();
    for n in 0..6 {
        backlog.push(submit(&alice, json!({ "magnet": random_magnet(&format!("a{n}")) })).await);
    }
    let bobs = submit(&bob, json!({ "magnet": random_magnet("b") })).await;
    // Carol's job is the newest of all and prefers another region: it waits for its own.
    let carols = submit(
        &carol,
        json!({ "magnet": random_magnet("c"), "region": "us" }),
    )
    .await;
    let agent = SimAgent::issued(&server, &admin, "fair", "eu", 50).await;
    let mut order = Vec::new();
    for _ in 0..4 {
        order.push(agent.claim().await.expect("a job").0);
    }
    assert_eq!(
        order,
        [
            backlog[0].clone(),
            bobs,
            backlog[1].clone(),
            backlog[2].clone()
        ],
        "alice's oldest, then bob (nothing running) before alice's backlog"
    );
    // A retry waits behind the same user's first tries.
    let (status, _) = agent
        .fail(&backlog[1], &lease_of(&server, &backlog[1]).await, true)
        .await;
    assert_eq!(status, StatusCode::OK);
    server
        .execute_sql("UPDATE jobs SET not_before = 0", Vec::new())
        .await;
    assert_eq!(
        agent.claim().await.map(|(id, _)| id),
        Some(backlog[3].clone())
    );
    assert_eq!(
        agent.claim().await.map(|(id, _)| id),
        Some(backlog[4].clone())
    );
    assert_eq!(
        agent.claim().await.map(|(id, _)| id),
        Some(backlog[5].clone())
    );
    assert_eq!(
        agent.claim().await.map(|(id, _)| id),
        Some(backlog[1].clone())
    );
    assert_eq!(
        agent.claim().await,
        None,
        "carol's job waits for its region"
    );
    let us = SimAgent::issued(&server, &admin, "us", "us", 1).await;
    assert_eq!(us.claim().await.map(|(id, _)| id), Some(carols));
}

async fn lease_of(server: &TestServer, job_id: &str) -> String {
    let id = job_id.to_owned();
    server
        .services
        .db()
        .call(move |tx| {
            tx.query_row(
                "SELECT lease_id FROM jobs WHERE id = ?1",
                &[tseeder_cloud::store::ToValue::to_value(&id)],
                |row| row.get::<_, String>(0),
            )
        })
        .await
        .expect("lease")
}

#[tokio::test]
async fn a_busier_agent_leaves_fresh_jobs_to_a_less_loaded_fresh_one() {
    let server = TestServer::start_with(settings_with(|d| {
        d.load_balance_wait_seconds = 60;
        d.stale_after_seconds = 2;
    }))
    .await;
    let admin = server.user(Role::Admin).await;
    let alice = server.user(Role::User).await;
    // The free plan runs two jobs at a time per user.
    let bob = server.user(Role::User).await;
    let busy = SimAgent::issued(&server, &admin, "busy", "eu", 2).await;
    let idle = SimAgent::issued(&server, &admin, "idle", "eu", 2).await;
    submit(&alice, json!({ "magnet": random_magnet("one") })).await;
    assert!(busy.claim().await.is_some(), "equal load: first come");
    let second = submit(&alice, json!({ "magnet": random_magnet("two") })).await;
    assert_eq!(busy.claim().await, None, "the idle agent should get it");
    assert_eq!(idle.claim().await.map(|(id, _)| id), Some(second));

    // An agent that stopped calling is not waited for.
    let third = submit(&bob, json!({ "magnet": random_magnet("three") })).await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let late = SimAgent::issued(&server, &admin, "late", "eu", 4).await;
    submit(&bob, json!({ "magnet": random_magnet("four") })).await;
    // `late` is fresh and empty, `idle` is stale: idle still gets work only when late is busier.
    assert_eq!(idle.claim().await, None, "late (empty, fresh) goes first");
    assert_eq!(late.claim().await.map(|(id, _)| id), Some(third));
    let fleet = admin.get("/api/v1/admin/agents").await;
    let busy_view = fleet
        .body
        .as_array()
        .expect("fleet")
        .iter()
        .find(|a| a["name"] == "busy")
        .cloned()
        .expect("busy");
    assert_eq!(
        busy_view["stale"], true,
        "no call for longer than stale_after_seconds"
    );
}

#[tokio::test]
async fn an_expired_lease_moves_the_job_and_the_old_lease_is_dead() {
    let server = TestServer::start_with(settings_with(|d| d.lease_seconds = 1)).await;
    let admin = server.user(Role::Admin).await;
    let alice = server.user(Role::User).await;
    let lost = SimAgent::issued(&server, &admin, "lost", "eu", 1).await;
    let next = SimAgent::issued(&server, &admin, "next", "eu", 1).await;
    let id = submit(&alice, json!({ "magnet": random_magnet("lease") })).await;
    let (_, old_lease) = lost.claim().await.expect("claim");
    assert_eq!(next.claim().await, None);
    tokio::time::sleep(Duration::from_millis(1600)).await;
    let (again, new_lease) = next.claim().await.expect("requeued after expiry");
    assert_eq!(again, id);
    assert_ne!(old_lease, new_lease);
    let (status, reply) = lost.progress(&id, &old_lease).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(reply["action"], "leaseLost");
    let (status, reply) = lost
        .call(
            &format!("/jobs/{id}/complete"),
            json!({ "leaseId": old_lease, "files": [] }),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(reply["error"]["code"], "lease_lost");
    let (_, reply) = next.progress(&id, &new_lease).await;
    assert_eq!(reply["action"], "continue");
    assert_eq!(job(&alice, &id).await["attempts"], 2);
}

#[tokio::test]
async fn failures_back_off_then_dead_letter_and_an_operator_replays_with_a_reason() {
    let server = TestServer::start_with(settings_with(|d| {
        d.max_attempts = 3;
        d.backoff_base_seconds = 1;
    }))
    .await;
    let admin = server.user(Role::Admin).await;
    let alice = server.user(Role::User).await;
    let agent = SimAgent::issued(&server, &admin, "flaky", "eu", 1).await;
    let id = submit(&alice, json!({ "magnet": random_magnet("doomed") })).await;
    for (attempt, wait_ms) in [(1, 1100), (2, 2100), (3, 0)] {
        let (claimed, lease) = agent.claim().await.expect("claim");
        assert_eq!(claimed, id);
        let (status, _) = agent.fail(&id, &lease, true).await;
        assert_eq!(status, StatusCode::OK);
        let state = job(&alice, &id).await;
        assert_eq!(state["attempts"], attempt);
        if attempt < 3 {
            assert_eq!(state["status"], "queued");
            assert_eq!(agent.claim().await, None, "backing off after try {attempt}");
            tokio::time::sleep(Duration::from_millis(wait_ms)).await;
        }
    }
    let dead = job(&alice, &id).await;
    assert_eq!(dead["status"], "failed");
    assert_eq!(dead["deadLettered"], true);
    // The owner is told what kind of failure it was; the agent's detail (addresses, paths)
    // stays in the logs.
    assert_eq!(
        dead["error"],
        "no_peers: No peer sent the torrent's details in time; it may have no seeders."
    );
    let letters = admin.get("/api/v1/admin/dead-letters").await;
    assert!(letters.body["items"]
        .as_array()
        .expect("list")
        .iter()
        .any(|j| j["job"]["id"] == id.as_str()));

    let no_reason = admin
        .post(
            &format!("/api/v1/admin/dead-letters/{id}/replay"),
            json!({ "reason": "again", "ticketId": "T-9" }),
        )
        .await;
    assert_eq!(no_reason.status, StatusCode::BAD_REQUEST);
    let replayed = admin
        .post(
            &format!("/api/v1/admin/dead-letters/{id}/replay"),
            json!({ "reason": "tracker is back up now", "ticketId": "T-9" }),
        )
        .await;
    assert_eq!(replayed.status, StatusCode::OK, "{replayed:?}");
    assert_eq!(replayed.body["status"], "queued");
    assert_eq!(replayed.body["attempts"], 0);
    assert_eq!(replayed.body["deadLettered"], false);
    let audit = admin.get("/api/v1/admin/audit?action=job.replay").await;
    assert_eq!(audit.body["items"][0]["ticketId"], "T-9");
    let (_, lease) = agent.claim().await.expect("replayed job is claimable");
    // A broken torrent is not retried and not dead-lettered: replaying cannot help it.
    agent.fail(&id, &lease, false).await;
    let broken = job(&alice, &id).await;
    assert_eq!(broken["status"], "failed");
    assert_eq!(broken["deadLettered"], false);
}

#[tokio::test]
async fn pause_and_cancel_reach_the_agent_and_free_its_slot() {
    let server = TestServer::start().await;
    let admin = server.user(Role::Admin).await;
    let alice = server.user(Role::User).await;
    let agent = SimAgent::issued(&server, &admin, "worker", "eu", 1).await;
    let id = submit(&alice, json!({ "magnet": random_magnet("stop-me") })).await;
    let (_, lease) = agent.claim().await.expect("claim");
    let paused = alice
        .post(&format!("/api/v1/jobs/{id}/pause"), json!({}))
        .await;
    assert_eq!(paused.status, StatusCode::OK);
    let (_, beat) = agent
        .call(
            "/heartbeat",
            json!({ "leases": [{ "jobId": id, "leaseId": lease }] }),
        )
        .await;
    assert_eq!(beat["controls"][0]["action"], "pause");
    let (_, reply) = agent.progress(&id, &lease).await;
    assert_eq!(reply["action"], "pause");
    let other = submit(&alice, json!({ "magnet": random_magnet("next-one") })).await;
    assert_eq!(agent.claim().await, None, "still busy until it lets go");
    let (status, _) = agent
        .call(&format!("/jobs/{id}/release"), json!({ "leaseId": lease }))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(job(&alice, &id).await["status"], "paused");
    let (taken, lease) = agent.claim().await.expect("slot freed");
    assert_eq!(taken, other);
    alice
        .post(&format!("/api/v1/jobs/{other}/cancel"), json!({}))
        .await;
    let (_, reply) = agent.progress(&other, &lease).await;
    assert_eq!(reply["action"], "cancel");
    // Resuming queues the paused job again.
    let resumed = alice
        .post(&format!("/api/v1/jobs/{id}/resume"), json!({}))
        .await;
    assert_eq!(resumed.body["status"], "queued");
}

#[tokio::test]
async fn device_jobs_go_only_to_their_owners_device() {
    let server = TestServer::start().await;
    let admin = server.user(Role::Admin).await;
    let alice = server.user(Role::User).await;
    let bob = server.user(Role::User).await;
    let cloud = SimAgent::issued(&server, &admin, "cloud", "eu", 4).await;
    let device = alice
        .post("/api/v1/devices", json!({ "name": "alice desktop" }))
        .await;
    assert_eq!(device.status, StatusCode::CREATED);
    let device_id = device.body["agent"]["id"].as_str().expect("id").to_owned();
    let laptop = SimAgent::with_token(&server, device.body["token"].as_str().expect("token"));
    let registered = laptop.register("alice desktop", "ignored", 1).await;
    assert_eq!(registered["kind"], "device");
    let bobs_device = bob
        .post("/api/v1/devices", json!({ "name": "bob pc" }))
        .await;
    let bob_pc = SimAgent::with_token(&server, bobs_device.body["token"].as_str().expect("token"));
    bob_pc.register("bob pc", "x", 1).await;

    let refused = bob
        .post(
            "/api/v1/jobs",
            json!({ "magnet": random_magnet("x"), "deviceId": device_id }),
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.code(), "unknown_device");
    let home = submit(
        &alice,
        json!({ "magnet": random_magnet("home"), "deviceId": device_id }),
    )
    .await;
    let anywhere = submit(&alice, json!({ "magnet": random_magnet("cloud") })).await;
    assert_eq!(bob_pc.claim().await, None, "never another user's job");
    assert_eq!(cloud.claim().await.map(|(id, _)| id), Some(anywhere));
    assert_eq!(
        cloud.claim().await,
        None,
        "device jobs never go to the cloud"
    );
    assert_eq!(laptop.claim().await.map(|(id, _)| id), Some(home));
    let mine = alice.get("/api/v1/devices").await;
    assert_eq!(mine.body.as_array().expect("list").len(), 1);
    let removed = alice.delete(&format!("/api/v1/devices/{device_id}")).await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT);
    let (status, _) = laptop.call("/claim", json!({})).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "a removed device's token is dead"
    );
}

#[tokio::test]
async fn a_device_keeps_its_files_and_completes_without_storing_anything() {
    let server = TestServer::start().await;
    let alice = server.user(Role::User).await;
    let device = alice
        .post("/api/v1/devices", json!({ "name": "alice desktop" }))
        .await;
    let device_id = device.body["agent"]["id"].as_str().expect("id").to_owned();
    let laptop = SimAgent::with_token(&server, device.body["token"].as_str().expect("token"));
    laptop.register("alice desktop", "device", 1).await;
    let id = submit(
        &alice,
        json!({ "magnet": random_magnet("kept"), "deviceId": device_id }),
    )
    .await;
    let (_, lease) = laptop.claim().await.expect("claimed by the device");
    let (status, _) = laptop
        .call(
            &format!("/jobs/{id}/progress"),
            json!({ "leaseId": lease, "status": "downloading", "downloadedBytes": 0,
                    "totalBytes": 5, "uploadedBytes": 0, "downloadSpeed": 0, "uploadSpeed": 0,
                    "peers": 1, "name": "kept", "files": [
                        { "index": 0, "path": "kept.bin", "size": 5, "selected": true }] }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let complete = |key: &str, size: u64| {
        json!({ "leaseId": lease, "files": [
            { "index": 0, "path": "kept.bin", "size": size, "objectKey": key }] })
    };
    let (status, reply) = laptop
        .call(
            &format!("/jobs/{id}/complete"),
            complete("users/x/jobs/y/0", 5),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "a device names no object key"
    );
    assert_eq!(reply["error"]["code"], "invalid_manifest");
    let (status, _) = laptop
        .call(&format!("/jobs/{id}/complete"), complete("", 4))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "sizes are still checked");
    let (status, _) = laptop
        .call(&format!("/jobs/{id}/complete"), complete("", 5))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(job(&alice, &id).await["status"], "completed");
    let usage = alice.get("/api/v1/usage").await;
    assert_eq!(usage.body["storageBytes"], 0, "nothing stored in the cloud");
    let files = alice.get(&format!("/api/v1/jobs/{id}/files")).await;
    assert_eq!(files.body.as_array().map(Vec::len), Some(0));
}

#[tokio::test]
async fn a_revoked_agent_is_shut_out_and_its_jobs_go_back() {
    let server = TestServer::start().await;
    let admin = server.user(Role::Admin).await;
    let alice = server.user(Role::User).await;
    let agent = SimAgent::issued(&server, &admin, "compromised", "eu", 1).await;
    let id = submit(&alice, json!({ "magnet": random_magnet("r") })).await;
    agent.claim().await.expect("claim");
    let fleet = admin.get("/api/v1/admin/agents").await;
    let agent_id = fleet.body[0]["id"].as_str().expect("id").to_owned();
    let revoked = admin
        .post(
            &format!("/api/v1/admin/agents/{agent_id}/revoke"),
            json!({ "reason": "token leaked in a log", "ticketId": "SEC-7" }),
        )
        .await;
    assert_eq!(revoked.status, StatusCode::OK, "{revoked:?}");
    assert_eq!(revoked.body["revoked"], true);
    assert_eq!(job(&alice, &id).await["status"], "queued");
    let (status, body) = agent.call("/claim", json!({})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["code"], "invalid_agent_token");
    // Agent tokens are not API keys, and API keys are not agent tokens.
    let as_user = reqwest::Client::new()
        .get(format!("{}/api/v1/jobs", server.base))
        .bearer_auth(&agent.token)
        .send()
        .await
        .expect("call");
    assert_eq!(as_user.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_restart_of_the_api_loses_and_duplicates_nothing() {
    let server = TestServer::start_with(settings_with(|d| d.lease_seconds = 60)).await;
    let admin = server.user(Role::Admin).await;
    let agent = SimAgent::issued(&server, &admin, "steady", "eu", 3).await;
    let token = agent.token.clone();
    let mut ids = Vec::new();
    for n in 0..3 {
        let user = server.user(Role::User).await;
        ids.push(submit(&user, json!({ "magnet": random_magnet(&format!("r{n}")) })).await);
    }
    let (running, lease) = agent.claim().await.expect("one runs");
    let (status, _) = agent.progress(&running, &lease).await;
    assert_eq!(status, StatusCode::OK);

    let server = server.restart().await;
    let admin = admin.rebased(&server.base);
    let agent = SimAgent::with_token(&server, &token);
    let list = admin.get("/api/v1/admin/jobs").await;
    assert_eq!(list.body["total"], 3, "nothing lost, nothing added");
    let statuses: Vec<_> = list.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|j| j["job"]["status"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| *s == "queued").count(),
        2,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| *s == "downloading").count(),
        1,
        "{statuses:?}"
    );
    // The running job's lease survived: the agent carries on without re-registering.
    let (_, reply) = agent.progress(&running, &lease).await;
    assert_eq!(reply["action"], "continue");
    let mut claimed = vec![running.clone()];
    while let Some((id, _)) = agent.claim().await {
        claimed.push(id);
    }
    claimed.sort();
    ids.sort();
    assert_eq!(claimed, ids, "each job handed out exactly once");
}

/// Reports the torrent's file list (one file of `size` bytes), as an agent does once the
/// metadata is known; the server's answer decides whether the job may go on.
async fn report_files(agent: &SimAgent, job: &str, lease: &str, size: u64) -> Value {
    let (status, body) = agent
        .call(
            &format!("/jobs/{job}/progress"),
            json!({ "leaseId": lease, "status": "downloading", "downloadedBytes": 0,
                    "totalBytes": size, "uploadedBytes": 0, "downloadSpeed": 0,
                    "uploadSpeed": 0, "peers": 0, "name": "big",
                    "files": [{ "index": 0, "path": "big/file.bin", "size": size, "selected": true }] }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

#[tokio::test]
async fn jobs_running_side_by_side_cannot_each_take_the_whole_quota() {
    let server = TestServer::start().await;
    // A plan whose one job may fill the whole 10 GiB of storage, as an operator may set it.
    server
        .execute_sql(
            "UPDATE plans SET max_job_bytes = max_storage_bytes WHERE id = 'free'",
            Vec::new(),
        )
        .await;
    let admin = server.user(Role::Admin).await;
    let agent = SimAgent::issued(&server, &admin, "fra-1", "eu", 2).await;
    let alice = server.user(Role::User).await;
    let first = submit(&alice, json!({ "magnet": random_magnet("first") })).await;
    let second = submit(&alice, json!({ "magnet": random_magnet("second") })).await;
    let (job_a, lease_a) = agent.claim().await.expect("first claim");
    let (job_b, lease_b) = agent.claim().await.expect("second claim");
    assert_eq!([&job_a, &job_b], [&first, &second]);

    let six_gib: u64 = 6 << 30;
    let ok = report_files(&agent, &job_a, &lease_a, six_gib).await;
    assert_eq!(ok["action"], "continue", "{ok}");
    // 6 GiB fit in 10 GiB on their own, not beside the first job's 6 GiB.
    let refused = report_files(&agent, &job_b, &lease_b, six_gib).await;
    assert_eq!(refused["action"], "abort", "{refused}");
    assert!(
        refused["reason"]
            .as_str()
            .is_some_and(|r| r.contains("unfinished jobs")),
        "{refused}"
    );
    // A job kept on the user's own computer takes no cloud storage.
    let device = alice
        .post("/api/v1/devices", json!({ "name": "alice desktop" }))
        .await;
    let device_id = device.body["agent"]["id"].as_str().expect("id").to_owned();
    let laptop = SimAgent::with_token(&server, device.body["token"].as_str().expect("token"));
    laptop.register("alice desktop", "home", 1).await;
    let third = submit(
        &alice,
        json!({ "magnet": random_magnet("local"), "deviceId": device_id }),
    )
    .await;
    let (job_c, lease_c) = laptop.claim().await.expect("device claim");
    assert_eq!(job_c, third);
    let kept = report_files(&laptop, &job_c, &lease_c, six_gib).await;
    assert_eq!(kept["action"], "continue", "{kept}");
}

#[tokio::test]
async fn completing_a_job_its_owner_cancelled_is_answered_so_the_agent_deletes_its_upload() {
    let server = TestServer::start().await;
    let admin = server.user(Role::Admin).await;
    let agent = SimAgent::issued(&server, &admin, "fra-1", "eu", 1).await;
    let alice = server.user(Role::User).await;
    let id = submit(&alice, json!({ "magnet": random_magnet("stopped") })).await;
    let (job, lease) = agent.claim().await.expect("claim");
    assert_eq!(job, id);
    report_files(&agent, &job, &lease, 1000).await;
    let cancelled = alice
        .post(&format!("/api/v1/jobs/{id}/cancel"), json!({}))
        .await;
    assert_eq!(cancelled.status, StatusCode::OK, "{cancelled:?}");
    let key = format!("users/{}/jobs/{id}/files/0", alice.user_id);
    let (status, body) = agent
        .call(
            &format!("/jobs/{id}/complete"),
            json!({ "leaseId": lease, "files": [
                { "index": 0, "path": "big/file.bin", "size": 1000, "objectKey": key }
            ] }),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(
        body["error"]["code"], "job_stopped",
        "not lease_lost: {body}"
    );
    // A lease that is not the agent's at all is still lease_lost (another may own the keys).
    let (status, body) = agent
        .call(
            &format!("/jobs/{id}/complete"),
            json!({ "leaseId": "not-a-lease", "files": [] }),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("lease_lost"))
    );
}

#[tokio::test]
async fn jobs_sent_to_a_removed_device_fail_with_the_reason_instead_of_waiting() {
    let server = TestServer::start().await;
    let alice = server.user(Role::User).await;
    let device = alice
        .post("/api/v1/devices", json!({ "name": "old laptop" }))
        .await;
    let device_id = device.body["agent"]["id"].as_str().expect("id").to_owned();
    let id = submit(
        &alice,
        json!({ "magnet": random_magnet("for-the-laptop"), "deviceId": device_id }),
    )
    .await;
    let removed = alice.delete(&format!("/api/v1/devices/{device_id}")).await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT);
    let state = job(&alice, &id).await;
    assert_eq!(state["status"], "failed", "{state}");
    assert!(
        state["error"]
            .as_str()
            .is_some_and(|e| e.starts_with("device_removed:")),
        "{state}"
    );
}

#[tokio::test]
async fn an_embedded_agent_an_operator_revoked_stays_revoked_after_a_restart() {
    let server = TestServer::start().await;
    let first = server
        .services
        .agents()
        .embedded_agent_token("embedded", "local")
        .await
        .expect("token");
    assert!(first.is_some());
    let admin = server.user(Role::Admin).await;
    let revoked = admin
        .post(
            "/api/v1/admin/agents/embedded/revoke",
            json!({ "reason": "compromised host, moving off", "ticketId": "OPS-3" }),
        )
        .await;
    assert_eq!(revoked.status, StatusCode::OK, "{revoked:?}");
    let restarted = server
        .services
        .agents()
        .embedded_agent_token("embedded", "local")
        .await
        .expect("token");
    assert!(restarted.is_none(), "a restart must not bring it back");
}
