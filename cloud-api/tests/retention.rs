//! Retention, on both backends (the suite runs again on PostgreSQL): the stored files of a
//! completed job are deleted once its plan's retention days have passed, its owner is mailed once
//! the day before, the job view says when files go and went, a plan that keeps files keeps them;
//! each sweep is audited and recorded with a daily storage snapshot; and old sessions, tokens and
//! security events are pruned by their own periods.

use reqwest::StatusCode;
use serde_json::{json, Value};
use tseeder_cloud::store::{ToValue, Value as StoreValue};
use tseeder_protocol::Role;
use tseeder_storage::ObjectKey;
use tseeder_testkit::cloud::{random_magnet, Client, SimAgent, TestServer, PASSWORD};

const DAY_MS: i64 = 86_400_000;

/// A job of `user`'s run to completion by `agent`, with one stored file of `bytes`.
async fn completed_job(
    server: &TestServer,
    agent: &SimAgent,
    user: &Client,
    name: &str,
    bytes: &[u8],
) -> String {
    let created = user
        .post("/api/v1/jobs", json!({ "magnet": random_magnet(name) }))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    let id = created.body["job"]["id"].as_str().expect("id").to_owned();
    let (claimed, lease) = agent.claim().await.expect("claim");
    assert_eq!(claimed, id);
    agent
        .deliver(server, &user.user_id, &id, &lease, name, bytes)
        .await;
    id
}

async fn complete_days_ago(server: &TestServer, job: &str, days: f64) {
    let at = chrono::Utc::now().timestamp_millis() - (days * DAY_MS as f64) as i64;
    server
        .execute_sql(
            "UPDATE jobs SET completed_at = ?1 WHERE id = ?2",
            vec![at.to_value(), job.to_value()],
        )
        .await;
}

async fn detail(user: &Client, job: &str) -> Value {
    let answer = user.get(&format!("/api/v1/jobs/{job}")).await;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    answer.body
}

#[tokio::test]
async fn expired_files_are_deleted_after_a_warning_and_the_sweep_is_recorded() {
    let server = TestServer::start().await;
    let admin = server.user(Role::Admin).await;
    let user = server.user(Role::User).await;
    let agent = SimAgent::issued(&server, &admin, "keeper", "eu", 1).await;
    let old = completed_job(&server, &agent, &user, "old-release", b"eight days old").await;
    let soon = completed_job(&server, &agent, &user, "soon-release", b"goes tomorrow").await;
    let fresh = completed_job(&server, &agent, &user, "fresh-release", b"just finished").await;
    // The free plan keeps files 7 days.
    complete_days_ago(&server, &old, 8.0).await;
    complete_days_ago(&server, &soon, 6.5).await;
    let before = user.get("/api/v1/usage").await.body["storageBytes"]
        .as_u64()
        .expect("usage");

    let expires = detail(&user, &soon).await;
    let at =
        chrono::DateTime::parse_from_rfc3339(expires["filesExpireAt"].as_str().expect("expiry"))
            .expect("date");
    let left = at.timestamp_millis() - chrono::Utc::now().timestamp_millis();
    assert!(
        (11 * 3_600_000..13 * 3_600_000).contains(&left),
        "{expires}"
    );
    assert_eq!(expires["filesExpiredAt"], Value::Null);

    // Old sessions and security events past their periods.
    let mut second = server.anon();
    second.login(&user.email, PASSWORD).await;
    server
        .execute_sql(
            "UPDATE sessions SET expires_at = ?1 WHERE id IN (SELECT id FROM sessions WHERE user_id = ?2 ORDER BY created_at DESC LIMIT 1)",
            vec![(chrono::Utc::now().timestamp_millis() - 40 * DAY_MS).to_value(), user.user_id.to_value()],
        )
        .await;
    let wrong = server
        .anon()
        .post(
            "/api/v1/auth/login",
            json!({ "email": user.email, "password": "not the password at all" }),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    server
        .execute_sql(
            "UPDATE security_events SET created_at = created_at - ?1",
            vec![(200 * DAY_MS).to_value()],
        )
        .await;

    // An invitation that expired long ago, and one still waiting.
    let team = user
        .post("/api/v1/orgs", json!({ "name": "Old team" }))
        .await;
    let team = team.body["org"]["id"].as_str().expect("team").to_owned();
    for email in ["long-gone@example.org", "still-welcome@example.org"] {
        let invited = user
            .post(
                &format!("/api/v1/orgs/{team}/invites"),
                json!({ "email": email, "role": "member" }),
            )
            .await;
        assert_eq!(invited.status, StatusCode::CREATED, "{invited:?}");
    }
    server
        .execute_sql(
            "UPDATE org_invites SET expires_at = ?1 WHERE email = 'long-gone@example.org'",
            vec![(chrono::Utc::now().timestamp_millis() - 40 * DAY_MS).to_value()],
        )
        .await;

    let sweep = server.services.retention().sweep().await.expect("sweep");
    assert_eq!(sweep.pruned["orgInvites"], 1, "{sweep:?}");
    let waiting = user.get(&format!("/api/v1/orgs/{team}")).await.body["invites"].clone();
    assert_eq!(
        waiting[0]["email"], "still-welcome@example.org",
        "{waiting}"
    );
    assert_eq!(
        (sweep.expired_jobs, sweep.deleted_files),
        (1, 1),
        "{sweep:?}"
    );
    assert_eq!(sweep.reclaimed_bytes, b"eight days old".len() as u64);
    assert_eq!(sweep.warned_users, 1);
    assert_eq!(sweep.pruned["sessions"], 1, "{sweep:?}");
    assert!(sweep.pruned["securityEvents"] >= 1, "{sweep:?}");

    // The old job's file is gone from the store and from its view; the others stay.
    let store = server.services.store();
    let key = |job: &str| ObjectKey::job_file(&user.user_id, job, 0).expect("key");
    assert!(store.head(&key(&old)).await.expect("head").is_none());
    assert!(store.head(&key(&soon)).await.expect("head").is_some());
    assert!(store.head(&key(&fresh)).await.expect("head").is_some());
    let gone = detail(&user, &old).await;
    assert_ne!(gone["filesExpiredAt"], Value::Null, "{gone}");
    assert_eq!(gone["filesExpireAt"], Value::Null);
    assert_eq!(gone["job"]["status"], "completed");
    let files = user.get(&format!("/api/v1/jobs/{old}/files")).await;
    assert_eq!(files.body.as_array().map(Vec::len), Some(0), "{files:?}");
    let events = user.get(&format!("/api/v1/jobs/{old}/events")).await;
    assert!(
        events
            .body
            .as_array()
            .expect("events")
            .iter()
            .any(|e| e["kind"] == "files_expired"),
        "{events:?}"
    );
    let after = user.get("/api/v1/usage").await.body["storageBytes"]
        .as_u64()
        .expect("usage");
    assert_eq!(before - after, b"eight days old".len() as u64);

    // One mail, about the job that goes tomorrow only.
    let warnings: Vec<String> = server
        .outbox()
        .await
        .into_iter()
        .filter(|m| m.contains("will be deleted soon"))
        .collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains(&format!("To: {}", user.email)));
    assert!(warnings[0].contains("soon-release") && warnings[0].contains(&soon));
    assert!(!warnings[0].contains("old-release") && !warnings[0].contains("fresh-release"));

    // Audited, and on the storage page with the day's snapshot.
    let audit = admin
        .get("/api/v1/admin/audit?action=retention.sweep")
        .await;
    assert_eq!(audit.body["total"], 1, "{audit:?}");
    assert_eq!(audit.body["items"][0]["actorEmail"], "system");
    assert_eq!(
        audit.body["items"][0]["detail"]["reclaimedBytes"],
        b"eight days old".len()
    );
    let storage = admin.get("/api/v1/admin/storage").await.body;
    assert_eq!(storage["lastSweep"]["expiredJobs"], 1, "{storage}");
    let today = storage["snapshots"]
        .as_array()
        .expect("snapshots")
        .last()
        .expect("today")
        .clone();
    assert_eq!(today["reclaimedBytes"], b"eight days old".len(), "{today}");
    assert_eq!(today["objects"], 2);
    assert_eq!(today["storedBytes"], storage["totalBytes"]);
    // The user's two remaining files, counted for their personal organization against its
    // plan (Free, 10 GiB).
    let heaviest = &storage["topOrganizations"];
    assert_eq!(heaviest.as_array().map(Vec::len), Some(1), "{storage}");
    assert_eq!(heaviest[0]["personal"], true);
    assert_eq!(heaviest[0]["ownerEmail"], user.email.as_str());
    assert_eq!(heaviest[0]["planId"], "free");
    assert_eq!(heaviest[0]["objects"], 2);
    assert_eq!(heaviest[0]["bytes"], storage["totalBytes"]);
    assert_eq!(heaviest[0]["quotaBytes"], 10_u64 << 30);

    // A second sweep warns nobody again and finds nothing new.
    let again = server.services.retention().sweep().await.expect("sweep");
    assert_eq!((again.expired_jobs, again.warned_users), (0, 0));
    let storage = admin.get("/api/v1/admin/storage").await.body;
    assert_eq!(
        storage["snapshots"].as_array().map(Vec::len),
        Some(1),
        "one snapshot a day"
    );
    assert_eq!(
        admin
            .get("/api/v1/admin/audit?action=retention.sweep")
            .await
            .body["total"],
        1
    );

    // A plan that keeps files keeps them, however old.
    server
        .execute_sql(
            "UPDATE plans SET retention_days = 0 WHERE id = 'free'",
            Vec::<StoreValue>::new(),
        )
        .await;
    complete_days_ago(&server, &fresh, 1000.0).await;
    let kept = server.services.retention().sweep().await.expect("sweep");
    assert_eq!(kept.expired_jobs, 0);
    assert!(store.head(&key(&fresh)).await.expect("head").is_some());
    assert_eq!(detail(&user, &fresh).await["filesExpireAt"], Value::Null);
}

#[tokio::test]
async fn operators_can_stop_file_deletion_at_runtime() {
    let server = TestServer::start().await;
    let admin = server.user(Role::Admin).await;
    let user = server.user(Role::User).await;
    let agent = SimAgent::issued(&server, &admin, "keeper", "eu", 1).await;
    let old = completed_job(&server, &agent, &user, "kept-release", b"kept").await;
    complete_days_ago(&server, &old, 30.0).await;
    let off = admin
        .patch(
            "/api/v1/admin/settings",
            json!({ "changes": { "retention.delete_expired_files": false }, "expectedVersion": 0,
                    "reason": "legal hold on every file", "ticketId": "LEGAL-1" }),
        )
        .await;
    assert_eq!(off.status, StatusCode::OK, "{off:?}");
    let sweep = server.services.retention().sweep().await.expect("sweep");
    assert_eq!(sweep.expired_jobs, 0);
    let key = ObjectKey::job_file(&user.user_id, &old, 0).expect("key");
    assert!(server
        .services
        .store()
        .head(&key)
        .await
        .expect("head")
        .is_some());
    assert_eq!(
        detail(&user, &old).await["filesExpireAt"],
        Value::Null,
        "nothing announced while off"
    );
}
