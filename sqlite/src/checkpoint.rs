//! WAL checkpoints off the commit path: once a thousand pages were written to the log since the
//! last checkpoint, the commit asks a thread of the database's own to copy the log back, so no caller waits for that copy and
//! its flush (which SQLite's automatic checkpoint makes the unlucky committer do). Once writes
//! pause, the thread copies back the rest, so that readers can leave the log alone.

use rusqlite::hooks::Wal;
use std::cell::Cell;
use std::os::raw::c_int;
use std::path::Path;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

/// Pages written to the log since the last checkpoint after which another is asked for:
/// SQLite's own automatic threshold.
const CHECKPOINT_PAGES: c_int = 1000;

/// How long the database goes without a commit before what is left in the log is copied back.
/// A reader looks up every page it reads in the log's index while the log holds pages that
/// are not in the database file yet; once all are, it reads the file alone.
pub(crate) const IDLE: Duration = Duration::from_secs(1);

thread_local! {
    /// Pages in the log after the last commit on this thread, as SQLite reported them.
    static WAL_PAGES: Cell<c_int> = const { Cell::new(0) };
}

/// The WAL hook: called by SQLite on the committing thread right after each commit.
pub(crate) fn note_wal_pages(_: &Wal, pages: c_int) -> rusqlite::Result<()> {
    WAL_PAGES.with(|noted| noted.set(pages));
    Ok(())
}

/// Pages in the log after the work just run on this thread committed, 0 when it committed
/// nothing; forgotten once read, so the next piece of work on the thread starts clean.
pub(crate) fn wal_pages() -> c_int {
    WAL_PAGES.with(|noted| noted.replace(0))
}

#[derive(Debug, Default)]
struct Signal {
    requested: bool,
    closed: bool,
    /// Commits since the last checkpoint that left pages in the log without asking for one.
    uncopied: u64,
}

/// What the pool and the thread share.
#[derive(Debug, Default)]
struct Shared {
    signal: Mutex<Signal>,
    wake: Condvar,
    /// Log pages the last checkpoint copied back. The log only starts over when a write begins
    /// after everything in it was copied, which under steady writes is rare: counting from
    /// here keeps a long log from asking for a checkpoint after every commit.
    copied: AtomicI32,
}

/// The handle a pool keeps; dropping it stops the thread.
#[derive(Debug)]
pub(crate) struct Checkpointer {
    shared: Arc<Shared>,
}

impl Checkpointer {
    /// Starts the thread for the database at `path`. It opens its connection when first asked
    /// to checkpoint, so a database that is only read never holds one more.
    pub(crate) fn start(path: &Path) -> Checkpointer {
        let shared = Arc::new(Shared::default());
        let path = path.to_owned();
        let theirs = Arc::clone(&shared);
        let spawned = std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || run(&path, &theirs));
        if let Err(err) = spawned {
            // Without the thread the log still gets copied back when the last connection
            // closes; it only grows meanwhile.
            tracing::error!(%err, "could not start the SQLite checkpoint thread");
        }
        Checkpointer { shared }
    }

    /// Called after work that committed with `pages` in the log: asks for a checkpoint once
    /// enough was written since the last one.
    pub(crate) fn committed(&self, pages: c_int) {
        if pages == 0 {
            return;
        }
        let copied = self.shared.copied.load(Ordering::Relaxed);
        // Fewer pages than were copied: the log started over since.
        let since = if pages < copied {
            pages
        } else {
            pages - copied
        };
        if since >= CHECKPOINT_PAGES {
            self.request();
        } else if let Ok(mut signal) = self.shared.signal.lock() {
            if signal.uncopied == 0 {
                self.shared.wake.notify_one();
            }
            signal.uncopied += 1;
        }
    }

    /// Asks for a checkpoint; requests made while one runs are served by one more.
    fn request(&self) {
        if let Ok(mut signal) = self.shared.signal.lock() {
            signal.requested = true;
            self.shared.wake.notify_one();
        }
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        if let Ok(mut signal) = self.shared.signal.lock() {
            signal.closed = true;
            self.shared.wake.notify_one();
        }
    }
}

/// Waits until a checkpoint is due: one was asked for, or commits left pages in the log and
/// none followed for [`IDLE`]. False once the pool is gone.
fn wait_until_due(shared: &Shared) -> bool {
    let Ok(mut signal) = shared.signal.lock() else {
        return false;
    };
    while !signal.requested {
        if signal.closed {
            return false;
        }
        let seen = signal.uncopied;
        signal = if seen == 0 {
            match shared.wake.wait(signal) {
                Ok(signal) => signal,
                Err(_) => return false,
            }
        } else {
            let Ok((mut signal, waited)) = shared.wake.wait_timeout(signal, IDLE) else {
                return false;
            };
            if waited.timed_out() && signal.uncopied == seen {
                signal.requested = true;
            }
            signal
        };
    }
    if signal.closed {
        return false;
    }
    signal.requested = false;
    signal.uncopied = 0;
    true
}

fn run(path: &Path, shared: &Shared) {
    let mut conn: Option<rusqlite::Connection> = None;
    while wait_until_due(shared) {
        if conn.is_none() {
            conn = match rusqlite::Connection::open(path) {
                Ok(opened) => Some(opened),
                Err(err) => {
                    tracing::warn!(%err, "could not open SQLite for a checkpoint");
                    continue;
                }
            };
        }
        if let Some(conn) = &conn {
            // PASSIVE never waits for, or blocks, readers and writers: what readers still need
            // stays in the log for the next checkpoint.
            let done = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| {
                Ok((row.get::<_, c_int>(1)?, row.get::<_, c_int>(2)?))
            });
            match done {
                Ok((log, done)) => {
                    shared.copied.store(done.max(0), Ordering::Relaxed);
                    tracing::trace!(log, copied = done, "checkpoint");
                }
                Err(err) => tracing::warn!(%err, "SQLite checkpoint failed"),
            }
        }
    }
}
