//! Object keys: a restricted alphabet and shape, so a key is the same path on every backend and
//! can never climb out of a local folder.

use crate::StorageError;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ObjectKey(String);

const MAX_KEY_BYTES: usize = 512;

impl ObjectKey {
    /// Accepts `a-z A-Z 0-9 . _ -` segments joined by `/`; no segment is empty or starts with a
    /// dot, so there is no `.`, `..` or hidden folder.
    pub fn parse(text: &str) -> Result<ObjectKey, StorageError> {
        let valid = !text.is_empty()
            && text.len() <= MAX_KEY_BYTES
            && text.split('/').all(|segment| {
                !segment.is_empty()
                    && !segment.starts_with('.')
                    && segment
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
            });
        if valid {
            Ok(ObjectKey(text.to_owned()))
        } else {
            Err(StorageError::InvalidKey(text.chars().take(100).collect()))
        }
    }

    /// The key of one file of a job: only ids and the file's index, never its name.
    pub fn job_file(
        user_id: &str,
        job_id: &str,
        file_index: u32,
    ) -> Result<ObjectKey, StorageError> {
        ObjectKey::parse(&format!("users/{user_id}/jobs/{job_id}/files/{file_index}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_plain_relative_paths() {
        assert!(ObjectKey::parse("users/u1/jobs/j1/files/0").is_ok());
        for bad in [
            "",
            "/abs",
            "a//b",
            "a/../b",
            "..",
            "a/./b",
            ".partial/x",
            "a b",
            "a\\b",
            "é",
            "a/",
        ] {
            assert!(ObjectKey::parse(bad).is_err(), "{bad:?} accepted");
        }
        assert!(ObjectKey::parse(&"a".repeat(513)).is_err());
        assert_eq!(
            ObjectKey::job_file("u-1", "j-2", 7).expect("key").as_str(),
            "users/u-1/jobs/j-2/files/7"
        );
        assert!(ObjectKey::job_file("../x", "j", 0).is_err());
    }
}
