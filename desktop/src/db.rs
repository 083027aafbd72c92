//! The desktop app's SQLite file: settings, its own downloads and sync state. The plumbing is
//! `tseeder-sqlite`'s (blocking threads, WAL, foreign keys, checksummed migrations from
//! `desktop/migrations/`); one function per query below.

use rusqlite::{params, Connection, OptionalExtension};
use std::path::Path;
pub use tseeder_sqlite::{now_ms, Db, DbError, DbResult};
use tseeder_sqlite::{Migration, Options};

const MIGRATIONS: &[Migration] = &[Migration {
    version: 1,
    name: "0001_desktop.sql",
    sql: include_str!("../migrations/0001_desktop.sql"),
}];

/// Opens (creating if needed) the app's database and applies pending migrations. One
/// connection: a single user's app runs each piece of work alone, so read-then-write steps
/// need no transaction of their own.
pub fn open(path: &Path) -> DbResult<Db> {
    Db::open(
        path,
        MIGRATIONS,
        Options {
            busy_timeout: std::time::Duration::from_secs(5),
            max_connections: Some(1),
        },
    )
}

// Settings

pub fn setting(conn: &Connection, key: &str) -> DbResult<Option<String>> {
    Ok(conn
        .query_row("SELECT value FROM settings WHERE key = ?1", [key], |row| {
            row.get(0)
        })
        .optional()?)
}

pub fn put_setting(conn: &Connection, key: &str, value: &str) -> DbResult<()> {
    conn.execute(
        "INSERT INTO settings (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        params![key, value],
    )?;
    Ok(())
}

// Local jobs

#[derive(Debug, Clone, PartialEq)]
pub struct LocalJobRow {
    pub id: String,
    pub name: String,
    pub info_hash: String,
    pub magnet: Option<String>,
    pub torrent: Vec<u8>,
    pub folder: String,
    pub content_path: String,
    pub selected_files: Option<Vec<u32>>,
    pub total_bytes: u64,
    pub status: String,
    pub error: Option<String>,
    pub created_at: i64,
    pub completed_at: Option<i64>,
}

fn local_job_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<LocalJobRow> {
    let selected: Option<String> = row.get("selected_files")?;
    Ok(LocalJobRow {
        id: row.get("id")?,
        name: row.get("name")?,
        info_hash: row.get("info_hash")?,
        magnet: row.get("magnet")?,
        torrent: row.get("torrent")?,
        folder: row.get("folder")?,
        content_path: row.get("content_path")?,
        selected_files: selected.and_then(|s| serde_json::from_str(&s).ok()),
        total_bytes: row.get::<_, i64>("total_bytes")?.max(0) as u64,
        status: row.get("status")?,
        error: row.get("error")?,
        created_at: row.get("created_at")?,
        completed_at: row.get("completed_at")?,
    })
}

pub fn insert_local_job(conn: &Connection, job: &LocalJobRow) -> DbResult<()> {
    let selected = job
        .selected_files
        .as_ref()
        .map(|s| serde_json::to_string(s).unwrap_or_default());
    conn.execute(
        "INSERT INTO local_jobs (id, name, info_hash, magnet, torrent, folder, content_path,
             selected_files, total_bytes, status, error, created_at, completed_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        params![
            job.id,
            job.name,
            job.info_hash,
            job.magnet,
            job.torrent,
            job.folder,
            job.content_path,
            selected,
            job.total_bytes as i64,
            job.status,
            job.error,
            job.created_at,
            job.completed_at
        ],
    )?;
    Ok(())
}

pub fn local_jobs(conn: &Connection) -> DbResult<Vec<LocalJobRow>> {
    let mut stmt = conn.prepare("SELECT * FROM local_jobs ORDER BY created_at DESC, id")?;
    let rows = stmt.query_map([], local_job_from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn local_job(conn: &Connection, id: &str) -> DbResult<Option<LocalJobRow>> {
    Ok(conn
        .query_row(
            "SELECT * FROM local_jobs WHERE id = ?1",
            [id],
            local_job_from_row,
        )
        .optional()?)
}

pub fn set_local_job_status(
    conn: &Connection,
    id: &str,
    status: &str,
    error: Option<&str>,
    completed_at: Option<i64>,
) -> DbResult<bool> {
    Ok(conn.execute(
        "UPDATE local_jobs SET status = ?2, error = ?3, completed_at = COALESCE(?4, completed_at)
         WHERE id = ?1",
        params![id, status, error, completed_at],
    )? > 0)
}

pub fn delete_local_job(conn: &Connection, id: &str) -> DbResult<bool> {
    Ok(conn.execute("DELETE FROM local_jobs WHERE id = ?1", [id])? > 0)
}

// Sync

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncRow {
    pub job_id: String,
    pub file_index: u32,
    pub remote_path: String,
    pub size: u64,
    /// Set once a final name is reserved; the temporary file sits next to it.
    pub local_path: Option<String>,
    pub received: u64,
    pub status: String,
    pub error: Option<String>,
}

fn sync_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<SyncRow> {
    Ok(SyncRow {
        job_id: row.get("job_id")?,
        file_index: row.get("file_index")?,
        remote_path: row.get("remote_path")?,
        size: row.get::<_, i64>("size")?.max(0) as u64,
        local_path: row.get("local_path")?,
        received: row.get::<_, i64>("received")?.max(0) as u64,
        status: row.get("status")?,
        error: row.get("error")?,
    })
}

/// Records a file to sync unless it is known already; true when it is new.
pub fn insert_sync(conn: &Connection, row: &SyncRow) -> DbResult<bool> {
    Ok(conn.execute(
        "INSERT INTO syncs (job_id, file_index, remote_path, size, local_path, received, status,
             error, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
         ON CONFLICT (job_id, file_index) DO NOTHING",
        params![
            row.job_id,
            row.file_index,
            row.remote_path,
            row.size as i64,
            row.local_path,
            row.received as i64,
            row.status,
            row.error,
            now_ms()
        ],
    )? > 0)
}

pub fn syncs(conn: &Connection) -> DbResult<Vec<SyncRow>> {
    let mut stmt = conn.prepare("SELECT * FROM syncs ORDER BY job_id, file_index")?;
    let rows = stmt.query_map([], sync_from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn syncs_of_job(conn: &Connection, job_id: &str) -> DbResult<Vec<SyncRow>> {
    let mut stmt = conn.prepare("SELECT * FROM syncs WHERE job_id = ?1 ORDER BY file_index")?;
    let rows = stmt.query_map([job_id], sync_from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn update_sync(conn: &Connection, row: &SyncRow) -> DbResult<()> {
    conn.execute(
        "UPDATE syncs SET local_path = ?3, received = ?4, status = ?5, error = ?6, updated_at = ?7
         WHERE job_id = ?1 AND file_index = ?2",
        params![
            row.job_id,
            row.file_index,
            row.local_path,
            row.received as i64,
            row.status,
            row.error,
            now_ms()
        ],
    )?;
    Ok(())
}

pub fn set_sync_received(
    conn: &Connection,
    job_id: &str,
    index: u32,
    received: u64,
) -> DbResult<()> {
    conn.execute(
        "UPDATE syncs SET received = ?3, updated_at = ?4 WHERE job_id = ?1 AND file_index = ?2",
        params![job_id, index, received as i64, now_ms()],
    )?;
    Ok(())
}

pub fn delete_syncs_of_job(conn: &Connection, job_id: &str) -> DbResult<()> {
    conn.execute("DELETE FROM syncs WHERE job_id = ?1", [job_id])?;
    Ok(())
}

pub fn opt_out_of_sync(conn: &Connection, job_id: &str, out: bool) -> DbResult<()> {
    if out {
        conn.execute(
            "INSERT INTO sync_opt_outs (job_id) VALUES (?1) ON CONFLICT DO NOTHING",
            [job_id],
        )?;
    } else {
        conn.execute("DELETE FROM sync_opt_outs WHERE job_id = ?1", [job_id])?;
    }
    Ok(())
}

pub fn sync_opt_outs(conn: &Connection) -> DbResult<Vec<String>> {
    let mut stmt = conn.prepare("SELECT job_id FROM sync_opt_outs")?;
    let rows = stmt.query_map([], |row| row.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn migrations_apply_once_and_settings_round_trip() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("state.db");
        let db = open(&path).expect("open");
        drop(db);
        let db = open(&path).expect("reopen applies nothing twice");
        let (value, mode) = db
            .call(|conn| {
                put_setting(conn, "k", "1")?;
                put_setting(conn, "k", "2")?;
                let mode: String = conn.query_row("PRAGMA journal_mode", [], |r| r.get(0))?;
                Ok((setting(conn, "k")?, mode))
            })
            .await
            .expect("round trip");
        assert_eq!(value.as_deref(), Some("2"));
        assert_eq!(mode, "wal");
    }
}
