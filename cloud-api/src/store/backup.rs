//! Backups of an embedded (SQLite) deployment: a consistent copy taken while the service runs,
//! and its restore into a data folder that has no database yet. PostgreSQL deployments use
//! PostgreSQL's own tools (`pg_dump`), which know its replicas and point-in-time recovery.

use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{0} already exists; choose a new file, nothing is overwritten")]
    TargetExists(PathBuf),
    #[error("{path} is not a tseeder backup: {reason}")]
    NotABackup { path: PathBuf, reason: String },
    #[error(
        "{path} was written by a newer tseeder (schema version {found}, this one knows up to \
         {known}); restore it with that version"
    )]
    Newer {
        path: PathBuf,
        found: i64,
        known: i64,
    },
    #[error("{0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// What a backup holds, to say so after writing or restoring it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupSummary {
    pub schema_version: i64,
    pub users: i64,
    pub jobs: i64,
}

/// Writes a consistent copy of the live database at `database` into the new file `to`.
/// SQLite's `VACUUM INTO` reads one snapshot, so the service keeps serving meanwhile. Blocks.
pub fn backup_sqlite(database: &Path, to: &Path) -> Result<BackupSummary, BackupError> {
    if to.exists() {
        return Err(BackupError::TargetExists(to.to_owned()));
    }
    let live = Connection::open_with_flags(
        database,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    live.busy_timeout(std::time::Duration::from_secs(30))?;
    let partial = partial_path(to);
    let _ = std::fs::remove_file(&partial);
    live.execute("VACUUM INTO ?1", [partial.to_string_lossy().as_ref()])?;
    let summary = verify(&partial)?;
    std::fs::rename(&partial, to)?;
    Ok(summary)
}

/// Restores the backup `from` as the database `database`, which must not exist yet (a new
/// data folder, or the old file moved away). The backup is checked whole before it is used.
/// Blocks.
pub fn restore_sqlite(from: &Path, database: &Path) -> Result<BackupSummary, BackupError> {
    if database.exists() {
        return Err(BackupError::TargetExists(database.to_owned()));
    }
    let summary = verify(from)?;
    if let Some(folder) = database.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(folder)?;
    }
    let partial = partial_path(database);
    let _ = std::fs::remove_file(&partial);
    let backup = Connection::open_with_flags(from, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    backup.execute("VACUUM INTO ?1", [partial.to_string_lossy().as_ref()])?;
    drop(backup);
    std::fs::rename(&partial, database)?;
    Ok(summary)
}

/// Whole-file integrity, then tseeder's own tables at a schema this binary knows.
fn verify(path: &Path) -> Result<BackupSummary, BackupError> {
    let not_a_backup = |reason: String| BackupError::NotABackup {
        path: path.to_owned(),
        reason,
    };
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|err| not_a_backup(err.to_string()))?;
    let integrity: String = conn
        .query_row("PRAGMA integrity_check", [], |row| row.get(0))
        .map_err(|err| not_a_backup(err.to_string()))?;
    if integrity != "ok" {
        return Err(not_a_backup(format!("integrity check: {integrity}")));
    }
    let schema_version: i64 = conn
        .query_row("SELECT MAX(version) FROM schema_migrations", [], |row| {
            row.get::<_, Option<i64>>(0)
        })
        .map_err(|_| not_a_backup("it has no tseeder schema".into()))?
        .ok_or_else(|| not_a_backup("its schema was never created".into()))?;
    let known = super::MIGRATIONS
        .iter()
        .map(|m| m.version)
        .max()
        .unwrap_or(0);
    if schema_version > known {
        return Err(BackupError::Newer {
            path: path.to_owned(),
            found: schema_version,
            known,
        });
    }
    let count = |table: &str| -> Result<i64, BackupError> {
        conn.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |row| {
            row.get(0)
        })
        .map_err(|err| not_a_backup(err.to_string()))
    };
    Ok(BackupSummary {
        schema_version,
        users: count("users")?,
        jobs: count("jobs")?,
    })
}

fn partial_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_owned();
    name.push(".partial");
    path.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_that_is_not_a_tseeder_database_is_refused_and_nothing_is_written() {
        let scratch = tempfile::tempdir().expect("tempdir");
        let junk = scratch.path().join("junk.db");
        std::fs::write(&junk, b"not sqlite at all, just bytes").expect("write");
        let target = scratch.path().join("data/tseeder.db");
        let refused = restore_sqlite(&junk, &target).expect_err("refused");
        assert!(
            matches!(refused, BackupError::NotABackup { .. }),
            "{refused}"
        );
        assert!(!target.exists());

        let foreign = scratch.path().join("foreign.db");
        Connection::open(&foreign)
            .and_then(|c| c.execute_batch("CREATE TABLE notes (body TEXT);"))
            .expect("foreign db");
        let refused = restore_sqlite(&foreign, &target).expect_err("refused");
        assert!(
            refused.to_string().contains("no tseeder schema"),
            "{refused}"
        );
        assert!(!target.exists());
    }
}
