//! Finished files: the list of a job's stored objects, short-lived download links (presigned by
//! S3, or signed by this API for the local store), and deletion with storage accounting.

use super::{Principal, Services};
use crate::db::jobs as job_q;
use crate::db::objects::{self as q, ObjectRow};
use crate::db::to_datetime;
use crate::error::{ApiError, ApiResult};
use std::path::PathBuf;
use std::time::Duration;
use tseeder_protocol::{FileLink, StoredFile};
use tseeder_storage::{ObjectKey, ObjectStore};

/// Why a local download link was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkRefusal {
    Expired,
    Invalid,
}

fn storage_unavailable(err: tseeder_storage::StorageError) -> ApiError {
    tracing::error!(%err, "object store call failed");
    ApiError::Upstream {
        code: "storage_unavailable",
        message: "the file store did not answer; try again".into(),
    }
}

/// The last component of a stored file's path, for the browser's save dialog.
fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

impl Services {
    async fn objects_of_users_job(
        &self,
        principal: &Principal,
        job_id: &str,
    ) -> ApiResult<Vec<ObjectRow>> {
        let (uid, jid) = (principal.user.id.clone(), job_id.to_owned());
        self.db()
            .call(move |conn| {
                if job_q::job_of_user(conn, &uid, &jid)?.is_none() {
                    return Ok(None);
                }
                q::objects_of_job(conn, &jid).map(Some)
            })
            .await?
            .ok_or(ApiError::NotFound)
    }

    pub async fn stored_files(
        &self,
        principal: &Principal,
        job_id: &str,
    ) -> ApiResult<Vec<StoredFile>> {
        Ok(self
            .objects_of_users_job(principal, job_id)
            .await?
            .into_iter()
            .map(|o| StoredFile {
                index: o.file_index,
                path: o.path,
                size: o.size.max(0) as u64,
            })
            .collect())
    }

    async fn stored_file(
        &self,
        principal: &Principal,
        job_id: &str,
        index: u32,
    ) -> ApiResult<ObjectRow> {
        self.objects_of_users_job(principal, job_id)
            .await?
            .into_iter()
            .find(|o| o.file_index == index)
            .ok_or(ApiError::NotFound)
    }

    /// A link to one stored file that works for `link_ttl_seconds` and honours Range.
    pub async fn file_link(
        &self,
        principal: &Principal,
        job_id: &str,
        index: u32,
    ) -> ApiResult<FileLink> {
        let object = self.stored_file(principal, job_id, index).await?;
        let key =
            ObjectKey::parse(&object.key).map_err(|err| ApiError::Internal(err.to_string()))?;
        let ttl = self.settings().storage.link_ttl_seconds.max(1);
        let expires = chrono::Utc::now().timestamp() + ttl as i64;
        let url = match self.store() {
            ObjectStore::S3(store) => store
                .presign_get(&key, Duration::from_secs(ttl))
                .map_err(storage_unavailable)?
                .to_string(),
            ObjectStore::Local(_) => {
                let signature = self.signer().sign(&key, expires);
                let name: String =
                    url::form_urlencoded::byte_serialize(file_name(&object.path).as_bytes())
                        .collect();
                format!(
                    "{}/api/v1/files/{key}?expires={expires}&signature={signature}&name={name}",
                    self.settings().public_url_trimmed()
                )
            }
        };
        Ok(FileLink {
            url,
            expires_at: to_datetime(expires * 1000),
        })
    }

    /// The file behind a local download link, when the link is genuine and current. The key
    /// names its owner and job, and the signature covers the key, so a link opens one file only.
    pub fn open_local_link(
        &self,
        key: &str,
        expires: i64,
        signature: &str,
    ) -> Result<PathBuf, LinkRefusal> {
        let ObjectStore::Local(store) = self.store() else {
            return Err(LinkRefusal::Invalid);
        };
        let key = ObjectKey::parse(key).map_err(|_| LinkRefusal::Invalid)?;
        let now = chrono::Utc::now().timestamp();
        if self.signer().verify(&key, expires, signature, expires) {
            if now > expires {
                return Err(LinkRefusal::Expired);
            }
            return Ok(store.path_of(&key));
        }
        Err(LinkRefusal::Invalid)
    }

    /// Deletes one stored file; the user's storage use drops by its size.
    pub async fn delete_stored_file(
        &self,
        principal: &Principal,
        job_id: &str,
        index: u32,
    ) -> ApiResult<()> {
        let object = self.stored_file(principal, job_id, index).await?;
        self.delete_objects(vec![object]).await
    }

    /// Removes objects from the store first, then their rows: a failure leaves the row, so the
    /// bytes are never counted away while they still exist.
    pub(crate) async fn delete_objects(&self, objects: Vec<ObjectRow>) -> ApiResult<()> {
        for object in objects {
            let key =
                ObjectKey::parse(&object.key).map_err(|err| ApiError::Internal(err.to_string()))?;
            self.store()
                .delete(&key)
                .await
                .map_err(storage_unavailable)?;
            let stored_key = object.key.clone();
            self.db()
                .call(move |conn| q::delete_object(conn, &stored_key))
                .await?;
        }
        Ok(())
    }
}
