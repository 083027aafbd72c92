//! Numbered migrations, applied once each, in order, each in its own transaction. A landed
//! migration is never edited: its checksum is recorded and a changed file stops start-up instead
//! of leaving two databases with different schemas.

use crate::{now_ms, DbError, DbResult};
use rusqlite::{params, Connection, OptionalExtension};
use sha2::{Digest, Sha256};

#[derive(Debug)]
pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sql: &'static str,
}

fn checksum(sql: &str) -> String {
    hex::encode(Sha256::digest(sql.as_bytes()))
}

impl Migration {
    /// What is recorded of this migration once it is applied.
    pub fn checksum(&self) -> String {
        checksum(self.sql)
    }

    /// Whether it is still to be applied, given the checksum recorded for its version (on any
    /// backend); a migration edited after it was applied is an error.
    pub fn pending(&self, recorded: Option<&str>) -> DbResult<bool> {
        match recorded {
            None => Ok(true),
            Some(existing) if existing == self.checksum() => Ok(false),
            Some(_) => Err(DbError::Migration {
                version: self.version,
                name: self.name,
                message: "file changed after it was applied; add a new migration instead".into(),
            }),
        }
    }
}

/// Applies what `migrations` has that `conn` has not; [`crate::Db::open`] calls it.
pub fn apply_migrations(conn: &mut Connection, migrations: &[Migration]) -> DbResult<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version    INTEGER PRIMARY KEY,
             name       TEXT NOT NULL,
             checksum   TEXT NOT NULL,
             applied_at INTEGER NOT NULL
         );",
    )?;
    record_legacy_checksums(conn, migrations)?;
    for migration in migrations {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let recorded: Option<String> = tx
            .query_row(
                "SELECT checksum FROM schema_migrations WHERE version = ?1",
                params![migration.version],
                |row| row.get(0),
            )
            .optional()?;
        if !migration.pending(recorded.as_deref())? {
            continue;
        }
        let sum = migration.checksum();
        tx.execute_batch(migration.sql)
            .map_err(|err| DbError::Migration {
                version: migration.version,
                name: migration.name,
                message: err.to_string(),
            })?;
        tx.execute(
            "INSERT INTO schema_migrations (version, name, checksum, applied_at)
             VALUES (?1, ?2, ?3, ?4)",
            params![migration.version, migration.name, sum, now_ms()],
        )?;
        tx.commit()?;
        tracing::info!(
            version = migration.version,
            name = migration.name,
            "migration applied"
        );
    }
    Ok(())
}

/// Desktop databases made before checksums were recorded keep only the version. Their files
/// were the ones shipped with that release, so today's checksums are recorded for them once.
fn record_legacy_checksums(conn: &mut Connection, migrations: &[Migration]) -> DbResult<()> {
    let columns: Vec<String> = conn
        .prepare("SELECT name FROM pragma_table_info('schema_migrations')")?
        .query_map([], |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    if columns.iter().any(|c| c == "checksum") {
        return Ok(());
    }
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let versions: Vec<i64> = tx
        .prepare("SELECT version FROM schema_migrations ORDER BY version")?
        .query_map([], |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    tx.execute_batch(
        "DROP TABLE schema_migrations;
         CREATE TABLE schema_migrations (
             version    INTEGER PRIMARY KEY,
             name       TEXT NOT NULL,
             checksum   TEXT NOT NULL,
             applied_at INTEGER NOT NULL
         );",
    )?;
    for version in versions {
        let Some(migration) = migrations.iter().find(|m| m.version == version) else {
            return Err(DbError::Corrupt(format!(
                "migration {version} is recorded but this build does not have it"
            )));
        };
        tx.execute(
            "INSERT INTO schema_migrations (version, name, checksum, applied_at)
             VALUES (?1, ?2, ?3, ?4)",
            params![version, migration.name, checksum(migration.sql), now_ms()],
        )?;
    }
    tx.commit()?;
    Ok(())
}

/// Versions recorded as applied, in order.
pub fn applied_migrations(conn: &Connection) -> DbResult<Vec<i64>> {
    let mut stmt = conn.prepare("SELECT version FROM schema_migrations ORDER BY version")?;
    let versions = stmt
        .query_map([], |row| row.get(0))?
        .collect::<Result<Vec<i64>, _>>()?;
    Ok(versions)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TWO: &[Migration] = &[
        Migration {
            version: 1,
            name: "0001_a.sql",
            sql: "CREATE TABLE a (id INTEGER PRIMARY KEY);",
        },
        Migration {
            version: 2,
            name: "0002_b.sql",
            sql: "CREATE TABLE b (id INTEGER PRIMARY KEY);",
        },
    ];

    #[test]
    fn applying_twice_is_a_no_op_and_edits_are_caught() {
        let mut conn = Connection::open_in_memory().expect("open");
        apply_migrations(&mut conn, TWO).expect("first");
        apply_migrations(&mut conn, TWO).expect("second");
        assert_eq!(applied_migrations(&conn).expect("list"), vec![1, 2]);
        conn.execute(
            "UPDATE schema_migrations SET checksum = 'x' WHERE version = 1",
            [],
        )
        .expect("tamper");
        assert!(matches!(
            apply_migrations(&mut conn, TWO),
            Err(DbError::Migration { version: 1, .. })
        ));
    }

    #[test]
    fn a_version_only_table_gets_checksums_and_later_migrations() {
        let mut conn = Connection::open_in_memory().expect("open");
        conn.execute_batch(
            "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY) STRICT;
             CREATE TABLE a (id INTEGER PRIMARY KEY);
             INSERT INTO a VALUES (7);
             INSERT INTO schema_migrations VALUES (1);",
        )
        .expect("legacy");
        apply_migrations(&mut conn, TWO).expect("upgrade");
        assert_eq!(applied_migrations(&conn).expect("list"), vec![1, 2]);
        let kept: i64 = conn
            .query_row("SELECT id FROM a", [], |row| row.get(0))
            .expect("data kept");
        assert_eq!(kept, 7);
        let sum: String = conn
            .query_row(
                "SELECT checksum FROM schema_migrations WHERE version = 1",
                [],
                |row| row.get(0),
            )
            .expect("checksum");
        assert_eq!(sum, checksum(TWO[0].sql));
    }
}
