//! Builders of .torrent files for tests, well-formed and hostile alike, written by hand in
//! bencode so a test can make exactly the malformed file it needs.

use std::collections::BTreeMap;

#[derive(Debug, Clone)]
pub enum B {
    I(i64),
    S(Vec<u8>),
    L(Vec<B>),
    D(BTreeMap<Vec<u8>, B>),
}

impl B {
    pub fn s(text: impl AsRef<[u8]>) -> B {
        B::S(text.as_ref().to_vec())
    }

    pub fn d<const N: usize>(entries: [(&str, B); N]) -> B {
        B::D(
            entries
                .into_iter()
                .map(|(k, v)| (k.as_bytes().to_vec(), v))
                .collect(),
        )
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.write(&mut out);
        out
    }

    fn write(&self, out: &mut Vec<u8>) {
        match self {
            B::I(n) => out.extend_from_slice(format!("i{n}e").as_bytes()),
            B::S(bytes) => {
                out.extend_from_slice(format!("{}:", bytes.len()).as_bytes());
                out.extend_from_slice(bytes);
            }
            B::L(items) => {
                out.push(b'l');
                items.iter().for_each(|item| item.write(out));
                out.push(b'e');
            }
            B::D(entries) => {
                out.push(b'd');
                for (key, value) in entries {
                    B::S(key.clone()).write(out);
                    value.write(out);
                }
                out.push(b'e');
            }
        }
    }
}

/// A v1 multi-file torrent with the given (path components, size) files and a correct
/// piece count.
pub fn multi_file(name: &str, files: &[(&[&str], i64)]) -> Vec<u8> {
    let piece_length = 16 * 1024;
    let total: i64 = files.iter().map(|(_, size)| (*size).max(0)).sum();
    let pieces = (total as u64).div_ceil(piece_length as u64) as usize;
    let list = files
        .iter()
        .map(|(path, size)| {
            B::d([
                ("length", B::I(*size)),
                ("path", B::L(path.iter().map(B::s).collect())),
            ])
        })
        .collect();
    B::d([
        ("announce", B::s("http://127.0.0.1:6969/announce")),
        (
            "info",
            B::d([
                ("files", B::L(list)),
                ("name", B::s(name)),
                ("piece length", B::I(piece_length)),
                ("pieces", B::S(vec![7u8; pieces * 20])),
            ]),
        ),
    ])
    .encode()
}

pub fn single_file(name: &str, size: i64) -> Vec<u8> {
    single_file_sized(name, size, 16 * 1024)
}

/// A single-file torrent with a chosen piece length, for sizes far beyond what tests download.
pub fn single_file_sized(name: &str, size: i64, piece_length: i64) -> Vec<u8> {
    let pieces = (size as u64).div_ceil(piece_length as u64) as usize;
    B::d([(
        "info",
        B::d([
            ("length", B::I(size)),
            ("name", B::s(name)),
            ("piece length", B::I(piece_length)),
            ("pieces", B::S(vec![3u8; pieces * 20])),
        ]),
    )])
    .encode()
}
