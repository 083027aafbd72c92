//! Moving a deployment from one store to another (SQLite to PostgreSQL when it outgrows one
//! machine): every row of every table is copied in one unit of work on the target, then both sides
//! are counted and checksummed table by table, so a copy that lost or changed anything is
//! reported instead of trusted. Tables are read a page at a time in key order, so a store of any
//! size is moved in bounded memory.

use super::sql::{Row, Value};
use super::{params, DbError, DbResult, Store, Tx};
use sha2::{Digest, Sha256};

/// Tables in an order that satisfies their foreign keys, each with its primary key columns.
/// `users.default_device_id` points at `agents`, which point back at `users`: it is copied
/// empty and filled in once the agents are there.
pub const TABLES: &[(&str, &str)] = &[
    ("plans", "id"),
    ("users", "id"),
    ("organizations", "id"),
    ("memberships", "org_id, user_id"),
    ("sessions", "id"),
    ("api_keys", "id"),
    ("account_tokens", "token_hash"),
    ("agents", "id"),
    ("jobs", "id"),
    ("job_files", "job_id, idx"),
    ("job_events", "id"),
    ("objects", "key"),
    ("audit_log", "id"),
    ("security_events", "id"),
    ("blog_posts", "id"),
    ("mail_queue", "id"),
    ("webhooks", "id"),
    ("webhook_callback_secrets", "user_id"),
    ("job_callbacks", "job_id"),
    ("webhook_deliveries", "id"),
    ("webhook_cursor", "id"),
    ("settings_versions", "version"),
    ("storage_snapshots", "day"),
    ("retention_sweeps", "id"),
    ("status_samples", "component, at"),
    ("status_days", "component, day"),
    ("status_incidents", "id"),
    ("status_incident_updates", "id"),
    ("status_maintenance", "id"),
    ("metric_rollups", "resolution, at, replica"),
    ("seedr_transfers", "job_id"),
    ("org_billing_customers", "org_id"),
    ("subscriptions", "subscription_id"),
    ("billing_events", "event_id"),
    ("org_invites", "id"),
];

/// Tables whose `id` the database numbers; the target's counters continue after the copy.
const NUMBERED: &[&str] = &[
    "job_events",
    "audit_log",
    "security_events",
    "mail_queue",
    "retention_sweeps",
    "status_incident_updates",
];

/// Rows written per statement.
const BATCH: usize = 200;

/// Rows read per page, and so at most held in memory at once.
const PAGE: usize = 5_000;

/// What was copied of one table, the same on both sides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableCopy {
    pub table: &'static str,
    pub rows: u64,
    pub checksum: String,
}

#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    #[error("the target already holds data ({0} has rows); copy into an empty database")]
    TargetNotEmpty(&'static str),
    #[error("{table} differs after the copy: {source_rows} rows ({source_sum}) became {target_rows} rows ({target_sum})")]
    Mismatch {
        table: &'static str,
        source_rows: u64,
        source_sum: String,
        target_rows: u64,
        target_sum: String,
    },
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Copies every row of `source` into the empty `target`, then verifies counts and checksums.
pub async fn copy_store(source: &Store, target: &Store) -> Result<Vec<TableCopy>, CopyError> {
    let runtime = tokio::runtime::Handle::current();
    let reader = source.clone();
    target
        .transaction_with(move |tx| -> Result<(), CopyError> {
            for (table, _) in TABLES {
                // The schema's own seed rows (the default plans) give way to the source's.
                if *table != "plans" && count(tx, table)? > 0 {
                    return Err(CopyError::TargetNotEmpty(table));
                }
            }
            tx.execute("DELETE FROM plans", params![])?;
            // The target's unit of work runs on a blocking thread; each page of the source is
            // read from there and written before the next is asked for.
            for (table, key) in TABLES {
                let mut after: Option<Vec<Value>> = None;
                loop {
                    let from = after.clone();
                    let page =
                        runtime
                            .block_on(reader.call(move |source| {
                                read_page(source, table, key, from.as_deref())
                            }))?;
                    write_rows(tx, table, &page)?;
                    if page.len() < PAGE {
                        break;
                    }
                    after = page.last().map(|row| key_values(row, key));
                }
            }
            let devices = runtime.block_on(reader.call(|source| {
                source.query(
                    "SELECT id, default_device_id FROM users WHERE default_device_id IS NOT NULL",
                    &[],
                )
            }))?;
            restore_default_devices(tx, &devices)?;
            continue_numbering(tx)?;
            Ok(())
        })
        .await?;
    let expected = summarize(source).await?;
    let found = summarize(target).await?;
    for (want, got) in expected.iter().zip(&found) {
        if want != got {
            return Err(CopyError::Mismatch {
                table: want.table,
                source_rows: want.rows,
                source_sum: want.checksum.clone(),
                target_rows: got.rows,
                target_sum: got.checksum.clone(),
            });
        }
    }
    Ok(found)
}

/// The page of `table` after the row whose key columns hold `after` (the first page without).
fn read_page(
    tx: &Tx<'_>,
    table: &str,
    key: &str,
    after: Option<&[Value]>,
) -> DbResult<Vec<Row<'static>>> {
    let limit = PAGE as i64;
    match after {
        None => tx.query(
            &format!("SELECT * FROM {table} ORDER BY {key} LIMIT ?1"),
            &[Value::Integer(limit)],
        ),
        Some(values) => {
            let placeholders: Vec<String> =
                (2..values.len() + 2).map(|n| format!("?{n}")).collect();
            let mut params = vec![Value::Integer(limit)];
            params.extend_from_slice(values);
            tx.query(
                &format!(
                    "SELECT * FROM {table} WHERE ({key}) > ({}) ORDER BY {key} LIMIT ?1",
                    placeholders.join(", ")
                ),
                &params,
            )
        }
    }
}

/// The values of `row`'s key columns (`key` as written in [`TABLES`]).
fn key_values(row: &Row, key: &str) -> Vec<Value> {
    key.split(", ")
        .map(|column| row.value(column).unwrap_or(Value::Null))
        .collect()
}

fn count(tx: &Tx<'_>, table: &str) -> DbResult<u64> {
    let n: i64 = tx.query_row(&format!("SELECT COUNT(*) FROM {table}"), &[], |row| {
        row.get(0)
    })?;
    Ok(n as u64)
}

fn write_rows(tx: &Tx<'_>, table: &str, rows: &[Row]) -> DbResult<()> {
    let Some(first) = rows.first() else {
        return Ok(());
    };
    let columns: Vec<&str> = first.columns().iter().map(String::as_str).collect();
    for chunk in rows.chunks(BATCH) {
        let mut values = Vec::with_capacity(chunk.len() * columns.len());
        let tuples: Vec<String> = chunk
            .iter()
            .map(|row| {
                let placeholders: Vec<String> = columns
                    .iter()
                    .map(|column| {
                        let value = match (table, *column) {
                            ("users", "default_device_id") => Value::Null,
                            _ => row.value(column).unwrap_or(Value::Null),
                        };
                        values.push(value);
                        format!("?{}", values.len())
                    })
                    .collect();
                format!("({})", placeholders.join(", "))
            })
            .collect();
        tx.execute(
            &format!(
                "INSERT INTO {table} ({}) VALUES {}",
                columns.join(", "),
                tuples.join(", ")
            ),
            &values,
        )?;
    }
    Ok(())
}

fn restore_default_devices(tx: &Tx<'_>, users: &[Row]) -> DbResult<()> {
    for user in users {
        let id = user.value("id").unwrap_or(Value::Null);
        let device = user.value("default_device_id").unwrap_or(Value::Null);
        tx.execute(
            "UPDATE users SET default_device_id = ?2 WHERE id = ?1",
            &[id, device],
        )?;
    }
    Ok(())
}

fn continue_numbering(tx: &Tx<'_>) -> DbResult<()> {
    if tx.dialect() != super::Dialect::Postgres {
        return Ok(());
    }
    for table in NUMBERED {
        tx.execute(
            &format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE(MAX(id), 0) + 1, false)
                 FROM {table}"
            ),
            &[],
        )?;
    }
    Ok(())
}

/// Rows and an order-independent checksum of every table: the sum of each row's SHA-256 over
/// its columns by name, so two databases that sort text differently still agree. Read a page at
/// a time, like the copy.
pub async fn summarize(store: &Store) -> DbResult<Vec<TableCopy>> {
    let mut tables = Vec::with_capacity(TABLES.len());
    for (table, key) in TABLES {
        let (mut rows, mut sum) = (0u64, 0u128);
        let mut after: Option<Vec<Value>> = None;
        loop {
            let from = after.clone();
            let page = store
                .call(move |tx| read_page(tx, table, key, from.as_deref()))
                .await?;
            rows += page.len() as u64;
            for row in &page {
                sum = sum.wrapping_add(row_digest(row));
            }
            if page.len() < PAGE {
                break;
            }
            after = page.last().map(|row| key_values(row, key));
        }
        tables.push(TableCopy {
            table,
            rows,
            checksum: format!("{sum:032x}"),
        });
    }
    Ok(tables)
}

fn row_digest(row: &Row) -> u128 {
    let mut columns: Vec<&String> = row.columns().iter().collect();
    columns.sort();
    let mut hash = Sha256::new();
    for column in columns {
        hash.update(column.as_bytes());
        hash.update([0]);
        match row.value(column) {
            None | Some(Value::Null) => hash.update(b"n"),
            Some(Value::Integer(n)) => {
                hash.update(b"i");
                hash.update(n.to_be_bytes());
            }
            Some(Value::Real(x)) => {
                hash.update(b"r");
                hash.update(x.to_bits().to_be_bytes());
            }
            Some(Value::Text(text)) => {
                hash.update(b"t");
                hash.update((text.len() as u64).to_be_bytes());
                hash.update(text.as_bytes());
            }
            Some(Value::Blob(bytes)) => {
                hash.update(b"b");
                hash.update((bytes.len() as u64).to_be_bytes());
                hash.update(bytes);
            }
        }
    }
    let digest = hash.finalize();
    let mut first = [0u8; 16];
    first.copy_from_slice(&digest[..16]);
    u128::from_be_bytes(first)
}
