//! End to end over HTTP: submitting jobs by magnet, upload and URL, listing them, moving them
//! through their states, plan limits, and operator actions on jobs and accounts.

use cloud::{random_magnet, upload, Client, SimAgent, TestServer};
use reqwest::StatusCode;
use serde_json::{json, Value};
use sha1::{Digest, Sha1};
use tseeder_cloud::store::ToValue;
use tseeder_protocol::Role;
use tseeder_storage::ObjectKey;
use tseeder_testkit::{cloud, torrents};

fn info_hash(torrent: &[u8]) -> String {
    let start = torrent
        .windows(6)
        .position(|w| w == b"4:info")
        .expect("info")
        + 6;
    hex::encode(Sha1::digest(&torrent[start..torrent.len() - 1]))
}

/// Serves `body` at `/file.torrent` on 127.0.0.1 and answers 404 elsewhere.
async fn torrent_site(body: Vec<u8>) -> String {
    let app = axum::Router::new().route(
        "/file.torrent",
        axum::routing::get(move || {
            let body = body.clone();
            async move { body }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
    format!("http://{addr}")
}

fn kinds(events: &Value) -> Vec<String> {
    events
        .as_array()
        .expect("events")
        .iter()
        .map(|e| e["kind"].as_str().expect("kind").to_owned())
        .collect()
}

#[tokio::test]
async fn a_magnet_becomes_a_queued_job_once() {
    let server = TestServer::start().await;
    let user = server.user(Role::User).await;
    let magnet = "magnet:?xt=urn:btih:C9E15763F722F23E98A29DECDFAE341B98D53056&dn=Cosmos+Laundromat&tr=udp%3A%2F%2Ftracker.example%3A1337";
    let created = user.post("/api/v1/jobs", json!({ "magnet": magnet })).await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    let job = &created.body["job"];
    assert_eq!(job["status"], "queued");
    assert_eq!(job["name"], "Cosmos Laundromat");
    assert_eq!(job["source"], "magnet");
    assert_eq!(
        job["infoHashV1"],
        "c9e15763f722f23e98a29decdfae341b98d53056"
    );
    assert!(job["totalBytes"].is_null(), "size unknown until metadata");
    assert!(job["magnet"]
        .as_str()
        .expect("magnet")
        .starts_with("magnet:?xt=urn:btih:c9e157"));
    let id = job["id"].as_str().expect("id");

    let events = user.get(&format!("/api/v1/jobs/{id}/events")).await;
    assert_eq!(kinds(&events.body), ["submitted", "queued"]);

    let again = user.post("/api/v1/jobs", json!({ "magnet": magnet })).await;
    assert_eq!(
        (again.status, again.code()),
        (StatusCode::CONFLICT, "job_exists")
    );
    let other = server.user(Role::User).await;
    let theirs = other
        .post("/api/v1/jobs", json!({ "magnet": magnet }))
        .await;
    assert_eq!(
        theirs.status,
        StatusCode::CREATED,
        "another user may fetch the same torrent"
    );
}

#[tokio::test]
async fn an_uploaded_torrent_lists_its_files_and_honours_the_selection() {
    let server = TestServer::start().await;
    let user = server.user(Role::User).await;
    let torrent = torrents::multi_file(
        "Holiday Photos",
        &[
            (&["day1", "beach.jpg"], 300_000),
            (&["day2", "hike.jpg"], 200_000),
            (&["notes.txt"], 1_000),
        ],
    );
    let created = upload(&user, torrent.clone(), Some("[0, 2]")).await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    let job = &created.body["job"];
    assert_eq!(job["name"], "Holiday Photos");
    assert_eq!(job["source"], "torrentFile");
    assert_eq!(job["infoHashV1"], info_hash(&torrent).as_str());
    assert_eq!(job["totalBytes"], 301_000);
    let files = created.body["files"].as_array().expect("files");
    let listed: Vec<(&str, u64, bool)> = files
        .iter()
        .map(|f| {
            (
                f["path"].as_str().expect("path"),
                f["size"].as_u64().expect("size"),
                f["selected"] == true,
            )
        })
        .collect();
    assert_eq!(
        listed,
        [
            ("Holiday Photos/day1/beach.jpg", 300_000, true),
            ("Holiday Photos/day2/hike.jpg", 200_000, false),
            ("Holiday Photos/notes.txt", 1_000, true),
        ]
    );
    let fetched = user
        .get(&format!("/api/v1/jobs/{}", job["id"].as_str().expect("id")))
        .await;
    assert_eq!(fetched.body["files"], created.body["files"]);
}

#[tokio::test]
async fn a_torrent_url_is_fetched_and_checked() {
    let server = TestServer::start().await;
    let user = server.user(Role::User).await;
    let torrent = torrents::single_file("ubuntu.iso", 5_000_000);
    let site = torrent_site(torrent.clone()).await;
    let created = user
        .post(
            "/api/v1/jobs",
            json!({ "torrentUrl": format!("{site}/file.torrent") }),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    assert_eq!(created.body["job"]["source"], "torrentUrl");
    assert_eq!(
        created.body["job"]["infoHashV1"],
        info_hash(&torrent).as_str()
    );
    assert_eq!(created.body["files"][0]["path"], "ubuntu.iso");

    let missing = user
        .post(
            "/api/v1/jobs",
            json!({ "torrentUrl": format!("{site}/missing.torrent") }),
        )
        .await;
    assert_eq!(
        (missing.status, missing.code()),
        (StatusCode::UNPROCESSABLE_ENTITY, "fetch_failed")
    );
    let not_http = user
        .post(
            "/api/v1/jobs",
            json!({ "torrentUrl": "file:///etc/passwd" }),
        )
        .await;
    assert_eq!(
        (not_http.status, not_http.code()),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_url")
    );
}

#[tokio::test]
async fn torrent_urls_on_private_networks_are_refused_by_default() {
    let server =
        TestServer::start_with(|s| s.torrent_network.allow_private_addresses = false).await;
    let user = server.user(Role::User).await;
    let site = torrent_site(torrents::single_file("a.bin", 10)).await;
    for url in [
        format!("{site}/file.torrent"),
        "http://169.254.169.254/latest/meta-data".into(),
    ] {
        let refused = user
            .post("/api/v1/jobs", json!({ "torrentUrl": url }))
            .await;
        assert_eq!(
            (refused.status, refused.code()),
            (StatusCode::UNPROCESSABLE_ENTITY, "invalid_url"),
            "{url}"
        );
    }
    assert_eq!(user.get("/api/v1/jobs").await.body["total"], 0);
}

#[tokio::test]
async fn jobs_move_through_their_states_and_keep_a_history() {
    let server = TestServer::start().await;
    let user = server.user(Role::User).await;
    let created = user
        .post("/api/v1/jobs", json!({ "magnet": random_magnet("states") }))
        .await;
    let id = created.body["job"]["id"].as_str().expect("id").to_owned();
    let act = |action: &'static str| {
        let user = user.clone();
        let id = id.clone();
        async move {
            user.post(&format!("/api/v1/jobs/{id}/{action}"), json!({}))
                .await
        }
    };

    assert_eq!(act("pause").await.body["status"], "paused");
    let twice = act("pause").await;
    assert_eq!(
        (twice.status, twice.code()),
        (StatusCode::CONFLICT, "invalid_state")
    );
    assert_eq!(act("resume").await.body["status"], "queued");
    assert_eq!(
        act("retry").await.code(),
        "invalid_state",
        "a queued job cannot be retried"
    );
    assert_eq!(act("cancel").await.body["status"], "cancelled");
    assert_eq!(act("resume").await.code(), "invalid_state");
    let retried = act("retry").await;
    assert_eq!(retried.body["status"], "queued", "{retried:?}");
    assert_eq!(retried.body["deadLettered"], false);

    let events = user.get(&format!("/api/v1/jobs/{id}/events")).await;
    assert_eq!(
        kinds(&events.body),
        [
            "submitted",
            "queued",
            "paused",
            "resumed",
            "cancelled",
            "retried"
        ]
    );
    assert_eq!(
        user.delete(&format!("/api/v1/jobs/{id}")).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        user.get(&format!("/api/v1/jobs/{id}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        user.get(&format!("/api/v1/jobs/{id}/events")).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn listing_pages_filters_and_searches() {
    let server = TestServer::start_with(|s| s.limits.max_torrent_files = 10).await;
    let user = server
        .services
        .admin()
        .create_user_directly("pro@example.org", cloud::PASSWORD.into(), Role::User)
        .await
        .expect("user");
    server
        .services
        .db()
        .call(move |conn| {
            conn.execute(
                "UPDATE users SET plan_id = 'pro' WHERE id = ?1",
                &[user.id.to_value()],
            )?;
            Ok(())
        })
        .await
        .expect("upgrade");
    let mut client = server.anon();
    client.login("pro@example.org", cloud::PASSWORD).await;
    let mut ids = Vec::new();
    for name in ["Alpha", "Beta", "Gamma", "Alphabet"] {
        let created = client
            .post("/api/v1/jobs", json!({ "magnet": random_magnet(name) }))
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
        ids.push(created.body["job"]["id"].as_str().expect("id").to_owned());
    }
    client
        .post(&format!("/api/v1/jobs/{}/pause", ids[1]), json!({}))
        .await;

    let page = client.get("/api/v1/jobs?perPage=3&page=2").await;
    assert_eq!(page.body["total"], 4);
    assert_eq!(page.body["items"].as_array().expect("items").len(), 1);
    assert_eq!(
        page.body["items"][0]["name"], "Alpha",
        "newest first, so the oldest is last"
    );
    let paused = client.get("/api/v1/jobs?status=paused").await;
    assert_eq!(paused.body["total"], 1);
    assert_eq!(paused.body["items"][0]["name"], "Beta");
    let search = client.get("/api/v1/jobs?q=alpha").await;
    assert_eq!(search.body["total"], 2);
    let wildcard = client.get("/api/v1/jobs?q=%25").await;
    assert_eq!(
        wildcard.body["total"], 0,
        "LIKE wildcards in a search match literally"
    );
    let bad = client.get("/api/v1/jobs?status=exploded").await;
    assert_eq!(
        (bad.status, bad.code()),
        (StatusCode::BAD_REQUEST, "invalid_query")
    );

    let usage = client.get("/api/v1/usage").await;
    assert_eq!(usage.body["plan"]["id"], "pro");
    assert_eq!(usage.body["activeJobs"], 4);
    assert_eq!(usage.body["totalJobs"], 4);
}

#[tokio::test]
async fn the_plan_limits_active_jobs_and_job_size() {
    let server = TestServer::start().await;
    let user = server.user(Role::User).await;
    let plans = server.anon().get("/api/v1/plans").await;
    let ids: Vec<&str> = plans
        .body
        .as_array()
        .expect("plans")
        .iter()
        .map(|p| p["id"].as_str().expect("id"))
        .collect();
    assert_eq!(ids, ["free", "pro", "business"]);
    let free_slots = plans.body[0]["maxActiveJobs"].as_u64().expect("limit");
    assert_eq!(free_slots, 2);

    let mut ids = Vec::new();
    for i in 0..free_slots {
        let ok = user
            .post(
                "/api/v1/jobs",
                json!({ "magnet": random_magnet(&format!("j{i}")) }),
            )
            .await;
        ids.push(ok.body["job"]["id"].as_str().expect("id").to_owned());
    }
    let over = user
        .post(
            "/api/v1/jobs",
            json!({ "magnet": random_magnet("one-too-many") }),
        )
        .await;
    assert_eq!(
        (over.status, over.code()),
        (StatusCode::FORBIDDEN, "quota_exceeded")
    );
    assert!(over.body["error"]["message"]
        .as_str()
        .expect("msg")
        .contains("2 active jobs"));

    user.post(&format!("/api/v1/jobs/{}/cancel", ids[0]), json!({}))
        .await;
    let fits = user
        .post(
            "/api/v1/jobs",
            json!({ "magnet": random_magnet("fits-now") }),
        )
        .await;
    assert_eq!(fits.status, StatusCode::CREATED);
    let retry = user
        .post(&format!("/api/v1/jobs/{}/retry", ids[0]), json!({}))
        .await;
    assert_eq!(
        (retry.status, retry.code()),
        (StatusCode::FORBIDDEN, "quota_exceeded"),
        "retrying takes a slot too"
    );

    user.post(&format!("/api/v1/jobs/{}/cancel", ids[1]), json!({}))
        .await;
    let three_gib = torrents::single_file_sized("big.iso", 3 << 30, 4 << 20);
    let too_big = upload(&user, three_gib, None).await;
    assert_eq!(
        (too_big.status, too_big.code()),
        (StatusCode::FORBIDDEN, "quota_exceeded"),
        "{too_big:?}"
    );
    let usage = user.get("/api/v1/usage").await;
    assert_eq!(usage.body["activeJobs"], 1);
}

#[tokio::test]
async fn operators_terminate_jobs_with_a_reason_and_the_audit_log_shows_it() {
    let server = TestServer::start().await;
    let user = server.user(Role::User).await;
    let admin = server.user(Role::Admin).await;
    let support = server.user(Role::Support).await;
    let job = user
        .post("/api/v1/jobs", json!({ "magnet": random_magnet("dmca") }))
        .await;
    let id = job.body["job"]["id"].as_str().expect("id");

    let all = support
        .get(&format!("/api/v1/admin/jobs?userId={}", user.user_id))
        .await;
    assert_eq!(all.body["total"], 1);
    assert_eq!(all.body["items"][0]["userEmail"], user.email.as_str());

    let path = format!("/api/v1/admin/jobs/{id}/terminate");
    let short = admin
        .post(&path, json!({ "reason": "dmca", "ticketId": "LEGAL-1" }))
        .await;
    assert_eq!(
        (short.status, short.code()),
        (StatusCode::BAD_REQUEST, "reason_required")
    );
    let no_ticket = admin
        .post(
            &path,
            json!({ "reason": "takedown notice received", "ticketId": " " }),
        )
        .await;
    assert_eq!(
        (no_ticket.status, no_ticket.code()),
        (StatusCode::BAD_REQUEST, "ticket_required")
    );
    let missing_fields = admin.post(&path, json!({})).await;
    assert_eq!(missing_fields.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        user.get(&format!("/api/v1/jobs/{id}")).await.body["job"]["status"],
        "queued"
    );

    let done = admin
        .post(
            &path,
            json!({ "reason": "takedown notice received", "ticketId": "LEGAL-1" }),
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{done:?}");
    assert_eq!(done.body["status"], "cancelled");
    assert!(done.body["error"]
        .as_str()
        .expect("error")
        .contains("takedown notice received"));
    let again = admin
        .post(
            &path,
            json!({ "reason": "takedown notice received", "ticketId": "LEGAL-1" }),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);

    let audit = support
        .get(&format!("/api/v1/admin/audit?targetId={id}"))
        .await;
    assert_eq!(audit.body["total"], 1);
    let entry = &audit.body["items"][0];
    assert_eq!(entry["action"], "job.terminate");
    assert_eq!(entry["actorEmail"], admin.email.as_str());
    assert_eq!(entry["reason"], "takedown notice received");
    assert_eq!(entry["ticketId"], "LEGAL-1");
    assert_eq!(entry["detail"]["previousStatus"], "queued");
    let events = user.get(&format!("/api/v1/jobs/{id}/events")).await;
    assert_eq!(
        kinds(&events.body).last().map(String::as_str),
        Some("terminated")
    );
}

#[tokio::test]
async fn only_a_superadmin_grants_admin_and_nobody_acts_on_themself() {
    let server = TestServer::start().await;
    let root = server.user(Role::Superadmin).await;
    let admin = server.user(Role::Admin).await;
    let peer = server.user(Role::Admin).await;
    let user = server.user(Role::User).await;
    let why = |role: &str| json!({ "role": role, "reason": "staffing change approved", "ticketId": "HR-9" });
    let role_of = |c: &Client| format!("/api/v1/admin/users/{}/role", c.user_id);

    let support = admin.post(&role_of(&user), why("support")).await;
    assert_eq!(support.status, StatusCode::OK, "{support:?}");
    assert_eq!(support.body["user"]["role"], "support");
    let escalate = admin.post(&role_of(&user), why("admin")).await;
    assert_eq!(
        (escalate.status, escalate.code()),
        (StatusCode::FORBIDDEN, "insufficient_role")
    );
    let sideways = admin.post(&role_of(&peer), why("user")).await;
    assert_eq!(
        (sideways.status, sideways.code()),
        (StatusCode::FORBIDDEN, "insufficient_role")
    );
    let upward = admin.post(&role_of(&root), why("user")).await;
    assert_eq!(upward.status, StatusCode::FORBIDDEN);
    let suspend_peer = admin
        .post(
            &format!("/api/v1/admin/users/{}/suspend", peer.user_id),
            json!({ "reason": "testing peer powers", "ticketId": "X-1" }),
        )
        .await;
    assert_eq!(suspend_peer.status, StatusCode::FORBIDDEN);
    let own = root.post(&role_of(&root), why("user")).await;
    assert_eq!(
        (own.status, own.code()),
        (StatusCode::FORBIDDEN, "self_action")
    );

    let granted = root.post(&role_of(&user), why("admin")).await;
    assert_eq!(granted.body["user"]["role"], "admin");
    let found = admin
        .get(&format!("/api/v1/admin/users?q={}", &user.email[..12]))
        .await;
    assert_eq!(found.body["items"][0]["role"], "admin");
    let unknown = root
        .post("/api/v1/admin/users/nope/role", why("user"))
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);

    let audit = admin
        .get(&format!(
            "/api/v1/admin/audit?action=user.role_change&targetId={}",
            user.user_id
        ))
        .await;
    let changes: Vec<(String, String)> = audit.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|e| {
            (
                e["detail"]["from"].as_str().unwrap_or("").to_owned(),
                e["detail"]["to"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    assert_eq!(
        changes,
        [
            ("support".to_owned(), "admin".to_owned()),
            ("user".to_owned(), "support".to_owned())
        ]
    );
}

#[tokio::test]
async fn job_submission_is_rate_limited_per_account() {
    let server = TestServer::start_with(|s| {
        s.rate_limits.jobs_per_account = tseeder_cloud::config::Rate::new(2, 3600);
    })
    .await;
    let user = server.user(Role::User).await;
    let first = user
        .post("/api/v1/jobs", json!({ "magnet": random_magnet("a") }))
        .await;
    assert_eq!(first.status, StatusCode::CREATED);
    let invalid = user
        .post("/api/v1/jobs", json!({ "magnet": "magnet:?dn=x" }))
        .await;
    assert_eq!(
        invalid.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "attempts count, valid or not"
    );
    let limited = user
        .post("/api/v1/jobs", json!({ "magnet": random_magnet("b") }))
        .await;
    assert_eq!(
        (limited.status, limited.code()),
        (StatusCode::TOO_MANY_REQUESTS, "rate_limited")
    );
    assert!(limited.headers.contains_key("retry-after"));
    let other = server.user(Role::User).await;
    let theirs = other
        .post("/api/v1/jobs", json!({ "magnet": random_magnet("c") }))
        .await;
    assert_eq!(theirs.status, StatusCode::CREATED, "limits are per account");
}

#[tokio::test]
async fn the_storage_sweep_removes_what_crashes_leave_and_keeps_what_jobs_own() {
    let server = TestServer::start().await;
    let user = server.user(Role::User).await;
    let created = user
        .post("/api/v1/jobs", json!({ "magnet": random_magnet("kept") }))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    let live_job = created.body["job"]["id"].as_str().expect("id").to_owned();
    let admin = server.user(Role::Admin).await;
    let agent = SimAgent::issued(&server, &admin, "uploader", "eu", 1).await;
    let (claimed, _) = agent.claim().await.expect("the live job");
    assert_eq!(claimed, live_job);
    // (The free plan runs two jobs at once: the cancelled one is stopped before the next.)
    let cancelled = user
        .post(
            "/api/v1/jobs",
            json!({ "magnet": random_magnet("stopped") }),
        )
        .await;
    let cancelled_job = cancelled.body["job"]["id"].as_str().expect("id").to_owned();
    let stopped = user
        .post(&format!("/api/v1/jobs/{cancelled_job}/cancel"), json!({}))
        .await;
    assert_eq!(stopped.status, StatusCode::OK, "{stopped:?}");
    let deleted = user
        .post("/api/v1/jobs", json!({ "magnet": random_magnet("gone") }))
        .await;
    let deleted_job = deleted.body["job"]["id"].as_str().expect("id").to_owned();

    // An agent uploading for the running job, an upload that landed after its job was
    // deleted, and one for a job its owner cancelled mid-upload.
    let store = server.services.store();
    let owned = ObjectKey::job_file(&user.user_id, &live_job, 0).expect("key");
    let orphan = ObjectKey::job_file(&user.user_id, &deleted_job, 0).expect("key");
    let abandoned = ObjectKey::job_file(&user.user_id, &cancelled_job, 0).expect("key");
    store
        .put_file(&owned, &write_temp(b"owned"))
        .await
        .expect("put");
    store
        .put_file(&orphan, &write_temp(b"orphan"))
        .await
        .expect("put");
    let gone = user.delete(&format!("/api/v1/jobs/{deleted_job}")).await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT);
    store
        .put_file(&orphan, &write_temp(b"late"))
        .await
        .expect("put");
    store
        .put_file(&abandoned, &write_temp(b"cancelled"))
        .await
        .expect("put");
    // A copy a crashed agent never finished.
    let partials = server.data_dir().join("objects").join(".partial");
    std::fs::create_dir_all(&partials).expect("mkdir");
    std::fs::write(partials.join("crashed"), b"half").expect("partial");

    // Young unfinished uploads may still be running: with the default 24 h they stay.
    let swept = server
        .services
        .files()
        .sweep_storage()
        .await
        .expect("sweep");
    assert_eq!(swept.orphan_objects, 2);
    assert_eq!(swept.abandoned_uploads, 0);
    assert!(partials.join("crashed").exists());
    assert!(store.head(&orphan).await.expect("head").is_none());
    assert!(store.head(&abandoned).await.expect("head").is_none());
    assert!(store.head(&owned).await.expect("head").is_some());

    let mut settings = server.services.settings().clone();
    settings.storage.abandoned_upload_hours = 0;
    let older = tseeder_cloud::server::start_services(settings)
        .await
        .expect("services");
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let swept = older.files().sweep_storage().await.expect("sweep");
    assert_eq!(swept.abandoned_uploads, 1);
    assert!(!partials.join("crashed").exists());
    assert!(store.head(&owned).await.expect("head").is_some());
}

fn write_temp(bytes: &[u8]) -> std::path::PathBuf {
    let file = tempfile::NamedTempFile::new().expect("temp");
    std::fs::write(file.path(), bytes).expect("write");
    file.into_temp_path().keep().expect("keep")
}
