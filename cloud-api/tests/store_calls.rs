//! What the store promises its callers, the same on SQLite and on PostgreSQL (the suite runs on
//! both): a call's statements each stand alone, and a unit of work's stand or fall together.

use cloud::TestServer;
use tseeder_cloud::store::{DbResult, ToValue, Tx};
use tseeder_testkit::cloud;

async fn rows(server: &TestServer, table: &'static str) -> i64 {
    server
        .services
        .db()
        .call(move |tx| {
            tx.query_row(&format!("SELECT COUNT(*) FROM {table}"), &[], |row| {
                row.get(0)
            })
        })
        .await
        .expect("count")
}

/// Writes a row to `table`, then runs a statement the database refuses.
fn write_then_fail(table: &'static str) -> impl FnMut(&Tx<'_>) -> DbResult<()> + Send + 'static {
    move |tx| {
        tx.execute(
            &format!("INSERT INTO {table} (n) VALUES (?1)"),
            &[1i64.to_value()],
        )?;
        tx.execute("SELECT * FROM no_such_table", &[])?;
        Ok(())
    }
}

#[tokio::test]
async fn a_calls_statements_stand_alone_and_a_units_fall_together() {
    let server = TestServer::start().await;
    let db = server.services.db();
    for table in ["called", "united"] {
        let sql = format!("CREATE TABLE {table} (n INTEGER NOT NULL)");
        db.call(move |tx| tx.execute(&sql, &[]).map(drop))
            .await
            .expect("a scratch table");
    }

    let called = db.call(write_then_fail("called")).await;
    assert!(
        called.is_err(),
        "the refused statement's error is the call's"
    );
    assert_eq!(
        rows(&server, "called").await,
        1,
        "the write before it stands on its own"
    );

    let united = db.transaction(write_then_fail("united")).await;
    assert!(
        united.is_err(),
        "the refused statement's error is the unit's"
    );
    assert_eq!(
        rows(&server, "united").await,
        0,
        "the write before it went with it"
    );
}
