//! Lists that stay fast as data grows (a user's jobs, operator jobs, users, the audit log,
//! security events, dead letters): pages follow a cursor exactly (no row twice, none left out),
//! an organization's job totals come from counts the database keeps and other totals stop
//! counting at a cap and say so, and each backend's own planner answers the page
//! from an index, never by sorting or scanning the table.

use cloud::{random_magnet, TestServer};
use reqwest::StatusCode;
use serde_json::json;
use tseeder_cloud::accounts::store::{search_users_query, UserFilter};
use tseeder_cloud::agents::store::agent_by_id_sql;
use tseeder_cloud::config::Secret;
use tseeder_cloud::dispatch::store::dead_letters_query;
use tseeder_cloud::jobs::store::{counted_jobs_query, list_jobs_query, JobFilter, TOTAL_CAP};
use tseeder_cloud::plans::store::{RESERVED_BYTES_SQL, STORED_BYTES_SQL};
use tseeder_cloud::store::{Cursor, Dialect, ToValue, Value, LOOKAHEAD_PAGES};
use tseeder_protocol::{JobStatus, Role};
use tseeder_testkit::cloud;
use tseeder_testkit::postgres::{fresh_database, PostgresServer, SHARED_URL};

#[tokio::test]
async fn a_cursor_walks_the_whole_list_once_and_long_lists_are_counted_exactly_or_to_a_cap() {
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

    // A long list: an organization's total is exact whatever its length, by status too, as
    // the database keeps the counts; a search of it counts ten pages ahead of the page asked
    // for (never more than the cap) and says so. Pages still answer.
    server
        .execute_sql(
            "INSERT INTO jobs (id, user_id, org_id, name, source, info_hash, status, created_at,
                               updated_at)
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10050)
             SELECT 'bulk-' || i, ?1, 'org_' || ?1, 'bulk', 'magnet', 'hash-' || i, 'completed',
                    i, i FROM n",
            vec![alice.user_id.to_value()],
        )
        .await;
    let first = alice.get("/api/v1/jobs?perPage=50").await.body;
    assert_eq!(first["total"], 10_057);
    assert_eq!(first["totalCapped"], false);
    assert_eq!(first["items"].as_array().expect("items").len(), 50);
    assert!(created.iter().all(|id| first["items"]
        .as_array()
        .expect("items")
        .iter()
        .any(|job| job["id"] == id.as_str())));
    let completed = alice
        .get("/api/v1/jobs?perPage=50&status=completed")
        .await
        .body;
    assert_eq!(completed["total"], 10_050);
    assert_eq!(completed["totalCapped"], false);
    let deepest = alice.get("/api/v1/jobs?perPage=50&page=199").await.body;
    assert_eq!(deepest["total"], 10_057);
    assert_eq!(deepest["items"].as_array().expect("items").len(), 50);
    let last = alice.get("/api/v1/jobs?perPage=50&page=202").await.body;
    assert_eq!(last["items"].as_array().expect("items").len(), 7);

    let searched = alice.get("/api/v1/jobs?perPage=50&q=bulk").await.body;
    assert_eq!(searched["total"], 50 * LOOKAHEAD_PAGES);
    assert_eq!(searched["totalCapped"], true);
    assert_eq!(searched["items"].as_array().expect("items").len(), 50);
    let deep = alice
        .get("/api/v1/jobs?perPage=50&page=100&q=bulk")
        .await
        .body;
    assert_eq!(deep["total"], 99 * 50 + 50 * LOOKAHEAD_PAGES);
    let deepest = alice
        .get("/api/v1/jobs?perPage=50&page=199&q=bulk")
        .await
        .body;
    assert_eq!(deepest["total"], TOTAL_CAP);
    assert_eq!(deepest["totalCapped"], true);
    assert_eq!(deepest["items"].as_array().expect("items").len(), 50);
}

/// Follows `nextCursor` from the first page of `list` (3 a page) to the end, returning each
/// item's `key`.
async fn walk(client: &cloud::Client, list: &str, key: &str) -> Vec<String> {
    let mut walked = Vec::new();
    let join = if list.contains('?') { '&' } else { '?' };
    let mut path = format!("{list}{join}perPage=3");
    loop {
        let page = client.get(&path).await;
        assert_eq!(page.status, StatusCode::OK, "{page:?}");
        for item in page.body["items"].as_array().expect("items") {
            walked.push(item.pointer(key).expect("key").to_string());
        }
        match page.body["nextCursor"].as_str() {
            Some(cursor) => path = format!("{list}{join}perPage=3&after={cursor}"),
            None => return walked,
        }
    }
}

/// Every item's `key` on one page by number.
async fn all_by_number(client: &cloud::Client, list: &str, key: &str) -> Vec<String> {
    let page = client.get(&format!("{list}?perPage=100")).await;
    assert_eq!(page.status, StatusCode::OK, "{page:?}");
    assert_eq!(page.body["totalCapped"], false);
    page.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|item| item.pointer(key).expect("key").to_string())
        .collect()
}

#[tokio::test]
async fn the_operator_lists_page_by_cursor_too() {
    let server = TestServer::start().await;
    let support = server.user(Role::Support).await;
    // Rows that share their sort time, so only the id tells them apart.
    server
        .execute_sql(
            "INSERT INTO users (id, email, password_hash, created_at, updated_at)
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 11)
             SELECT 'listed-' || i, 'listed-' || i || '@example.org', 'x', 5 + i / 4, 5 FROM n",
            Vec::new(),
        )
        .await;
    server
        .execute_sql(
            "INSERT INTO organizations (id, name, personal_of, created_at, updated_at)
             VALUES ('org_listed-1', 'Personal', 'listed-1', 5, 5)",
            Vec::new(),
        )
        .await;
    server
        .execute_sql(
            "INSERT INTO jobs (id, user_id, org_id, name, source, info_hash, status, dead_lettered,
                               attempts, created_at, updated_at)
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10)
             SELECT 'dead-' || i, 'listed-1', 'org_listed-1', 'dead', 'magnet', 'hash-' || i, 'failed', 1, 3,
                    i, 100 + i / 3 FROM n",
            Vec::new(),
        )
        .await;
    server
        .execute_sql(
            "INSERT INTO audit_log (actor_email, action, target_type, target_id, created_at)
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 8)
             SELECT 'ops@example.org', 'user.suspend', 'user', 'listed-' || i, 7 FROM n",
            Vec::new(),
        )
        .await;
    server
        .execute_sql(
            "INSERT INTO security_events (kind, email, created_at)
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 8)
             SELECT 'login_failed', 'listed-' || i || '@example.org', 7 FROM n",
            Vec::new(),
        )
        .await;
    for (list, key, at_least) in [
        ("/api/v1/admin/users", "/id", 12),
        ("/api/v1/admin/dead-letters", "/job/id", 10),
        ("/api/v1/admin/audit", "/id", 8),
        ("/api/v1/admin/security-events", "/id", 8),
    ] {
        let by_number = all_by_number(&support, list, key).await;
        assert!(by_number.len() >= at_least, "{list}: {by_number:?}");
        let mut unique = by_number.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), by_number.len(), "{list} lists a row twice");
        assert_eq!(
            walk(&support, list, key).await,
            by_number,
            "{list}: the cursor pages are the list, in order"
        );
        let empty = support.get(&format!("{list}?after=")).await;
        assert_eq!(
            empty.status,
            StatusCode::OK,
            "{list}: an empty cursor is the start"
        );
        let bad = support.get(&format!("{list}?after=not-a-cursor")).await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{list}");
        assert_eq!(bad.code(), "invalid_query");
    }
    // The user search narrows, and still pages by cursor.
    let searched = walk(&support, "/api/v1/admin/users?q=listed-1", "/id").await;
    assert_eq!(searched.len(), 3, "listed-1, -10 and -11: {searched:?}");
}

/// What the backend's planner says it would do for `sql`, one line per step.
async fn plan(server: &TestServer, sql: String, values: Vec<Value>) -> String {
    // One transaction: the planner settings below hold for it alone.
    server
        .services
        .db()
        .transaction(move |tx| {
            let lines = match tx.dialect() {
                Dialect::Sqlite => tx
                    .query(&format!("EXPLAIN QUERY PLAN {sql}"), &values)?
                    .iter()
                    .map(|row| row.get::<_, String>("detail"))
                    .collect::<Result<Vec<_>, _>>()?,
                Dialect::Postgres => {
                    // A small table is cheaper to scan, or to gather by bitmap and sort: ask
                    // what the indexes allow, as with the many rows these lists are for.
                    tx.execute("SET LOCAL enable_seqscan = off", &[])?;
                    tx.execute("SET LOCAL enable_bitmapscan = off", &[])?;
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

/// Jobs as a real store holds them, so that PostgreSQL's planner chooses by statistics, not
/// between indexes that an empty table makes equally cheap: 8,000 jobs of twenty users in ten
/// organizations; `org_someone` is a team with a tenth of them, a quarter of those its member
/// `someone`'s, one in thirty failed, where elsewhere a third failed.
async fn seed_a_team(server: &TestServer) {
    let statements = [
        "INSERT INTO users (id, email, password_hash, created_at, updated_at)
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20)
         SELECT CASE WHEN i = 1 THEN 'someone' ELSE 'member-' || i END,
                'member-' || i || '@team.test', 'x', i, i FROM n",
        "INSERT INTO organizations (id, name, personal_of, created_at, updated_at)
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10)
         SELECT CASE WHEN i = 1 THEN 'org_someone' ELSE 'org-' || i END, 'Team', NULL, i, i
         FROM n",
        "INSERT INTO jobs (id, user_id, org_id, name, source, info_hash, status, created_at,
                           updated_at)
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 8000)
         SELECT 'team-' || i,
                CASE WHEN i % 40 = 0 THEN 'someone' ELSE 'member-' || (2 + i % 19) END,
                CASE WHEN i % 10 = 0 THEN 'org_someone' ELSE 'org-' || (1 + i % 10) END,
                'job ' || i, 'magnet', 't' || i,
                CASE WHEN i % 300 = 0 OR (i % 10 <> 0 AND i % 3 = 0) THEN 'failed'
                     ELSE 'completed' END,
                1000 + i, 1000 + i
         FROM n",
    ];
    server
        .services
        .db()
        .call(move |tx| {
            for sql in statements {
                tx.execute(sql, &[])?;
            }
            // PostgreSQL's autovacuum gathers statistics on its own; the server never runs
            // ANALYZE on SQLite, whose planner then goes by its built-in estimates.
            if tx.dialect() == Dialect::Postgres {
                tx.execute("ANALYZE", &[])?;
            }
            Ok(())
        })
        .await
        .expect("seed a team");
}

async fn assert_served_by_indexes(server: &TestServer) {
    seed_a_team(server).await;
    let dialect = server.services.db().dialect();
    // An owner's or admin's view of an organization's jobs.
    let org = JobFilter {
        org_id: Some("org_someone".into()),
        limit: 50,
        ..JobFilter::default()
    };
    let next_page = JobFilter {
        after: Some(Cursor {
            at: 1_700_000_000_000,
            id: "01a2".into(),
        }),
        ..org.clone()
    };
    // A member's own jobs in it.
    let member = JobFilter {
        user_id: Some("someone".into()),
        ..org.clone()
    };
    // An organization's jobs in one status: failed ones are a few among thousands.
    let failed = JobFilter {
        status: Some(JobStatus::Failed),
        ..org.clone()
    };
    let everyone = JobFilter {
        org_id: None,
        ..org.clone()
    };
    // Everyone's failed jobs (the operators' list by status).
    let everyone_failed = JobFilter {
        org_id: None,
        ..failed.clone()
    };
    // Keyed by both: the organization's index alone would walk every member's jobs to find
    // this one's, and the user's would walk their jobs in every organization.
    let member_indexes: &[&str] = &["jobs_by_org_member_page"];
    for (filter, indexes) in [
        (&org, &["jobs_by_org_page"][..]),
        (&next_page, &["jobs_by_org_page"][..]),
        (&member, member_indexes),
        (&failed, &["jobs_by_org_status_page"][..]),
        (&everyone, &["jobs_by_created"][..]),
        (&everyone_failed, &["jobs_by_status_page"][..]),
    ] {
        let query = list_jobs_query(dialect, filter, filter.org_id.is_none());
        let rows = plan(server, query.rows.clone(), query.values.clone()).await;
        assert!(
            indexes.iter().any(|index| rows.contains(index)),
            "{dialect:?} pages {filter:?} by {indexes:?}:\n{rows}"
        );
        assert!(
            !rows.contains("TEMP B-TREE") && !rows.contains("Sort"),
            "{dialect:?} sorts the whole list for {filter:?}:\n{rows}"
        );
        // A total reads at most ten pages' rows, from an index when an organization is named.
        assert!(
            query
                .count
                .contains(&format!("LIMIT {}", 50 * LOOKAHEAD_PAGES + 1)),
            "{}",
            query.count
        );
        // An organization's total reads its counts by their key, never the jobs.
        if let Some(org_id) = &filter.org_id {
            let (sql, values) =
                counted_jobs_query(dialect, org_id, filter.user_id.as_deref(), filter.status);
            let count = plan(server, sql, values).await;
            assert!(
                !count.contains("jobs_by") && !count.contains("on jobs "),
                "{dialect:?} counts {filter:?} from the jobs:\n{count}"
            );
            let keys: &[&str] = match dialect {
                Dialect::Sqlite => &["job_counts USING PRIMARY KEY"],
                Dialect::Postgres => &["job_counts_pkey", "job_count_changes_by_key"],
            };
            assert!(
                keys.iter().all(|key| count.contains(key)),
                "{dialect:?} counts {filter:?} by {keys:?}:\n{count}"
            );
        }
    }
}

/// The operators' user list and dead-letter queue: each page read in index order.
async fn assert_operator_lists_served_by_indexes(server: &TestServer) {
    let dialect = server.services.db().dialect();
    let cursor = Cursor {
        at: 1_700_000_000_000,
        id: "01a2".into(),
    };
    let users = UserFilter {
        limit: 50,
        ..UserFilter::default()
    };
    let users_later = UserFilter {
        after: Some(cursor.clone()),
        ..users.clone()
    };
    for (query, index) in [
        (search_users_query(dialect, &users), "users_by_created"),
        (
            search_users_query(dialect, &users_later),
            "users_by_created",
        ),
        (dead_letters_query(50, 0, None), "jobs_dead_letters"),
        (
            dead_letters_query(50, 0, Some(&cursor)),
            "jobs_dead_letters",
        ),
    ] {
        let rows = plan(server, query.rows.clone(), query.values.clone()).await;
        assert!(
            rows.contains(index),
            "{dialect:?} pages by {index}:\n{rows}"
        );
        assert!(
            !rows.contains("TEMP B-TREE") && !rows.contains("Sort"),
            "{dialect:?} sorts the whole list:\n{rows}"
        );
    }
}

/// The sums every claim and submission checks a quota with: an organization's reservations and
/// stored bytes, each from its own index rather than every job the organization ever had.
async fn assert_quota_sums_served_by_indexes(server: &TestServer) {
    let dialect = server.services.db().dialect();
    let org = "org_someone".to_value();
    for (sql, values, index) in [
        (
            RESERVED_BYTES_SQL,
            vec![org.clone(), Some("a-job").to_value()],
            "jobs_reserving_by_org",
        ),
        (STORED_BYTES_SQL, vec![org.clone()], "objects_by_org"),
    ] {
        let steps = plan(server, sql.to_owned(), values).await;
        assert!(
            steps.contains(index),
            "{dialect:?} sums by {index}:\n{steps}"
        );
        assert!(
            !steps.contains("jobs_by_org_page"),
            "{dialect:?} walks the organization's jobs:\n{steps}"
        );
    }
}

/// The agent lookup every claim and report makes counts the agent's jobs from its leased jobs
/// alone, never from all jobs in a status.
async fn assert_agent_lookup_reads_its_leased_jobs(server: &TestServer) {
    let dialect = server.services.db().dialect();
    let steps = plan(server, agent_by_id_sql(), vec!["agent-1".to_value()]).await;
    assert!(
        !steps.contains("jobs_by_status"),
        "{dialect:?} counts an agent's jobs through a status index:\n{steps}"
    );
    if dialect == Dialect::Sqlite {
        assert_eq!(
            steps.matches("jobs_leased_by_agent").count(),
            2,
            "both counts read the agent's leased jobs:\n{steps}"
        );
    }
}

#[tokio::test]
async fn each_planner_pages_the_lists_from_an_index() {
    let sqlite = TestServer::start_with(|s| s.database.url = None).await;
    assert_served_by_indexes(&sqlite).await;
    assert_operator_lists_served_by_indexes(&sqlite).await;
    assert_quota_sums_served_by_indexes(&sqlite).await;
    assert_agent_lookup_reads_its_leased_jobs(&sqlite).await;

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
    assert_operator_lists_served_by_indexes(&postgres).await;
    assert_quota_sums_served_by_indexes(&postgres).await;
    assert_agent_lookup_reads_its_leased_jobs(&postgres).await;
}
