//! Job lists that stay fast as data grows: pages follow a cursor exactly (no job twice, none
//! left out), totals stop counting at a cap and say so, and each backend's own planner answers
//! the page from an index, never by sorting or scanning the table.

use cloud::{random_magnet, TestServer};
use reqwest::StatusCode;
use serde_json::json;
use tseeder_cloud::config::Secret;
use tseeder_cloud::jobs::store::{list_jobs_query, JobFilter, TOTAL_CAP};
use tseeder_cloud::store::{Dialect, ToValue, Value};
use tseeder_protocol::Role;
use tseeder_testkit::cloud;
use tseeder_testkit::postgres::{fresh_database, PostgresServer, SHARED_URL};

#[tokio::test]
async fn a_cursor_walks_the_whole_list_once_and_a_long_list_is_counted_to_a_cap() {
    let server = TestServer::start().await;
    server
        .execute_sql(
            "UPDATE plans SET max_active_jobs = 100 WHERE id = 'free'",
            Vec::new(),
        )
        .await;
    let alice = server.user(Role::User).await;
    let mut created = Vec::new();
    for n in 0..7 {
        let answer = alice
            .post(
                "/api/v1/jobs",
                json!({ "magnet": random_magnet(&format!("job-{n}")) }),
            )
            .await;
        assert_eq!(answer.status, StatusCode::CREATED, "{answer:?}");
        created.push(answer.body["job"]["id"].as_str().expect("id").to_owned());
    }
    let by_number = alice.get("/api/v1/jobs?perPage=100").await.body;
    let newest_first: Vec<&str> = by_number["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|job| job["id"].as_str().expect("id"))
        .collect();
    assert_eq!(newest_first.len(), 7);
    assert_eq!(by_number["total"], 7);
    assert_eq!(by_number["totalCapped"], false);

    let mut walked = Vec::new();
    let mut path = "/api/v1/jobs?perPage=3".to_owned();
    loop {
        let page = alice.get(&path).await;
        assert_eq!(page.status, StatusCode::OK, "{page:?}");
        for job in page.body["items"].as_array().expect("items") {
            walked.push(job["id"].as_str().expect("id").to_owned());
        }
        match page.body["nextCursor"].as_str() {
            Some(cursor) => path = format!("/api/v1/jobs?perPage=3&after={cursor}"),
            None => break,
        }
    }
    assert_eq!(
        walked, newest_first,
        "the cursor pages are the list, in order"
    );

    let bad = alice.get("/api/v1/jobs?after=not-a-cursor").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.code(), "invalid_query");

    // More jobs than the cap: the total stops there and says so; a page still answers.
    server
        .execute_sql(
            "INSERT INTO jobs (id, user_id, name, source, info_hash, status, created_at, updated_at)
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10050)
             SELECT 'bulk-' || i, ?1, 'bulk', 'magnet', 'hash-' || i, 'completed', i, i FROM n",
            vec![alice.user_id.to_value()],
        )
        .await;
    let capped = alice.get("/api/v1/jobs?perPage=50").await.body;
    assert_eq!(capped["total"], TOTAL_CAP);
    assert_eq!(capped["totalCapped"], true);
    assert_eq!(capped["items"].as_array().expect("items").len(), 50);
    assert!(created.iter().all(|id| capped["items"]
        .as_array()
        .expect("items")
        .iter()
        .any(|job| job["id"] == id.as_str())));
}

/// What the backend's planner says it would do for `sql`, one line per step.
async fn plan(server: &TestServer, sql: String, values: Vec<Value>) -> String {
    server
        .services
        .db()
        .call(move |tx| {
            let lines = match tx.dialect() {
                Dialect::Sqlite => tx
                    .query(&format!("EXPLAIN QUERY PLAN {sql}"), &values)?
                    .iter()
                    .map(|row| row.get::<_, String>("detail"))
                    .collect::<Result<Vec<_>, _>>()?,
                Dialect::Postgres => {
                    // A small table is cheaper to scan: ask what the indexes allow.
                    tx.execute("SET LOCAL enable_seqscan = off", &[])?;
                    tx.query(&format!("EXPLAIN {sql}"), &values)?
                        .iter()
                        .map(|row| row.get::<_, String>(0))
                        .collect::<Result<Vec<_>, _>>()?
                }
            };
            Ok(lines.join("\n"))
        })
        .await
        .expect("explain")
}

async fn assert_served_by_indexes(server: &TestServer) {
    let dialect = server.services.db().dialect();
    let user = JobFilter {
        user_id: Some("someone".into()),
        limit: 50,
        ..JobFilter::default()
    };
    let next_page = JobFilter {
        after: Some((1_700_000_000_000, "01a2".into())),
        ..user.clone()
    };
    let everyone = JobFilter {
        user_id: None,
        ..user.clone()
    };
    for (filter, index) in [
        (&user, "jobs_by_user_page"),
        (&next_page, "jobs_by_user_page"),
        (&everyone, "jobs_by_created"),
    ] {
        let query = list_jobs_query(dialect, filter);
        let rows = plan(server, query.rows.clone(), query.values.clone()).await;
        assert!(
            rows.contains(index),
            "{dialect:?} pages {filter:?} by {index}:\n{rows}"
        );
        assert!(
            !rows.contains("TEMP B-TREE") && !rows.contains("Sort"),
            "{dialect:?} sorts the whole list for {filter:?}:\n{rows}"
        );
        // A total reads at most the cap's rows, from an index when a user is named.
        assert!(
            query.count.contains(&format!("LIMIT {}", TOTAL_CAP + 1)),
            "{}",
            query.count
        );
        if filter.user_id.is_some() {
            let count = plan(
                server,
                query.count.clone(),
                query.values[..query.count_values].to_vec(),
            )
            .await;
            assert!(
                count.contains(index),
                "{dialect:?} counts {filter:?}:\n{count}"
            );
            assert!(!count.contains("Seq Scan"), "{count}");
        }
    }
}

#[tokio::test]
async fn each_planner_pages_the_lists_from_an_index() {
    let sqlite = TestServer::start_with(|s| s.database.url = None).await;
    assert_served_by_indexes(&sqlite).await;

    let (server_url, _own) = match std::env::var(SHARED_URL) {
        Ok(url) if !url.is_empty() => (url, None),
        _ => {
            let own = PostgresServer::start();
            (own.url.clone(), Some(own))
        }
    };
    let database = fresh_database(&server_url).await;
    let postgres = TestServer::start_with(|s| s.database.url = Some(Secret::new(database))).await;
    assert_served_by_indexes(&postgres).await;
}
