//! The SQLite plumbing every domain's store queries use: a small connection pool whose work
//! always runs on blocking threads, checksummed migrations, and the one database error type.

pub(crate) mod migrate;

pub use migrate::{applied_migrations, MIGRATIONS};
use rusqlite::Connection;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

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

/// Handle to the database; cheap to clone.
#[derive(Clone, Debug)]
pub struct Db {
    inner: Arc<Pool>,
}

#[derive(Debug)]
struct Pool {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

/// More idle connections than this are closed rather than kept.
const MAX_IDLE: usize = 8;

impl Db {
    /// Opens (creating if needed) the database file and applies pending migrations.
    pub fn open(path: &Path) -> DbResult<Db> {
        let mut conn = open_connection(path)?;
        migrate::apply(&mut conn)?;
        Ok(Db {
            inner: Arc::new(Pool {
                path: path.to_owned(),
                idle: Mutex::new(vec![conn]),
            }),
        })
    }

    /// Runs `work` with a connection on a blocking thread so the async runtime never waits on
    /// SQLite.
    pub async fn call<T, F>(&self, work: F) -> DbResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> DbResult<T> + Send + 'static,
    {
        let pool = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || {
            let mut conn = pool.take()?;
            let result = work(&mut conn);
            pool.give_back(conn);
            result
        })
        .await
        .map_err(|err| DbError::Worker(err.to_string()))?
    }

    /// Like [`Db::call`], inside one transaction committed only when `work` succeeds.
    pub async fn transaction<T, F>(&self, work: F) -> DbResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&rusqlite::Transaction<'_>) -> DbResult<T> + Send + 'static,
    {
        self.call(move |conn| {
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let value = work(&tx)?;
            tx.commit()?;
            Ok(value)
        })
        .await
    }
}

impl Pool {
    fn take(&self) -> DbResult<Connection> {
        let idle = self
            .idle
            .lock()
            .map_err(|_| DbError::Worker("pool lock poisoned".into()))?
            .pop();
        match idle {
            Some(conn) => Ok(conn),
            None => open_connection(&self.path),
        }
    }

    fn give_back(&self, conn: Connection) {
        if let Ok(mut idle) = self.idle.lock() {
            if idle.len() < MAX_IDLE {
                idle.push(conn);
            }
        }
    }
}

fn open_connection(path: &Path) -> DbResult<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = NORMAL;
         PRAGMA foreign_keys = ON;",
    )?;
    Ok(conn)
}

/// Milliseconds since the Unix epoch, the one time format stored in the database.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

pub fn to_datetime(ms: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default()
}
