//! The SQLite plumbing the control plane and the desktop app share: connections whose work
//! always runs on the database's own threads (the async runtime never waits on SQLite), WAL with foreign
//! keys on and checkpoints on a thread of their own, numbered migrations whose checksums are
//! recorded, and one error type.

mod checkpoint;
mod migrate;
mod workers;

pub use migrate::{applied_migrations, apply_migrations, Migration};

use checkpoint::Checkpointer;
use rusqlite::config::DbConfig;
use rusqlite::Connection;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Semaphore;
use workers::Workers;

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("migration {version} ({name}): {message}")]
    Migration {
        version: i64,
        name: &'static str,
        message: String,
    },
    #[error("database worker stopped: {0}")]
    Worker(String),
    #[error("stored value is corrupt: {0}")]
    Corrupt(String),
}

impl DbError {
    /// A UNIQUE (or primary key) constraint refused the write.
    pub fn is_unique_violation(&self) -> bool {
        matches!(
            self,
            DbError::Sqlite(rusqlite::Error::SqliteFailure(err, _))
                if err.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                    || err.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
        )
    }
}

pub type DbResult<T> = Result<T, DbError>;

/// How a database file is opened.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// How long a statement waits for another connection's write lock.
    pub busy_timeout: Duration,
    /// Connections in use at once, each on a thread of its own; `None` for one per core (at
    /// least two). One connection makes every piece of work run alone, in the order it was
    /// asked for, as a single-user app's store may assume.
    pub max_connections: Option<usize>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            busy_timeout: Duration::from_secs(10),
            max_connections: None,
        }
    }
}

/// Handle to the database; cheap to clone.
#[derive(Clone, Debug)]
pub struct Db {
    inner: Arc<Pool>,
}

#[derive(Debug)]
struct Pool {
    path: PathBuf,
    options: Options,
    idle: Mutex<Vec<Connection>>,
    workers: Workers,
    /// Write transactions queue here, in order, rather than in SQLite's busy handler, which
    /// polls with sleeps that grow to 100 ms: under contention a few writers would otherwise
    /// wait far longer than the work takes.
    writer: Arc<Semaphore>,
    /// The connection write transactions run on, kept apart from the readers' pool. A
    /// connection drops its page cache whenever another one wrote since it last read, so a
    /// write on any pooled connection would start cold; on the one connection that does the
    /// writing, the pages the last write read are still there.
    writer_conn: Mutex<Option<Connection>>,
    checkpointer: Checkpointer,
}

/// Which connection a piece of work runs on.
#[derive(Clone, Copy)]
enum Role {
    Reader,
    Writer,
}

/// More idle connections than this are closed rather than kept: one for each of the database's
/// threads and the writer, so a call does not open a connection of its own.
const MAX_IDLE: usize = 32;

impl Db {
    /// Opens (creating if needed) the database file and applies pending `migrations`. Blocks:
    /// call it before serving, or on a blocking thread.
    pub fn open(path: &Path, migrations: &[Migration], options: Options) -> DbResult<Db> {
        let mut conn = open_connection(path, &options)?;
        migrate::apply_migrations(&mut conn, migrations)?;
        let threads = options.max_connections.unwrap_or_else(|| {
            std::thread::available_parallelism().map_or(2, |cores| cores.get().max(2))
        });
        Ok(Db {
            inner: Arc::new(Pool {
                path: path.to_owned(),
                options,
                idle: Mutex::new(vec![conn]),
                workers: Workers::start(threads)?,
                writer: Arc::new(Semaphore::new(1)),
                writer_conn: Mutex::new(None),
                checkpointer: Checkpointer::start(path),
            }),
        })
    }

    /// Runs `work` with a connection on one of the database's threads.
    pub async fn call<T, F>(&self, work: F) -> DbResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> DbResult<T> + Send + 'static,
    {
        self.run(Role::Reader, work).await
    }

    async fn run<T, F>(&self, role: Role, work: F) -> DbResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> DbResult<T> + Send + 'static,
    {
        let pool = Arc::clone(&self.inner);
        self.inner
            .workers
            .run(move || {
                let mut conn = pool.take(role)?;
                let result = work(&mut conn);
                pool.give_back(role, conn);
                pool.checkpointer.committed(checkpoint::wal_pages());
                result
            })
            .await?
    }

    /// Like [`Db::call`], inside one transaction committed only when `work` succeeds.
    pub async fn transaction<T, F>(&self, work: F) -> DbResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&rusqlite::Transaction<'_>) -> DbResult<T> + Send + 'static,
    {
        self.transaction_with(work).await
    }

    /// A transaction whose work may refuse with the caller's own error: any error rolls it
    /// back, and a refusal is an ordinary `Err`, not a value to unwrap after the commit.
    pub async fn transaction_with<T, E, F>(&self, work: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
        F: FnOnce(&rusqlite::Transaction<'_>) -> Result<T, E> + Send + 'static,
    {
        let _writing = Arc::clone(&self.inner.writer)
            .acquire_owned()
            .await
            .map_err(|err| E::from(DbError::Worker(err.to_string())))?;
        let outcome = self
            .run(Role::Writer, move |conn| {
                let tx = conn
                    .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                    .map_err(DbError::from)?;
                let value = match work(&tx) {
                    Ok(value) => value,
                    Err(refusal) => return Ok(Err(refusal)),
                };
                tx.commit().map_err(DbError::from)?;
                Ok(Ok(value))
            })
            .await;
        match outcome {
            Ok(done) => done,
            Err(err) => Err(E::from(err)),
        }
    }
}

impl Pool {
    fn take(&self, role: Role) -> DbResult<Connection> {
        let poisoned = || DbError::Worker("pool lock poisoned".into());
        let kept = match role {
            Role::Writer => self.writer_conn.lock().map_err(|_| poisoned())?.take(),
            Role::Reader => self.idle.lock().map_err(|_| poisoned())?.pop(),
        };
        match kept {
            Some(conn) => Ok(conn),
            None => open_connection(&self.path, &self.options),
        }
    }

    fn give_back(&self, role: Role, conn: Connection) {
        if let Role::Writer = role {
            if let Ok(mut slot) = self.writer_conn.lock() {
                slot.get_or_insert(conn);
            }
            return;
        }
        if let Ok(mut idle) = self.idle.lock() {
            if idle.len() < MAX_IDLE {
                idle.push(conn);
            }
        }
    }
}

fn open_connection(path: &Path, options: &Options) -> DbResult<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(options.busy_timeout)?;
    // Replaces SQLite's own checkpoint at commit, which made every thousandth commit wait for
    // the copy back into the database and its flush: the checkpointer thread does it instead.
    conn.wal_hook(Some(checkpoint::note_wal_pages));
    // Every statement a server runs stays compiled: parsing SQL again costs more than most of
    // the queries it would run (rusqlite keeps 16 by default).
    conn.set_prepared_statement_cache_capacity(256);
    // Plans never depend on the values bound. Otherwise SQLite marks a statement whose plan
    // looked at a bound value (a `LIMIT ?`, a parameter set against a partial index's
    // condition) to be compiled again each time that parameter is bound, even to the same
    // value: a cached page query was parsed and planned anew on every request.
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
    // Pages read through a memory map are not copied into each connection's cache, which
    // every other connection's write empties. The map is address space, not memory: 1 GiB
    // covers the database a single machine serves.
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = NORMAL;
         PRAGMA foreign_keys = ON;
         PRAGMA mmap_size = 1073741824;",
    )?;
    Ok(conn)
}

/// Milliseconds since the Unix epoch, the one time format stored.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

pub fn to_datetime(ms: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCHEMA: &[Migration] = &[Migration {
        version: 1,
        name: "0001_counter.sql",
        sql: "CREATE TABLE counter (n INTEGER NOT NULL); INSERT INTO counter VALUES (0);",
    }];

    /// A list's page query is compiled once per connection and then only bound and run.
    #[test]
    fn a_cached_statement_is_not_compiled_again_for_new_values() {
        let dir = tempfile::tempdir().expect("tempdir");
        let conn = open_connection(&dir.path().join("t.db"), &Options::default()).expect("open");
        conn.execute_batch(
            "CREATE TABLE items (owner TEXT NOT NULL, size INTEGER, at INTEGER NOT NULL);
             CREATE INDEX items_by_owner ON items (owner, at);
             CREATE INDEX items_sized ON items (owner, size) WHERE size IS NOT NULL;
             INSERT INTO items VALUES ('a', 1, 1), ('a', NULL, 2), ('b', 3, 3);",
        )
        .expect("schema");
        let page = "SELECT at FROM items WHERE owner = ?1 ORDER BY at DESC LIMIT ?2";
        for (owner, limit) in [("a", 50), ("a", 50), ("b", 10), ("a", 1)] {
            let mut stmt = conn.prepare_cached(page).expect("prepare");
            let rows: Vec<i64> = stmt
                .query_map(rusqlite::params![owner, limit], |row| row.get(0))
                .expect("query")
                .collect::<Result<_, _>>()
                .expect("rows");
            assert!(!rows.is_empty(), "{owner} has items");
            assert_eq!(
                stmt.get_status(rusqlite::StatementStatus::RePrepare),
                0,
                "compiled again for {owner:?}, {limit}"
            );
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn one_connection_runs_each_piece_of_work_alone() {
        let dir = tempfile::tempdir().expect("tempdir");
        let options = Options {
            max_connections: Some(1),
            ..Options::default()
        };
        let db = Db::open(&dir.path().join("t.db"), SCHEMA, options).expect("open");
        // A read-then-write without a transaction loses updates unless the work is serialized.
        let bumps = (0..32).map(|_| {
            let db = db.clone();
            tokio::spawn(async move {
                db.call(|conn| {
                    let n: i64 = conn.query_row("SELECT n FROM counter", [], |row| row.get(0))?;
                    std::thread::sleep(Duration::from_millis(1));
                    conn.execute("UPDATE counter SET n = ?1", [n + 1])?;
                    Ok(())
                })
                .await
            })
        });
        for bump in bumps.collect::<Vec<_>>() {
            bump.await.expect("task").expect("bump");
        }
        let n: i64 = db
            .call(|conn| Ok(conn.query_row("SELECT n FROM counter", [], |row| row.get(0))?))
            .await
            .expect("read");
        assert_eq!(n, 32);
    }

    #[derive(Debug)]
    enum Refusal {
        TooBig,
        Db,
    }

    impl From<DbError> for Refusal {
        fn from(_: DbError) -> Self {
            Refusal::Db
        }
    }

    #[tokio::test]
    async fn a_refusal_rolls_back_and_reaches_the_caller_as_itself() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = Db::open(&dir.path().join("t.db"), SCHEMA, Options::default()).expect("open");
        let refused = db
            .transaction_with(|tx| {
                tx.execute("UPDATE counter SET n = 5", [])
                    .map_err(DbError::from)?;
                Err::<(), _>(Refusal::TooBig)
            })
            .await;
        assert!(matches!(refused, Err(Refusal::TooBig)));
        let broken = db
            .transaction_with(|tx| -> Result<(), Refusal> {
                tx.execute("UPDATE nowhere SET n = 1", [])
                    .map_err(DbError::from)?;
                Ok(())
            })
            .await;
        assert!(matches!(broken, Err(Refusal::Db)));
        let n: i64 = db
            .call(|conn| Ok(conn.query_row("SELECT n FROM counter", [], |row| row.get(0))?))
            .await
            .expect("read");
        assert_eq!(n, 0);
    }

    /// A database at `path` with an empty table of blobs, and its file's size then.
    async fn blob_database(path: &std::path::Path) -> (Db, u64) {
        let db = Db::open(path, SCHEMA, Options::default()).expect("open");
        db.call(|conn| Ok(conn.execute_batch("CREATE TABLE blob (b BLOB NOT NULL)")?))
            .await
            .expect("table");
        (db, std::fs::metadata(path).expect("db file").len())
    }

    /// Commits `count` blobs of 16 kB (five pages each), one per transaction.
    async fn insert_blobs(db: &Db, count: usize) {
        for _ in 0..count {
            db.transaction(|tx| {
                tx.execute("INSERT INTO blob VALUES (zeroblob(16000))", [])?;
                Ok(())
            })
            .await
            .expect("insert");
        }
    }

    /// Whether the database file reaches `size` bytes within `limit`: only a checkpoint
    /// writes the file itself, as everything else goes to the log.
    async fn file_reaches(path: &std::path::Path, size: u64, limit: Duration) -> bool {
        let deadline = std::time::Instant::now() + limit;
        while std::fs::metadata(path).expect("db file").len() < size {
            if std::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        true
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_log_is_copied_back_by_the_checkpoint_thread() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("t.db");
        let (db, before) = blob_database(&path).await;
        // Together the commits pass the threshold five times over, so the checkpoints asked
        // for along the way copy back most of the 16 MB while the writes go on: well before
        // the pause after them could have asked for one.
        insert_blobs(&db, 1000).await;
        assert!(
            file_reaches(&path, before + 8_000_000, checkpoint::IDLE / 2).await,
            "no checkpoint copied the log back while the writes went on"
        );
        let count: i64 = db
            .call(|conn| Ok(conn.query_row("SELECT COUNT(*) FROM blob", [], |r| r.get(0))?))
            .await
            .expect("count");
        assert_eq!(count, 1000);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn once_writes_pause_the_rest_of_the_log_is_copied_back() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("t.db");
        let (db, before) = blob_database(&path).await;
        // Far below the threshold that asks for a checkpoint.
        insert_blobs(&db, 3).await;
        assert!(
            file_reaches(&path, before + 48_000, Duration::from_secs(10)).await,
            "the log was not copied back after the writes paused"
        );
    }

    #[tokio::test]
    async fn a_failed_transaction_leaves_nothing_behind() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = Db::open(&dir.path().join("t.db"), SCHEMA, Options::default()).expect("open");
        let failed = db
            .transaction(|tx| {
                tx.execute("UPDATE counter SET n = 5", [])?;
                Err::<(), _>(DbError::Corrupt("refused".into()))
            })
            .await;
        assert!(failed.is_err());
        let n: i64 = db
            .call(|conn| Ok(conn.query_row("SELECT n FROM counter", [], |row| row.get(0))?))
            .await
            .expect("read");
        assert_eq!(n, 0);
    }

    #[tokio::test]
    async fn work_that_panics_answers_an_error_and_its_thread_serves_on() {
        let dir = tempfile::tempdir().expect("tempdir");
        let options = Options {
            max_connections: Some(1),
            ..Options::default()
        };
        let db = Db::open(&dir.path().join("t.db"), SCHEMA, options).expect("open");
        let panicked = db
            .call(|_| -> DbResult<()> { panic!("a bug in a piece of work") })
            .await;
        assert!(matches!(panicked, Err(DbError::Worker(_))), "{panicked:?}");
        let n: i64 = db
            .call(|conn| Ok(conn.query_row("SELECT n FROM counter", [], |row| row.get(0))?))
            .await
            .expect("the one thread still serves");
        assert_eq!(n, 0);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn by_default_reads_run_side_by_side() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = Db::open(&dir.path().join("t.db"), SCHEMA, Options::default()).expect("open");
        // Each read waits for the other to have started: one thread alone would time out.
        let (first_in, first_seen) = std::sync::mpsc::channel::<()>();
        let (second_in, second_seen) = std::sync::mpsc::channel::<()>();
        let meet = |arrived: std::sync::mpsc::Sender<()>, other: std::sync::mpsc::Receiver<()>| {
            let db = db.clone();
            tokio::spawn(async move {
                db.call(move |_| {
                    let _ = arrived.send(());
                    Ok(other.recv_timeout(Duration::from_secs(10)).is_ok())
                })
                .await
            })
        };
        let first = meet(first_in, second_seen);
        let second = meet(second_in, first_seen);
        assert!(first.await.expect("task").expect("first read"));
        assert!(second.await.expect("task").expect("second read"));
    }

    /// The names of this process's threads that serve a database.
    #[cfg(target_os = "linux")]
    fn database_threads() -> usize {
        std::fs::read_dir("/proc/self/task")
            .expect("this process's threads")
            .flatten()
            .filter(|task| {
                std::fs::read_to_string(task.path().join("comm"))
                    .is_ok_and(|name| name.starts_with("sqlite-work-"))
            })
            .count()
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn the_database_threads_end_with_the_last_handle() {
        let dir = tempfile::tempdir().expect("tempdir");
        let options = Options {
            max_connections: Some(3),
            ..Options::default()
        };
        let before = database_threads();
        let db = Db::open(&dir.path().join("t.db"), SCHEMA, options).expect("open");
        db.call(|_| Ok(())).await.expect("a call");
        assert_eq!(database_threads(), before + 3);
        drop(db);
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while database_threads() > before {
            assert!(
                std::time::Instant::now() < deadline,
                "database threads outlived the database"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}
