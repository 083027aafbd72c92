//! Where a binary keeps finished files, in the one configuration shape the cloud API and the
//! agent share: `storage.backend`, `storage.local_dir` and `storage.s3.*` (so
//! `TSEEDER_STORAGE__S3__ENDPOINT` for the API is `TSEEDER_AGENT_STORAGE__S3__ENDPOINT` for an
//! agent).

use crate::{LocalStore, ObjectStore, S3Config, S3Store, StorageError};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StorageBackend {
    /// A folder (the embedded default, or a mount the API and the agents share).
    #[default]
    Local,
    /// Any S3-compatible service.
    S3,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct StoreLocation {
    pub backend: StorageBackend,
    /// Folder of the local store; each binary has its own default when absent.
    pub local_dir: Option<PathBuf>,
    pub s3: S3Config,
}

impl StoreLocation {
    /// The store these settings name; a local store without a folder uses `default_local_dir`.
    pub fn open(&self, default_local_dir: &Path) -> Result<ObjectStore, StorageError> {
        Ok(match self.backend {
            StorageBackend::Local => ObjectStore::Local(LocalStore::new(
                self.local_dir
                    .clone()
                    .unwrap_or_else(|| default_local_dir.to_owned()),
            )),
            StorageBackend::S3 => ObjectStore::S3(Box::new(S3Store::new(self.s3.clone())?)),
        })
    }

    /// What the chosen backend is missing, naming the settings under `prefix` (`storage`).
    pub fn check(&self, prefix: &str) -> Result<(), String> {
        if self.backend == StorageBackend::S3
            && (self.s3.endpoint.is_empty() || self.s3.bucket.is_empty())
        {
            return Err(format!(
                "{prefix}.backend = \"s3\" needs {prefix}.s3.endpoint and {prefix}.s3.bucket"
            ));
        }
        Ok(())
    }
}
