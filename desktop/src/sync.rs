//! Copies a finished cloud job's files into the sync folder. Each file is fetched into a hidden
//! temporary file next to its final name, resumed with HTTP Range from whatever is already on
//! disk after a crash or a lost connection, checked (size, and SHA-256 when the server sends
//! one), and only then linked under its final name, never over a file that is already there.

use crate::db::{self, Db, SyncRow};
use futures_util::StreamExt;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use tseeder_protocol::names;

mod disk;
pub mod job;

use disk::DiskWriter;

pub const PENDING: &str = "pending";
pub const DONE: &str = "done";
pub const FAILED: &str = "failed";

/// How often the received count is written down while a file streams in.
const RECORD_EVERY_BYTES: u64 = 16 * 1024 * 1024;
/// Suffix of the temporary file; a leading dot hides it too.
pub const PART_SUFFIX: &str = ".tseeder-part";

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("the file's path {0:?} is not safe to write")]
    UnsafePath(String),
    #[error("the download was interrupted: {0}")]
    Network(String),
    #[error("the server answered {0}")]
    Status(u16),
    #[error("the server sent a different part of the file than asked")]
    WrongRange,
    #[error("the file is {got} bytes; the cloud says {expected}")]
    SizeMismatch { got: u64, expected: u64 },
    #[error("the file's SHA-256 does not match what the server sent")]
    HashMismatch,
    #[error("file system: {0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Db(#[from] db::DbError),
}

impl SyncError {
    /// Worth trying again later (the next start, or the next pass).
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            SyncError::Network(_) | SyncError::Status(500..) | SyncError::Status(429)
        )
    }
}

/// The HTTP client file transfers use: patient with slow links, quick to notice a dead one.
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .read_timeout(Duration::from_secs(60))
        .build()
        .unwrap_or_default()
}

/// Where a cloud file lands: its checked path under the sync folder.
pub fn target_path(sync_dir: &Path, remote_path: &str) -> Result<PathBuf, SyncError> {
    let checked = names::relative_path(remote_path.split('/').map(str::as_bytes))
        .map_err(|_| SyncError::UnsafePath(remote_path.to_owned()))?;
    Ok(checked
        .split('/')
        .fold(sync_dir.to_path_buf(), |path, part| path.join(part)))
}

/// The hidden temporary file next to `final_path`.
pub fn part_path(final_path: &Path) -> PathBuf {
    let name = final_path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    final_path.with_file_name(format!(".{name}{PART_SUFFIX}"))
}

/// `path` if nothing is there, else the first free "name (n).ext" beside it.
pub fn free_name(path: &Path) -> PathBuf {
    if !path.exists() {
        return path.to_path_buf();
    }
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let ext = path
        .extension()
        .map(|e| format!(".{}", e.to_string_lossy()))
        .unwrap_or_default();
    (1..)
        .map(|n| path.with_file_name(format!("{stem} ({n}){ext}")))
        .find(|candidate| !candidate.exists() && !part_path(candidate).exists())
        .unwrap_or_else(|| path.to_path_buf())
}

/// Caps the average rate of one transfer.
#[derive(Debug)]
pub struct RateLimit {
    bytes_per_second: u64,
    started: Instant,
    sent: u64,
}

impl RateLimit {
    pub fn new(bytes_per_second: u64) -> RateLimit {
        RateLimit {
            bytes_per_second,
            started: Instant::now(),
            sent: 0,
        }
    }

    /// Waits as long as `bytes` more must wait to keep under the cap (0: no cap).
    pub async fn take(&mut self, bytes: u64) {
        if self.bytes_per_second == 0 {
            return;
        }
        self.sent += bytes;
        let due = Duration::from_secs_f64(self.sent as f64 / self.bytes_per_second as f64);
        let elapsed = self.started.elapsed();
        if due > elapsed {
            tokio::time::sleep(due - elapsed).await;
        }
    }
}

/// Fetches one file of a sync row from `url` (a fresh signed link) and returns where it landed.
/// `limit_bps` 0 means no cap; `on_progress` hears the bytes on disk.
pub async fn fetch_file(
    db: &Db,
    http: &reqwest::Client,
    row: &SyncRow,
    url: &str,
    sync_dir: &Path,
    limit_bps: u64,
    on_progress: impl FnMut(u64),
) -> Result<PathBuf, SyncError> {
    let mut row = row.clone();
    let final_path = reserve_path(db, &mut row, sync_dir).await?;
    if let Some(parent) = final_path.parent() {
        tokio::fs::create_dir_all(parent).await?;
    }
    let part = part_path(&final_path);
    let mut file = tokio::fs::File::from_std(open_locked(part.clone()).await?);
    // What is on disk is the truth: the database may lag by one record interval.
    let mut received = file.metadata().await?.len();
    if received > row.size {
        file.set_len(0).await?;
        received = 0;
    }
    let mut server_hash = None;
    if received < row.size {
        let (response, from) = request_rest(http, url, received).await?;
        server_hash = sha256_header(response.headers());
        if from == 0 {
            // The server ignored the range: start over rather than append a second copy.
            file.set_len(0).await?;
        }
        file.seek(std::io::SeekFrom::Start(from)).await?;
        file = receive(db, &row, response, file, from, limit_bps, on_progress).await?;
    } else {
        file.sync_all().await?;
    }
    check_complete(db, &row, &mut file, server_hash).await?;
    drop(file);
    let landed = publish(&part, &final_path).await?;
    row.local_path = Some(landed.to_string_lossy().into_owned());
    row.received = row.size;
    row.status = DONE.into();
    row.error = None;
    let stored = row.clone();
    db.call(move |conn| db::update_sync(conn, &stored)).await?;
    Ok(landed)
}

/// The file's place in the sync folder: the one chosen by an earlier try, or a free name that
/// is recorded before any byte is written, so a resume finds the same file.
async fn reserve_path(db: &Db, row: &mut SyncRow, sync_dir: &Path) -> Result<PathBuf, SyncError> {
    if let Some(path) = &row.local_path {
        return Ok(PathBuf::from(path));
    }
    let reserved = free_name(&target_path(sync_dir, &row.remote_path)?);
    row.local_path = Some(reserved.to_string_lossy().into_owned());
    let stored = row.clone();
    db.call(move |conn| db::update_sync(conn, &stored)).await?;
    Ok(reserved)
}

/// Asks for the bytes from `received` on; answers the response and the offset its body
/// starts at (0 when the server sent the whole file instead of the range).
async fn request_rest(
    http: &reqwest::Client,
    url: &str,
    received: u64,
) -> Result<(reqwest::Response, u64), SyncError> {
    let response = http
        .get(url)
        .header("range", format!("bytes={received}-"))
        .send()
        .await
        .map_err(|err| SyncError::Network(err.to_string()))?;
    match response.status().as_u16() {
        206 => {
            let start = response
                .headers()
                .get("content-range")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("bytes "))
                .and_then(|v| v.split('-').next())
                .and_then(|v| v.parse::<u64>().ok());
            if start != Some(received) {
                return Err(SyncError::WrongRange);
            }
            Ok((response, received))
        }
        200 => Ok((response, 0)),
        status => Err(SyncError::Status(status)),
    }
}

/// Writes the response body after `received` bytes already on disk, recording progress every
/// `RECORD_EVERY_BYTES`; answers the file once the disk has it. A broken connection keeps what
/// arrived, for the next resume.
async fn receive(
    db: &Db,
    row: &SyncRow,
    response: reqwest::Response,
    file: tokio::fs::File,
    mut received: u64,
    limit_bps: u64,
    mut on_progress: impl FnMut(u64),
) -> Result<tokio::fs::File, SyncError> {
    let mut limit = RateLimit::new(limit_bps);
    let mut recorded = received;
    let mut body = response.bytes_stream();
    // The disk works on its own thread while the next bytes arrive, and finishes with the
    // flush to the device, so that waiting on the disk never stalls the transfer.
    let mut writer = DiskWriter::start(file.into_std().await)?;
    let mut broken = None;
    while let Some(chunk) = body.next().await {
        let chunk = match chunk {
            Ok(chunk) => chunk,
            Err(err) => {
                broken = Some(SyncError::Network(err.to_string()));
                break;
            }
        };
        let len = chunk.len() as u64;
        if received + len > row.size {
            broken = Some(SyncError::SizeMismatch {
                got: received + len,
                expected: row.size,
            });
            break;
        }
        received += len;
        if !writer.write(chunk).await {
            break;
        }
        on_progress(received);
        if received - recorded >= RECORD_EVERY_BYTES {
            let (job, index) = (row.job_id.clone(), row.file_index);
            db.call(move |conn| db::set_sync_received(conn, &job, index, received))
                .await?;
            recorded = received;
        }
        limit.take(len).await;
    }
    let file = tokio::fs::File::from_std(writer.finish().await?);
    match broken {
        Some(err) => Err(err),
        None => Ok(file),
    }
}

/// The whole file is there, and matches the server's SHA-256 when it sent one; a short file's
/// length is recorded for the resume, a corrupt one is emptied so the next try starts over.
async fn check_complete(
    db: &Db,
    row: &SyncRow,
    file: &mut tokio::fs::File,
    server_hash: Option<Vec<u8>>,
) -> Result<(), SyncError> {
    let got = file.metadata().await?.len();
    if got != row.size {
        let (job, index) = (row.job_id.clone(), row.file_index);
        db.call(move |conn| db::set_sync_received(conn, &job, index, got))
            .await?;
        return Err(SyncError::Network(format!(
            "the connection closed after {got} of {} bytes",
            row.size
        )));
    }
    if let Some(expected) = server_hash {
        if sha256_of(file).await? != expected {
            file.set_len(0).await?;
            return Err(SyncError::HashMismatch);
        }
    }
    Ok(())
}

/// Opens (or creates) a temporary file and takes its exclusive lock, waiting for any writer of
/// an abandoned transfer of the same file to let go first, so two never write it at once and
/// the length read next is final.
async fn open_locked(part: PathBuf) -> Result<std::fs::File, SyncError> {
    tokio::task::spawn_blocking(move || {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(&part)?;
        file.lock()?;
        Ok(file)
    })
    .await
    .map_err(|err| SyncError::Io(std::io::Error::other(err)))?
}

/// Gives the verified temporary file its final name without ever replacing a file that appeared
/// there meanwhile: a hard link fails when the name is taken, and then the next free name is used.
async fn publish(part: &Path, final_path: &Path) -> Result<PathBuf, SyncError> {
    let mut target = final_path.to_path_buf();
    for _ in 0..100 {
        match tokio::fs::hard_link(part, &target).await {
            Ok(()) => {
                tokio::fs::remove_file(part).await?;
                return Ok(target);
            }
            Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => {
                target = free_name(final_path);
            }
            Err(_) if !target.exists() => {
                // No hard links here (some network or FAT file systems): a rename, checked first.
                tokio::fs::rename(part, &target).await?;
                return Ok(target);
            }
            Err(err) => return Err(err.into()),
        }
    }
    Err(SyncError::Io(std::io::Error::other(
        "no free file name for the synced file",
    )))
}

/// A SHA-256 the server states for the whole file: `Repr-Digest: sha-256=:…:` (RFC 9530) or
/// S3's `x-amz-checksum-sha256`, both base64.
fn sha256_header(headers: &reqwest::header::HeaderMap) -> Option<Vec<u8>> {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    if let Some(value) = headers.get("repr-digest").and_then(|v| v.to_str().ok()) {
        for part in value.split(',') {
            if let Some(rest) = part.trim().strip_prefix("sha-256=:") {
                return b64.decode(rest.trim_end_matches(':')).ok();
            }
        }
    }
    headers
        .get("x-amz-checksum-sha256")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.contains('-'))
        .and_then(|v| b64.decode(v).ok())
}

async fn sha256_of(file: &mut tokio::fs::File) -> Result<Vec<u8>, SyncError> {
    file.seek(std::io::SeekFrom::Start(0)).await?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let read = file.read(&mut buffer).await?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
    }
    Ok(hasher.finalize().to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_paths_stay_inside_the_sync_folder() {
        let dir = Path::new("/home/ann/Cloud");
        assert_eq!(
            target_path(dir, "Album/01 intro.flac").expect("ok"),
            dir.join("Album").join("01 intro.flac")
        );
        for bad in ["../x", "/etc/passwd", "a/../../b", "", "a//b", "a\\..\\b"] {
            let landed = target_path(dir, bad);
            assert!(
                landed.as_ref().map_or(true, |p| p.starts_with(dir)
                    && !p.to_string_lossy().contains("..")),
                "{bad:?} -> {landed:?}"
            );
        }
    }

    #[test]
    fn the_temporary_name_is_hidden_and_never_the_final_one() {
        let part = part_path(Path::new("/s/Movie.mkv"));
        assert_eq!(part, Path::new("/s/.Movie.mkv.tseeder-part"));
    }

    #[test]
    fn a_taken_name_gets_a_numbered_sibling() {
        let dir = tempfile::tempdir().expect("dir");
        let taken = dir.path().join("notes.txt");
        std::fs::write(&taken, b"mine").expect("write");
        assert_eq!(free_name(&taken), dir.path().join("notes (1).txt"));
        std::fs::write(dir.path().join("notes (1).txt"), b"also mine").expect("write");
        assert_eq!(free_name(&taken), dir.path().join("notes (2).txt"));
        assert_eq!(
            free_name(&dir.path().join("new.txt")),
            dir.path().join("new.txt")
        );
    }

    #[tokio::test]
    async fn the_rate_limit_spaces_out_transfers() {
        let mut limit = RateLimit::new(1_000_000);
        let start = Instant::now();
        limit.take(250_000).await;
        limit.take(250_000).await;
        assert!(
            start.elapsed() >= Duration::from_millis(450),
            "{:?}",
            start.elapsed()
        );
        let mut free = RateLimit::new(0);
        let start = Instant::now();
        free.take(u64::MAX / 2).await;
        assert!(start.elapsed() < Duration::from_millis(50));
    }
}
