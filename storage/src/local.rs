//! The local-folder store: objects are files under one root, written under a temporary name and
//! renamed into place. Downloads are served by the API with URLs signed by [`UrlSigner`].

use crate::{ObjectInfo, ObjectKey, StorageError};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct LocalStore {
    root: PathBuf,
}

/// Partially written objects wait here until they are renamed into place; listings skip it.
const PARTIAL_DIR: &str = ".partial";

impl LocalStore {
    pub fn new(root: impl Into<PathBuf>) -> LocalStore {
        LocalStore { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The file behind `key`. Keys are validated, so this never leaves the root.
    pub fn path_of(&self, key: &ObjectKey) -> PathBuf {
        self.root.join(key.as_str())
    }

    pub async fn put_file(&self, key: &ObjectKey, source: &Path) -> Result<u64, StorageError> {
        let partial_dir = self.root.join(PARTIAL_DIR);
        tokio::fs::create_dir_all(&partial_dir).await?;
        let partial = partial_dir.join(uuid::Uuid::new_v4().simple().to_string());
        let copied = tokio::fs::copy(source, &partial).await;
        let size = match copied {
            Ok(size) => size,
            Err(err) => {
                let _ = tokio::fs::remove_file(&partial).await;
                return Err(err.into());
            }
        };
        self.publish(&partial, key).await?;
        Ok(size)
    }

    pub async fn put_bytes(&self, key: &ObjectKey, bytes: &[u8]) -> Result<(), StorageError> {
        let partial_dir = self.root.join(PARTIAL_DIR);
        tokio::fs::create_dir_all(&partial_dir).await?;
        let partial = partial_dir.join(uuid::Uuid::new_v4().simple().to_string());
        tokio::fs::write(&partial, bytes).await?;
        self.publish(&partial, key).await
    }

    async fn publish(&self, partial: &Path, key: &ObjectKey) -> Result<(), StorageError> {
        let target = self.path_of(key);
        if let Some(parent) = target.parent() {
            tokio::fs::create_dir_all(parent).await?;
        }
        if let Err(err) = tokio::fs::rename(partial, &target).await {
            let _ = tokio::fs::remove_file(partial).await;
            return Err(err.into());
        }
        Ok(())
    }

    pub async fn head(&self, key: &ObjectKey) -> Result<Option<ObjectInfo>, StorageError> {
        match tokio::fs::metadata(self.path_of(key)).await {
            Ok(meta) if meta.is_file() => Ok(Some(ObjectInfo {
                key: key.to_string(),
                size: meta.len(),
            })),
            Ok(_) => Ok(None),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(err) => Err(err.into()),
        }
    }

    pub async fn delete(&self, key: &ObjectKey) -> Result<(), StorageError> {
        match tokio::fs::remove_file(self.path_of(key)).await {
            Ok(()) => Ok(()),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(err) => Err(err.into()),
        }
    }

    /// The object's bytes, read as they are sent.
    pub async fn read(&self, key: &ObjectKey) -> Result<crate::ByteStream, StorageError> {
        use futures_util::StreamExt as _;
        let file = match tokio::fs::File::open(self.path_of(key)).await {
            Ok(file) => file,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                return Err(StorageError::NotFound(key.to_string()))
            }
            Err(err) => return Err(err.into()),
        };
        Ok(tokio_util::io::ReaderStream::new(file)
            .map(|chunk| chunk.map_err(StorageError::from))
            .boxed())
    }

    /// Deletes partial copies last written before `cutoff` (left by a writer that crashed).
    pub async fn remove_partials_before(
        &self,
        cutoff: std::time::SystemTime,
    ) -> Result<usize, StorageError> {
        let partial_dir = self.root.join(PARTIAL_DIR);
        let mut entries = match tokio::fs::read_dir(&partial_dir).await {
            Ok(entries) => entries,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(0),
            Err(err) => return Err(err.into()),
        };
        let mut removed = 0;
        while let Some(entry) = entries.next_entry().await? {
            let metadata = entry.metadata().await?;
            if metadata.is_file() && metadata.modified()? < cutoff {
                match tokio::fs::remove_file(entry.path()).await {
                    Ok(()) => removed += 1,
                    Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
                    Err(err) => return Err(err.into()),
                }
            }
        }
        Ok(removed)
    }

    /// Objects whose key starts with `prefix`, sorted by key.
    pub async fn list(&self, prefix: &str) -> Result<Vec<ObjectInfo>, StorageError> {
        let root = self.root.clone();
        let prefix = prefix.to_owned();
        tokio::task::spawn_blocking(move || list_blocking(&root, &prefix))
            .await
            .map_err(|err| StorageError::Io(std::io::Error::other(err)))?
    }
}

fn list_blocking(root: &Path, prefix: &str) -> Result<Vec<ObjectInfo>, StorageError> {
    let mut found = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => continue,
            Err(err) => return Err(err.into()),
        };
        for entry in entries {
            let entry = entry?;
            let path = entry.path();
            let file_type = entry.file_type()?;
            if file_type.is_dir() {
                if dir != root || entry.file_name() != PARTIAL_DIR {
                    stack.push(path);
                }
            } else if file_type.is_file() {
                let Ok(relative) = path.strip_prefix(root) else {
                    continue;
                };
                let key = relative.to_string_lossy().replace('\\', "/");
                if key.starts_with(prefix) {
                    found.push(ObjectInfo {
                        key,
                        size: entry.metadata()?.len(),
                    });
                }
            }
        }
    }
    found.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(found)
}

/// Signs short-lived download URLs for the local store: HMAC-SHA256 over the key, the expiry
/// and the file name the browser is offered, so none of them can be changed.
#[derive(Clone)]
pub struct UrlSigner {
    secret: Vec<u8>,
    /// Keys this one replaced: links they signed stay good until they expire.
    previous: Vec<Vec<u8>>,
}

impl std::fmt::Debug for UrlSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("UrlSigner([redacted])")
    }
}

impl UrlSigner {
    pub fn new(secret: impl Into<Vec<u8>>) -> UrlSigner {
        UrlSigner {
            secret: secret.into(),
            previous: Vec::new(),
        }
    }

    /// Also accepts, until they expire, links signed with any of `secrets`: the keys this one
    /// replaced, so rotating the key does not break downloads already handed out.
    pub fn with_previous(mut self, secrets: impl IntoIterator<Item = Vec<u8>>) -> UrlSigner {
        self.previous = secrets.into_iter().collect();
        self
    }

    fn mac(secret: &[u8], key: &ObjectKey, expires_unix: i64, name: Option<&str>) -> Hmac<Sha256> {
        // HMAC takes keys of any length.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret)
            .unwrap_or_else(|_| unreachable!("HMAC accepts every key length"));
        mac.update(key.as_str().as_bytes());
        mac.update(b"\n");
        mac.update(expires_unix.to_string().as_bytes());
        // A link without a name and one with an empty name differ.
        if let Some(name) = name {
            mac.update(b"\nname=");
            mac.update(name.as_bytes());
        }
        mac
    }

    pub fn sign(&self, key: &ObjectKey, expires_unix: i64, name: Option<&str>) -> String {
        hex::encode(
            Self::mac(&self.secret, key, expires_unix, name)
                .finalize()
                .into_bytes(),
        )
    }

    /// True when `signature` was made by this signer (or with a key it replaced) for `key` and
    /// has not expired at `now`.
    pub fn verify(
        &self,
        key: &ObjectKey,
        expires_unix: i64,
        name: Option<&str>,
        signature: &str,
        now_unix: i64,
    ) -> bool {
        let Ok(raw) = hex::decode(signature) else {
            return false;
        };
        now_unix <= expires_unix
            && std::iter::once(&self.secret)
                .chain(&self.previous)
                .any(|secret| {
                    Self::mac(secret, key, expires_unix, name)
                        .verify_slice(&raw)
                        .is_ok()
                })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn partial_copies_left_by_a_crash_are_removed_once_old_enough() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = LocalStore::new(dir.path().join("objects"));
        let key = ObjectKey::job_file("u1", "j1", 0).expect("key");
        store.put_bytes(&key, b"kept").await.expect("put");
        let partials = dir.path().join("objects").join(PARTIAL_DIR);
        std::fs::write(partials.join("crashed-copy"), b"half a file").expect("partial");

        let an_hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
        assert_eq!(
            store
                .remove_partials_before(an_hour_ago)
                .await
                .expect("sweep"),
            0
        );
        assert!(
            partials.join("crashed-copy").exists(),
            "a young copy may be running"
        );

        let soon = std::time::SystemTime::now() + std::time::Duration::from_secs(60);
        assert_eq!(store.remove_partials_before(soon).await.expect("sweep"), 1);
        assert!(!partials.join("crashed-copy").exists());
        assert!(
            store.head(&key).await.expect("head").is_some(),
            "objects are untouched"
        );
    }

    #[tokio::test]
    async fn objects_round_trip_and_list_by_prefix() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = LocalStore::new(dir.path().join("objects"));
        let source = dir.path().join("source.bin");
        std::fs::write(&source, vec![7u8; 1000]).expect("write");
        let a = ObjectKey::parse("users/u/jobs/j/files/0").expect("key");
        let b = ObjectKey::parse("users/u/jobs/j/files/1").expect("key");
        let other = ObjectKey::parse("users/v/jobs/k/files/0").expect("key");
        assert_eq!(store.put_file(&a, &source).await.expect("put"), 1000);
        store.put_bytes(&b, b"hello").await.expect("put");
        store.put_bytes(&other, b"x").await.expect("put");
        assert_eq!(
            store.head(&a).await.expect("head").map(|i| i.size),
            Some(1000)
        );
        let listed = store.list("users/u/").await.expect("list");
        assert_eq!(
            listed,
            vec![
                ObjectInfo {
                    key: a.to_string(),
                    size: 1000
                },
                ObjectInfo {
                    key: b.to_string(),
                    size: 5
                },
            ]
        );
        store.delete(&a).await.expect("delete");
        store.delete(&a).await.expect("deleting twice is fine");
        assert_eq!(store.head(&a).await.expect("head"), None);
        assert!(!dir
            .path()
            .join("objects/.partial")
            .read_dir()
            .expect("dir")
            .any(|_| true));
    }

    #[test]
    fn signed_urls_expire_and_bind_their_key() {
        let signer = UrlSigner::new(b"secret".to_vec());
        let key = ObjectKey::parse("users/u/jobs/j/files/0").expect("key");
        let other = ObjectKey::parse("users/v/jobs/j/files/0").expect("key");
        let name = Some("movie.mkv");
        let sig = signer.sign(&key, 1_000, name);
        assert!(signer.verify(&key, 1_000, name, &sig, 999));
        assert!(!signer.verify(&key, 1_000, name, &sig, 1_001), "expired");
        assert!(
            !signer.verify(&other, 1_000, name, &sig, 999),
            "another key"
        );
        assert!(
            !signer.verify(&key, 2_000, name, &sig, 999),
            "another expiry"
        );
        assert!(
            !signer.verify(&key, 1_000, Some("movie.html"), &sig, 999),
            "another offered name"
        );
        assert!(
            !signer.verify(&key, 1_000, None, &sig, 999),
            "the name left out"
        );
        assert!(!UrlSigner::new(b"other".to_vec()).verify(&key, 1_000, name, &sig, 999));
        assert!(!signer.verify(&key, 1_000, name, "zz", 999));
    }

    #[test]
    fn links_signed_before_a_rotation_stay_good_until_they_expire() {
        let before = UrlSigner::new(b"the old key".to_vec());
        let key = ObjectKey::parse("users/u/jobs/j/files/0").expect("key");
        let handed_out = before.sign(&key, 1_000, None);
        let rotated =
            UrlSigner::new(b"the new key".to_vec()).with_previous([b"the old key".to_vec()]);
        assert!(rotated.verify(&key, 1_000, None, &handed_out, 999));
        assert!(
            !rotated.verify(&key, 1_000, None, &handed_out, 1_001),
            "expired"
        );
        let fresh = rotated.sign(&key, 1_000, None);
        assert_ne!(fresh, handed_out, "new links are signed with the new key");
        assert!(!before.verify(&key, 1_000, None, &fresh, 999));
        assert!(
            !UrlSigner::new(b"the new key".to_vec()).verify(&key, 1_000, None, &handed_out, 999),
            "once the old key is dropped, its links are refused"
        );
    }
}
