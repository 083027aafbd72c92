//! Storage upkeep: what crashes and races leave in the object store. An agent killed mid-upload
//! leaves an unfinished multipart upload (or a partial local copy) that no one will finish, and
//! an upload for a job that was deleted, cancelled or failed meanwhile leaves an object no one
//! owns. Both hold space
//! and, on S3, cost money; the sweep removes them.

use crate::error::{ApiError, ApiResult};
use crate::files::service::Files;
use crate::files::store as q;
use std::collections::BTreeSet;
use tseeder_storage::ObjectKey;

/// What one sweep removed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct StorageSweep {
    pub abandoned_uploads: usize,
    pub orphan_objects: usize,
}

/// The job a stored file belongs to, for keys of the form `users/<user>/jobs/<job>/files/<n>`.
fn job_of(key: &str) -> Option<&str> {
    match key.split('/').collect::<Vec<_>>().as_slice() {
        ["users", _, "jobs", job, "files", _] => Some(job),
        _ => None,
    }
}

fn storage_error(err: tseeder_storage::StorageError) -> ApiError {
    ApiError::Internal(format!("storage sweep: {err}"))
}

impl Files<'_> {
    /// Removes uploads begun more than `storage.abandoned_upload_hours` ago and never finished,
    /// and stored files no job owns (see `objects::unowned_objects`).
    pub async fn sweep_storage(&self) -> ApiResult<StorageSweep> {
        let hours = i64::try_from(self.services.settings().storage.abandoned_upload_hours)
            .unwrap_or(i64::MAX);
        // An age too large to represent means no upload is ever old enough.
        let cutoff = chrono::Duration::try_hours(hours)
            .and_then(|age| chrono::Utc::now().checked_sub_signed(age))
            .unwrap_or(chrono::DateTime::<chrono::Utc>::MIN_UTC);
        let abandoned_uploads = self
            .services
            .store()
            .clear_abandoned_uploads(cutoff)
            .await
            .map_err(storage_error)?;

        let stored = self
            .services
            .store()
            .list("users/")
            .await
            .map_err(storage_error)?;
        let pairs: Vec<(String, String)> = stored
            .iter()
            .filter_map(|o| job_of(&o.key).map(|job| (o.key.clone(), job.to_owned())))
            .collect();
        let unowned: BTreeSet<String> = self
            .services
            .db()
            .call(move |conn| q::unowned_objects(conn, &pairs))
            .await?
            .into_iter()
            .collect();
        let mut orphan_objects = 0;
        for object in stored.iter().filter(|o| unowned.contains(&o.key)) {
            let key = ObjectKey::parse(&object.key).map_err(storage_error)?;
            self.services
                .store()
                .delete(&key)
                .await
                .map_err(storage_error)?;
            orphan_objects += 1;
        }
        Ok(StorageSweep {
            abandoned_uploads,
            orphan_objects,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::job_of;

    #[test]
    fn only_job_file_keys_name_a_job() {
        assert_eq!(job_of("users/u1/jobs/j1/files/0"), Some("j1"));
        assert_eq!(job_of("users/u1/jobs/j1"), None);
        assert_eq!(job_of("users/u1/avatars/j1/files/0"), None);
        assert_eq!(job_of("users/u1/jobs/j1/files/0/extra"), None);
    }
}
