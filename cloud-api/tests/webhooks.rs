//! Webhooks over real sockets: a receiver on 127.0.0.1 checks every delivery's signature the way
//! docs/webhooks.md tells a receiver to, answers 500 at first and sees the same delivery again
//! until it accepts it; a dead-lettered job is told to endpoints that want it; a job's own
//! callback URL hears of its completion signed with the callback secret; secrets are sealed in
//! the store and a server that cannot open them sends nothing unsigned, while a rotated
//! link-signing key reseals them under the new key; and URLs that would reach the server's own
//! network are refused.

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode as AxumStatus};
use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use serde_json::{json, Value};
use sha2::Sha256;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tseeder_cloud::config::Secret;
use tseeder_cloud::store::ToValue;
use tseeder_protocol::Role;
use tseeder_testkit::cloud::{random_magnet, Client, SimAgent, TestServer, PASSWORD};
use tseeder_testkit::swarm::{SeedOptions, Seeder};

/// What a receiver got: the path, the signature header, the event header and the raw body.
#[derive(Debug, Clone)]
struct Received {
    path: String,
    signature: Option<String>,
    delivery: String,
    body: Vec<u8>,
}

/// A receiver that answers 500 to the first `failures` requests on each path, then 200.
async fn receiver(failures: usize) -> (String, Arc<Mutex<Vec<Received>>>) {
    let seen: Arc<Mutex<Vec<Received>>> = Arc::default();
    let log = seen.clone();
    let app = axum::Router::new().fallback(
        move |uri: axum::http::Uri, headers: HeaderMap, body: Bytes| {
            let log = log.clone();
            async move {
                let mut log = log.lock().expect("log");
                let path = uri.path().to_owned();
                let earlier = log.iter().filter(|r| r.path == path).count();
                log.push(Received {
                    path,
                    signature: headers
                        .get("tseeder-signature")
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned),
                    delivery: headers
                        .get("tseeder-delivery")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_owned(),
                    body: body.to_vec(),
                });
                if earlier < failures {
                    AxumStatus::INTERNAL_SERVER_ERROR
                } else {
                    AxumStatus::OK
                }
            }
        },
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
    (base, seen)
}

/// Verifies `Tseeder-Signature: t=…,v1=…` over the raw body, as docs/webhooks.md describes.
fn signed_by(received: &Received, secret: &str) -> bool {
    let Some(header) = &received.signature else {
        return false;
    };
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", t)) => timestamp = t.parse::<i64>().ok(),
            Some(("v1", v)) => signatures.push(v.to_owned()),
            _ => {}
        }
    }
    let Some(timestamp) = timestamp else {
        return false;
    };
    let now = chrono::Utc::now().timestamp();
    if (now - timestamp).abs() > 300 {
        return false;
    }
    // Several v1 values may come while a secret is rotated; one that verifies is enough.
    signatures
        .iter()
        .filter_map(|s| hex::decode(s).ok())
        .any(|signature| {
            let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("key");
            mac.update(format!("{timestamp}.").as_bytes());
            mac.update(&received.body);
            mac.verify_slice(&signature).is_ok()
        })
}

fn quick_webhooks(settings: &mut tseeder_cloud::Settings) {
    settings.webhooks.allow_private_addresses = true;
    settings.webhooks.retry_base_seconds = 1;
    settings.webhooks.poll_interval_ms = 100;
}

async fn register(user: &Client, url: &str, events: &[&str]) -> (String, String) {
    let created = user
        .post("/api/v1/webhooks", json!({ "url": url, "events": events }))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    (
        created.body["webhook"]["id"]
            .as_str()
            .expect("id")
            .to_owned(),
        created.body["secret"].as_str().expect("secret").to_owned(),
    )
}

/// Waits until `count` requests reached `path`.
async fn until_received(
    seen: &Arc<Mutex<Vec<Received>>>,
    path: &str,
    count: usize,
) -> Vec<Received> {
    for _ in 0..300 {
        let got: Vec<Received> = seen
            .lock()
            .expect("log")
            .iter()
            .filter(|r| r.path == path)
            .cloned()
            .collect();
        if got.len() >= count {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{path} did not get {count} requests");
}

/// Submits a magnet and fails it through a pretend agent; the job's id.
async fn failed_job(server: &TestServer, user: &Client, retryable: bool) -> String {
    let admin = server.user(Role::Admin).await;
    let created = user
        .post("/api/v1/jobs", json!({ "magnet": random_magnet("doomed") }))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    let job = created.body["job"]["id"].as_str().expect("id").to_owned();
    let agent = SimAgent::issued(server, &admin, "sim", "eu", 1).await;
    let (claimed, lease) = agent.claim().await.expect("a job to claim");
    assert_eq!(claimed, job);
    agent.progress(&job, &lease).await;
    let (status, body) = agent.fail(&job, &lease, retryable).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    job
}

#[tokio::test]
async fn a_receiver_that_fails_sees_the_same_signed_delivery_until_it_accepts_it() {
    let server = TestServer::start_with(quick_webhooks).await;
    let user = server.user(Role::User).await;
    let (base, seen) = receiver(2).await;
    let (webhook, secret) = register(
        &user,
        &format!("{base}/hooks"),
        &["job.failed", "job.completed"],
    )
    .await;

    let job = failed_job(&server, &user, false).await;
    let got = until_received(&seen, "/hooks", 3).await;
    for received in &got {
        assert!(
            signed_by(received, &secret),
            "{received:?} is not signed by the secret"
        );
        assert!(!signed_by(received, "whsec_someone_else"));
        assert_eq!(
            received.delivery, got[0].delivery,
            "one delivery, tried again"
        );
        let body: Value = serde_json::from_slice(&received.body).expect("json");
        assert_eq!(body["type"], "job.failed");
        assert_eq!(body["id"], got[0].delivery);
        assert_eq!(body["data"]["job"]["id"], job);
        assert_eq!(body["data"]["job"]["status"], "failed");
    }

    // Delivered after two 500s; the list says so.
    let mut deliveries = Value::Null;
    for _ in 0..50 {
        deliveries = user
            .get(&format!("/api/v1/webhooks/deliveries?webhookId={webhook}"))
            .await
            .body;
        if deliveries[0]["state"] == "delivered" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(deliveries.as_array().map(Vec::len), Some(1), "{deliveries}");
    assert_eq!(deliveries[0]["state"], "delivered", "{deliveries}");
    assert_eq!(deliveries[0]["attempts"], 3);
    assert_eq!(deliveries[0]["lastStatus"], 200);
    assert_eq!(deliveries[0]["event"], "job.failed");
    let listed = user.get("/api/v1/webhooks").await;
    assert_eq!(
        listed.body[0]["lastDelivery"], "delivered",
        "{:?}",
        listed.body
    );
    assert!(
        listed.body[0].get("secret").is_none(),
        "the secret is shown once"
    );

    // Nothing else arrives: the delivery is done.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(until_received(&seen, "/hooks", 3).await.len(), 3);

    // Another user's endpoints hear nothing of this user's jobs, and cannot see its deliveries.
    let other = server.user(Role::User).await;
    let theirs = other.get("/api/v1/webhooks/deliveries").await;
    assert_eq!(theirs.body, json!([]));
    let removed = other.delete(&format!("/api/v1/webhooks/{webhook}")).await;
    assert_eq!(removed.status, StatusCode::NOT_FOUND);
}

/// What the store holds as a secret: `sql` selects it by the one id given.
async fn stored(server: &TestServer, sql: &'static str, id: &str) -> String {
    let id = id.to_owned();
    server
        .services
        .db()
        .call(move |tx| {
            tx.query(sql, &[id.to_value()])?
                .first()
                .map(|row| row.get::<_, String>(0))
                .transpose()
        })
        .await
        .expect("read the stored secret")
        .expect("the secret's row")
}

const ENDPOINT_SECRET: &str = "SELECT secret FROM webhooks WHERE id = ?1";
const CALLBACK_SECRET: &str = "SELECT secret FROM webhook_callback_secrets WHERE user_id = ?1";

/// `user` signed in again on a restarted server.
async fn signed_in_again(server: &TestServer, user: &Client) -> Client {
    let mut again = server.anon();
    again.login(&user.email, PASSWORD).await;
    again
}

#[tokio::test]
async fn secrets_are_sealed_at_rest_and_never_sent_unsigned_when_they_cannot_be_opened() {
    let server = TestServer::start_with(quick_webhooks).await;
    let user = server.user(Role::User).await;
    let (base, seen) = receiver(0).await;
    let (webhook, secret) = register(&user, &format!("{base}/hooks"), &["job.failed"]).await;
    let made = user
        .post("/api/v1/webhooks/callback-secret", json!({}))
        .await;
    let callback = made.body["secret"].as_str().expect("secret").to_owned();
    let sealed_endpoint = stored(&server, ENDPOINT_SECRET, &webhook).await;
    let sealed_callback = stored(&server, CALLBACK_SECRET, &user.user_id).await;
    for (sealed, shown) in [(&sealed_endpoint, &secret), (&sealed_callback, &callback)] {
        assert!(
            sealed.starts_with("sealed1:") && !sealed.contains(shown.as_str()),
            "the store holds the secret sealed, not as shown: {sealed}"
        );
    }

    // Secrets stored in the clear, as before sealing, are sealed when the server starts and
    // still sign what is delivered.
    server
        .execute_sql(
            "UPDATE webhooks SET secret = ?1",
            vec![secret.as_str().to_value()],
        )
        .await;
    server
        .execute_sql(
            "UPDATE webhook_callback_secrets SET secret = ?1",
            vec![callback.as_str().to_value()],
        )
        .await;
    let server = server.restart().await;
    let resealed = stored(&server, ENDPOINT_SECRET, &webhook).await;
    assert!(
        resealed.starts_with("sealed1:") && resealed != sealed_endpoint,
        "{resealed}"
    );
    let resealed = stored(&server, CALLBACK_SECRET, &user.user_id).await;
    assert!(
        resealed.starts_with("sealed1:") && resealed != sealed_callback,
        "{resealed}"
    );
    let user = signed_in_again(&server, &user).await;
    failed_job(&server, &user, false).await;
    let got = until_received(&seen, "/hooks", 1).await;
    assert!(signed_by(&got[0], &secret), "{:?}", got[0]);

    // With another server key the secret cannot be opened: the delivery fails and says why,
    // and nothing goes out unsigned.
    std::fs::write(
        server.data_dir().join("link-signing.key"),
        "another-server-key-of-more-than-32-characters",
    )
    .expect("replace the key");
    let server = server.restart().await;
    let user = signed_in_again(&server, &user).await;
    failed_job(&server, &user, false).await;
    let mut refused = Value::Null;
    for _ in 0..100 {
        let deliveries = user
            .get(&format!("/api/v1/webhooks/deliveries?webhookId={webhook}"))
            .await
            .body;
        if let Some(found) = deliveries
            .as_array()
            .and_then(|all| all.iter().find(|d| !d["lastError"].is_null()))
        {
            refused = found.clone();
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        refused["lastError"]
            .as_str()
            .is_some_and(|error| error.contains("link-signing key")),
        "{refused}"
    );
    assert_eq!(refused["state"], "pending", "{refused}");
    assert_eq!(until_received(&seen, "/hooks", 1).await.len(), 1);
}

#[tokio::test]
async fn a_rotated_link_signing_key_reseals_webhook_secrets_and_deliveries_stay_signed() {
    let mut server = TestServer::start_with(quick_webhooks).await;
    let user = server.user(Role::User).await;
    let (base, seen) = receiver(0).await;
    let (webhook, secret) = register(&user, &format!("{base}/hooks"), &["job.failed"]).await;
    user.post("/api/v1/webhooks/callback-secret", json!({}))
        .await;
    let sealed_endpoint = stored(&server, ENDPOINT_SECRET, &webhook).await;
    let sealed_callback = stored(&server, CALLBACK_SECRET, &user.user_id).await;
    let generated = std::fs::read_to_string(server.data_dir().join("link-signing.key"))
        .expect("the key generated at first start");

    // As docs/operations.md tells an operator to rotate: the new key, and the old one kept as
    // a previous key for one start.
    server.settings.storage.url_signing_secret =
        Some(Secret::new("the-rotated-link-signing-key-of-40-characters"));
    server.settings.storage.previous_url_signing_secrets = vec![Secret::new(generated.trim())];
    let mut server = server.restart().await;
    let resealed_endpoint = stored(&server, ENDPOINT_SECRET, &webhook).await;
    let resealed_callback = stored(&server, CALLBACK_SECRET, &user.user_id).await;
    for (before, after) in [
        (&sealed_endpoint, &resealed_endpoint),
        (&sealed_callback, &resealed_callback),
    ] {
        assert!(
            after.starts_with("sealed1:") && after != before,
            "sealed again under the new key: {after}"
        );
    }

    // The old key dropped, the secret the receiver holds still signs what is delivered.
    server.settings.storage.previous_url_signing_secrets.clear();
    let server = server.restart().await;
    assert_eq!(
        stored(&server, ENDPOINT_SECRET, &webhook).await,
        resealed_endpoint,
        "nothing is left to reseal"
    );
    let user = signed_in_again(&server, &user).await;
    failed_job(&server, &user, false).await;
    let got = until_received(&seen, "/hooks", 1).await;
    assert!(signed_by(&got[0], &secret), "{:?}", got[0]);
}

#[tokio::test]
async fn a_dead_lettered_job_is_told_to_the_endpoints_that_want_it() {
    let server = TestServer::start_with(|settings| {
        quick_webhooks(settings);
        settings.dispatch.max_attempts = 1;
    })
    .await;
    let user = server.user(Role::User).await;
    let (base, seen) = receiver(0).await;
    let (_, dead_secret) = register(&user, &format!("{base}/dead"), &["job.dead_lettered"]).await;
    let (_, failed_secret) = register(&user, &format!("{base}/failed"), &["job.failed"]).await;
    register(&user, &format!("{base}/completed"), &["job.completed"]).await;

    let job = failed_job(&server, &user, true).await;
    let dead = until_received(&seen, "/dead", 1).await;
    let failed = until_received(&seen, "/failed", 1).await;
    assert!(signed_by(&dead[0], &dead_secret));
    assert!(signed_by(&failed[0], &failed_secret));
    let body: Value = serde_json::from_slice(&dead[0].body).expect("json");
    assert_eq!(body["type"], "job.dead_lettered");
    assert_eq!(body["data"]["job"]["id"], job);
    assert_eq!(body["data"]["job"]["deadLettered"], true);
    let body: Value = serde_json::from_slice(&failed[0].body).expect("json");
    assert_eq!(body["type"], "job.failed");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        seen.lock()
            .expect("log")
            .iter()
            .all(|r| r.path != "/completed"),
        "an endpoint heard an event it did not ask for"
    );
}

#[tokio::test]
async fn a_jobs_callback_url_hears_of_its_completion() {
    let server = TestServer::start_with(|settings| {
        quick_webhooks(settings);
        settings.embedded_agent.enabled = true;
        settings.embedded_agent.poll_interval_ms = 200;
        settings.embedded_agent.progress_interval_ms = 200;
    })
    .await;
    let user = server.user(Role::User).await;
    let made = user
        .post("/api/v1/webhooks/callback-secret", json!({}))
        .await;
    assert_eq!(made.status, StatusCode::OK, "{made:?}");
    let secret = made.body["secret"].as_str().expect("secret").to_owned();
    let (base, seen) = receiver(0).await;
    let seeder = Seeder::start(SeedOptions {
        name: "callback-data",
        files: &[("one.bin", 200_000)],
        ..Default::default()
    });
    let created = user
        .post(
            "/api/v1/jobs",
            json!({ "magnet": seeder.magnet(), "callbackUrl": format!("{base}/done") }),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    let job = created.body["job"]["id"].as_str().expect("id").to_owned();

    let got = until_received(&seen, "/done", 1).await;
    assert!(
        signed_by(&got[0], &secret),
        "the callback is signed with the callback secret"
    );
    let body: Value = serde_json::from_slice(&got[0].body).expect("json");
    assert_eq!(body["type"], "job.completed");
    assert_eq!(body["data"]["job"]["id"], job);
    assert_eq!(body["data"]["job"]["status"], "completed");
}

#[tokio::test]
async fn urls_that_would_reach_the_servers_own_network_are_refused() {
    let server = TestServer::start().await;
    let user = server.user(Role::User).await;
    for url in [
        "http://127.0.0.1:9/hook",
        "https://127.0.0.1/hook",
        "https://[::1]/hook",
        "https://169.254.169.254/latest/meta-data",
        "http://example.org/hook",
        "https://user:pass@example.org/hook",
        "ftp://example.org/hook",
    ] {
        let refused = user
            .post(
                "/api/v1/webhooks",
                json!({ "url": url, "events": ["job.completed"] }),
            )
            .await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{url}: {refused:?}"
        );
        assert_eq!(refused.code(), "invalid_url", "{url}");
        let job = user
            .post(
                "/api/v1/jobs",
                json!({ "magnet": random_magnet("x"), "callbackUrl": url }),
            )
            .await;
        assert_eq!(
            job.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{url}: {job:?}"
        );
    }
    let jobs = user.get("/api/v1/jobs").await;
    assert_eq!(
        jobs.body["items"],
        json!([]),
        "a refused callback created a job"
    );

    let no_events = user
        .post(
            "/api/v1/webhooks",
            json!({ "url": "https://hooks.example.org/x", "events": [] }),
        )
        .await;
    assert_eq!(no_events.code(), "invalid_events");
    let accepted = user
        .post(
            "/api/v1/webhooks",
            json!({ "url": "https://hooks.example.org/x", "events": ["job.completed"], "description": "CI" }),
        )
        .await;
    assert_eq!(accepted.status, StatusCode::CREATED, "{accepted:?}");
    assert!(accepted.body["secret"]
        .as_str()
        .is_some_and(|s| s.starts_with("whsec_")));
}
