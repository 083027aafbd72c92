//! Torrent names and paths are written by strangers. Every name that will ever become a file or
//! folder, in the control plane and in the engine alike, passes through here and is refused
//! unless it is one plain path component that every operating system the files may sync to
//! writes as itself: no torrent can point outside its job's folder, name a Windows device,
//! hide its real extension behind bidirectional-text tricks, or have two files land on one
//! name on a case-insensitive or normalising file system.

use std::collections::HashSet;
use unicode_normalization::UnicodeNormalization;

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
    #[error("a name is reserved by Windows: {0:?}")]
    Reserved(String),
    #[error("a name ends with a dot or a space, which Windows drops: {0:?}")]
    TrailingDotOrSpace(String),
    #[error("a name contains invisible formatting or text-direction characters: {0:?}")]
    InvisibleCharacter(String),
    #[error("two files would share the path {0:?} on a case-insensitive file system")]
    Collision(String),
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
    let shown = || name.chars().take(80).collect::<String>();
    if name.chars().any(|c| {
        matches!(
            c,
            '/' | '\\' | ':' | '\0' | '<' | '>' | '"' | '|' | '?' | '*'
        ) || c.is_control()
    }) {
        return Err(NameError::ForbiddenCharacter(shown()));
    }
    if name.chars().any(is_format_character) {
        return Err(NameError::InvisibleCharacter(shown()));
    }
    if name.ends_with('.') || name.ends_with(' ') {
        return Err(NameError::TrailingDotOrSpace(shown()));
    }
    if is_windows_device(name) {
        return Err(NameError::Reserved(shown()));
    }
    Ok(name)
}

/// `CON`, `aux.txt`, `LPT1.tar.gz`…: Windows opens a device for these whatever the extension.
fn is_windows_device(name: &str) -> bool {
    let stem = name
        .split('.')
        .next()
        .unwrap_or(name)
        .trim_end()
        .to_ascii_uppercase();
    match stem.as_str() {
        "CON" | "PRN" | "AUX" | "NUL" | "CONIN$" | "CONOUT$" => true,
        _ => {
            let (prefix, digit) = stem.split_at(stem.len().min(3));
            matches!(prefix, "COM" | "LPT")
                && matches!(
                    digit,
                    "0" | "1" | "2" | "3" | "4" | "5" | "6" | "7" | "8" | "9" | "¹" | "²" | "³"
                )
        }
    }
}

/// Unicode format characters (general category Cf): zero-width characters, text-direction
/// overrides and isolates that make `gpj.exe` display as `exe.jpg`, byte-order marks, tags.
fn is_format_character(c: char) -> bool {
    matches!(c as u32,
        0x00AD | 0x0600..=0x0605 | 0x061C | 0x06DD | 0x070F | 0x0890..=0x0891 | 0x08E2
        | 0x180E | 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x2064 | 0x2066..=0x206F
        | 0xFEFF | 0xFFF9..=0xFFFB | 0x110BD | 0x110CD | 0x13430..=0x1343F
        | 0x1BCA0..=0x1BCA3 | 0x1D173..=0x1D17A | 0xE0001 | 0xE0020..=0xE007F)
}

/// What a path is on a file system that ignores case and normalises Unicode (Windows, macOS).
fn collision_key(path: &str) -> String {
    path.nfc().collect::<String>().to_lowercase()
}

/// No two paths may be the same file on a case-insensitive, normalising file system, and no
/// file may sit where another needs a folder.
pub fn distinct_paths<'a>(paths: impl IntoIterator<Item = &'a str>) -> Result<(), NameError> {
    let keys: Vec<(String, &str)> = paths
        .into_iter()
        .map(|path| (collision_key(path), path))
        .collect();
    let mut seen = HashSet::with_capacity(keys.len());
    for (key, path) in &keys {
        if !seen.insert(key.as_str()) {
            return Err(NameError::Collision(path.chars().take(200).collect()));
        }
    }
    for (key, _) in &keys {
        let mut rest = key.as_str();
        while let Some((parent, _)) = rest.rsplit_once('/') {
            if seen.contains(parent) {
                return Err(NameError::Collision(parent.chars().take(200).collect()));
            }
            rest = parent;
        }
    }
    Ok(())
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
    fn names_other_systems_would_change_are_refused() {
        for bad in [
            "CON",
            "con",
            "aux.txt",
            "NUL.tar.gz",
            "com1",
            "LPT9.log",
            "COM¹",
            "what?.txt",
            "a<b",
            "a>b",
            "say \"hi\"",
            "pipe|name",
            "star*",
            "trailing.",
            "trailing ",
            "evil\u{202E}gpj.exe",
            "zero\u{200B}width",
            "\u{FEFF}bom",
            "isolate\u{2066}x",
        ] {
            assert!(component(bad.as_bytes()).is_err(), "{bad:?} accepted");
        }
        for good in [
            "console.log",
            "Auxiliary",
            "COM10",
            "LPT",
            ".hidden",
            "a. b",
            "CONTRIBUTING.md",
        ] {
            assert_eq!(component(good.as_bytes()), Ok(good), "{good:?} refused");
        }
    }

    #[test]
    fn paths_that_fold_to_one_name_collide() {
        assert!(distinct_paths(["Album/a.flac", "Album/b.flac"]).is_ok());
        assert_eq!(
            distinct_paths(["Album/Track.flac", "Album/track.FLAC"]),
            Err(NameError::Collision("Album/track.FLAC".into()))
        );
        // "é" precomposed and as e + combining acute.
        assert!(distinct_paths(["caf\u{e9}.txt", "cafe\u{301}.txt"]).is_err());
        // A file where another file needs a folder, even in another case.
        assert!(distinct_paths(["docs", "DOCS/readme.txt"]).is_err());
    }

    #[test]
    fn display_names_lose_control_characters() {
        assert_eq!(display_name("  My\u{0}Show\n S01 "), "MyShow S01");
    }
}
