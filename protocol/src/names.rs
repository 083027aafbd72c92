//! Torrent names and paths are written by strangers. Every name that will ever become a file or
//! folder, in the control plane and in the engine alike, passes through here and is refused
//! unless it is one plain path component, so no torrent can point outside its job's folder on any
//! operating system.

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("a name is empty")]
    Empty,
    #[error("a name is not valid UTF-8")]
    NotUtf8,
    #[error("a name is longer than {MAX_COMPONENT_BYTES} bytes")]
    TooLong,
    #[error("a name is \".\" or \"..\"")]
    DotName,
    #[error("a name contains a path separator, drive marker or control character: {0:?}")]
    ForbiddenCharacter(String),
    #[error("a path has more than {MAX_DEPTH} levels or {MAX_PATH_BYTES} bytes")]
    PathTooLong,
}

pub const MAX_COMPONENT_BYTES: usize = 255;
pub const MAX_DEPTH: usize = 64;
pub const MAX_PATH_BYTES: usize = 4096;

/// One file or folder name, checked to be a single harmless component.
pub fn component(raw: &[u8]) -> Result<&str, NameError> {
    let name = std::str::from_utf8(raw).map_err(|_| NameError::NotUtf8)?;
    if name.is_empty() {
        return Err(NameError::Empty);
    }
    if name.len() > MAX_COMPONENT_BYTES {
        return Err(NameError::TooLong);
    }
    if name == "." || name == ".." {
        return Err(NameError::DotName);
    }
    if name
        .chars()
        .any(|c| matches!(c, '/' | '\\' | ':' | '\0') || c.is_control())
    {
        return Err(NameError::ForbiddenCharacter(
            name.chars().take(80).collect(),
        ));
    }
    Ok(name)
}

/// Joins already-raw components into a `/`-separated relative path, checking each.
pub fn relative_path<'a>(parts: impl IntoIterator<Item = &'a [u8]>) -> Result<String, NameError> {
    let mut path = String::new();
    let mut depth = 0;
    for raw in parts {
        let name = component(raw)?;
        depth += 1;
        if !path.is_empty() {
            path.push('/');
        }
        path.push_str(name);
        if depth > MAX_DEPTH || path.len() > MAX_PATH_BYTES {
            return Err(NameError::PathTooLong);
        }
    }
    if depth == 0 {
        return Err(NameError::Empty);
    }
    Ok(path)
}

/// A display name from an untrusted source (a magnet's `dn`): shown, never used as a path, so it
/// is only cleaned of control characters and shortened.
pub fn display_name(raw: &str) -> String {
    let cleaned: String = raw
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_COMPONENT_BYTES)
        .collect();
    cleaned.trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_names_pass() {
        assert_eq!(component(b"Ubuntu 24.04.iso"), Ok("Ubuntu 24.04.iso"));
        assert_eq!(component("Été — 夏.mkv".as_bytes()), Ok("Été — 夏.mkv"));
        assert_eq!(
            relative_path([&b"Album"[..], b"CD1", b"01.flac"]),
            Ok("Album/CD1/01.flac".to_owned())
        );
    }

    #[test]
    fn hostile_names_are_refused() {
        for bad in [
            &b""[..],
            b".",
            b"..",
            b"../etc",
            b"/etc/passwd",
            b"a/b",
            b"..\\windows",
            b"C:",
            b"c:\\boot.ini",
            b"nul\0byte",
            b"bell\x07",
            b"new\nline",
            b"\xff\xfe",
        ] {
            assert!(component(bad).is_err(), "{:?} accepted", bad);
        }
        assert!(relative_path([&b"ok"[..], b".."]).is_err());
        assert!(relative_path(std::iter::empty::<&[u8]>()).is_err());
        let long = vec![b'a'; 256];
        assert_eq!(component(&long), Err(NameError::TooLong));
        let deep: Vec<&[u8]> = vec![b"d"; 65];
        assert_eq!(relative_path(deep), Err(NameError::PathTooLong));
    }

    #[test]
    fn display_names_lose_control_characters() {
        assert_eq!(display_name("  My\u{0}Show\n S01 "), "MyShow S01");
    }
}
