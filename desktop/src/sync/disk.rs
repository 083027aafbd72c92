//! Puts a transfer's bytes on the disk on a thread of its own, so that waiting on the disk never
//! stalls the network. A synced file must be on the device before it counts, so the writing
//! goes straight to the device where the file system allows it (`O_DIRECT`): the bytes skip the
//! page cache, there is no write-back left to wait for at the end, and the kernel does not spend
//! the transfer's CPU on dirty pages. Elsewhere (tmpfs before Linux 6.6, some network and FUSE
//! file systems) they go through the page cache, flushed to the device every few dozen
//! megabytes as they arrive.
//!
//! The network's chunks are copied into a few reused buffers as they arrive and dropped at
//! once, so the HTTP client reads into the same memory again; holding them until the disk took
//! them made it read into fresh memory, and zeroing and mapping those pages cost more of the
//! transfer's CPU than the copy.

use super::SyncError;
use std::fs::File;
use std::io::{Seek, SeekFrom, Write};
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};

/// The unit of writes that skip the page cache: their memory, file offset and length must be
/// multiples of the device's logical block, which is at most this on the disks in use.
const BLOCK: usize = 4096;
/// One buffer: the device works on long runs, and it stays in the CPU's cache while it is
/// filled.
const BUFFER_BYTES: usize = 4 * 1024 * 1024;
/// Buffers per transfer: one being filled while the others wait for, or are at, the disk.
const BUFFERS: usize = 4;
/// The most one write into the page cache takes: larger writes copied into the page cache
/// measured several times slower here (a 1 MiB write's source no longer sits in the CPU's
/// cache).
const CACHED_WRITE_BYTES: usize = 64 * 1024;
/// Bytes written through the page cache between two flushes to the device while the transfer
/// goes on, so the flush a finished transfer waits for covers only the tail.
const FLUSH_EVERY_BYTES: usize = 64 * 1024 * 1024;

/// Writes a transfer's bytes on a blocking thread and flushes them to the device at the end.
/// At most `BUFFERS` buffers are in flight, so a slow disk slows the transfer instead of filling
/// memory. Dropped without `finish` (the transfer was cancelled), what arrived is still written
/// and kept for the resume.
pub(super) struct DiskWriter {
    filling: Option<Buffer>,
    made: usize,
    full: Option<UnboundedSender<Buffer>>,
    emptied: UnboundedReceiver<Buffer>,
    done: Option<tokio::task::JoinHandle<std::io::Result<File>>>,
}

impl DiskWriter {
    /// `file` is locked and positioned where the bytes go.
    pub(super) fn start(mut file: File) -> std::io::Result<DiskWriter> {
        let position = file.stream_position()?;
        let (full, mut queued) = unbounded_channel::<Buffer>();
        let (give_back, emptied) = unbounded_channel::<Buffer>();
        let done = tokio::task::spawn_blocking(move || {
            let mut disk = Disk::new(file, position);
            while let Some(mut buffer) = queued.blocking_recv() {
                disk.write(buffer.bytes())?;
                buffer.clear();
                // The receiving side may be gone (cancelled): the buffer is then dropped.
                let _ = give_back.send(buffer);
            }
            disk.finish()
        });
        // The first buffer of a resume that starts inside a block ends at the next block
        // boundary, so that every later one starts on one.
        let mut first = Buffer::new();
        let into_block = (position % BLOCK as u64) as usize;
        if into_block != 0 {
            first.limit = BLOCK - into_block;
        }
        Ok(DiskWriter {
            filling: Some(first),
            made: 1,
            full: Some(full),
            emptied,
            done: Some(done),
        })
    }

    /// Copies a chunk for the disk; false when the writer has stopped (its error comes from
    /// `finish`).
    pub(super) async fn write(&mut self, chunk: bytes::Bytes) -> bool {
        let mut bytes = &chunk[..];
        while !bytes.is_empty() {
            let Some(buffer) = &mut self.filling else {
                return false;
            };
            let n = buffer.take(bytes);
            bytes = &bytes[n..];
            if buffer.is_full() && !self.hand_over().await {
                return false;
            }
        }
        true
    }

    /// Sends the filled buffer to the disk and takes an empty one, waiting for one to come
    /// back once all are made.
    async fn hand_over(&mut self) -> bool {
        let (Some(buffer), Some(full)) = (self.filling.take(), &self.full) else {
            return false;
        };
        if full.send(buffer).is_err() {
            return false;
        }
        let next = if self.made < BUFFERS {
            self.made += 1;
            Some(Buffer::new())
        } else {
            self.emptied.recv().await
        };
        self.filling = next;
        self.filling.is_some()
    }

    /// Waits until everything arrived is written and on the device. Also called after a broken
    /// transfer: what arrived is kept for the resume.
    pub(super) async fn finish(mut self) -> Result<File, SyncError> {
        self.send_the_rest();
        let Some(done) = self.done.take() else {
            return Err(SyncError::Io(std::io::Error::other(
                "the writer was already finished",
            )));
        };
        done.await
            .map_err(|err| SyncError::Io(std::io::Error::other(err)))?
            .map_err(SyncError::Io)
    }

    /// Hands the partly filled buffer to the disk and closes the queue.
    fn send_the_rest(&mut self) {
        if let (Some(buffer), Some(full)) = (self.filling.take(), &self.full) {
            if buffer.filled > 0 {
                let _ = full.send(buffer);
            }
        }
        self.full = None;
    }
}

impl Drop for DiskWriter {
    fn drop(&mut self) {
        // Cancelled: the writer thread still writes what arrived and flushes it.
        self.send_the_rest();
    }
}

/// A buffer whose bytes start on a block boundary in memory.
struct Buffer {
    memory: Vec<u8>,
    start: usize,
    filled: usize,
    /// How much it takes before it goes to the disk.
    limit: usize,
}

impl Buffer {
    fn new() -> Buffer {
        let memory = vec![0; BUFFER_BYTES + BLOCK];
        let start = memory.as_ptr().align_offset(BLOCK);
        Buffer {
            memory,
            start,
            filled: 0,
            limit: BUFFER_BYTES,
        }
    }

    fn bytes(&self) -> &[u8] {
        &self.memory[self.start..self.start + self.filled]
    }

    /// Copies as much of `bytes` as fits; answers how much.
    fn take(&mut self, bytes: &[u8]) -> usize {
        let n = (self.limit - self.filled).min(bytes.len());
        let at = self.start + self.filled;
        self.memory[at..at + n].copy_from_slice(&bytes[..n]);
        self.filled += n;
        n
    }

    /// Empty, and as large as any buffer (a resume's first one was shorter).
    fn clear(&mut self) {
        self.filled = 0;
        self.limit = BUFFER_BYTES;
    }

    fn is_full(&self) -> bool {
        self.filled == self.limit
    }
}

/// The file as the writer thread sees it: bytes land at `position`, in whole blocks straight to
/// the device while the file system allows it, the rest through the page cache.
struct Disk {
    file: File,
    position: u64,
    /// Whether the file is open for writes that skip the page cache right now.
    direct: bool,
    /// Cleared for good when the file system refuses writes that skip the page cache.
    direct_possible: bool,
    flusher: Option<Flusher>,
    unflushed: usize,
    /// Bytes that went straight to the device.
    direct_bytes: u64,
}

impl Disk {
    fn new(file: File, position: u64) -> Disk {
        Disk {
            file,
            position,
            direct: false,
            direct_possible: direct_io::SUPPORTED,
            flusher: None,
            unflushed: 0,
            direct_bytes: 0,
        }
    }

    /// `bytes` sit on a block boundary in memory.
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        let mut whole = 0;
        if self.position.is_multiple_of(BLOCK as u64) && self.set_direct(true) {
            whole = bytes.len() / BLOCK * BLOCK;
            if whole > 0 && !self.write_direct(&bytes[..whole])? {
                whole = 0;
            }
        }
        if whole < bytes.len() {
            self.set_direct(false);
            self.write_cached(&bytes[whole..])?;
        }
        Ok(())
    }

    /// False when the file system refused: nothing of `bytes` counts as written, and nothing
    /// will be tried straight to the device again.
    fn write_direct(&mut self, bytes: &[u8]) -> std::io::Result<bool> {
        match self.file.write_all(bytes) {
            Ok(()) => {
                self.position += bytes.len() as u64;
                self.direct_bytes += bytes.len() as u64;
                Ok(true)
            }
            Err(err) if err.raw_os_error() == Some(direct_io::EINVAL) => {
                tracing::debug!(%err, "writes straight to the device refused; using the page cache");
                self.set_direct(false);
                self.direct_possible = false;
                // A refused write may have moved the offset after writing part of it.
                self.file.seek(SeekFrom::Start(self.position))?;
                Ok(false)
            }
            Err(err) => Err(err),
        }
    }

    fn write_cached(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        for piece in bytes.chunks(CACHED_WRITE_BYTES) {
            self.file.write_all(piece)?;
        }
        self.position += bytes.len() as u64;
        self.unflushed += bytes.len();
        if self.unflushed >= FLUSH_EVERY_BYTES {
            self.flusher
                .get_or_insert_with(|| Flusher::start(&self.file))
                .flush();
            self.unflushed = 0;
        }
        Ok(())
    }

    /// Turns writes that skip the page cache on or off; answers whether they are on.
    fn set_direct(&mut self, on: bool) -> bool {
        if on && !self.direct_possible {
            return false;
        }
        if self.direct != on {
            if direct_io::set(&self.file, on) {
                self.direct = on;
            } else if on {
                self.direct_possible = false;
            }
        }
        self.direct
    }

    fn finish(mut self) -> std::io::Result<File> {
        tracing::debug!(
            direct = self.direct_bytes,
            up_to = self.position,
            "file written, bytes straight to the device"
        );
        self.set_direct(false);
        if let Some(flusher) = self.flusher.take() {
            flusher.stop();
        }
        self.file.sync_all()?;
        Ok(self.file)
    }
}

/// Flushes a file's written data to the device on its own thread while writing goes on, so the
/// flush a finished transfer must wait for is only the last few megabytes, not the whole file.
/// Best effort: the final `sync_all` is what makes a file count as on the disk.
struct Flusher {
    wake: Option<std::sync::mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Flusher {
    fn start(file: &File) -> Flusher {
        let Ok(file) = file.try_clone() else {
            return Flusher {
                wake: None,
                thread: None,
            };
        };
        let (wake, woken) = std::sync::mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("sync-flush".into())
            .spawn(move || {
                while woken.recv().is_ok() {
                    // Wake-ups that came during the last flush are covered by the next one.
                    while woken.try_recv().is_ok() {}
                    if let Err(err) = file.sync_data() {
                        tracing::debug!(%err, "an early flush failed; the final one decides");
                    }
                }
            })
            .ok();
        Flusher {
            wake: Some(wake),
            thread,
        }
    }

    fn flush(&self) {
        if let Some(wake) = &self.wake {
            let _ = wake.send(());
        }
    }

    fn stop(mut self) {
        self.wake = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(target_os = "linux")]
mod direct_io {
    use nix::fcntl::{fcntl, FcntlArg, OFlag};
    use std::fs::File;

    pub const SUPPORTED: bool = true;
    pub const EINVAL: i32 = nix::libc::EINVAL;

    /// Turns writes that skip the page cache on or off for `file`; false when that failed (the
    /// file system does not have them).
    pub fn set(file: &File, on: bool) -> bool {
        let Ok(flags) = fcntl(file, FcntlArg::F_GETFL) else {
            return false;
        };
        let mut flags = OFlag::from_bits_truncate(flags);
        flags.set(OFlag::O_DIRECT, on);
        fcntl(file, FcntlArg::F_SETFL(flags)).is_ok()
    }
}

#[cfg(not(target_os = "linux"))]
mod direct_io {
    use std::fs::File;

    pub const SUPPORTED: bool = false;
    pub const EINVAL: i32 = 22;

    pub fn set(_file: &File, _on: bool) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::{direct_io, Buffer, Disk, DiskWriter, BLOCK, BUFFER_BYTES};
    use std::io::{Seek, SeekFrom, Write};
    use std::path::Path;

    fn pattern(len: usize) -> Vec<u8> {
        (0..len as u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8)
            .collect()
    }

    /// Writes `data[from..]` in chunks of awkward sizes after `from` bytes already in the file,
    /// and answers the whole file.
    async fn write_after(dir: &Path, data: &[u8], from: usize) -> Vec<u8> {
        let path = dir.join("file.part");
        let mut file = std::fs::File::create(&path).expect("create");
        file.write_all(&data[..from]).expect("head");
        file.seek(SeekFrom::Start(from as u64)).expect("seek");
        let mut writer = DiskWriter::start(file).expect("start");
        let mut at = from;
        for size in [1, 4095, 70_000, 1 << 20, 3 * BUFFER_BYTES + 17]
            .into_iter()
            .cycle()
        {
            if at == data.len() {
                break;
            }
            let end = (at + size).min(data.len());
            let chunk = bytes::Bytes::copy_from_slice(&data[at..end]);
            assert!(writer.write(chunk).await, "the writer stopped");
            at = end;
        }
        writer.finish().await.expect("finish");
        std::fs::read(&path).expect("read")
    }

    #[tokio::test]
    async fn every_byte_lands_in_order_from_any_start() {
        let dir = tempfile::tempdir().expect("dir");
        let data = pattern(5 * BUFFER_BYTES + 2 * BLOCK + 123);
        for from in [0, BLOCK, 1, BLOCK - 1, BUFFER_BYTES + 7] {
            let got = write_after(dir.path(), &data, from).await;
            assert!(got == data, "wrong bytes after a start at {from}");
        }
    }

    /// tmpfs refuses `O_DIRECT` before Linux 6.6 and takes it since; either way every byte
    /// lands.
    #[tokio::test]
    async fn a_file_in_tmpfs_gets_every_byte_too() {
        let shm = Path::new("/dev/shm");
        if !shm.is_dir() {
            return;
        }
        let dir = tempfile::tempdir_in(shm).expect("dir");
        let data = pattern(2 * BUFFER_BYTES + 555);
        for from in [0, 3] {
            let got = write_after(dir.path(), &data, from).await;
            assert!(got == data, "wrong bytes after a start at {from}");
        }
    }

    #[tokio::test]
    async fn a_cancelled_transfer_keeps_what_arrived() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("file.part");
        let file = std::fs::File::create(&path).expect("create");
        let data = pattern(BUFFER_BYTES + BLOCK + 99);
        let mut writer = DiskWriter::start(file).expect("start");
        assert!(writer.write(bytes::Bytes::copy_from_slice(&data)).await);
        drop(writer);
        // The writer thread lets go of the file (and its lock) once what arrived is on disk.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let got = std::fs::read(&path).expect("read");
            if got.len() == data.len() {
                assert!(got == data, "wrong bytes kept");
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "kept {} bytes",
                got.len()
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    #[test]
    fn whole_blocks_skip_the_page_cache_where_the_file_system_allows_it() {
        let dir = tempfile::tempdir().expect("dir");
        let file = std::fs::File::create(dir.path().join("file.part")).expect("create");
        let accepts_direct = direct_io::set(&file, true) && direct_io::set(&file, false);
        let mut buffer = Buffer::new();
        let data = pattern(2 * BLOCK + 5);
        assert_eq!(buffer.take(&data), data.len());
        let mut disk = Disk::new(file, 0);
        disk.write(buffer.bytes()).expect("write");
        let expected = if accepts_direct { 2 * BLOCK as u64 } else { 0 };
        assert_eq!(
            disk.direct_bytes, expected,
            "direct writes: {accepts_direct}"
        );
        let file = disk.finish().expect("finish");
        assert_eq!(file.metadata().expect("meta").len(), data.len() as u64);
    }

    /// The kernel refuses a write that skips the page cache from memory off a block boundary
    /// (EINVAL), as some file systems refuse them all after taking the flag: the bytes then go
    /// through the page cache, and so does everything after them.
    #[test]
    fn a_refused_direct_write_lands_through_the_page_cache() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("file.part");
        let file = std::fs::File::create(&path).expect("create");
        let accepts_direct = direct_io::set(&file, true) && direct_io::set(&file, false);
        let data = pattern(3 * BLOCK);
        let mut unaligned = Buffer::new();
        unaligned.take(&[0]);
        unaligned.take(&data);
        let mut disk = Disk::new(file, 0);
        disk.write(&unaligned.bytes()[1..]).expect("write");
        assert_eq!(disk.direct_bytes, 0);
        if accepts_direct {
            assert!(!disk.direct_possible, "direct writes are still tried");
        }
        let more = pattern(BLOCK);
        disk.write(&more).expect("write more");
        disk.finish().expect("finish");
        let got = std::fs::read(&path).expect("read");
        assert!(got[..data.len()] == data[..] && got[data.len()..] == more[..]);
    }
}
