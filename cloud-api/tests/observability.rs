//! The operators' charts and the alerts computed from them, on both backends (the suite runs
//! again on PostgreSQL): requests, job throughput, agent bytes and the levels of the queue and
//! the fleet are counted in memory and rolled up into one row per replica and minute (and hour),
//! never a row per request; the charts cut them into points over 1 h, 24 h and 7 d; the overview
//! raises alerts from them past thresholds operators set; old roll-ups are pruned.

use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::Duration;
use tseeder_cloud::observability::store::{rows_since, Resolution};
use tseeder_protocol::Role;
use tseeder_testkit::cloud::{random_magnet, Client, SimAgent, TestServer};

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

const SCRAPE_TOKEN: &str = "scrape-token-for-the-charts-test";

/// A server whose roll-ups the test ticks itself.
async fn server() -> TestServer {
    TestServer::start_with(|settings| {
        settings.metrics.rollup_interval_seconds = 0;
        settings.metrics.token = Some(tseeder_cloud::config::Secret::new(SCRAPE_TOKEN));
    })
    .await
}

/// One roll-up tick of the server, as if at `at`.
async fn tick(server: &TestServer, at: i64) {
    server
        .services
        .observability()
        .roll_up(at)
        .await
        .expect("roll up");
}

async fn scraped(server: &TestServer) -> String {
    reqwest::Client::new()
        .get(format!("{}/metrics", server.base))
        .bearer_auth(SCRAPE_TOKEN)
        .send()
        .await
        .expect("scrape")
        .text()
        .await
        .expect("text")
}

async fn submit(user: &Client, name: &str) -> String {
    let created = user
        .post("/api/v1/jobs", json!({ "magnet": random_magnet(name) }))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    created.body["job"]["id"].as_str().expect("id").to_owned()
}

async fn progress(agent: &SimAgent, job: &str, lease: &str, down: u64, up: u64) {
    let (status, body) = agent
        .call(
            &format!("/jobs/{job}/progress"),
            json!({ "leaseId": lease, "status": "downloading", "downloadedBytes": down,
                    "totalBytes": 4096, "uploadedBytes": up, "downloadSpeed": 0,
                    "uploadSpeed": 0, "peers": 1, "name": "chart", "files": null }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

async fn report(client: &Client, range: &str) -> Value {
    let answer = client
        .get(&format!("/api/v1/admin/observability?range={range}"))
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    answer.body
}

fn points_with_requests(report: &Value) -> Vec<&Value> {
    report["points"]
        .as_array()
        .expect("points")
        .iter()
        .filter(|p| p["requests"].as_u64().unwrap_or(0) > 0)
        .collect()
}

async fn stored_rows(
    server: &TestServer,
    resolution: Resolution,
) -> Vec<(i64, String, tseeder_cloud::observability::rollup::Rollup)> {
    server
        .services
        .db()
        .call(move |tx| rows_since(tx, resolution, 0))
        .await
        .expect("rows")
}

#[tokio::test]
async fn requests_jobs_and_levels_are_rolled_up_once_per_tick_and_charted() {
    let server = server().await;
    let admin = server.user(Role::Admin).await;
    let support = server.user(Role::Support).await;
    let alice = server.user(Role::User).await;
    let agent = SimAgent::issued(&server, &admin, "charted", "eu", 3).await;

    // One job completes, one fails for good; the agent reports bytes in and out as it goes.
    let done = submit(&alice, "done").await;
    let (claimed, lease) = agent.claim().await.expect("claim");
    assert_eq!(claimed, done);
    agent
        .deliver(&server, &alice.user_id, &done, &lease, "done", b"rolled up")
        .await;
    let failing = submit(&alice, "failing").await;
    let (claimed, lease) = agent.claim().await.expect("claim");
    assert_eq!(claimed, failing);
    progress(&agent, &failing, &lease, 100, 0).await;
    progress(&agent, &failing, &lease, 1100, 40).await;
    progress(&agent, &failing, &lease, 3100, 90).await;
    let (status, body) = agent.fail(&failing, &lease, false).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // Two jobs wait: the agent has not claimed them.
    submit(&alice, "waiting-1").await;
    submit(&alice, "waiting-2").await;

    // Prometheus sees the same throughput and bytes.
    let text = scraped(&server).await;
    for line in [
        "tseeder_jobs_finished_total{outcome=\"completed\"} 1",
        "tseeder_jobs_finished_total{outcome=\"failed\"} 1",
        "tseeder_agent_bytes_total{direction=\"in\"} 3000",
        "tseeder_agent_bytes_total{direction=\"out\"} 90",
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "{line} missing from:\n{text}"
        );
    }

    // Many requests, some refused: still one row per minute and replica once rolled up.
    for _ in 0..40 {
        assert_eq!(alice.get("/api/v1/jobs").await.status, StatusCode::OK);
    }
    for _ in 0..5 {
        let missing = alice.get("/api/v1/jobs/no-such-job").await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND);
    }
    assert!(stored_rows(&server, Resolution::Minute).await.is_empty());
    tick(&server, now_ms()).await;
    let minutes = stored_rows(&server, Resolution::Minute).await;
    assert_eq!(minutes.len(), 1, "{minutes:?}");
    assert_eq!(stored_rows(&server, Resolution::Hour).await.len(), 1);
    let counted = &minutes[0].2;
    assert!(counted.requests >= 55, "{counted:?}");
    assert!(counted.client_errors >= 5, "{counted:?}");

    // Users do not see the charts; support does.
    let refused = alice.get("/api/v1/admin/observability").await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{refused:?}");
    let hour = report(&support, "1h").await;
    assert_eq!(hour["bucketSeconds"], 60);
    assert_eq!(hour["points"].as_array().expect("points").len(), 60);
    let summary = &hour["summary"];
    assert_eq!(summary["requests"].as_u64(), Some(counted.requests));
    assert_eq!(summary["jobsCompleted"], 1, "{summary}");
    assert_eq!(summary["jobsFailed"], 1, "{summary}");
    // The first report of a job sets its baseline; later ones count what moved since.
    assert_eq!(summary["agentBytesIn"], 3000, "{summary}");
    assert_eq!(summary["agentBytesOut"], 90, "{summary}");
    assert_eq!(summary["serverErrors"], 0, "{summary}");
    assert!(summary["p50Ms"].as_f64().expect("p50") > 0.0, "{summary}");
    let measured = points_with_requests(&hour);
    assert_eq!(measured.len(), 1, "{hour}");
    let point = measured[0];
    assert_eq!(point["queueDepth"], 2.0, "{point}");
    assert_eq!(point["fleetCapacity"], 3.0, "{point}");
    assert_eq!(point["deadLetters"], 0.0, "{point}");
    assert!(point["p95Ms"].as_f64().expect("p95") >= point["p50Ms"].as_f64().expect("p50"));
    assert!(point["p99Ms"].as_f64().expect("p99") >= point["p95Ms"].as_f64().expect("p95"));
    assert_eq!(point["clientErrors"].as_u64(), Some(counted.client_errors));

    // A second tick adds to the same minute; what it counted is the requests since the first.
    tick(&server, now_ms()).await;
    let minutes = stored_rows(&server, Resolution::Minute).await;
    assert!(minutes.len() <= 2, "{minutes:?}");
    let total: u64 = minutes.iter().map(|(_, _, r)| r.requests).sum();
    assert!(
        total > counted.requests,
        "the report requests were counted too"
    );

    // The longer ranges cut the same data into 15-minute and hourly points.
    let day = report(&support, "24h").await;
    assert_eq!(day["bucketSeconds"], 900);
    assert_eq!(day["points"].as_array().expect("points").len(), 96);
    assert_eq!(day["summary"]["requests"].as_u64(), Some(total));
    let week = report(&support, "7d").await;
    assert_eq!(week["bucketSeconds"], 3600);
    assert_eq!(week["points"].as_array().expect("points").len(), 168);
    assert_eq!(week["summary"]["requests"].as_u64(), Some(total));
    assert_eq!(week["summary"]["jobsCompleted"], 1);

    let bad = support.get("/api/v1/admin/observability?range=2h").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{bad:?}");
    assert_eq!(bad.code(), "invalid_query");
}

#[tokio::test]
async fn each_replica_rolls_up_on_its_own_timer() {
    let server =
        TestServer::start_with(|settings| settings.metrics.rollup_interval_seconds = 1).await;
    let support = server.user(Role::Support).await;
    for _ in 0..7 {
        assert_eq!(support.get("/api/v1/usage").await.status, StatusCode::OK);
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let hour = report(&support, "1h").await;
        if hour["summary"]["requests"].as_u64().unwrap_or(0) >= 7 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the roll-up never ran: {hour}"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

async fn alert_codes(admin: &Client) -> Vec<String> {
    let overview = admin.get("/api/v1/admin/overview").await;
    assert_eq!(overview.status, StatusCode::OK, "{overview:?}");
    overview.body["alerts"]
        .as_array()
        .expect("alerts")
        .iter()
        .map(|a| a["code"].as_str().expect("code").to_owned())
        .collect()
}

async fn change_settings(admin: &Client, changes: Value) {
    let version = admin.get("/api/v1/admin/settings").await.body["version"]
        .as_u64()
        .expect("version");
    let changed = admin
        .patch(
            "/api/v1/admin/settings",
            json!({ "changes": changes, "expectedVersion": version,
                    "reason": "tune the alerts to this deployment", "ticketId": "OPS-31" }),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{changed:?}");
}

#[tokio::test]
async fn the_overview_raises_alerts_from_the_measurements_past_thresholds_operators_set() {
    let server = TestServer::start_with(|settings| {
        settings.metrics.rollup_interval_seconds = 0;
        settings.dispatch.max_attempts = 1;
    })
    .await;
    let admin = server.user(Role::Admin).await;
    let alice = server.user(Role::User).await;
    let agent = SimAgent::issued(&server, &admin, "busy", "eu", 1).await;
    let codes = alert_codes(&admin).await;
    for quiet in [
        "server_errors",
        "slow_requests",
        "dead_letter_growth",
        "fleet_saturated",
    ] {
        assert!(!codes.iter().any(|c| c == quiet), "{codes:?}");
    }

    // Half an hour ago: no dead letters yet.
    tick(&server, now_ms() - 30 * 60_000).await;
    // Since then: five jobs ran out of their one try, the one agent is busy with a sixth while
    // another waits, and the service answered slowly with server errors (as a broken database
    // or store would make it).
    for n in 0..5 {
        let id = submit(&alice, &format!("doomed-{n}")).await;
        let (claimed, lease) = agent.claim().await.expect("claim");
        assert_eq!(claimed, id);
        let (status, body) = agent.fail(&id, &lease, true).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    submit(&alice, "running").await;
    agent.claim().await.expect("claim");
    submit(&alice, "waiting").await;
    for _ in 0..30 {
        server.services.metrics().window().record_request(503, 4.0);
    }
    tick(&server, now_ms()).await;
    let codes = alert_codes(&admin).await;
    for raised in [
        "server_errors",
        "slow_requests",
        "dead_letter_growth",
        "fleet_saturated",
    ] {
        assert!(
            codes.iter().any(|c| c == raised),
            "{raised} not in {codes:?}"
        );
    }

    // Operators who expect more set the thresholds higher, and the alerts go at once.
    change_settings(
        &admin,
        json!({ "alerts.latency_p95_ms": 60_000, "alerts.error_rate_percent": 100,
                "alerts.dead_letter_growth_per_hour": 50, "alerts.fleet_use_percent": 100 }),
    )
    .await;
    let codes = alert_codes(&admin).await;
    for quiet in ["slow_requests", "dead_letter_growth"] {
        assert!(!codes.iter().any(|c| c == quiet), "{quiet} in {codes:?}");
    }
    // 30 of about 40 requests were errors; at 100 % they would all have to be.
    assert!(!codes.iter().any(|c| c == "server_errors"), "{codes:?}");
    // One agent running one job of one is 100 % with jobs waiting: still saturated.
    assert!(codes.iter().any(|c| c == "fleet_saturated"), "{codes:?}");
}

#[tokio::test]
async fn minutes_go_after_48_hours_and_hours_after_90_days_or_what_operators_set() {
    let server = server().await;
    let admin = server.user(Role::Admin).await;
    let now = now_ms();
    for at in [now, now - 3 * DAY_MS, now - 10 * DAY_MS, now - 100 * DAY_MS] {
        server.services.metrics().window().record_request(200, 0.01);
        tick(&server, at).await;
    }
    assert_eq!(stored_rows(&server, Resolution::Minute).await.len(), 4);
    assert_eq!(stored_rows(&server, Resolution::Hour).await.len(), 4);
    let sweep = server.services.retention().sweep().await.expect("sweep");
    assert_eq!(sweep.pruned.get("metricMinutes"), Some(&3), "{sweep:?}");
    assert_eq!(sweep.pruned.get("metricHours"), Some(&1), "{sweep:?}");
    let minutes = stored_rows(&server, Resolution::Minute).await;
    assert_eq!(minutes.len(), 1);
    assert!(minutes[0].0 > now - HOUR_MS);
    assert_eq!(stored_rows(&server, Resolution::Hour).await.len(), 3);

    // An operator keeps hours for a week only.
    change_settings(&admin, json!({ "retention.metric_hours_days": 7 })).await;
    let sweep = server.services.retention().sweep().await.expect("sweep");
    assert_eq!(sweep.pruned.get("metricHours"), Some(&1), "{sweep:?}");
    let hours = stored_rows(&server, Resolution::Hour).await;
    assert_eq!(hours.len(), 2);
    assert!(hours.iter().all(|(at, _, _)| *at > now - 4 * DAY_MS));
}
