//! Reads a .torrent file (BitTorrent v1, v2 or hybrid) into what a job needs: the info hashes,
//! a name, and a file list whose every path has been checked by [`super::names`].

use super::bencode::{self, BencodeError, Value};
use super::names::{self, NameError};
use sha1::Sha1;
use sha2::{Digest, Sha256};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TorrentFile {
    /// The file's place in the torrent's own list, padding files counted: the number the
    /// engine (librqbit) selects files by, so a selection means the same files on both sides.
    pub index: u32,
    pub path: String,
    pub size: u64,
}

#[derive(Debug, Clone)]
pub struct Metainfo {
    pub name: String,
    pub info_hash_v1: Option<String>,
    pub info_hash_v2: Option<String>,
    pub piece_length: u64,
    /// Files in torrent order, padding files left out (their numbers are skipped).
    pub files: Vec<TorrentFile>,
    pub total_bytes: u64,
    pub trackers: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TorrentError {
    #[error("not valid bencode: {0}")]
    Bencode(#[from] BencodeError),
    #[error("missing or malformed field `{0}`")]
    Field(&'static str),
    #[error("unsafe file name: {0}")]
    Name(#[from] NameError),
    #[error("more than {0} files")]
    TooManyFiles(usize),
    #[error("two files share the path {0:?}")]
    DuplicatePath(String),
    #[error("the piece hashes do not match the file sizes")]
    PieceCount,
    #[error("the torrent holds no data")]
    Empty,
    #[error("file sizes add up past the largest supported size")]
    TooLarge,
}

/// Largest total the service accepts; far above any plan, far below overflow.
const MAX_TOTAL_BYTES: u64 = 1 << 50;

pub fn parse(data: &[u8], max_files: usize) -> Result<Metainfo, TorrentError> {
    let root = bencode::decode(data, bencode::Limits::default())?;
    let info = root.get("info").ok_or(TorrentError::Field("info"))?;
    let Value::Dict(_, span) = info else {
        return Err(TorrentError::Field("info"));
    };
    let info_bytes = &data[span.clone()];

    let name_raw = info
        .get("name.utf-8")
        .or_else(|| info.get("name"))
        .and_then(Value::as_bytes)
        .ok_or(TorrentError::Field("name"))?;
    let name = names::component(name_raw)?.to_owned();

    let piece_length = info
        .get("piece length")
        .and_then(Value::as_int)
        .filter(|n| *n > 0)
        .ok_or(TorrentError::Field("piece length"))? as u64;

    let meta_version = info.get("meta version").and_then(Value::as_int);
    let is_v2 = match meta_version {
        None => false,
        Some(2) => true,
        Some(_) => return Err(TorrentError::Field("meta version")),
    };
    let pieces = info.get("pieces");
    let is_v1 = pieces.is_some();
    if !is_v1 && !is_v2 {
        return Err(TorrentError::Field("pieces"));
    }
    if is_v2 && (!piece_length.is_power_of_two() || piece_length < 16 * 1024) {
        return Err(TorrentError::Field("piece length"));
    }

    let mut files = Vec::new();
    let mut padded_total: u64 = 0;
    if is_v1 {
        v1_files(info, &name, max_files, &mut files, &mut padded_total)?;
        let pieces = pieces
            .and_then(Value::as_bytes)
            .filter(|p| p.len() % 20 == 0)
            .ok_or(TorrentError::Field("pieces"))?;
        if (pieces.len() / 20) as u64 != padded_total.div_ceil(piece_length) {
            return Err(TorrentError::PieceCount);
        }
    } else {
        let tree = info
            .get("file tree")
            .ok_or(TorrentError::Field("file tree"))?;
        let single_file = matches!(tree.as_dict(), Some([(key, _)]) if *key == name.as_bytes()
            && tree.get(&name).and_then(|n| n.get("")).is_some());
        let mut prefix = Vec::new();
        if !single_file {
            prefix.push(name.as_bytes());
        }
        v2_files(tree, &mut prefix, max_files, &mut files, &mut 0)?;
    }

    let total_bytes = files
        .iter()
        .try_fold(0u64, |acc, f| acc.checked_add(f.size))
        .filter(|total| *total <= MAX_TOTAL_BYTES)
        .ok_or(TorrentError::TooLarge)?;
    if total_bytes == 0 {
        return Err(TorrentError::Empty);
    }
    check_paths_distinct(&files)?;

    Ok(Metainfo {
        name,
        info_hash_v1: is_v1.then(|| hex::encode(Sha1::digest(info_bytes))),
        info_hash_v2: is_v2.then(|| hex::encode(Sha256::digest(info_bytes))),
        piece_length,
        files,
        total_bytes,
        trackers: trackers(&root),
    })
}

fn length(value: &Value<'_>) -> Result<u64, TorrentError> {
    value
        .get("length")
        .and_then(Value::as_int)
        .filter(|n| *n >= 0)
        .map(|n| n as u64)
        .filter(|n| *n <= MAX_TOTAL_BYTES)
        .ok_or(TorrentError::Field("length"))
}

fn is_padding(entry: &Value<'_>, path: &[&[u8]]) -> bool {
    let by_attr = entry
        .get("attr")
        .and_then(Value::as_bytes)
        .is_some_and(|attr| attr.contains(&b'p'));
    let by_name = path
        .last()
        .is_some_and(|last| last.starts_with(b"_____padding_file_"));
    by_attr || by_name || path.first() == Some(&&b".pad"[..])
}

fn v1_files(
    info: &Value<'_>,
    name: &str,
    max_files: usize,
    files: &mut Vec<TorrentFile>,
    padded_total: &mut u64,
) -> Result<(), TorrentError> {
    match (info.get("length"), info.get("files")) {
        (Some(_), None) => {
            let size = length(info)?;
            *padded_total = size;
            files.push(TorrentFile {
                index: 0,
                path: name.to_owned(),
                size,
            });
        }
        (None, Some(list)) => {
            let list = list.as_list().ok_or(TorrentError::Field("files"))?;
            if list.len() > max_files {
                return Err(TorrentError::TooManyFiles(max_files));
            }
            for (index, entry) in list.iter().enumerate() {
                let size = length(entry)?;
                *padded_total = padded_total
                    .checked_add(size)
                    .ok_or(TorrentError::TooLarge)?;
                let parts: Vec<&[u8]> = entry
                    .get("path.utf-8")
                    .or_else(|| entry.get("path"))
                    .and_then(Value::as_list)
                    .ok_or(TorrentError::Field("path"))?
                    .iter()
                    .map(|part| part.as_bytes().ok_or(TorrentError::Field("path")))
                    .collect::<Result<_, _>>()?;
                if parts.is_empty() {
                    return Err(NameError::Empty.into());
                }
                if is_padding(entry, &parts) {
                    continue;
                }
                let path = names::relative_path(
                    std::iter::once(name.as_bytes()).chain(parts.iter().copied()),
                )?;
                files.push(TorrentFile {
                    index: index as u32,
                    path,
                    size,
                });
            }
        }
        _ => return Err(TorrentError::Field("files")),
    }
    Ok(())
}

fn v2_files<'a>(
    node: &Value<'a>,
    prefix: &mut Vec<&'a [u8]>,
    max_files: usize,
    files: &mut Vec<TorrentFile>,
    leaves: &mut u32,
) -> Result<(), TorrentError> {
    let entries = node.as_dict().ok_or(TorrentError::Field("file tree"))?;
    for (key, child) in entries {
        if key.is_empty() {
            return Err(TorrentError::Field("file tree"));
        }
        prefix.push(key);
        match child.get("") {
            Some(leaf) => {
                if child.as_dict().map(<[_]>::len) != Some(1) {
                    return Err(TorrentError::Field("file tree"));
                }
                if *leaves as usize >= max_files {
                    return Err(TorrentError::TooManyFiles(max_files));
                }
                let size = length(leaf)?;
                if !is_padding(leaf, prefix) {
                    let path = names::relative_path(prefix.iter().copied())?;
                    files.push(TorrentFile {
                        index: *leaves,
                        path,
                        size,
                    });
                }
                *leaves += 1;
            }
            None => v2_files(child, prefix, max_files, files, leaves)?,
        }
        prefix.pop();
    }
    Ok(())
}

/// No two files may share a path (even on a case-insensitive, normalising file system), and no
/// file may sit where another needs a folder.
fn check_paths_distinct(files: &[TorrentFile]) -> Result<(), TorrentError> {
    names::distinct_paths(files.iter().map(|f| f.path.as_str())).map_err(|err| match err {
        NameError::Collision(path) => TorrentError::DuplicatePath(path),
        other => TorrentError::Name(other),
    })
}

const MAX_TRACKERS: usize = 64;

fn trackers(root: &Value<'_>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut add = |raw: &[u8]| {
        if let Some(url) = super::magnet::tracker_url(raw) {
            if !out.contains(&url) && out.len() < MAX_TRACKERS {
                out.push(url);
            }
        }
    };
    if let Some(url) = root.get("announce").and_then(Value::as_bytes) {
        add(url);
    }
    for tier in root
        .get("announce-list")
        .and_then(Value::as_list)
        .unwrap_or_default()
    {
        for url in tier.as_list().unwrap_or_default() {
            if let Some(url) = url.as_bytes() {
                add(url);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use tseeder_testkit::torrents::{multi_file, single_file, B};

    #[test]
    fn multi_file_torrents_list_their_files_under_the_name() {
        let data = multi_file(
            "Album",
            &[(&["CD1", "01.flac"], 40_000), (&["cover.jpg"], 100)],
        );
        let meta = parse(&data, 100).expect("valid");
        assert_eq!(meta.name, "Album");
        assert_eq!(
            meta.files,
            vec![
                TorrentFile {
                    index: 0,
                    path: "Album/CD1/01.flac".into(),
                    size: 40_000
                },
                TorrentFile {
                    index: 1,
                    path: "Album/cover.jpg".into(),
                    size: 100
                },
            ]
        );
        assert_eq!(meta.total_bytes, 40_100);
        assert_eq!(meta.trackers, vec!["http://127.0.0.1:6969/announce"]);
        assert_eq!(meta.info_hash_v1.as_deref().map(str::len), Some(40));
        assert!(meta.info_hash_v2.is_none());
    }

    #[test]
    fn info_hash_is_sha1_of_the_raw_info_dictionary() {
        let data = single_file("a.bin", 5);
        let start = data.windows(6).position(|w| w == b"4:info").expect("info") + 6;
        let info = &data[start..data.len() - 1];
        let meta = parse(&data, 10).expect("valid");
        assert_eq!(meta.info_hash_v1, Some(hex::encode(Sha1::digest(info))));
    }

    #[test]
    fn v2_file_trees_are_read() {
        let leaf = |size: i64| {
            B::d([(
                "",
                B::d([("length", B::I(size)), ("pieces root", B::S(vec![0; 32]))]),
            )])
        };
        let data = B::d([(
            "info",
            B::d([
                (
                    "file tree",
                    B::d([("docs", B::d([("a.txt", leaf(10))])), ("b.txt", leaf(20))]),
                ),
                ("meta version", B::I(2)),
                ("name", B::s("Set")),
                ("piece length", B::I(16384)),
            ]),
        )])
        .encode();
        let meta = parse(&data, 10).expect("valid v2");
        assert!(meta.info_hash_v1.is_none());
        assert_eq!(meta.info_hash_v2.as_deref().map(str::len), Some(64));
        let paths: Vec<_> = meta.files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(paths, ["Set/b.txt", "Set/docs/a.txt"]);
    }

    #[test]
    fn hostile_paths_are_refused() {
        for path in [
            &[".."][..],
            &["..", "etc", "passwd"],
            &["/etc/passwd"],
            &["a\\..\\..\\boot.ini"],
            &[""],
            &["C:", "x"],
            &[],
        ] {
            let data = multi_file("ok", &[(path, 10)]);
            assert!(
                matches!(parse(&data, 10), Err(TorrentError::Name(_))),
                "{path:?} accepted"
            );
        }
        for name in ["..", "/abs", "a/b", "back\\slash", ""] {
            let data = single_file(name, 10);
            assert!(parse(&data, 10).is_err(), "name {name:?} accepted");
        }
    }

    #[test]
    fn inconsistent_or_huge_torrents_are_refused() {
        let too_many: Vec<(Vec<String>, i64)> =
            (0..11).map(|i| (vec![format!("f{i}")], 1)).collect();
        let refs: Vec<Vec<&str>> = too_many
            .iter()
            .map(|(p, _)| p.iter().map(String::as_str).collect())
            .collect();
        let files: Vec<(&[&str], i64)> = refs.iter().map(|p| (p.as_slice(), 1)).collect();
        let data = multi_file("many", &files);
        assert_eq!(parse(&data, 10).err(), Some(TorrentError::TooManyFiles(10)));
        assert!(parse(&data, 11).is_ok());

        let dup = multi_file("d", &[(&["x"], 1), (&["x"], 2)]);
        assert!(matches!(
            parse(&dup, 10),
            Err(TorrentError::DuplicatePath(_))
        ));
        let shadow = multi_file("d", &[(&["x"], 1), (&["x", "y"], 2)]);
        assert!(matches!(
            parse(&shadow, 10),
            Err(TorrentError::DuplicatePath(_))
        ));

        let mut wrong_pieces = single_file("a", 20_000);
        let at = wrong_pieces
            .windows(7)
            .position(|w| w == b"6:piece")
            .expect("pieces");
        wrong_pieces.truncate(at);
        assert!(parse(&wrong_pieces, 10).is_err());

        assert_eq!(
            parse(&single_file("empty", 0), 10).err(),
            Some(TorrentError::Empty)
        );
        let negative = multi_file("n", &[(&["x"], -5)]);
        assert!(parse(&negative, 10).is_err());
        assert!(parse(b"not bencode", 10).is_err());
        assert!(parse(b"de", 10).is_err());
    }
}
