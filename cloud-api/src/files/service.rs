//! Finished files: the list of a job's stored objects, short-lived download links (presigned by
//! S3, or signed by this API for the local store), and deletion with storage accounting.

use crate::error::{ApiError, ApiResult};
use crate::files::archive::{archive_length, ZipEntry, ZipWriter};
use crate::files::store as q;
use crate::files::store::ObjectRow;
use crate::files::units;
use crate::ids::JobId;
use crate::jobs::store as job_q;
use crate::services::{Principal, Services};
use crate::store::to_datetime;
use std::path::PathBuf;
use std::time::Duration;
use tseeder_protocol::{ErrorCode, FileLink, StoredFile};
use tseeder_storage::{ObjectKey, ObjectStore};

/// A whole job as one ZIP download, produced while it is sent.
pub struct JobArchive {
    pub file_name: String,
    pub length: u64,
    pub body: futures_util::stream::BoxStream<'static, Result<bytes::Bytes, std::io::Error>>,
}

impl std::fmt::Debug for JobArchive {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JobArchive")
            .field("file_name", &self.file_name)
            .field("length", &self.length)
            .finish_non_exhaustive()
    }
}

/// Why a local download link was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkRefusal {
    Expired,
    Invalid,
}

fn storage_unavailable(err: tseeder_storage::StorageError) -> ApiError {
    tracing::error!(%err, "object store call failed");
    ApiError::Upstream {
        code: ErrorCode::StorageUnavailable,
        message: "the file store did not answer; try again".into(),
    }
}

/// The last component of a stored file's path, for the browser's save dialog.
fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// Finished jobs' files, links, archives and storage upkeep.
#[derive(Debug, Clone, Copy)]
pub struct Files<'a> {
    pub(crate) services: &'a Services,
}

impl<'a> Files<'a> {
    pub(crate) fn new(services: &'a Services) -> Self {
        Files { services }
    }
}

impl Files<'_> {
    /// The stored files of a job the caller sees in their organization.
    async fn objects_of_visible_job(
        &self,
        principal: &Principal,
        job_id: &str,
    ) -> ApiResult<Vec<ObjectRow>> {
        let (scope, jid) = (principal.job_scope(), job_id.to_owned());
        units::objects_of_visible_job(self.services.db(), scope, jid)
            .await?
            .ok_or(ApiError::NotFound)
    }

    pub async fn list(&self, principal: &Principal, job_id: &str) -> ApiResult<Vec<StoredFile>> {
        Ok(self
            .objects_of_visible_job(principal, job_id)
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
        self.objects_of_visible_job(principal, job_id)
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
        let ttl = self.services.settings().storage.link_ttl_seconds.max(1);
        let expires = chrono::Utc::now().timestamp() + ttl as i64;
        let url = match self.services.store() {
            ObjectStore::S3(store) => store
                .presign_download(&key, Duration::from_secs(ttl), file_name(&object.path))
                .map_err(storage_unavailable)?
                .to_string(),
            ObjectStore::Local(_) => {
                let offered = file_name(&object.path);
                let signature = self.services.signer().sign(&key, expires, Some(offered));
                let name: String =
                    url::form_urlencoded::byte_serialize(offered.as_bytes()).collect();
                format!(
                    "{}/api/v1/files/{key}?expires={expires}&signature={signature}&name={name}",
                    self.services.settings().public_url_trimmed()
                )
            }
        };
        Ok(FileLink {
            url,
            expires_at: to_datetime(expires * 1000),
        })
    }

    /// The file behind a local download link, when the link is genuine and current. The key
    /// names its owner and job, and the signature covers the key and the offered name, so a
    /// link opens one file only, under the name it was made with.
    pub fn open_local_link(
        &self,
        key: &str,
        expires: i64,
        name: Option<&str>,
        signature: &str,
    ) -> Result<PathBuf, LinkRefusal> {
        let ObjectStore::Local(store) = self.services.store() else {
            return Err(LinkRefusal::Invalid);
        };
        let key = ObjectKey::parse(key).map_err(|_| LinkRefusal::Invalid)?;
        let now = chrono::Utc::now().timestamp();
        if self
            .services
            .signer()
            .verify(&key, expires, name, signature, expires)
        {
            if now > expires {
                return Err(LinkRefusal::Expired);
            }
            return Ok(store.path_of(&key));
        }
        Err(LinkRefusal::Invalid)
    }

    /// Every stored file of the job in one stored (uncompressed) ZIP of known length.
    pub async fn archive(&self, principal: &Principal, job_id: &str) -> ApiResult<JobArchive> {
        use futures_util::StreamExt as _;
        let (scope, jid) = (principal.job_scope(), job_id.to_owned());
        let job = self
            .services
            .db()
            .call(move |conn| job_q::job_in_scope(conn, &scope, JobId(&jid)))
            .await?
            .ok_or(ApiError::NotFound)?;
        let objects = self.objects_of_visible_job(principal, job_id).await?;
        if objects.is_empty() {
            return Err(ApiError::conflict(
                ErrorCode::NoFiles,
                "this job has no stored files yet",
            ));
        }
        let mut files = Vec::with_capacity(objects.len());
        for object in objects {
            let key =
                ObjectKey::parse(&object.key).map_err(|err| ApiError::Internal(err.to_string()))?;
            let entry = ZipEntry {
                name: object.path,
                size: object.size.max(0) as u64,
            };
            files.push((key, entry));
        }
        let entries: Vec<ZipEntry> = files.iter().map(|(_, e)| e.clone()).collect();
        let length = archive_length(&entries);
        let store = self.services.store().clone();
        let (sender, receiver) =
            tokio::sync::mpsc::channel::<Result<bytes::Bytes, std::io::Error>>(8);
        tokio::spawn(async move {
            let mut writer = ZipWriter::default();
            for (key, entry) in files {
                if sender.send(Ok(writer.begin(&entry).into())).await.is_err() {
                    return;
                }
                let mut stream = match store.read(&key).await {
                    Ok(stream) => stream,
                    Err(err) => {
                        tracing::error!(%err, %key, "could not read a stored file for a ZIP");
                        let _ = sender
                            .send(Err(std::io::Error::other(err.to_string())))
                            .await;
                        return;
                    }
                };
                let mut crc = crc32fast::Hasher::new();
                let mut sent = 0u64;
                while let Some(chunk) = stream.next().await {
                    let chunk = match chunk {
                        Ok(chunk) => chunk,
                        Err(err) => {
                            let _ = sender
                                .send(Err(std::io::Error::other(err.to_string())))
                                .await;
                            return;
                        }
                    };
                    crc.update(&chunk);
                    sent += chunk.len() as u64;
                    if sender.send(Ok(chunk)).await.is_err() {
                        return;
                    }
                }
                if sent != entry.size {
                    // The announced length would be wrong: end the body with an error, never
                    // with a silently corrupt archive.
                    let message =
                        format!("stored file {key} is {sent} bytes, expected {}", entry.size);
                    tracing::error!(%message);
                    let _ = sender.send(Err(std::io::Error::other(message))).await;
                    return;
                }
                if sender
                    .send(Ok(writer.end(&entry, crc.finalize()).into()))
                    .await
                    .is_err()
                {
                    return;
                }
            }
            let _ = sender.send(Ok(writer.finish().into())).await;
        });
        let body = futures_util::stream::unfold(receiver, |mut receiver| async move {
            receiver.recv().await.map(|item| (item, receiver))
        })
        .boxed();
        Ok(JobArchive {
            file_name: format!("{}.zip", job.name),
            length,
            body,
        })
    }

    /// Deletes one stored file; the user's storage use drops by its size.
    pub async fn delete(&self, principal: &Principal, job_id: &str, index: u32) -> ApiResult<()> {
        let object = self.stored_file(principal, job_id, index).await?;
        self.delete_objects(vec![object]).await
    }

    /// Removes objects from the store first, then their rows: a failure leaves the row, so the
    /// bytes are never counted away while they still exist.
    pub(crate) async fn delete_objects(&self, objects: Vec<ObjectRow>) -> ApiResult<()> {
        for object in objects {
            let key =
                ObjectKey::parse(&object.key).map_err(|err| ApiError::Internal(err.to_string()))?;
            self.services
                .store()
                .delete(&key)
                .await
                .map_err(storage_unavailable)?;
            let stored_key = object.key.clone();
            self.services
                .db()
                .call(move |conn| q::delete_object(conn, &stored_key))
                .await?;
        }
        Ok(())
    }
}
