//! The client's own SQLite file: categories and what each cloud job carries here. The sync
//! records themselves are the desktop core's (`tseeder_desktop::db`), in a file of their own.
//! One function per query.

use rusqlite::{params, Connection, OptionalExtension};
use std::path::Path;
pub use tseeder_sqlite::{now_ms, Db, DbError, DbResult};
use tseeder_sqlite::{Migration, Options};

const MIGRATIONS: &[Migration] = &[Migration {
    version: 1,
    name: "0001_qbittorrent.sql",
    sql: include_str!("../migrations/0001_qbittorrent.sql"),
}];

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

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CategoryRow {
    pub name: String,
    pub save_path: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TorrentRow {
    pub job_id: String,
    pub info_hash: String,
    pub category: String,
    pub save_path: Option<String>,
    pub added_on: i64,
}

pub fn categories(conn: &Connection) -> DbResult<Vec<CategoryRow>> {
    let mut stmt = conn.prepare("SELECT name, save_path FROM categories ORDER BY name")?;
    let rows = stmt.query_map([], |row| {
        Ok(CategoryRow {
            name: row.get(0)?,
            save_path: row.get(1)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Creates the category; false when it exists already.
pub fn create_category(conn: &Connection, category: &CategoryRow) -> DbResult<bool> {
    Ok(conn.execute(
        "INSERT INTO categories (name, save_path) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
        params![category.name, category.save_path],
    )? > 0)
}

/// Changes an existing category's folder; false when there is no such category.
pub fn edit_category(conn: &Connection, category: &CategoryRow) -> DbResult<bool> {
    Ok(conn.execute(
        "UPDATE categories SET save_path = ?2 WHERE name = ?1",
        params![category.name, category.save_path],
    )? > 0)
}

/// Removes the categories; their torrents keep their files and lose the category.
pub fn remove_categories(conn: &Connection, names: &[String]) -> DbResult<()> {
    let tx = conn.unchecked_transaction()?;
    for name in names {
        tx.execute("DELETE FROM categories WHERE name = ?1", [name])?;
        tx.execute(
            "UPDATE torrents SET category = '' WHERE category = ?1",
            [name],
        )?;
    }
    tx.commit()?;
    Ok(())
}

fn torrent_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<TorrentRow> {
    Ok(TorrentRow {
        job_id: row.get("job_id")?,
        info_hash: row.get("info_hash")?,
        category: row.get("category")?,
        save_path: row.get("save_path")?,
        added_on: row.get("added_on")?,
    })
}

pub fn torrents(conn: &Connection) -> DbResult<Vec<TorrentRow>> {
    let mut stmt = conn.prepare("SELECT * FROM torrents ORDER BY added_on, job_id")?;
    let rows = stmt.query_map([], torrent_from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn torrent(conn: &Connection, job_id: &str) -> DbResult<Option<TorrentRow>> {
    Ok(conn
        .query_row(
            "SELECT * FROM torrents WHERE job_id = ?1",
            [job_id],
            torrent_from_row,
        )
        .optional()?)
}

/// Records a job added here (or adopted by a category change), keeping an earlier record.
pub fn insert_torrent(conn: &Connection, torrent: &TorrentRow) -> DbResult<()> {
    conn.execute(
        "INSERT INTO torrents (job_id, info_hash, category, save_path, added_on)
         VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (job_id) DO NOTHING",
        params![
            torrent.job_id,
            torrent.info_hash,
            torrent.category,
            torrent.save_path,
            torrent.added_on
        ],
    )?;
    Ok(())
}

pub fn set_category(conn: &Connection, job_id: &str, category: &str) -> DbResult<()> {
    conn.execute(
        "UPDATE torrents SET category = ?2 WHERE job_id = ?1",
        params![job_id, category],
    )?;
    Ok(())
}

pub fn delete_torrent(conn: &Connection, job_id: &str) -> DbResult<()> {
    conn.execute("DELETE FROM torrents WHERE job_id = ?1", [job_id])?;
    Ok(())
}
