//! Stored files' store calls that take several queries: a job's objects, read only when the job
//! is the caller's to see. Each is one store call, so no service composes queries itself.

use crate::files::store as q;
use crate::files::store::ObjectRow;
use crate::ids::JobId;
use crate::jobs::store::{self as job_q, JobScope};
use crate::store::{DbResult, Store};

/// A job's stored objects, when the job is in scope.
pub async fn objects_of_visible_job(
    store: &Store,
    scope: JobScope,
    jid: String,
) -> DbResult<Option<Vec<ObjectRow>>> {
    store
        .call(move |conn| {
            if job_q::job_in_scope(conn, &scope, JobId(&jid))?.is_none() {
                return Ok(None);
            }
            q::objects_of_job(conn, &jid).map(Some)
        })
        .await
}
