//! The providers' units of work on a job another service runs (Seedr): its running state with
//! its event, its completion with its stored files, its failure. Each is one store operation,
//! so the runner never holds a transaction.

use crate::jobs::store as job_q;
use crate::providers::store as q;
use crate::store::{DbError, DbResult, Store};
use tseeder_protocol::JobStatus;
use tseeder_storage::ObjectKey;

/// Records a running job's state, with an event when the state changed.
pub async fn set_running(
    store: &Store,
    id: String,
    status: JobStatus,
    downloaded: u64,
    total: Option<u64>,
    message: Option<&'static str>,
    now: i64,
) -> DbResult<()> {
    store
        .transaction(move |tx| {
            if q::set_running(tx, &id, status, downloaded, total, now)? {
                job_q::insert_job_event(tx, &id, status.as_str(), Some(status), message, now)?;
            }
            Ok(())
        })
        .await
}

/// A job whose files are all in the object store: its files (listed when the job had no list
/// yet), their objects, the completed state and its event. False, changing nothing, when the
/// job moved on meanwhile.
pub async fn complete(
    store: &Store,
    id: String,
    user: String,
    files: Vec<(u32, String, u64)>,
    list_files: bool,
    total: u64,
    now: i64,
) -> DbResult<bool> {
    store
        .transaction(move |tx| {
            if !q::set_running(tx, &id, JobStatus::Uploading, total, Some(total), now)? {
                return Ok(false);
            }
            if list_files {
                job_q::insert_job_files(
                    tx,
                    &id,
                    files.iter().map(|(i, p, s)| (*i, p.as_str(), *s, true)),
                )?;
            }
            for (index, path, size) in &files {
                let key = ObjectKey::job_file(&user, &id, *index)
                    .map_err(|err| DbError::Corrupt(err.to_string()))?;
                crate::files::store::insert_object(
                    tx,
                    &crate::files::store::NewObject {
                        key: key.as_str(),
                        user_id: &user,
                        job_id: &id,
                        file_index: *index,
                        path,
                        size: *size,
                        now,
                    },
                )?;
            }
            if !q::complete(tx, &id, now)? {
                return Ok(false);
            }
            job_q::insert_job_event(tx, &id, "completed", Some(JobStatus::Completed), None, now)?;
            Ok(true)
        })
        .await
}

/// Fails a job for `error`, with its event; false when it had ended already.
pub async fn fail(store: &Store, id: String, error: String, now: i64) -> DbResult<bool> {
    store
        .transaction(move |tx| {
            let failed = q::fail(tx, &id, &error, now)?;
            if failed {
                job_q::insert_job_event(
                    tx,
                    &id,
                    "failed",
                    Some(JobStatus::Failed),
                    Some(&error),
                    now,
                )?;
            }
            Ok(failed)
        })
        .await
}

/// A job sent to the provider: its transfer recorded, the job in metadata with its event.
/// False, changing nothing, when the job was stopped while being sent.
pub async fn start_transfer(
    store: &Store,
    id: String,
    transfer_id: i64,
    title: String,
    now: i64,
) -> DbResult<bool> {
    store
        .transaction(move |tx| {
            let started = q::start_transfer(tx, &id, transfer_id, &title, now)?;
            if started {
                job_q::insert_job_event(
                    tx,
                    &id,
                    "metadata",
                    Some(JobStatus::Metadata),
                    Some("sent to Seedr"),
                    now,
                )?;
            }
            Ok(started)
        })
        .await
}
