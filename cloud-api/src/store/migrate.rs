//! Numbered migrations from the repository's `migrations/` folder, applied once each, in order,
//! each in its own transaction. A landed migration is never edited: its checksum is recorded
//! and a changed file stops start-up instead of leaving two databases with different schemas.

use crate::store::{DbError, DbResult};
use rusqlite::{params, Connection};
use sha2::{Digest, Sha256};

#[derive(Debug)]
pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sql: &'static str,
}

pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "0001_accounts.sql",
        sql: include_str!("../../../migrations/0001_accounts.sql"),
    },
    Migration {
        version: 2,
        name: "0002_jobs.sql",
        sql: include_str!("../../../migrations/0002_jobs.sql"),
    },
    Migration {
        version: 3,
        name: "0003_agents.sql",
        sql: include_str!("../../../migrations/0003_agents.sql"),
    },
    Migration {
        version: 4,
        name: "0004_console.sql",
        sql: include_str!("../../../migrations/0004_console.sql"),
    },
    Migration {
        version: 5,
        name: "0005_mail_queue.sql",
        sql: include_str!("../../../migrations/0005_mail_queue.sql"),
    },
];

fn checksum(sql: &str) -> String {
    hex::encode(Sha256::digest(sql.as_bytes()))
}

pub(crate) fn apply(conn: &mut Connection) -> DbResult<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version    INTEGER PRIMARY KEY,
             name       TEXT NOT NULL,
             checksum   TEXT NOT NULL,
             applied_at INTEGER NOT NULL
         );",
    )?;
    for migration in MIGRATIONS {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let recorded: Option<String> = tx
            .query_row(
                "SELECT checksum FROM schema_migrations WHERE version = ?1",
                params![migration.version],
                |row| row.get(0),
            )
            .map(Some)
            .or_else(|err| match err {
                rusqlite::Error::QueryReturnedNoRows => Ok(None),
                other => Err(other),
            })?;
        let sum = checksum(migration.sql);
        match recorded {
            Some(existing) if existing == sum => continue,
            Some(_) => {
                return Err(DbError::Migration {
                    version: migration.version,
                    name: migration.name,
                    message: "file changed after it was applied; add a new migration instead"
                        .into(),
                })
            }
            None => {}
        }
        tx.execute_batch(migration.sql)
            .map_err(|err| DbError::Migration {
                version: migration.version,
                name: migration.name,
                message: err.to_string(),
            })?;
        tx.execute(
            "INSERT INTO schema_migrations (version, name, checksum, applied_at)
             VALUES (?1, ?2, ?3, ?4)",
            params![migration.version, migration.name, sum, super::now_ms()],
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

    #[test]
    fn every_file_in_the_folder_is_listed_in_order() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .expect("migrations folder")
            .filter_map(|entry| entry.ok())
            .map(|entry| entry.file_name().to_string_lossy().into_owned())
            .filter(|name| name.ends_with(".sql"))
            .collect();
        files.sort();
        let listed: Vec<&str> = MIGRATIONS.iter().map(|m| m.name).collect();
        assert_eq!(files, listed);
        for (position, migration) in MIGRATIONS.iter().enumerate() {
            assert_eq!(migration.version, position as i64 + 1);
            assert!(migration
                .name
                .starts_with(&format!("{:04}_", migration.version)));
        }
    }

    #[test]
    fn applying_twice_is_a_no_op_and_edits_are_caught() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("t.db");
        let mut conn = Connection::open(&path).expect("open");
        apply(&mut conn).expect("first");
        apply(&mut conn).expect("second");
        assert_eq!(
            applied_migrations(&conn).expect("list"),
            (1..=MIGRATIONS.len() as i64).collect::<Vec<_>>()
        );
        conn.execute(
            "UPDATE schema_migrations SET checksum = 'x' WHERE version = 1",
            [],
        )
        .expect("tamper");
        assert!(matches!(
            apply(&mut conn),
            Err(DbError::Migration { version: 1, .. })
        ));
    }
}
