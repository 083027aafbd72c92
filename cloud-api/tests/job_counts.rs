//! A job list's total comes from counts the database keeps beside the jobs (`job_counts`, and
//! on PostgreSQL the changes not yet folded in). Whatever changes the jobs (inserts, status
//! moves of many rows at once, a job moving organization, deletes and their cascades, writers
//! racing in opposite directions) every count stays the jobs' own, on both backends.

use cloud::TestServer;
use tseeder_cloud::jobs::store::counted_jobs;
use tseeder_cloud::store::{Dialect, ToValue, Value};
use tseeder_protocol::{JobStatus, Role};
use tseeder_testkit::cloud;

const STATUSES: [JobStatus; 3] = [
    JobStatus::Queued,
    JobStatus::Downloading,
    JobStatus::Completed,
];

/// Asks every view a list can have (an organization, each member in it, each status, both) for
/// its total, and compares it with counting the jobs themselves.
async fn assert_counts_are_the_jobs(server: &TestServer, orgs: &[String], users: &[String]) {
    let mut views = Vec::new();
    for org in orgs {
        for user in std::iter::once(None).chain(users.iter().cloned().map(Some)) {
            for status in std::iter::once(None).chain(STATUSES.map(Some)) {
                views.push((org.clone(), user.clone(), status));
            }
        }
    }
    let compared = server
        .services
        .db()
        .call(move |tx| {
            views
                .iter()
                .map(|(org, user, status)| {
                    let (user, status) = (user.as_deref(), *status);
                    let counted = counted_jobs(tx, org, user, status)?;
                    let jobs: i64 = tx.query_row(
                        "SELECT COUNT(*) FROM jobs WHERE org_id = ?1
                         AND user_id = COALESCE(?2, user_id) AND status = COALESCE(?3, status)",
                        &[
                            org.to_value(),
                            user.to_value(),
                            status.map(JobStatus::as_str).to_value(),
                        ],
                        |row| row.get(0),
                    )?;
                    Ok((format!("{org} {user:?} {status:?}"), counted, jobs as u64))
                })
                .collect::<Result<Vec<_>, _>>()
        })
        .await
        .expect("counts");
    for (view, counted, jobs) in compared {
        assert_eq!(counted, jobs, "the total of {view}");
    }
}

async fn rows_where(server: &TestServer, sql: &'static str) -> i64 {
    server
        .services
        .db()
        .call(move |tx| tx.query_row(sql, &[], |row| row.get(0)))
        .await
        .expect("rows")
}

#[tokio::test]
async fn job_counts_stay_the_jobs_own_through_every_change() {
    let server = TestServer::start().await;
    let alice = server.user(Role::User).await;
    let bob = server.user(Role::User).await;
    let carol = server.user(Role::User).await;
    let users = vec![
        alice.user_id.clone(),
        bob.user_id.clone(),
        carol.user_id.clone(),
    ];
    let orgs: Vec<String> = users.iter().map(|user| format!("org_{user}")).collect();

    // 90 jobs: alice's and bob's in alice's organization, the rest in their own, spread over
    // three statuses.
    for n in 0..90usize {
        let user = &users[n % 2];
        let org = if n % 5 == 0 { &orgs[n % 2] } else { &orgs[0] };
        server
            .execute_sql(
                "INSERT INTO jobs (id, user_id, org_id, name, source, info_hash, status,
                                   created_at, updated_at)
                 VALUES (?1, ?2, ?3, 'counted', 'magnet', ?1, ?4, ?5, ?5)",
                vec![
                    format!("counted-{n}").to_value(),
                    user.to_value(),
                    org.to_value(),
                    STATUSES[n % 3].as_str().to_value(),
                    (n as i64).to_value(),
                ],
            )
            .await;
    }
    assert_counts_are_the_jobs(&server, &orgs, &users).await;

    // Many rows at once, between statuses.
    server
        .execute_sql(
            "UPDATE jobs SET status = 'downloading' WHERE status = 'queued' AND user_id = ?1",
            vec![alice.user_id.to_value()],
        )
        .await;
    // A job moving to another organization and member, and one whose status does not change.
    server
        .execute_sql(
            "UPDATE jobs SET org_id = ?1, user_id = ?2 WHERE id = 'counted-1'",
            vec![orgs[2].to_value(), carol.user_id.to_value()],
        )
        .await;
    server
        .execute_sql(
            "UPDATE jobs SET status = status, downloaded_bytes = 7 WHERE id = 'counted-2'",
            Vec::new(),
        )
        .await;
    assert_counts_are_the_jobs(&server, &orgs, &users).await;

    // Deletes, and the jobs a deleted user's account takes with it.
    server
        .execute_sql(
            "DELETE FROM jobs WHERE status = 'completed' AND org_id = ?1",
            vec![orgs[0].to_value()],
        )
        .await;
    server
        .execute_sql(
            "DELETE FROM users WHERE id = ?1",
            vec![carol.user_id.to_value()],
        )
        .await;
    assert_counts_are_the_jobs(&server, &orgs, &users).await;

    // Writers racing: each flips its own five of alice's jobs between queued and downloading,
    // in one statement, rows going both ways, so that all of them move the same two counts at
    // once in opposite directions. Counting must never make them wait on one another or
    // deadlock: every change succeeds.
    let alices = server
        .services
        .db()
        .call({
            let alice = alice.user_id.clone();
            move |tx| {
                tx.query(
                    "SELECT id FROM jobs WHERE user_id = ?1
                     AND status IN ('queued', 'downloading') ORDER BY id",
                    &[alice.to_value()],
                )?
                .iter()
                .map(|row| row.get::<_, String>("id"))
                .collect::<Result<Vec<_>, _>>()
            }
        })
        .await
        .expect("alice's jobs");
    assert!(alices.len() >= 20, "{alices:?}");
    let mut writers = Vec::new();
    for own in alices.chunks(5).take(4) {
        let db = server.services.db().clone();
        let own: Vec<Value> = own.iter().map(|id| id.to_value()).collect();
        writers.push(tokio::spawn(async move {
            for _ in 0..15 {
                let own = own.clone();
                db.transaction(move |tx| {
                    let placeholders: Vec<String> =
                        (1..=own.len()).map(|n| format!("?{n}")).collect();
                    tx.execute(
                        &format!(
                            "UPDATE jobs SET status = CASE status WHEN 'queued' THEN 'downloading'
                                                                  ELSE 'queued' END
                             WHERE id IN ({})",
                            placeholders.join(", ")
                        ),
                        &own,
                    )?;
                    Ok(())
                })
                .await
                .expect("a racing writer's change");
            }
        }));
    }
    for writer in writers {
        writer.await.expect("a writer");
    }
    assert_counts_are_the_jobs(&server, &orgs, &users).await;

    // Folding the changes in (PostgreSQL) leaves none pending and the same totals; no count of
    // zero is kept on either backend.
    server.services.jobs().fold_counts().await.expect("a fold");
    assert_counts_are_the_jobs(&server, &orgs, &users).await;
    if server.services.db().dialect() == Dialect::Postgres {
        assert_eq!(
            rows_where(&server, "SELECT COUNT(*) FROM job_count_changes").await,
            0
        );
    }
    assert_eq!(
        rows_where(&server, "SELECT COUNT(*) FROM job_counts WHERE jobs = 0").await,
        0
    );
    assert!(rows_where(&server, "SELECT COUNT(*) FROM job_counts").await > 0);
}
