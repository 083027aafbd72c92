//! Access control, generated from the router's own route table: the RBAC matrix, IDOR checks
//! on every route that takes an id, and CSRF on every cookie-authenticated write.

use cloud::{random_magnet, Client, TestServer};
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::collections::BTreeSet;
use tseeder_cloud::http::{route_table, Access};
use tseeder_cloud::Settings;
use tseeder_protocol::Role;
use tseeder_testkit::cloud;

/// The least role each route needs. A route added to the router without a line here fails
/// `route_table_matches_the_expected_matrix`, so every new route gets a conscious decision.
const EXPECTED: &[(&str, &str, &str)] = &[
    ("GET", "/health", "public"),
    ("GET", "/api/v1/openapi.json", "public"),
    ("POST", "/api/v1/auth/register", "public"),
    ("POST", "/api/v1/auth/verify-email", "public"),
    ("POST", "/api/v1/auth/verify-email/resend", "public"),
    ("POST", "/api/v1/auth/login", "public"),
    ("POST", "/api/v1/auth/logout", "user"),
    ("GET", "/api/v1/auth/me", "user"),
    ("POST", "/api/v1/auth/password-reset/request", "public"),
    ("POST", "/api/v1/auth/password-reset/confirm", "public"),
    ("GET", "/api/v1/auth/sessions", "user"),
    ("DELETE", "/api/v1/auth/sessions/{id}", "user"),
    ("GET", "/api/v1/api-keys", "user"),
    ("POST", "/api/v1/api-keys", "user"),
    ("DELETE", "/api/v1/api-keys/{id}", "user"),
    ("GET", "/api/v1/webhooks", "user"),
    ("POST", "/api/v1/webhooks", "user"),
    ("DELETE", "/api/v1/webhooks/{id}", "user"),
    ("POST", "/api/v1/webhooks/callback-secret", "user"),
    ("GET", "/api/v1/webhooks/deliveries", "user"),
    ("GET", "/api/v1/plans", "public"),
    ("GET", "/api/v1/usage", "user"),
    ("GET", "/api/v1/billing", "user"),
    ("POST", "/api/v1/billing/checkout", "user"),
    ("POST", "/api/v1/billing/portal", "user"),
    ("GET", "/api/v1/billing/invoices", "user"),
    ("POST", "/api/v1/billing/webhook", "public"),
    ("GET", "/api/v1/orgs", "user"),
    ("POST", "/api/v1/orgs", "user"),
    ("GET", "/api/v1/orgs/{id}", "user"),
    ("PATCH", "/api/v1/orgs/{id}", "user"),
    ("DELETE", "/api/v1/orgs/{id}", "user"),
    ("POST", "/api/v1/orgs/{id}/invites", "user"),
    ("DELETE", "/api/v1/orgs/{id}/invites/{inviteId}", "user"),
    ("POST", "/api/v1/orgs/{id}/leave", "user"),
    ("PATCH", "/api/v1/orgs/{id}/members/{userId}", "user"),
    ("DELETE", "/api/v1/orgs/{id}/members/{userId}", "user"),
    ("POST", "/api/v1/orgs/{id}/transfer", "user"),
    ("POST", "/api/v1/orgs/{id}/use", "user"),
    ("POST", "/api/v1/invites/accept", "user"),
    ("GET", "/api/v1/admin/orgs", "support"),
    ("GET", "/api/v1/admin/orgs/{id}", "support"),
    ("GET", "/api/v1/admin/orgs/{id}/billing", "support"),
    ("POST", "/api/v1/admin/orgs/{id}/plan", "admin"),
    ("GET", "/api/v1/jobs", "user"),
    ("POST", "/api/v1/jobs", "user"),
    ("POST", "/api/v1/jobs/torrent", "user"),
    ("GET", "/api/v1/jobs/{id}", "user"),
    ("DELETE", "/api/v1/jobs/{id}", "user"),
    ("GET", "/api/v1/jobs/{id}/events", "user"),
    ("POST", "/api/v1/jobs/{id}/pause", "user"),
    ("POST", "/api/v1/jobs/{id}/resume", "user"),
    ("POST", "/api/v1/jobs/{id}/cancel", "user"),
    ("POST", "/api/v1/jobs/{id}/retry", "user"),
    ("GET", "/api/v1/admin/search", "support"),
    ("GET", "/api/v1/admin/settings", "support"),
    ("PATCH", "/api/v1/admin/settings", "admin"),
    ("GET", "/api/v1/admin/settings/history", "support"),
    ("GET", "/api/v1/admin/settings/history/{version}", "support"),
    ("POST", "/api/v1/admin/settings/rollback", "admin"),
    ("GET", "/api/v1/admin/users", "support"),
    ("GET", "/api/v1/admin/users/{id}", "support"),
    ("POST", "/api/v1/admin/users/{id}/role", "admin"),
    ("POST", "/api/v1/admin/users/{id}/plan", "admin"),
    ("GET", "/api/v1/admin/users/{id}/billing", "support"),
    ("POST", "/api/v1/admin/users/{id}/suspend", "admin"),
    ("POST", "/api/v1/admin/users/{id}/unsuspend", "admin"),
    ("POST", "/api/v1/admin/users/{id}/force-logout", "admin"),
    ("GET", "/api/v1/admin/jobs", "support"),
    ("POST", "/api/v1/admin/jobs/{id}/terminate", "admin"),
    ("GET", "/api/v1/admin/audit", "support"),
    ("GET", "/api/v1/admin/security-events", "support"),
    ("GET", "/api/v1/jobs/live", "user"),
    ("GET", "/api/v1/jobs/{id}/live", "user"),
    ("GET", "/api/v1/jobs/{id}/files", "user"),
    ("GET", "/api/v1/jobs/{id}/zip", "user"),
    ("POST", "/api/v1/jobs/{id}/files/{index}/link", "user"),
    ("DELETE", "/api/v1/jobs/{id}/files/{index}", "user"),
    ("GET", "/api/v1/files/{*key}", "public"),
    ("GET", "/api/v1/devices", "user"),
    ("POST", "/api/v1/devices", "user"),
    ("DELETE", "/api/v1/devices/{id}", "user"),
    ("POST", "/api/v1/agent/register", "agent"),
    ("POST", "/api/v1/agent/heartbeat", "agent"),
    ("POST", "/api/v1/agent/claim", "agent"),
    ("POST", "/api/v1/agent/jobs/{id}/progress", "agent"),
    ("POST", "/api/v1/agent/jobs/{id}/complete", "agent"),
    ("POST", "/api/v1/agent/jobs/{id}/fail", "agent"),
    ("POST", "/api/v1/agent/jobs/{id}/release", "agent"),
    ("GET", "/api/v1/admin/agents", "support"),
    ("POST", "/api/v1/admin/agents", "admin"),
    ("POST", "/api/v1/admin/agents/{id}/revoke", "admin"),
    ("GET", "/api/v1/admin/dead-letters", "support"),
    ("POST", "/api/v1/admin/dead-letters/{id}/replay", "admin"),
    ("GET", "/api/v1/config", "public"),
    ("GET", "/api/v1/status", "public"),
    ("GET", "/api/v1/status/history", "public"),
    ("GET", "/metrics", "metrics"),
    ("GET", "/api/v1/admin/status/incidents", "support"),
    ("POST", "/api/v1/admin/status/incidents", "admin"),
    (
        "POST",
        "/api/v1/admin/status/incidents/{id}/updates",
        "admin",
    ),
    ("POST", "/api/v1/admin/status/maintenance", "admin"),
    ("DELETE", "/api/v1/admin/status/maintenance/{id}", "admin"),
    ("GET", "/api/v1/blog", "public"),
    ("GET", "/api/v1/blog/{slug}", "public"),
    ("PATCH", "/api/v1/auth/me", "user"),
    ("POST", "/api/v1/auth/password", "user"),
    ("GET", "/api/v1/admin/overview", "support"),
    ("GET", "/api/v1/admin/storage", "support"),
    ("GET", "/api/v1/admin/observability", "support"),
    ("GET", "/api/v1/admin/provider", "support"),
    ("POST", "/api/v1/admin/provider", "superadmin"),
    ("GET", "/api/v1/admin/blog", "admin"),
    ("POST", "/api/v1/admin/blog", "admin"),
    ("PUT", "/api/v1/admin/blog/{id}", "admin"),
    ("DELETE", "/api/v1/admin/blog/{id}", "admin"),
];

fn with_random_ids(path: &str) -> String {
    path.replace("{id}", &uuid::Uuid::new_v4().to_string())
        .replace("{index}", "0")
        .replace("{*key}", "users/u/jobs/j/files/0")
        .replace("{slug}", "no-such-post")
        .replace("{version}", "0")
}

fn method(name: &str) -> Method {
    Method::from_bytes(name.as_bytes()).expect("method")
}

fn rank(role: &str) -> Option<Role> {
    Role::parse(role)
}

#[test]
fn route_table_matches_the_expected_matrix() {
    let actual: BTreeSet<(String, String, String)> = route_table(&Settings::default())
        .into_iter()
        .map(|(m, p, a)| (m.to_string(), p.to_owned(), a.label().to_owned()))
        .collect();
    let expected: BTreeSet<(String, String, String)> = EXPECTED
        .iter()
        .map(|(m, p, a)| (m.to_string(), p.to_string(), a.to_string()))
        .collect();
    let unlisted: Vec<_> = actual.difference(&expected).collect();
    let stale: Vec<_> = expected.difference(&actual).collect();
    assert!(
        unlisted.is_empty(),
        "routes missing from the RBAC matrix: {unlisted:?}"
    );
    assert!(
        stale.is_empty(),
        "matrix lines for routes that do not exist: {stale:?}"
    );
}

#[tokio::test]
async fn every_route_answers_every_role_as_the_matrix_says() {
    let server = TestServer::start().await;
    let mut callers: Vec<(Option<Role>, Client)> = vec![(None, server.anon())];
    for role in Role::ALL {
        // API keys, so that calling logout or session routes does not end the caller.
        let user = server.user(role).await;
        let (_, key) = user.create_key("matrix").await;
        callers.push((Some(role), user.with_key(&key)));
    }
    let mut failures = Vec::new();
    for (verb, path, least) in EXPECTED {
        for (role, client) in &callers {
            let mut req = client.request(method(verb), &with_random_ids(path));
            if *verb != "GET" {
                req = req.json(&json!({}));
            }
            // A live stream that opens never ends: its status is the answer.
            let answer = if path.ends_with("/live") {
                client.send_status_only(req).await
            } else {
                client.send(req).await
            };
            let expected = match (rank(least), role) {
                // User credentials are never agent tokens.
                (None, _) if *least == "agent" => "401",
                // Nor the metrics token.
                (None, _) if *least == "metrics" => "401",
                (None, _) => "allowed",
                (Some(_), None) => "401",
                (Some(need), Some(have)) if have < &need => "403",
                _ => "allowed",
            };
            let ok = match expected {
                "401" => answer.status == StatusCode::UNAUTHORIZED,
                "403" => {
                    answer.status == StatusCode::FORBIDDEN && answer.code() == "insufficient_role"
                }
                // A refused signed link (403 link_invalid) is the route working, not access control.
                _ => {
                    answer.status != StatusCode::UNAUTHORIZED
                        && !(answer.status == StatusCode::FORBIDDEN
                            && answer.code() == "insufficient_role")
                }
            };
            if !ok {
                failures.push(format!(
                    "{verb} {path} as {}: expected {expected}, got {answer:?}",
                    role.map_or("anonymous", Role::as_str)
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test]
async fn another_users_ids_are_not_found_on_every_route_that_takes_one() {
    let server = TestServer::start().await;
    let alice = server.user(Role::User).await;
    let bob = server.user(Role::User).await;
    let job = alice
        .post(
            "/api/v1/jobs",
            json!({ "magnet": random_magnet("alice-private") }),
        )
        .await;
    let job_id = job.body["job"]["id"].as_str().expect("job id").to_owned();
    let (key_id, key) = alice.create_key("alice key").await;
    let sessions = alice.get("/api/v1/auth/sessions").await;
    let session_id = sessions.body[0]["id"].as_str().expect("session").to_owned();
    let device = alice
        .post("/api/v1/devices", json!({ "name": "alice laptop" }))
        .await;
    let device_id = device.body["agent"]["id"]
        .as_str()
        .expect("device id")
        .to_owned();
    let webhook = alice
        .post(
            "/api/v1/webhooks",
            json!({ "url": "https://hooks.example.org/alice", "events": ["job.completed"] }),
        )
        .await;
    let webhook_id = webhook.body["webhook"]["id"]
        .as_str()
        .expect("webhook id")
        .to_owned();

    // Alice's team, with Carol in it and Dave invited.
    let carol = server.user(Role::User).await;
    let team = alice
        .post("/api/v1/orgs", json!({ "name": "Alice's team" }))
        .await;
    let team_id = team.body["org"]["id"].as_str().expect("team id").to_owned();
    alice
        .post(
            &format!("/api/v1/orgs/{team_id}/invites"),
            json!({ "email": carol.email, "role": "member" }),
        )
        .await;
    let token = server.mailed_token(&carol.email, "/invites/accept").await;
    let joined = carol
        .post("/api/v1/invites/accept", json!({ "token": token }))
        .await;
    assert_eq!(joined.status, StatusCode::OK, "{joined:?}");
    let invite = alice
        .post(
            &format!("/api/v1/orgs/{team_id}/invites"),
            json!({ "email": "dave@example.org", "role": "member" }),
        )
        .await;
    let invite_id = invite.body["id"].as_str().expect("invite id").to_owned();
    // Bodies that pass their checks, so that only the id can refuse the request.
    let body_for = |path: &str| match path {
        "/api/v1/orgs/{id}" => json!({ "name": "Bob's now" }),
        "/api/v1/orgs/{id}/invites" => json!({ "email": "eve@example.org", "role": "member" }),
        "/api/v1/orgs/{id}/members/{userId}" => json!({ "role": "admin" }),
        "/api/v1/orgs/{id}/transfer" => json!({ "userId": bob.user_id }),
        _ => json!({}),
    };

    let mut checked = 0;
    for (verb, path, access) in route_table(&Settings::default()) {
        if !path.contains("{id}") || access != Access::AtLeast(Role::User) {
            continue;
        }
        let id = if path.starts_with("/api/v1/jobs/") {
            &job_id
        } else if path.starts_with("/api/v1/api-keys/") {
            &key_id
        } else if path.starts_with("/api/v1/auth/sessions/") {
            &session_id
        } else if path.starts_with("/api/v1/devices/") {
            &device_id
        } else if path.starts_with("/api/v1/webhooks/") {
            &webhook_id
        } else if path.starts_with("/api/v1/orgs/") {
            &team_id
        } else {
            panic!("{verb} {path} takes an id the IDOR test does not know; add it here");
        };
        let path_with_ids = path
            .replace("{id}", id)
            .replace("{index}", "0")
            .replace("{inviteId}", &invite_id)
            .replace("{userId}", &carol.user_id);
        let mut req = bob.request(verb.clone(), &path_with_ids);
        if verb != Method::GET {
            req = req.json(&body_for(path));
        }
        let answer = bob.send_status_only(req).await;
        assert_eq!(
            answer.status,
            StatusCode::NOT_FOUND,
            "{verb} {path}: {answer:?}"
        );
        assert_eq!(answer.code(), "not_found");
        checked += 1;
    }
    assert!(checked >= 15, "only {checked} routes checked");

    let team = alice.get(&format!("/api/v1/orgs/{team_id}")).await.body;
    assert_eq!(team["org"]["name"], "Alice's team", "bob changed nothing");
    assert_eq!(team["members"].as_array().map(Vec::len), Some(2));
    assert_eq!(team["invites"].as_array().map(Vec::len), Some(1));

    let still = alice.get(&format!("/api/v1/jobs/{job_id}")).await;
    assert_eq!(still.status, StatusCode::OK);
    assert_eq!(still.body["job"]["status"], "queued", "bob changed nothing");
    assert_eq!(
        alice.with_key(&key).get("/api/v1/auth/me").await.status,
        StatusCode::OK
    );
    assert_eq!(alice.get("/api/v1/auth/me").await.status, StatusCode::OK);
    assert_eq!(
        alice.get("/api/v1/webhooks").await.body[0]["id"],
        webhook_id.as_str(),
        "bob deleted nothing"
    );
    let bobs = bob.get("/api/v1/jobs").await;
    assert_eq!(bobs.body["total"], 0, "bob's list never shows alice's job");
}

#[tokio::test]
async fn cookie_writes_need_this_sessions_csrf_token() {
    let server = TestServer::start().await;
    let operator = server.user(Role::Superadmin).await;
    let other = server.user(Role::User).await;
    let foreign_token = other.csrf.clone().expect("token");

    let mut checked = 0;
    for (verb, path, access) in route_table(&Settings::default()) {
        if verb == Method::GET || matches!(access, Access::Public | Access::Agent | Access::Scraper)
        {
            continue;
        }
        let url = format!("{}{}", server.base, with_random_ids(path));
        for token in [None, Some(foreign_token.as_str()), Some("")] {
            let mut req = operator.http.request(verb.clone(), &url).json(&json!({}));
            if let Some(token) = token {
                req = req.header("x-csrf-token", token);
            }
            let answer = operator.send(req).await;
            assert_eq!(
                (answer.status, answer.code()),
                (StatusCode::FORBIDDEN, "csrf_failed"),
                "{verb} {path} with token {token:?}"
            );
        }
        checked += 1;
    }
    assert!(checked >= 15, "only {checked} write routes checked");

    // Nothing slipped through: no key or job was created, the session was not logged out.
    assert_eq!(operator.get("/api/v1/auth/me").await.status, StatusCode::OK);
    assert_eq!(operator.get("/api/v1/api-keys").await.body, json!([]));
    assert_eq!(operator.get("/api/v1/jobs").await.body["total"], 0);
    let events = operator
        .get("/api/v1/admin/security-events?kind=csrf_rejected")
        .await;
    assert_eq!(events.body["total"], checked * 3);

    // With the right token the same write goes through.
    let created = operator
        .post(
            "/api/v1/api-keys",
            json!({ "name": "with token", "currentPassword": cloud::PASSWORD }),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
}

#[tokio::test]
async fn the_openapi_document_lists_every_route() {
    let server = TestServer::start().await;
    let doc = server.anon().get("/api/v1/openapi.json").await;
    assert_eq!(doc.status, StatusCode::OK);
    assert_eq!(doc.body["openapi"], "3.1.0");
    for (verb, path, access) in route_table(&Settings::default()) {
        let documented = path.replace("{*", "{");
        let operation = &doc.body["paths"][documented.as_str()][verb.as_str().to_lowercase()];
        assert!(
            operation.is_object(),
            "{verb} {path} missing from openapi.json"
        );
        assert_eq!(
            operation["x-tseeder-access"],
            access.label(),
            "{verb} {path}"
        );
        assert!(operation["responses"].is_object());
    }
    let paths = doc.body["paths"].as_object().expect("paths");
    let documented: usize = paths
        .values()
        .map(|item| item.as_object().map_or(0, |m| m.len()))
        .sum();
    assert_eq!(
        documented,
        route_table(&Settings::default()).len(),
        "no undocumented extras"
    );
    let schemas = &doc.body["components"]["schemas"];
    for name in ["Job", "JobDetail", "RegisterRequest", "ErrorBody", "User"] {
        assert!(schemas[name].is_object(), "schema {name} missing");
    }
    let refs = doc.body.to_string();
    for reference in refs.split("\"$ref\":\"#/components/schemas/").skip(1) {
        let name = reference.split('"').next().expect("name");
        assert!(schemas[name].is_object(), "dangling $ref to {name}");
    }
}

#[tokio::test]
async fn unknown_paths_and_methods_answer_in_the_error_format() {
    let server = TestServer::start().await;
    let anon = server.anon();
    let missing = anon.get("/api/v1/nope").await;
    assert_eq!(
        (missing.status, missing.code()),
        (StatusCode::NOT_FOUND, "not_found")
    );
    let wrong = anon
        .send(anon.request(Method::PUT, "/api/v1/auth/login"))
        .await;
    assert_eq!(
        (wrong.status, wrong.code()),
        (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed")
    );
}
