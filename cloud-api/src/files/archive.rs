//! A streaming ZIP writer for "download the whole job": files are stored (media does not
//! compress), sizes are known up front so the archive's length is too, CRCs are computed while
//! the bytes pass, and every entry uses ZIP64 fields so files and archives past 4 GiB work with
//! the same code that the tests run.

const LOCAL_HEADER: u32 = 0x0403_4b50;

const DATA_DESCRIPTOR: u32 = 0x0807_4b50;

const CENTRAL_HEADER: u32 = 0x0201_4b50;

const ZIP64_END: u32 = 0x0606_4b50;

const ZIP64_LOCATOR: u32 = 0x0706_4b50;

const END: u32 = 0x0605_4b50;

/// ZIP64 needs version 4.5.
const VERSION: u16 = 45;

/// Bit 3: sizes and CRC follow the data; bit 11: names are UTF-8.
const FLAGS: u16 = 0x0808;

/// 1980-01-01, the earliest DOS date: the archive carries no misleading timestamps.
const DOS_DATE: u16 = 0x0021;

const LOCAL_FIXED: u64 = 30 + 20;

const DESCRIPTOR_LEN: u64 = 24;

const CENTRAL_FIXED: u64 = 46 + 28;

const TAIL_LEN: u64 = 56 + 20 + 22;

#[derive(Debug, Clone)]
pub struct ZipEntry {
    /// `/`-separated path inside the archive (already sanitized).
    pub name: String,
    pub size: u64,
}

/// The exact length of the archive holding `entries`.
pub fn archive_length(entries: &[ZipEntry]) -> u64 {
    entries
        .iter()
        .map(|e| LOCAL_FIXED + CENTRAL_FIXED + 2 * e.name.len() as u64 + e.size + DESCRIPTOR_LEN)
        .sum::<u64>()
        + TAIL_LEN
}

/// Produces the bytes around each file's data, in order: `begin`, the data, `end`, …, `finish`.
#[derive(Debug, Default)]
pub struct ZipWriter {
    offset: u64,
    central: Vec<u8>,
    entries: u64,
    current_start: u64,
}

fn put16(out: &mut Vec<u8>, value: u16) {
    out.extend_from_slice(&value.to_le_bytes());
}

fn put32(out: &mut Vec<u8>, value: u32) {
    out.extend_from_slice(&value.to_le_bytes());
}

fn put64(out: &mut Vec<u8>, value: u64) {
    out.extend_from_slice(&value.to_le_bytes());
}

impl ZipWriter {
    /// The local header of the next entry.
    pub fn begin(&mut self, entry: &ZipEntry) -> Vec<u8> {
        self.current_start = self.offset;
        let mut out = Vec::with_capacity(LOCAL_FIXED as usize + entry.name.len());
        put32(&mut out, LOCAL_HEADER);
        put16(&mut out, VERSION);
        put16(&mut out, FLAGS);
        put16(&mut out, 0); // stored
        put16(&mut out, 0);
        put16(&mut out, DOS_DATE);
        put32(&mut out, 0); // CRC follows in the descriptor
        put32(&mut out, u32::MAX);
        put32(&mut out, u32::MAX);
        put16(&mut out, entry.name.len() as u16);
        put16(&mut out, 20);
        out.extend_from_slice(entry.name.as_bytes());
        put16(&mut out, 0x0001);
        put16(&mut out, 16);
        put64(&mut out, entry.size);
        put64(&mut out, entry.size);
        self.offset += out.len() as u64 + entry.size;
        out
    }

    /// The data descriptor after the entry's `size` bytes with checksum `crc`.
    pub fn end(&mut self, entry: &ZipEntry, crc: u32) -> Vec<u8> {
        let mut out = Vec::with_capacity(DESCRIPTOR_LEN as usize);
        put32(&mut out, DATA_DESCRIPTOR);
        put32(&mut out, crc);
        put64(&mut out, entry.size);
        put64(&mut out, entry.size);
        self.offset += out.len() as u64;

        let central = &mut self.central;
        put32(central, CENTRAL_HEADER);
        put16(central, VERSION | (3 << 8)); // made on Unix, so permissions below apply
        put16(central, VERSION);
        put16(central, FLAGS);
        put16(central, 0);
        put16(central, 0);
        put16(central, DOS_DATE);
        put32(central, crc);
        put32(central, u32::MAX);
        put32(central, u32::MAX);
        put16(central, entry.name.len() as u16);
        put16(central, 28);
        put16(central, 0); // comment
        put16(central, 0); // disk
        put16(central, 0); // internal attributes
        put32(central, 0o100_644 << 16); // a plain rw-r--r-- file
        put32(central, u32::MAX);
        central.extend_from_slice(entry.name.as_bytes());
        put16(central, 0x0001);
        put16(central, 24);
        put64(central, entry.size);
        put64(central, entry.size);
        put64(central, self.current_start);
        self.entries += 1;
        out
    }

    /// The central directory and end records.
    pub fn finish(self) -> Vec<u8> {
        let directory_offset = self.offset;
        let directory_len = self.central.len() as u64;
        let mut out = self.central;
        let zip64_end_offset = directory_offset + directory_len;
        put32(&mut out, ZIP64_END);
        put64(&mut out, 44);
        put16(&mut out, VERSION | (3 << 8));
        put16(&mut out, VERSION);
        put32(&mut out, 0);
        put32(&mut out, 0);
        put64(&mut out, self.entries);
        put64(&mut out, self.entries);
        put64(&mut out, directory_len);
        put64(&mut out, directory_offset);
        put32(&mut out, ZIP64_LOCATOR);
        put32(&mut out, 0);
        put64(&mut out, zip64_end_offset);
        put32(&mut out, 1);
        put32(&mut out, END);
        put16(&mut out, 0);
        put16(&mut out, 0);
        put16(&mut out, u16::MAX);
        put16(&mut out, u16::MAX);
        put32(&mut out, u32::MAX);
        put32(&mut out, u32::MAX);
        put16(&mut out, 0);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writes an archive in memory the way the download route does.
    fn archive(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut writer = ZipWriter::default();
        let mut out = Vec::new();
        for (name, data) in files {
            let entry = ZipEntry {
                name: (*name).to_owned(),
                size: data.len() as u64,
            };
            out.extend(writer.begin(&entry));
            out.extend_from_slice(data);
            out.extend(writer.end(&entry, crc32fast::hash(data)));
        }
        out.extend(writer.finish());
        out
    }

    #[test]
    fn the_announced_length_is_the_written_length() {
        let files: [(&str, &[u8]); 3] = [
            ("job/a.bin", b"hello"),
            ("job/sub/été.txt", &[7u8; 1000]),
            ("empty", b""),
        ];
        let bytes = archive(&files);
        let entries: Vec<_> = files
            .iter()
            .map(|(n, d)| ZipEntry {
                name: (*n).to_owned(),
                size: d.len() as u64,
            })
            .collect();
        assert_eq!(bytes.len() as u64, archive_length(&entries));
        assert_eq!(&bytes[..4], &LOCAL_HEADER.to_le_bytes());
        assert_eq!(&bytes[bytes.len() - 22..][..4], &END.to_le_bytes());
    }

    #[test]
    fn python_reads_the_archive_and_checks_every_crc() {
        let files: [(&str, &[u8]); 2] = [("dir/one.txt", b"first file"), ("two.bin", &[1u8, 2, 3])];
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("t.zip");
        std::fs::write(&path, archive(&files)).expect("write");
        let script = "import sys, zipfile\n\
                      z = zipfile.ZipFile(sys.argv[1])\n\
                      assert z.testzip() is None\n\
                      print(';'.join(f'{i.filename}={z.read(i).hex()}' for i in z.infolist()))";
        let out = std::process::Command::new("python3")
            .args(["-c", script])
            .arg(&path)
            .output()
            .expect("python3 (scripts/setup installs it)");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim(),
            format!("dir/one.txt={};two.bin=010203", hex::encode("first file"))
        );
    }
}
