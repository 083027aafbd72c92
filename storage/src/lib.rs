//! Where finished downloads live: a local folder (the embedded default) or any S3-compatible
//! service (AWS S3, R2, MinIO, Garage), behind one [`ObjectStore`]. Keys are built from ids,
//! never from torrent names.

mod key;
pub mod local;
pub mod s3;
mod settings;

pub use key::ObjectKey;
pub use local::{LocalStore, UrlSigner};
pub use s3::{S3Config, S3Store, UnfinishedUpload};
pub use settings::{StorageBackend, StoreLocation};

use std::path::Path;

/// `Content-Disposition` that saves a download under `name`. RFC 5987: the name is
/// percent-encoded, so no quote or newline in a torrent's file name can break the header.
pub fn attachment_disposition(name: &str) -> Option<String> {
    let name = name.trim();
    if name.is_empty() {
        return None;
    }
    let encoded = percent_encoding::utf8_percent_encode(name, percent_encoding::NON_ALPHANUMERIC);
    Some(format!("attachment; filename*=UTF-8''{encoded}"))
}

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("no object at {0}")]
    NotFound(String),
    #[error("invalid object key {0:?}")]
    InvalidKey(String),
    #[error("storage configuration: {0}")]
    Config(String),
    #[error("file system: {0}")]
    Io(#[from] std::io::Error),
    #[error("the store answered HTTP {status} {code}: {message}")]
    Http {
        status: u16,
        code: String,
        message: String,
    },
    #[error("could not reach the store: {0}")]
    Network(String),
    #[error("could not sign the request: {0}")]
    Signing(String),
    #[error("malformed answer from the store: {0}")]
    Protocol(String),
}

impl StorageError {
    /// Worth another try: the store or the network had a passing problem.
    pub fn is_transient(&self) -> bool {
        match self {
            StorageError::Network(_) => true,
            StorageError::Http { status, code, .. } => {
                *status >= 500
                    || *status == 429
                    // The body's checksum did not match what arrived: damaged on the way.
                    || (*status == 400 && matches!(code.as_str(), "BadDigest" | "InvalidDigest"))
            }
            _ => false,
        }
    }
}

/// An object's bytes in arrival order.
pub type ByteStream = futures_util::stream::BoxStream<'static, Result<bytes::Bytes, StorageError>>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectInfo {
    pub key: String,
    pub size: u64,
}

/// The configured store.
#[derive(Debug, Clone)]
pub enum ObjectStore {
    Local(LocalStore),
    S3(Box<S3Store>),
}

impl ObjectStore {
    /// Stores the file at `source` under `key`; readers never see a partial object.
    pub async fn put_file(&self, key: &ObjectKey, source: &Path) -> Result<u64, StorageError> {
        match self {
            ObjectStore::Local(store) => store.put_file(key, source).await,
            ObjectStore::S3(store) => store.put_file(key, source).await,
        }
    }

    pub async fn read(&self, key: &ObjectKey) -> Result<ByteStream, StorageError> {
        match self {
            ObjectStore::Local(store) => store.read(key).await,
            ObjectStore::S3(store) => store.read(key).await,
        }
    }

    pub async fn head(&self, key: &ObjectKey) -> Result<Option<ObjectInfo>, StorageError> {
        match self {
            ObjectStore::Local(store) => store.head(key).await,
            ObjectStore::S3(store) => store.head(key).await,
        }
    }

    pub async fn delete(&self, key: &ObjectKey) -> Result<(), StorageError> {
        match self {
            ObjectStore::Local(store) => store.delete(key).await,
            ObjectStore::S3(store) => store.delete(key).await,
        }
    }

    pub async fn list(&self, prefix: &str) -> Result<Vec<ObjectInfo>, StorageError> {
        match self {
            ObjectStore::Local(store) => store.list(prefix).await,
            ObjectStore::S3(store) => store.list(prefix).await,
        }
    }

    /// Removes uploads started before `cutoff` that never finished: the multipart uploads, or
    /// the local partial copies, of an uploader that crashed. No reader can see them, yet they
    /// hold space. Returns how many were removed.
    pub async fn clear_abandoned_uploads(
        &self,
        cutoff: chrono::DateTime<chrono::Utc>,
    ) -> Result<usize, StorageError> {
        match self {
            ObjectStore::Local(store) => store.remove_partials_before(cutoff.into()).await,
            ObjectStore::S3(store) => {
                let mut removed = 0;
                for upload in store.unfinished_uploads("").await? {
                    // An upload of unknown age is left alone: it may be running right now.
                    if upload.initiated.is_some_and(|started| started < cutoff) {
                        store.abort_upload(&upload.key, &upload.upload_id).await?;
                        removed += 1;
                    }
                }
                Ok(removed)
            }
        }
    }
}
