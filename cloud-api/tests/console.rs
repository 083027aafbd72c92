//! The API behind the web console's own pages (status, blog, profile, password, the operators'
//! overview and storage report) and the serving of the built console itself.

use cloud::{random_magnet, TestServer, PASSWORD};
use reqwest::StatusCode;
use serde_json::{json, Value};
use tseeder_protocol::Role;
use tseeder_testkit::cloud;

async fn issue_agent(server: &TestServer, admin: &cloud::Client, name: &str) -> String {
    let issued = admin
        .post(
            "/api/v1/admin/agents",
            json!({ "name": name, "region": "eu", "reason": "console test fleet", "ticketId": "OPS-1" }),
        )
        .await;
    assert_eq!(issued.status, StatusCode::CREATED, "{issued:?}");
    let token = issued.body["token"].as_str().expect("token").to_owned();
    let registered = reqwest::Client::new()
        .post(format!("{}/api/v1/agent/register", server.base))
        .bearer_auth(&token)
        .json(&json!({ "name": name, "region": "eu", "capacity": 2, "version": "test" }))
        .send()
        .await
        .expect("register");
    assert_eq!(registered.status(), StatusCode::OK);
    token
}

/// A console folder shaped like Vite's output.
fn built_console() -> tempfile::TempDir {
    let console = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(console.path().join("assets")).expect("assets");
    std::fs::write(
        console.path().join("index.html"),
        "<!doctype html><script type=module src=/assets/app-1a2b.js></script>",
    )
    .expect("index");
    std::fs::write(console.path().join("assets/app-1a2b.js"), "console.log(1)").expect("js");
    std::fs::write(console.path().join("favicon.svg"), "<svg/>").expect("icon");
    console
}

/// Sends `path` byte for byte (no client-side normalising of `..`); returns the status line
/// and the body.
async fn raw_get(base: &str, path: &str) -> (String, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let address = base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address)
        .await
        .expect("connect");
    let request = format!("GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("send");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.expect("read");
    let status = answer.lines().next().unwrap_or_default().to_owned();
    let body = answer
        .split("\r\n\r\n")
        .nth(1)
        .unwrap_or_default()
        .to_owned();
    (status, body)
}

fn component<'a>(status: &'a Value, id: &str) -> &'a Value {
    status["components"]
        .as_array()
        .expect("components")
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no {id} component in {status}"))
}

#[tokio::test]
async fn the_status_page_follows_the_agents_and_the_queue() {
    let server = TestServer::start().await;
    let anon = server.anon();
    let status = anon.get("/api/v1/status").await;
    assert_eq!(status.status, StatusCode::OK);
    assert_eq!(component(&status.body, "api")["state"], "operational");
    assert_eq!(component(&status.body, "agents")["state"], "outage");
    assert_eq!(status.body["state"], "outage");

    let admin = server.user(Role::Admin).await;
    issue_agent(&server, &admin, "eu-1").await;
    let alice = server.user(Role::User).await;
    let job = alice
        .post(
            "/api/v1/jobs",
            json!({ "magnet": random_magnet("waiting") }),
        )
        .await;
    assert_eq!(job.status, StatusCode::CREATED, "{job:?}");

    let status = anon.get("/api/v1/status").await;
    let agents = component(&status.body, "agents");
    assert_eq!(agents["state"], "operational", "{status:?}");
    assert_eq!(agents["detail"], "1 of 1 agents online");
    assert_eq!(
        component(&status.body, "queue")["detail"],
        "1 jobs waiting for an agent"
    );
    assert_eq!(status.body["state"], "operational");
}

#[tokio::test]
async fn the_site_config_shows_the_captcha_widget_only_when_configured() {
    let server = TestServer::start().await;
    let config = server.anon().get("/api/v1/config").await;
    assert_eq!(config.status, StatusCode::OK);
    assert_eq!(config.body["captcha"], Value::Null);
    assert_eq!(config.body["minPasswordChars"], 10);
    assert_eq!(config.body["minReasonChars"], 10);

    let console = built_console();
    let dir = console.path().to_owned();
    let server = TestServer::start_with(move |s| {
        s.console_dir = dir;
        s.captcha.verify_url = Some("http://127.0.0.1:9/siteverify".into());
        s.captcha.secret = Some(tseeder_cloud::config::Secret::new("secret"));
        s.captcha.site_key = Some("public-site-key".into());
    })
    .await;
    let config = server.anon().get("/api/v1/config").await;
    assert_eq!(config.body["captcha"]["siteKey"], "public-site-key");
    let csp = server.anon().get("/").await;
    let policy = csp.headers["content-security-policy"]
        .to_str()
        .expect("csp");
    assert!(
        policy.contains("script-src 'self' https://challenges.cloudflare.com"),
        "{policy}"
    );
    assert!(
        !config.body.to_string().contains("secret\""),
        "{:?}",
        config.body
    );
}

#[tokio::test]
async fn a_user_names_themself_and_picks_only_their_own_device_as_default() {
    let server = TestServer::start().await;
    let alice = server.user(Role::User).await;
    let bob = server.user(Role::User).await;
    let device = |client: &cloud::Client| {
        let client = client.clone();
        async move {
            let answer = client
                .post("/api/v1/devices", json!({ "name": "laptop" }))
                .await;
            assert_eq!(answer.status, StatusCode::CREATED, "{answer:?}");
            answer.body["agent"]["id"]
                .as_str()
                .expect("device id")
                .to_owned()
        }
    };
    let alices = device(&alice).await;
    let bobs = device(&bob).await;
    let patch = |client: &cloud::Client, body: Value| {
        let req = client
            .request(reqwest::Method::PATCH, "/api/v1/auth/me")
            .json(&body);
        let client = client.clone();
        async move { client.send(req).await }
    };

    let named = patch(&alice, json!({ "displayName": "  Alice  " })).await;
    assert_eq!(named.status, StatusCode::OK, "{named:?}");
    assert_eq!(named.body["displayName"], "Alice");
    assert_eq!(named.body["defaultDeviceId"], Value::Null);

    let refused = patch(&alice, json!({ "defaultDeviceId": bobs })).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.code(), "unknown_device");

    let chosen = patch(&alice, json!({ "defaultDeviceId": alices })).await;
    assert_eq!(chosen.body["defaultDeviceId"], alices.as_str());
    assert_eq!(chosen.body["displayName"], "Alice", "left as it was");
    let me = alice.get("/api/v1/auth/me").await;
    assert_eq!(me.body["user"]["defaultDeviceId"], alices.as_str());

    let cleared = patch(&alice, json!({ "defaultDeviceId": "", "displayName": "" })).await;
    assert_eq!(cleared.body["defaultDeviceId"], Value::Null);
    assert_eq!(cleared.body["displayName"], Value::Null);
}

#[tokio::test]
async fn changing_the_password_needs_the_current_one_and_ends_other_sessions() {
    let server = TestServer::start().await;
    let here = server.user(Role::User).await;
    let mut elsewhere = server.anon();
    assert_eq!(
        elsewhere.login(&here.email, PASSWORD).await.status,
        StatusCode::OK
    );

    let wrong = here
        .post(
            "/api/v1/auth/password",
            json!({ "currentPassword": "not the password", "newPassword": "a brand new passphrase" }),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    assert_eq!(wrong.code(), "wrong_password");
    let weak = here
        .post(
            "/api/v1/auth/password",
            json!({ "currentPassword": PASSWORD, "newPassword": "short" }),
        )
        .await;
    assert_eq!(weak.status, StatusCode::UNPROCESSABLE_ENTITY);

    let changed = here
        .post(
            "/api/v1/auth/password",
            json!({ "currentPassword": PASSWORD, "newPassword": "a brand new passphrase" }),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{changed:?}");
    assert_eq!(here.get("/api/v1/auth/me").await.status, StatusCode::OK);
    assert_eq!(
        elsewhere.get("/api/v1/auth/me").await.status,
        StatusCode::UNAUTHORIZED
    );
    let mut again = server.anon();
    assert_eq!(
        again.login(&here.email, PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        again
            .login(&here.email, "a brand new passphrase")
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn the_blog_shows_published_posts_and_deleting_one_is_justified_and_audited() {
    let server = TestServer::start().await;
    let admin = server.user(Role::Admin).await;
    let anon = server.anon();
    let draft = admin
        .post(
            "/api/v1/admin/blog",
            json!({ "slug": "hello-world", "title": "Hello", "summary": "First words",
                    "body": "One.\n\nTwo.", "published": false }),
        )
        .await;
    assert_eq!(draft.status, StatusCode::CREATED, "{draft:?}");
    assert_eq!(draft.body["publishedAt"], Value::Null);
    let id = draft.body["id"].as_str().expect("id").to_owned();
    assert_eq!(anon.get("/api/v1/blog").await.body["total"], 0);
    assert_eq!(
        anon.get("/api/v1/blog/hello-world").await.status,
        StatusCode::NOT_FOUND
    );

    let published = admin
        .send(
            admin
                .request(reqwest::Method::PUT, &format!("/api/v1/admin/blog/{id}"))
                .json(&json!({ "slug": "hello-world", "title": "Hello, world", "summary": "First words",
                               "body": "One.\n\nTwo.", "published": true })),
        )
        .await;
    assert_eq!(published.status, StatusCode::OK, "{published:?}");
    let list = anon.get("/api/v1/blog").await;
    assert_eq!(list.body["total"], 1);
    assert_eq!(list.body["items"][0]["title"], "Hello, world");
    let post = anon.get("/api/v1/blog/hello-world").await;
    assert_eq!(post.body["body"], "One.\n\nTwo.");
    assert_eq!(post.body["author"], admin.email.as_str());

    let clash = admin
        .post(
            "/api/v1/admin/blog",
            json!({ "slug": "hello-world", "title": "Again", "summary": "", "body": "x", "published": true }),
        )
        .await;
    assert_eq!(clash.status, StatusCode::CONFLICT);
    assert_eq!(clash.code(), "slug_taken");
    let hostile = admin
        .post(
            "/api/v1/admin/blog",
            json!({ "slug": "../admin", "title": "x", "summary": "", "body": "x", "published": true }),
        )
        .await;
    assert_eq!(hostile.status, StatusCode::UNPROCESSABLE_ENTITY);

    let delete = |body: Value| {
        admin.send(
            admin
                .request(reqwest::Method::DELETE, &format!("/api/v1/admin/blog/{id}"))
                .json(&body),
        )
    };
    let short = delete(json!({ "reason": "spam", "ticketId": "T-1" })).await;
    assert_eq!(short.status, StatusCode::BAD_REQUEST);
    assert_eq!(short.code(), "reason_required");
    let gone = delete(json!({ "reason": "announced too early", "ticketId": "T-2" })).await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT, "{gone:?}");
    assert_eq!(anon.get("/api/v1/blog").await.body["total"], 0);
    let audit = admin.get("/api/v1/admin/audit?action=blog.delete").await;
    assert_eq!(audit.body["items"][0]["reason"], "announced too early");
    assert_eq!(audit.body["items"][0]["ticketId"], "T-2");
}

#[tokio::test]
async fn the_overview_computes_alerts_and_totals_from_the_data() {
    let server = TestServer::start().await;
    let support = server.user(Role::Support).await;
    let alice = server.user(Role::User).await;
    alice
        .post("/api/v1/jobs", json!({ "magnet": random_magnet("one") }))
        .await;

    let overview = support.get("/api/v1/admin/overview").await;
    assert_eq!(overview.status, StatusCode::OK, "{overview:?}");
    let codes: Vec<&str> = overview.body["alerts"]
        .as_array()
        .expect("alerts")
        .iter()
        .filter_map(|a| a["code"].as_str())
        .collect();
    assert_eq!(codes, ["no_agents"], "{overview:?}");
    assert_eq!(overview.body["users"]["total"], 2);
    assert_eq!(overview.body["jobsByStatus"]["queued"], 1);
    let days = overview.body["jobsPerDay"].as_array().expect("days");
    assert_eq!(days.len(), 14);
    assert_eq!(days[13]["created"], 1, "{days:?}");

    let admin = server.user(Role::Admin).await;
    issue_agent(&server, &admin, "eu-1").await;
    let overview = support.get("/api/v1/admin/overview").await;
    assert_eq!(overview.body["alerts"], json!([]), "{overview:?}");
    assert_eq!(overview.body["agents"]["online"], 1);

    let storage = support.get("/api/v1/admin/storage").await;
    assert_eq!(storage.status, StatusCode::OK);
    assert_eq!(storage.body["backend"], "local");
    assert_eq!(storage.body["totalBytes"], 0);
}

#[tokio::test]
async fn the_console_is_served_with_hashed_assets_cached_and_page_paths_on_index() {
    let console = built_console();
    let dir = console.path().to_owned();
    let server = TestServer::start_with(move |s| s.console_dir = dir).await;
    let anon = server.anon();

    for page in ["/", "/jobs", "/jobs/0190-abc", "/admin/users?q=x"] {
        let answer = anon.get(page).await;
        assert_eq!(answer.status, StatusCode::OK, "{page}");
        assert!(answer.body.as_str().expect("html").contains("app-1a2b.js"));
        assert_eq!(answer.headers["cache-control"], "no-cache", "{page}");
        let policy = answer.headers["content-security-policy"]
            .to_str()
            .expect("csp");
        assert!(policy.contains("script-src 'self';"), "{policy}");
        assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
    }
    let asset = anon.get("/assets/app-1a2b.js").await;
    assert_eq!(asset.status, StatusCode::OK);
    assert_eq!(
        asset.headers["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert!(asset.headers["content-type"]
        .to_str()
        .expect("type")
        .contains("javascript"));
    assert_eq!(anon.get("/favicon.svg").await.status, StatusCode::OK);

    let missing = anon.get("/assets/app-0000.js").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.code(), "not_found");
    let api = anon.get("/api/v1/no-such-thing").await;
    assert_eq!(api.status, StatusCode::NOT_FOUND);
    assert_eq!(api.code(), "not_found");
    std::fs::write(console.path().join("../outside.txt"), "secret").expect("outside");
    for escape in [
        "/assets/../../outside.txt",
        "/assets/..%2f..%2foutside.txt",
        "/../outside.txt",
        "/assets/%2e%2e/%2e%2e/outside.txt",
    ] {
        let (status, body) = raw_get(&server.base, escape).await;
        assert!(!body.contains("secret"), "{escape} escaped: {status}");
        let refused = status.contains(" 404 ") || status.contains(" 400 ");
        assert!(
            refused || body.contains("app-1a2b.js"),
            "{escape}: {status} {body}"
        );
    }
    let write = anon.post("/jobs", json!({})).await;
    assert_eq!(write.status, StatusCode::METHOD_NOT_ALLOWED);
}

/// The console's TypeScript types are generated from `ui/src/api/openapi.json`; this keeps that
/// copy equal to the document the server publishes. `TSEEDER_UPDATE_OPENAPI=1` rewrites it.
#[tokio::test]
async fn the_consoles_copy_of_the_openapi_document_is_current() {
    let server = TestServer::start().await;
    let served = server.anon().get("/api/v1/openapi.json").await.body;
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/src/api/openapi.json");
    if std::env::var_os("TSEEDER_UPDATE_OPENAPI").is_some() {
        let text = serde_json::to_string_pretty(&served).expect("json") + "\n";
        std::fs::write(&path, text).expect("write openapi.json");
    }
    let copy: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("ui/src/api/openapi.json"))
            .expect("parse");
    assert!(
        copy == served,
        "ui/src/api/openapi.json is out of date: run TSEEDER_UPDATE_OPENAPI=1 cargo nextest run \
         -p tseeder-cloud the_consoles_copy"
    );
}
