//! The operators' global search, on both backends (the suite runs again on PostgreSQL): users
//! by email or id, jobs by name, info hash or id, agents by name or region, audit entries by
//! action, actor, target or ticket; grouped and counted, exact matches first, paged; renamed and
//! deleted rows follow at once; only support and above may search; and no query text is syntax.

use reqwest::StatusCode;
use serde_json::{json, Value};
use tseeder_protocol::Role;
use tseeder_testkit::cloud::{issue_agent_token, Client, TestServer, PASSWORD};

async fn account(server: &TestServer, email: &str) -> Client {
    server
        .services
        .admin()
        .create_user_directly(email, PASSWORD.to_owned(), Role::User)
        .await
        .expect("user");
    let mut client = server.anon();
    client.login(email, PASSWORD).await;
    client
}

fn group<'a>(results: &'a Value, kind: &str) -> &'a Value {
    results["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .find(|g| g["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} group in {results}"))
}

fn titles(group: &Value) -> Vec<String> {
    group["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["title"].as_str().expect("title").to_owned())
        .collect()
}

async fn search(client: &Client, query: &str) -> Value {
    let encoded: String = url::form_urlencoded::byte_serialize(query.as_bytes()).collect();
    let answer = client
        .get(&format!("/api/v1/admin/search?q={encoded}"))
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{query}: {answer:?}");
    answer.body
}

#[tokio::test]
async fn support_finds_users_jobs_agents_and_audit_entries_by_any_of_their_words() {
    let server = TestServer::start().await;
    let admin = server.user(Role::Admin).await;
    let support = server.user(Role::Support).await;
    let alice = account(&server, "alice@example.org").await;
    account(&server, "alicia.keys@example.net").await;
    let hash = "c0ffee".repeat(6) + "c0ff";
    let job = alice
        .post(
            "/api/v1/jobs",
            json!({ "magnet": format!("magnet:?xt=urn:btih:{hash}&dn=Ubuntu%2024.04%20Desktop") }),
        )
        .await;
    assert_eq!(job.status, StatusCode::CREATED, "{job:?}");
    let job_id = job.body["job"]["id"].as_str().expect("id").to_owned();
    issue_agent_token(&admin, "frankfurt-7", "eu-central").await;
    let suspended = admin
        .post(
            &format!("/api/v1/admin/users/{}/suspend", alice.user_id),
            json!({ "reason": "shares links to malware", "ticketId": "SUP-7731" }),
        )
        .await;
    assert_eq!(suspended.status, StatusCode::OK, "{suspended:?}");

    // An email by its first part: the exact address first, and counted.
    let found = search(&support, "alic").await;
    let users = group(&found, "user");
    assert_eq!(users["total"], 2, "{found}");
    let found = search(&support, "alice@example.org").await;
    let users = group(&found, "user");
    assert_eq!(titles(users)[0], "alice@example.org");
    assert_eq!(
        users["items"][0]["link"],
        format!("/admin/users/{}", alice.user_id)
    );
    assert!(users["items"][0]["subtitle"]
        .as_str()
        .is_some_and(|s| s.contains("suspended")));
    // By id.
    let by_id = search(&support, &alice.user_id).await;
    assert_eq!(titles(group(&by_id, "user"))[0], "alice@example.org");

    // A job by a word of its name, by the start of its hash, by its id.
    for query in ["ubuntu desk", &hash[..10], &job_id] {
        let found = search(&support, query).await;
        let jobs = group(&found, "job");
        assert_eq!(
            titles(jobs),
            vec!["Ubuntu 24.04 Desktop"],
            "{query}: {found}"
        );
        let hit = &jobs["items"][0];
        assert!(hit["subtitle"]
            .as_str()
            .is_some_and(|s| s.contains("alice@example.org")));
        assert!(hit["link"]
            .as_str()
            .is_some_and(|l| l.starts_with(&format!("/admin/jobs?userId={}", alice.user_id))));
    }

    // An agent by name or region.
    for query in ["frankfurt", "eu-central"] {
        let found = search(&support, query).await;
        assert_eq!(
            titles(group(&found, "agent")),
            vec!["frankfurt-7"],
            "{query}"
        );
    }

    // The audit entry by its action, its ticket and its reason.
    for query in ["user.suspend", "SUP-7731", "malware"] {
        let found = search(&support, query).await;
        let audit = group(&found, "audit");
        assert_eq!(titles(audit), vec!["user.suspend"], "{query}: {found}");
        assert_eq!(
            audit["items"][0]["link"],
            format!("/admin/audit?targetId={}", alice.user_id)
        );
    }

    // A word nobody has finds nothing, in every group.
    let nothing = search(&support, "zebra").await;
    assert!(nothing["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .all(|g| g["total"] == 0 && g["items"] == json!([])));

    // Deleting the job takes it out at once.
    assert_eq!(
        alice.delete(&format!("/api/v1/jobs/{job_id}")).await.status,
        StatusCode::UNAUTHORIZED,
        "alice is suspended"
    );
    server
        .execute_sql(
            "DELETE FROM jobs WHERE id = ?1",
            vec![tseeder_cloud::store::Value::Text(job_id.clone())],
        )
        .await;
    assert_eq!(group(&search(&support, "ubuntu").await, "job")["total"], 0);
}

#[tokio::test]
async fn one_kind_is_paged_and_everyone_below_support_is_refused() {
    let server = TestServer::start().await;
    let support = server.user(Role::Support).await;
    for n in 0..7 {
        account(&server, &format!("pager-{n}@example.org")).await;
    }
    let first = support
        .get("/api/v1/admin/search?q=pager&kind=user&perPage=3&page=1")
        .await;
    let third = support
        .get("/api/v1/admin/search?q=pager&kind=user&perPage=3&page=3")
        .await;
    assert_eq!(first.body["groups"].as_array().map(Vec::len), Some(1));
    let group = &first.body["groups"][0];
    assert_eq!(
        (group["total"].clone(), group["perPage"].clone()),
        (json!(7), json!(3))
    );
    assert_eq!(group["items"].as_array().map(Vec::len), Some(3));
    assert_eq!(
        third.body["groups"][0]["items"].as_array().map(Vec::len),
        Some(1)
    );
    let mut seen: Vec<String> = Vec::new();
    for page in 1..=3 {
        let answer = support
            .get(&format!(
                "/api/v1/admin/search?q=pager&kind=user&perPage=3&page={page}"
            ))
            .await;
        seen.extend(titles(&answer.body["groups"][0]));
    }
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 7, "every match once across the pages: {seen:?}");

    // Query text is never syntax, on either backend.
    for query in [
        "\" OR 1=1 --",
        "*",
        "NEAR(a b)",
        "a:* | b",
        "'); DROP TABLE users; --",
    ] {
        let encoded: String = url::form_urlencoded::byte_serialize(query.as_bytes()).collect();
        let answer = support
            .get(&format!("/api/v1/admin/search?q={encoded}"))
            .await;
        assert!(
            answer.status == StatusCode::OK || answer.code() == "invalid_query",
            "{query}: {answer:?}"
        );
    }
    let empty = support.get("/api/v1/admin/search?q=%20-.").await;
    assert_eq!(
        (empty.status, empty.code()),
        (StatusCode::BAD_REQUEST, "invalid_query")
    );

    let user = server.user(Role::User).await;
    let refused = user.get("/api/v1/admin/search?q=pager").await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(
        server
            .anon()
            .get("/api/v1/admin/search?q=pager")
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}
