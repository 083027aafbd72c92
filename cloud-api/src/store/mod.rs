//! Where the control plane keeps its state: one SQLite file (the embedded default) or one
//! PostgreSQL database shared by several replicas. Each domain's queries live in its own
//! `store.rs`, written once against [`Tx`]; a unit of work (a change, its event and its audit row)
//! is one function of the domain's `units.rs`, which runs it as one call of
//! [`Store::transaction_with`], all or nothing on either backend. Services call those functions
//! and never open a transaction themselves.

pub mod backup;
pub mod copy;
pub(crate) mod migrate;
mod postgres;
mod sql;
mod sqlite;

pub use migrate::{MIGRATIONS, POSTGRES_MIGRATIONS};
pub use postgres::Notice;
pub(crate) use sql::params;
pub use sql::{Dialect, FromValue, OptionalExtension, Row, Statement, ToValue, Tx, Value};
pub use tseeder_sqlite::{now_ms, to_datetime, Migration};

use ::postgres::IsolationLevel;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error(transparent)]
    Sqlite(#[from] tseeder_sqlite::DbError),
    #[error("postgres: {0}")]
    Postgres(#[from] ::postgres::Error),
    #[error("query returned no rows")]
    NoRows,
    #[error("stored value is corrupt: {0}")]
    Corrupt(String),
    #[error("database connections: {0}")]
    Pool(String),
    #[error("migration {version} ({name}): {message}")]
    Migration {
        version: i64,
        name: &'static str,
        message: String,
    },
    #[error("a concurrent change won; the work was run too often without succeeding")]
    LostRace,
}

impl From<rusqlite::Error> for DbError {
    fn from(err: rusqlite::Error) -> Self {
        DbError::Sqlite(err.into())
    }
}

impl DbError {
    /// A UNIQUE (or primary key) constraint refused the write.
    pub fn is_unique_violation(&self) -> bool {
        match self {
            DbError::Sqlite(err) => err.is_unique_violation(),
            DbError::Postgres(err) => postgres::is_unique_violation(err),
            _ => false,
        }
    }
}

pub type DbResult<T> = Result<T, DbError>;

/// Totals never count past this: a list of more says "at least", and no page counts a whole
/// table.
pub const TOTAL_CAP: u64 = 10_000;

/// A page's total counts this many pages past it, no further: enough for a pager to offer
/// the pages that follow, while counting costs a few pages' reads rather than the list's.
pub const LOOKAHEAD_PAGES: u64 = 10;

/// A list's total as its query found it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Total {
    /// Rows counted up to [`count_cap`] + 1: one past the cap means there are more.
    UpTo(u64),
    /// Every matching row, from the counts the database keeps as rows change.
    Exact(u64),
}

/// Where a page's total stops counting: [`LOOKAHEAD_PAGES`] past the page, at most
/// [`TOTAL_CAP`].
pub fn count_cap(limit: u32, offset: u64) -> u64 {
    offset
        .saturating_add(u64::from(limit) * LOOKAHEAD_PAGES)
        .min(TOTAL_CAP)
}

/// Counts the rows of `from_where` (`table alias JOIN … WHERE …`) up to `cap` + 1, so a
/// caller can tell a capped total from an exact one.
pub fn capped_count(from_where: &str, cap: u64) -> String {
    format!(
        "SELECT COUNT(*) FROM (SELECT 1 FROM {from_where} LIMIT {}) AS capped",
        cap + 1
    )
}

/// A position in a list: the sort time and id of the last row a page showed, opaque to clients
/// (base64 of `<time>.<id>`). Every keyset-paged list sorts newest first by these two, the id
/// breaking ties, so that a cursor is exact; lists keyed by a growing number (the audit log)
/// keep it in `at` and leave `id` empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub at: i64,
    pub id: String,
}

impl Cursor {
    pub fn encode(&self) -> String {
        data_encoding::BASE64URL_NOPAD.encode(format!("{}.{}", self.at, self.id).as_bytes())
    }

    pub fn parse(text: &str) -> Option<Cursor> {
        let bytes = data_encoding::BASE64URL_NOPAD
            .decode(text.as_bytes())
            .ok()?;
        let text = String::from_utf8(bytes).ok()?;
        let (at, id) = text.split_once('.')?;
        let at = at.parse::<i64>().ok()?;
        (id.len() <= 64).then(|| Cursor {
            at,
            id: id.to_owned(),
        })
    }
}

/// A list query built for the filters given, and its parameters: the page's rows, and the
/// capped total, which takes the first `count_values` of them.
#[derive(Debug)]
pub struct ListQuery {
    pub rows: String,
    pub count: String,
    pub values: Vec<Value>,
    pub count_values: usize,
}

/// What a list newest first by a time and an id reads: `select` (`SELECT … FROM …`) for the
/// page's rows, `count_from` (`table alias JOIN …`) for its total, and the two sort columns.
#[derive(Debug, Clone, Copy)]
pub struct Keyset<'a> {
    pub select: &'a str,
    pub count_from: &'a str,
    pub time: &'a str,
    pub id: &'a str,
}

impl ListQuery {
    /// A page of a keyset list under `conditions` (whose parameters are `values`): its total
    /// capped ten pages ahead, and its rows after the cursor, or at `offset` without one.
    pub fn keyset(
        list: Keyset<'_>,
        mut conditions: Vec<String>,
        mut values: Vec<Value>,
        limit: u32,
        offset: u64,
        after: Option<&Cursor>,
    ) -> ListQuery {
        let count_values = values.len();
        let count = capped_count(
            &format!("{} {}", list.count_from, where_clause(&conditions)),
            count_cap(limit, offset),
        );
        if let Some(cursor) = after {
            Self::after(&mut conditions, &mut values, list.time, list.id, cursor);
        }
        let filtered = where_clause(&conditions);
        let limit = Self::limit(&mut values, limit, offset, after.is_some());
        let rows = format!(
            "{} {filtered} ORDER BY {} DESC, {} DESC {limit}",
            list.select, list.time, list.id
        );
        ListQuery {
            rows,
            count,
            values,
            count_values,
        }
    }

    /// Adds the keyset condition `(time, id) < cursor` for a list sorted newest first by
    /// the two columns named.
    pub fn after(
        conditions: &mut Vec<String>,
        values: &mut Vec<Value>,
        time_column: &str,
        id_column: &str,
        cursor: &Cursor,
    ) {
        values.push(cursor.at.to_value());
        values.push(cursor.id.to_value());
        conditions.push(format!(
            "({time_column}, {id_column}) < (?{}, ?{})",
            values.len() - 1,
            values.len()
        ));
    }

    /// `LIMIT`, and `OFFSET` for a page asked for by number (a cursor already names where the
    /// page starts).
    pub fn limit(values: &mut Vec<Value>, limit: u32, offset: u64, keyset: bool) -> String {
        values.push(limit.to_value());
        let mut clause = format!("LIMIT ?{}", values.len());
        if !keyset && offset > 0 {
            values.push((offset as i64).to_value());
            clause.push_str(&format!(" OFFSET ?{}", values.len()));
        }
        clause
    }

    /// Runs the count and the page; rows are read by `read`.
    pub fn run<T>(
        &self,
        tx: &Tx<'_>,
        read: impl FnMut(&Row) -> DbResult<T>,
    ) -> DbResult<(Vec<T>, Total)> {
        let counted: i64 = tx.query_row(&self.count, &self.values[..self.count_values], |row| {
            row.get(0)
        })?;
        Ok((self.page(tx, read)?, Total::UpTo(counted as u64)))
    }

    /// Runs the page alone, for a list whose total is known otherwise.
    pub fn page<T>(&self, tx: &Tx<'_>, read: impl FnMut(&Row) -> DbResult<T>) -> DbResult<Vec<T>> {
        tx.query_map(&self.rows, &self.values, read)
    }
}

/// `WHERE` and the conditions given, or nothing.
pub fn where_clause(conditions: &[String]) -> String {
    if conditions.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", conditions.join(" AND "))
    }
}

/// Which database a deployment uses, from `database.url`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location<'a> {
    SqliteFile(&'a Path),
    Postgres(&'a str),
}

impl<'a> Location<'a> {
    pub fn parse(url: &'a str) -> Location<'a> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Location::Postgres(url)
        } else {
            Location::SqliteFile(Path::new(url.strip_prefix("sqlite://").unwrap_or(url)))
        }
    }
}

/// Handle to the store; cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    backend: Backend,
}

#[derive(Clone, Debug)]
enum Backend {
    Sqlite(tseeder_sqlite::Db),
    Postgres(Arc<postgres::PgPool>),
}

/// Opens (creating if needed) the store and applies pending migrations. Blocks: call it before
/// serving, or on a blocking thread.
pub fn open(location: &Location<'_>) -> DbResult<Store> {
    let backend = match location {
        Location::SqliteFile(path) => Backend::Sqlite(tseeder_sqlite::Db::open(
            path,
            MIGRATIONS,
            tseeder_sqlite::Options::default(),
        )?),
        Location::Postgres(url) => {
            Backend::Postgres(Arc::new(postgres::PgPool::open(url, POSTGRES_MIGRATIONS)?))
        }
    };
    Ok(Store { backend })
}

/// A URL safe to log: a PostgreSQL password is masked.
pub fn redacted(url: &str) -> String {
    postgres::redact(url)
}

impl Store {
    pub fn dialect(&self) -> Dialect {
        match self.backend {
            Backend::Sqlite(_) => Dialect::Sqlite,
            Backend::Postgres(_) => Dialect::Postgres,
        }
    }

    /// Sends each payload on `channel` to every replica listening (PostgreSQL's NOTIFY), in
    /// order, each delivered as soon as it is sent.
    pub async fn notify(&self, channel: &'static str, payloads: Vec<String>) -> DbResult<()> {
        self.call(move |tx| {
            for payload in &payloads {
                tx.execute("SELECT pg_notify(?1, ?2)", params![channel, payload])?;
            }
            Ok(())
        })
        .await
    }

    /// Follows `channel` when the store can carry notifications between replicas (PostgreSQL);
    /// answers false when it cannot (SQLite: one process, nobody else to hear).
    pub fn listen<F>(&self, channel: &'static str, hear: F) -> bool
    where
        F: FnMut(Notice<'_>) -> bool + Send + 'static,
    {
        match &self.backend {
            Backend::Sqlite(_) => false,
            Backend::Postgres(pool) => {
                postgres::listen(pool.url().to_owned(), channel, hear);
                true
            }
        }
    }

    /// Whether this replica is the one that runs the work named by `key` (sweeps, mail
    /// delivery), kept current in the background. With SQLite there is one process: always.
    pub fn sole_runner(&self, key: i64) -> SoleRunner {
        let held = Arc::new(AtomicBool::new(matches!(self.backend, Backend::Sqlite(_))));
        if let Backend::Postgres(pool) = &self.backend {
            postgres::hold_advisory_lock(pool.url().to_owned(), key, Arc::downgrade(&held));
        }
        SoleRunner { held }
    }

    /// Whether the database answers a query.
    pub async fn ping(&self) -> DbResult<()> {
        let one: i64 = self
            .call(|conn| conn.query_row("SELECT 1", params![], |row| row.get(0)))
            .await?;
        match one {
            1 => Ok(()),
            other => Err(DbError::Corrupt(format!("SELECT 1 answered {other}"))),
        }
    }

    /// Runs `work`, whose statements each stand alone (reads, or one write): on both backends
    /// each is its own transaction. On PostgreSQL that saves the two round trips a `BEGIN` and
    /// a `COMMIT` cost, and changes nothing a reader sees: at READ COMMITTED each statement of
    /// a transaction takes its own snapshot anyway.
    pub async fn call<T, F>(&self, mut work: F) -> DbResult<T>
    where
        T: Send + 'static,
        F: FnMut(&Tx<'_>) -> DbResult<T> + Send + 'static,
    {
        match &self.backend {
            Backend::Sqlite(db) => db.call(move |conn| Ok(work(&Tx::sqlite(conn)))).await?,
            Backend::Postgres(pool) => pool.run(None, work).await,
        }
    }

    /// Runs `work` as one unit of work, committed only when it succeeds.
    pub async fn transaction<T, F>(&self, work: F) -> DbResult<T>
    where
        T: Send + 'static,
        F: FnMut(&Tx<'_>) -> DbResult<T> + Send + 'static,
    {
        self.transaction_with(work).await
    }

    /// A unit of work whose correctness rests on the rows it locks (`FOR UPDATE SKIP LOCKED`,
    /// conditional updates), not on isolation: a queue's claim. On PostgreSQL it runs READ
    /// COMMITTED, so claims of different rows never fail each other as SERIALIZABLE would
    /// make them; on SQLite it is an ordinary unit of work.
    pub async fn locking_transaction<T, F>(&self, work: F) -> DbResult<T>
    where
        T: Send + 'static,
        F: FnMut(&Tx<'_>) -> DbResult<T> + Send + 'static,
    {
        match &self.backend {
            Backend::Sqlite(_) => self.transaction(work).await,
            Backend::Postgres(pool) => pool.run(Some(IsolationLevel::ReadCommitted), work).await,
        }
    }

    /// A unit of work that may refuse with the caller's own error: any error rolls it back,
    /// and a refusal is an ordinary `Err`. On PostgreSQL, work that lost a race with another
    /// replica's is run again, so it must not have effects outside the store.
    pub async fn transaction_with<T, E, F>(&self, mut work: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
        F: FnMut(&Tx<'_>) -> Result<T, E> + Send + 'static,
    {
        match &self.backend {
            Backend::Sqlite(db) => db
                .transaction_with(move |tx| work(&Tx::sqlite(tx)).map_err(Unwound::Refused))
                .await
                .map_err(|unwound| match unwound {
                    Unwound::Refused(refusal) => refusal,
                    Unwound::Db(err) => E::from(DbError::Sqlite(err)),
                }),
            Backend::Postgres(pool) => pool.run(Some(IsolationLevel::Serializable), work).await,
        }
    }
}

/// How a SQLite unit of work ended when it did not commit.
enum Unwound<E> {
    Refused(E),
    Db(tseeder_sqlite::DbError),
}

impl<E> From<tseeder_sqlite::DbError> for Unwound<E> {
    fn from(err: tseeder_sqlite::DbError) -> Self {
        Unwound::Db(err)
    }
}

/// See [`Store::sole_runner`]; the lock is given up when this is dropped.
#[derive(Debug, Clone)]
pub struct SoleRunner {
    held: Arc<AtomicBool>,
}

impl SoleRunner {
    pub fn is_mine(&self) -> bool {
        self.held.load(Ordering::SeqCst)
    }
}
