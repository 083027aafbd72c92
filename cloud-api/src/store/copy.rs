//! Moving a deployment from one store to another (SQLite to PostgreSQL when it outgrows one
//! machine): every row of every table is copied in one unit of work on the target, then both sides
//! are counted and checksummed table by table, so a copy that lost or changed anything is
//! reported instead of trusted.

use super::sql::{Row, Value};
use super::{params, DbError, DbResult, Store, Tx};
use sha2::{Digest, Sha256};

/// Tables in an order that satisfies their foreign keys, each with its primary key columns.
/// `users.default_device_id` points at `agents`, which point back at `users`: it is copied
/// empty and filled in once the agents are there.
pub const TABLES: &[(&str, &str)] = &[
    ("plans", "id"),
    ("users", "id"),
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
];

/// Tables whose `id` the database numbers; the target's counters continue after the copy.
const NUMBERED: &[&str] = &["job_events", "audit_log", "security_events", "mail_queue"];

/// Rows read and written per statement.
const BATCH: usize = 200;

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
    let snapshot = source.transaction(read_everything).await?;
    target
        .transaction_with(move |tx| -> Result<(), CopyError> {
            for (table, _) in TABLES {
                // The schema's own seed rows (the default plans) give way to the source's.
                if *table != "plans" && count(tx, table)? > 0 {
                    return Err(CopyError::TargetNotEmpty(table));
                }
            }
            tx.execute("DELETE FROM plans", params![])?;
            for (table, rows) in &snapshot {
                write_rows(tx, table, rows)?;
            }
            restore_default_devices(tx, &snapshot)?;
            continue_numbering(tx)?;
            Ok(())
        })
        .await?;
    let expected = source.call(summarize).await?;
    let found = target.call(summarize).await?;
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

type Snapshot = Vec<(&'static str, Vec<Row>)>;

fn read_everything(tx: &Tx<'_>) -> DbResult<Snapshot> {
    TABLES
        .iter()
        .map(|(table, key)| {
            Ok((
                *table,
                tx.query(&format!("SELECT * FROM {table} ORDER BY {key}"), &[])?,
            ))
        })
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
                            _ => row.value(column).cloned().unwrap_or(Value::Null),
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

fn restore_default_devices(tx: &Tx<'_>, snapshot: &Snapshot) -> DbResult<()> {
    let users = snapshot
        .iter()
        .find(|(table, _)| *table == "users")
        .map(|(_, rows)| rows.as_slice())
        .unwrap_or_default();
    for user in users {
        let device = user
            .value("default_device_id")
            .cloned()
            .unwrap_or(Value::Null);
        if device != Value::Null {
            let id = user.value("id").cloned().unwrap_or(Value::Null);
            tx.execute(
                "UPDATE users SET default_device_id = ?2 WHERE id = ?1",
                &[id, device],
            )?;
        }
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
/// its columns by name, so two databases that sort text differently still agree.
pub fn summarize(tx: &Tx<'_>) -> DbResult<Vec<TableCopy>> {
    TABLES
        .iter()
        .map(|(table, _)| {
            let rows = tx.query(&format!("SELECT * FROM {table}"), &[])?;
            let mut sum: u128 = 0;
            for row in &rows {
                sum = sum.wrapping_add(row_digest(row));
            }
            Ok(TableCopy {
                table,
                rows: rows.len() as u64,
                checksum: format!("{sum:032x}"),
            })
        })
        .collect()
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
