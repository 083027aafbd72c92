//! Queries on stored objects: the files of finished jobs, which storage use is counted from.

use crate::store::DbResult;
use crate::store::{params, Tx};

#[derive(Debug, Clone)]
pub struct ObjectRow {
    pub key: String,
    pub file_index: u32,
    pub path: String,
    pub size: i64,
}

#[derive(Debug)]
pub struct NewObject<'a> {
    pub key: &'a str,
    pub user_id: &'a str,
    pub job_id: &'a str,
    pub file_index: u32,
    pub path: &'a str,
    pub size: u64,
    pub now: i64,
}

pub fn insert_object(conn: &Tx<'_>, object: &NewObject<'_>) -> DbResult<()> {
    conn.execute(
        "INSERT INTO objects (key, user_id, org_id, job_id, file_index, path, size, created_at)
         VALUES (?1, ?2, (SELECT org_id FROM jobs WHERE id = ?3), ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (key) DO UPDATE SET size = excluded.size, path = excluded.path",
        params![
            object.key,
            object.user_id,
            object.job_id,
            object.file_index,
            object.path,
            object.size as i64,
            object.now
        ],
    )?;
    Ok(())
}

pub fn objects_of_job(conn: &Tx<'_>, job_id: &str) -> DbResult<Vec<ObjectRow>> {
    let mut stmt = conn.prepare(
        "SELECT key, file_index, path, size FROM objects WHERE job_id = ?1 ORDER BY file_index",
    )?;
    let rows = stmt
        .query_map(params![job_id], |row| {
            Ok(ObjectRow {
                key: row.get(0)?,
                file_index: row.get(1)?,
                path: row.get(2)?,
                size: row.get(3)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

pub fn delete_object(conn: &Tx<'_>, key: &str) -> DbResult<()> {
    conn.execute("DELETE FROM objects WHERE key = ?1", params![key])?;
    Ok(())
}

/// Of `job_ids`, those with no job row (deleted jobs): their objects belong to nobody.
/// Of the stored `(key, job)` pairs, the keys no one owns: not recorded for a completed job,
/// and not being uploaded by a running job (whose objects are recorded when it completes).
/// The files of deleted, cancelled and failed jobs, and of an attempt that lost its lease.
pub fn unowned_objects(conn: &Tx<'_>, stored: &[(String, String)]) -> DbResult<Vec<String>> {
    let mut owned = conn.prepare(
        "SELECT EXISTS (SELECT 1 FROM objects WHERE key = ?1)
             OR EXISTS (SELECT 1 FROM jobs WHERE id = ?2
                        AND status IN ('metadata', 'downloading', 'uploading'))",
    )?;
    let mut unowned = Vec::new();
    for (key, job) in stored {
        if !owned.query_row(params![key, job], |row| row.get::<_, bool>(0))? {
            unowned.push(key.clone());
        }
    }
    Ok(unowned)
}
