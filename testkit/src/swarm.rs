//! A real swarm on 127.0.0.1 for tests: generated files, a .torrent made by Debian's mktorrent,
//! Debian's aria2c seeding it and, when asked, Debian's opentracker announcing it. Used by the engine,
//! cloud, agent and desktop tests.

use sha1::{Digest as _, Sha1};
use sha2::Sha256;
use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::free_port;

#[derive(Debug)]
pub struct SeededFile {
    /// Path inside the job's folder, starting with the torrent's name.
    pub path: String,
    pub size: usize,
    pub sha256: String,
}

#[derive(Debug)]
pub struct Seeder {
    child: Child,
    tracker: Option<Tracker>,
    pub dir: tempfile::TempDir,
    pub name: String,
    pub port: u16,
    pub info_hash: String,
    pub torrent: Vec<u8>,
    pub files: Vec<SeededFile>,
}

impl Drop for Seeder {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Debian's opentracker on 127.0.0.1, tracking the one torrent on its whitelist.
#[derive(Debug)]
struct Tracker {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for Tracker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn running_as_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("Uid:"))
                .and_then(|ids| ids.split_whitespace().nth(1).map(|euid| euid == "0"))
        })
        .unwrap_or(false)
}

impl Tracker {
    fn start(port: u16, info_hash: &str) -> Tracker {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().join("root");
        std::fs::create_dir(&root).expect("mkdir");
        std::fs::write(root.join("whitelist"), format!("{info_hash}\n")).expect("whitelist");
        // As root, opentracker chroots into its folder and becomes `nobody` before it reads the
        // whitelist; as anyone else it only changes into the folder.
        let whitelist = if running_as_root() {
            use std::os::unix::fs::PermissionsExt as _;
            for folder in [dir.path(), root.as_path()] {
                std::fs::set_permissions(folder, std::fs::Permissions::from_mode(0o755))
                    .expect("chmod");
            }
            "/whitelist".to_owned()
        } else {
            root.join("whitelist").display().to_string()
        };
        let config = dir.path().join("opentracker.conf");
        std::fs::write(
            &config,
            format!(
                "listen.tcp_udp 127.0.0.1:{port}\ntracker.rootdir {}\ntracker.user nobody\n\
                 access.whitelist {whitelist}\n",
                root.display()
            ),
        )
        .expect("config");
        let mut child = Command::new("opentracker")
            .arg("-f")
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("opentracker (scripts/setup installs it)");
        wait_for_port(port, &mut child);
        Tracker {
            child,
            port,
            _dir: dir,
        }
    }

    fn announce_url(port: u16) -> String {
        format!("http://127.0.0.1:{port}/announce")
    }

    /// How many seeders the tracker knows for the torrent, from its scrape answer.
    fn has_a_seeder(&self, info_hash: &str) -> bool {
        let escaped: String = hex::decode(info_hash)
            .expect("hex")
            .iter()
            .map(|b| format!("%{b:02X}"))
            .collect();
        let Ok(mut stream) = TcpStream::connect(("127.0.0.1", self.port)) else {
            return false;
        };
        let request =
            format!("GET /scrape?info_hash={escaped} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
        let mut answer = Vec::new();
        if stream.write_all(request.as_bytes()).is_err() || stream.read_to_end(&mut answer).is_err()
        {
            return false;
        }
        answer.windows(11).any(|w| w == b"completei1e")
    }
}

/// Deterministic bytes that do not compress, so every piece differs.
pub fn generated_bytes(seed: u64, size: usize) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(size + 8);
    while out.len() < size {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        out.extend_from_slice(&state.to_le_bytes());
    }
    out.truncate(size);
    out
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

pub fn sha256_of_file(path: &Path) -> String {
    sha256_hex(&std::fs::read(path).expect("read downloaded file"))
}

fn wait_for_port(port: u16, child: &mut Child) {
    wait_until(child, &format!("listening on {port}"), || {
        TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
}

/// aria2c listens before it has checked its files (`-V`) and turns peers away until then; a
/// downloader that came too early finds no other peer and fails its try. Ready means it answers
/// a BitTorrent handshake for the torrent with its own.
fn wait_until_seeding(port: u16, info_hash: &str, child: &mut Child) {
    let hash = hex::decode(info_hash).expect("info hash");
    let mut hello = vec![19u8];
    hello.extend_from_slice(b"BitTorrent protocol");
    hello.extend_from_slice(&[0; 8]);
    hello.extend_from_slice(&hash);
    hello.extend_from_slice(b"-TS0001-readiness-00");
    let answers = || -> std::io::Result<bool> {
        let mut stream = TcpStream::connect(("127.0.0.1", port))?;
        stream.set_read_timeout(Some(Duration::from_secs(2)))?;
        stream.write_all(&hello)?;
        let mut answer = [0u8; 68];
        stream.read_exact(&mut answer)?;
        Ok(answer[..20] == hello[..20] && answer[28..48] == hash[..])
    };
    wait_until(
        child,
        &format!("answering a handshake for {info_hash} on {port}"),
        || answers().unwrap_or(false),
    );
}

/// Polls `ready` until it holds, for at most 30 seconds, and fails the test at once if the
/// process it waits for exits.
fn wait_until(child: &mut Child, what: &str, mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if ready() {
            return;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("the process exited early ({status}) instead of {what}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("the process was not {what} within 30 s");
}

/// The SHA-1 of the bencoded info dictionary. mktorrent writes `info` as the last key (keys are
/// sorted), so the dictionary runs from after `4:info` to the outer `e`.
fn info_hash_of(torrent: &[u8]) -> String {
    let marker = b"4:info";
    let start = torrent
        .windows(marker.len())
        .rposition(|w| w == marker)
        .expect("info key")
        + marker.len();
    hex::encode(Sha1::digest(&torrent[start..torrent.len() - 1]))
}

#[derive(Debug)]
pub struct SeedOptions<'a> {
    pub name: &'a str,
    /// Paths inside the torrent and sizes; one entry without `/` makes a single-file torrent.
    pub files: &'a [(&'a str, usize)],
    /// `--max-overall-upload-limit` of the seeder, e.g. `"2M"`, to keep a download running.
    pub upload_limit: Option<&'a str>,
    /// Announce URL; a dead one when the swarm is found by peer hints.
    pub tracker: Option<&'a str>,
    /// Start an opentracker for the torrent (it becomes the announce URL) and wait until the
    /// seeder has announced itself there; the magnet then names only the tracker.
    pub local_tracker: bool,
    /// log2 of the piece size.
    pub piece_log2: u32,
}

impl Default for SeedOptions<'_> {
    fn default() -> Self {
        SeedOptions {
            name: "swarm-data",
            files: &[("a.bin", 300_000), ("sub/b.bin", 1_000_000)],
            upload_limit: None,
            tracker: None,
            local_tracker: false,
            piece_log2: 16,
        }
    }
}

impl Seeder {
    pub fn start(options: SeedOptions<'_>) -> Seeder {
        let dir = tempfile::tempdir().expect("tempdir");
        let content = dir.path().join("content");
        let single = options.files.len() == 1 && !options.files[0].0.contains('/');
        let root: PathBuf = if single {
            content.clone()
        } else {
            content.join(options.name)
        };
        let mut files = Vec::new();
        for (seed, (path, size)) in options.files.iter().enumerate() {
            let bytes = generated_bytes(seed as u64 + 1, *size);
            let target = if single {
                root.join(options.name)
            } else {
                root.join(path)
            };
            std::fs::create_dir_all(target.parent().expect("parent")).expect("mkdir");
            std::fs::write(&target, &bytes).expect("write seed file");
            files.push(SeededFile {
                path: if single {
                    options.name.to_owned()
                } else {
                    format!("{}/{}", options.name, path)
                },
                size: *size,
                sha256: sha256_hex(&bytes),
            });
        }
        let torrent_path = dir.path().join("swarm.torrent");
        let tracker_port = free_port();
        let announce = if options.local_tracker {
            Tracker::announce_url(tracker_port)
        } else {
            options
                .tracker
                .unwrap_or("http://127.0.0.1:9/announce")
                .to_owned()
        };
        let source = if single {
            root.join(options.name)
        } else {
            root.clone()
        };
        let status = Command::new("mktorrent")
            .args(["-a", &announce, "-l", &options.piece_log2.to_string(), "-o"])
            .arg(&torrent_path)
            .arg(&source)
            .stdout(Stdio::null())
            .status()
            .expect("mktorrent (scripts/setup installs it)");
        assert!(status.success(), "mktorrent failed");
        let torrent = std::fs::read(&torrent_path).expect("torrent");
        let info_hash = info_hash_of(&torrent);
        let tracker = options
            .local_tracker
            .then(|| Tracker::start(tracker_port, &info_hash));
        let port = free_port();
        let mut command = Command::new("aria2c");
        command
            .arg("--interface=127.0.0.1")
            .arg(format!("--listen-port={port}"))
            .arg("--bt-tracker-interval=2")
            .arg("--seed-ratio=0")
            .arg("-V")
            .arg("--enable-dht=false")
            .arg("--enable-dht6=false")
            .arg("--bt-enable-lpd=false")
            .arg("--enable-peer-exchange=false")
            .arg("--console-log-level=error")
            .arg("--summary-interval=0")
            .arg(format!("--dir={}", content.display()));
        if let Some(limit) = options.upload_limit {
            command.arg(format!("--max-overall-upload-limit={limit}"));
        }
        let mut child = command
            .arg(&torrent_path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("aria2c (scripts/setup installs it)");
        wait_until_seeding(port, &info_hash, &mut child);
        if let Some(tracker) = &tracker {
            // The tracker tells a newcomer only about peers that announced before it asked.
            let deadline = Instant::now() + Duration::from_secs(30);
            while !tracker.has_a_seeder(&info_hash) {
                assert!(
                    Instant::now() < deadline,
                    "the seeder never announced itself to opentracker"
                );
                std::thread::sleep(Duration::from_millis(200));
            }
        }
        Seeder {
            child,
            tracker,
            dir,
            name: options.name.to_owned(),
            port,
            info_hash,
            torrent,
            files,
        }
    }

    /// A magnet that reaches the seeder: through the local tracker alone when there is one,
    /// otherwise through a peer hint (`x.pe`), no tracker or DHT needed.
    pub fn magnet(&self) -> String {
        match &self.tracker {
            Some(tracker) => format!(
                "magnet:?xt=urn:btih:{}&dn={}&tr=http%3A%2F%2F127.0.0.1%3A{}%2Fannounce",
                self.info_hash, self.name, tracker.port
            ),
            None => format!(
                "magnet:?xt=urn:btih:{}&dn={}&x.pe=127.0.0.1:{}",
                self.info_hash, self.name, self.port
            ),
        }
    }
}

/// A file of a [`PaddedTorrent`], numbered as libtorrent numbers it.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct NumberedFile {
    pub index: u32,
    pub path: String,
    pub size: u64,
    pub padding: bool,
}

/// A hybrid v1+v2 torrent whose files are aligned by padding files (BEP 47), made by Debian's
/// python3-libtorrent, with the file numbers libtorrent gives them.
#[derive(Debug)]
pub struct PaddedTorrent {
    pub info_hash: String,
    pub torrent: Vec<u8>,
    /// Every entry of the torrent's v1 file list, padding included.
    pub files: Vec<NumberedFile>,
}

impl PaddedTorrent {
    /// A torrent of a folder `name` holding `files` (name and size, of generated bytes).
    pub fn make(name: &str, files: &[(&str, usize)]) -> PaddedTorrent {
        let dir = tempfile::tempdir().expect("tempdir");
        let content = dir.path().join(name);
        for (seed, (path, size)) in files.iter().enumerate() {
            let target = content.join(path);
            std::fs::create_dir_all(target.parent().expect("parent")).expect("mkdir");
            std::fs::write(&target, generated_bytes(seed as u64 + 1, *size)).expect("write");
        }
        let torrent_path = dir.path().join("padded.torrent");
        // Debian's own Python: that is where python3-libtorrent is.
        let out = Command::new("/usr/bin/python3")
            .arg("-c")
            .arg(include_str!("padded_torrent.py"))
            .arg(&content)
            .arg(&torrent_path)
            .output()
            .expect("python3 with libtorrent (scripts/setup installs python3-libtorrent)");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let listing: serde_json::Value =
            serde_json::from_slice(&out.stdout).expect("the file list");
        PaddedTorrent {
            info_hash: listing["infoHash"].as_str().expect("hash").to_owned(),
            torrent: std::fs::read(&torrent_path).expect("torrent"),
            files: serde_json::from_value(listing["files"].clone()).expect("files"),
        }
    }
}
