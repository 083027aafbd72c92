//! The clustered backend: PostgreSQL through the synchronous `postgres` client on blocking
//! threads, so store operations are the same plain functions as on SQLite. Units of work run
//! `SERIALIZABLE` and are retried when PostgreSQL reports a serialization failure, which gives
//! every replica the all-or-nothing, one-at-a-time behaviour SQLite's write lock gives one
//! process, without a lock around the whole database.

use super::sql::{numbered_placeholders, Columns, Row, Value};
use super::{DbError, DbResult, Migration};
use bytes::BytesMut;
use postgres::error::SqlState;
use postgres::types::{IsNull, ToSql, Type};
use postgres::{Client, IsolationLevel, NoTls, Statement};
use std::collections::HashMap;
use std::error::Error as StdError;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;
use tokio::sync::Semaphore;

type BoxError = Box<dyn StdError + Sync + Send>;

impl ToSql for Value {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, BoxError> {
        match self {
            Value::Null => Ok(IsNull::Yes),
            Value::Integer(n) => match *ty {
                Type::INT8 => n.to_sql(ty, out),
                Type::INT4 => i32::try_from(*n)?.to_sql(ty, out),
                Type::INT2 => i16::try_from(*n)?.to_sql(ty, out),
                Type::BOOL => (*n != 0).to_sql(ty, out),
                Type::FLOAT8 => (*n as f64).to_sql(ty, out),
                Type::FLOAT4 => (*n as f32).to_sql(ty, out),
                Type::TEXT | Type::VARCHAR => n.to_string().to_sql(ty, out),
                _ => Err(format!("an integer cannot be bound as {ty}").into()),
            },
            Value::Real(x) => match *ty {
                Type::FLOAT8 => x.to_sql(ty, out),
                Type::FLOAT4 => (*x as f32).to_sql(ty, out),
                _ => Err(format!("a number cannot be bound as {ty}").into()),
            },
            Value::Text(text) => match *ty {
                Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN => {
                    text.as_str().to_sql(&Type::TEXT, out)
                }
                _ => Err(format!("text cannot be bound as {ty}").into()),
            },
            Value::Blob(bytes) => match *ty {
                Type::BYTEA => bytes.as_slice().to_sql(ty, out),
                _ => Err(format!("bytes cannot be bound as {ty}").into()),
            },
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    postgres::types::to_sql_checked!();
}

fn read(row: &postgres::Row, index: usize) -> DbResult<Value> {
    let ty = row.columns()[index].type_();
    let value = match *ty {
        Type::INT8 => row.try_get::<_, Option<i64>>(index)?.map(Value::Integer),
        Type::INT4 => row
            .try_get::<_, Option<i32>>(index)?
            .map(|n| Value::Integer(n.into())),
        Type::INT2 => row
            .try_get::<_, Option<i16>>(index)?
            .map(|n| Value::Integer(n.into())),
        Type::BOOL => row
            .try_get::<_, Option<bool>>(index)?
            .map(|b| Value::Integer(b.into())),
        Type::FLOAT8 => row.try_get::<_, Option<f64>>(index)?.map(Value::Real),
        Type::FLOAT4 => row
            .try_get::<_, Option<f32>>(index)?
            .map(|x| Value::Real(x.into())),
        Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME => {
            row.try_get::<_, Option<String>>(index)?.map(Value::Text)
        }
        Type::BYTEA => row.try_get::<_, Option<Vec<u8>>>(index)?.map(Value::Blob),
        _ => {
            return Err(DbError::Corrupt(format!(
                "column {} has type {ty}, which the store does not read (cast it)",
                row.columns()[index].name()
            )))
        }
    };
    Ok(value.unwrap_or(Value::Null))
}

/// A parameter type left unspecified (OID 0), for PostgreSQL to infer.
fn inferred() -> Type {
    Type::new(
        String::new(),
        0,
        postgres::types::Kind::Simple,
        String::new(),
    )
}

/// A pooled connection and the statements already prepared on it.
struct PgConn {
    client: Client,
    statements: HashMap<String, Statement>,
}

/// What a unit of work's statements run in: one transaction, or each its own (PostgreSQL's
/// autocommit, as SQLite runs [`super::Store::call`]).
enum Session<'c> {
    Transaction(postgres::Transaction<'c>),
    EachAlone(&'c mut Client),
}

impl Session<'_> {
    fn prepare_typed(&mut self, sql: &str, types: &[Type]) -> Result<Statement, postgres::Error> {
        match self {
            Session::Transaction(tx) => tx.prepare_typed(sql, types),
            Session::EachAlone(client) => client.prepare_typed(sql, types),
        }
    }

    fn execute(
        &mut self,
        statement: &Statement,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<u64, postgres::Error> {
        match self {
            Session::Transaction(tx) => tx.execute(statement, params),
            Session::EachAlone(client) => client.execute(statement, params),
        }
    }

    fn query(
        &mut self,
        statement: &Statement,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<postgres::Row>, postgres::Error> {
        match self {
            Session::Transaction(tx) => tx.query(statement, params),
            Session::EachAlone(client) => client.query(statement, params),
        }
    }

    fn batch_execute(&mut self, sql: &str) -> Result<(), postgres::Error> {
        match self {
            Session::Transaction(tx) => tx.batch_execute(sql),
            Session::EachAlone(client) => client.batch_execute(sql),
        }
    }
}

/// One unit of work on a pooled connection.
pub(crate) struct PgTx<'c> {
    tx: Session<'c>,
    statements: &'c mut HashMap<String, Statement>,
    /// Set when a statement lost a race: the work's own error then says nothing more.
    lost_race: bool,
}

impl std::fmt::Debug for PgTx<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PgTx")
    }
}

impl PgTx<'_> {
    fn noting_races<T>(&mut self, outcome: DbResult<T>) -> DbResult<T> {
        if let Err(err) = &outcome {
            self.lost_race |= is_retryable(err);
        }
        outcome
    }

    /// The prepared form of `sql` for parameters of these kinds. Text and bytes are declared
    /// (so `?1 IS NULL OR kind = ?1` has a type); numbers and NULL are left to PostgreSQL to
    /// infer from where they stand.
    fn statement(&mut self, sql: &str, params: &[Value]) -> DbResult<Statement> {
        let kinds: String = params
            .iter()
            .map(|value| match value {
                Value::Text(_) => 't',
                Value::Blob(_) => 'b',
                _ => '-',
            })
            .collect();
        let key = format!("{kinds}|{sql}");
        if let Some(statement) = self.statements.get(&key) {
            return Ok(statement.clone());
        }
        let types: Vec<Type> = kinds
            .chars()
            .map(|kind| match kind {
                't' => Type::TEXT,
                'b' => Type::BYTEA,
                _ => inferred(),
            })
            .collect();
        let statement = self.tx.prepare_typed(&numbered_placeholders(sql), &types)?;
        self.statements.insert(key, statement.clone());
        Ok(statement)
    }

    pub(crate) fn execute(&mut self, sql: &str, params: &[Value]) -> DbResult<usize> {
        let outcome = self.execute_once(sql, params);
        self.noting_races(outcome)
    }

    pub(crate) fn query(&mut self, sql: &str, params: &[Value]) -> DbResult<Vec<Row<'static>>> {
        let outcome = self.query_once(sql, params);
        self.noting_races(outcome)
    }

    fn execute_once(&mut self, sql: &str, params: &[Value]) -> DbResult<usize> {
        let statement = self.statement(sql, params)?;
        let params: Vec<&(dyn ToSql + Sync)> = params.iter().map(|v| v as _).collect();
        Ok(self.tx.execute(&statement, &params)? as usize)
    }

    fn query_once(&mut self, sql: &str, params: &[Value]) -> DbResult<Vec<Row<'static>>> {
        let statement = self.statement(sql, params)?;
        let width = statement.columns().len();
        let columns = Arc::new(Columns::new(
            statement.columns().iter().map(|c| c.name().to_owned()),
        ));
        let params: Vec<&(dyn ToSql + Sync)> = params.iter().map(|v| v as _).collect();
        self.tx
            .query(&statement, &params)?
            .iter()
            .map(|row| {
                let values = (0..width)
                    .map(|i| read(row, i))
                    .collect::<DbResult<Vec<_>>>()?;
                Ok(Row::new(Arc::clone(&columns), values))
            })
            .collect()
    }

    pub(crate) fn execute_batch(&mut self, sql: &str) -> DbResult<()> {
        Ok(self.tx.batch_execute(sql)?)
    }

    fn commit(self) -> DbResult<()> {
        match self.tx {
            Session::Transaction(tx) => Ok(tx.commit()?),
            Session::EachAlone(_) => Ok(()),
        }
    }

    /// Undoes the work's statements when they ran in a transaction; each one that stood alone
    /// is in already.
    fn roll_back(self) -> DbResult<()> {
        match self.tx {
            Session::Transaction(tx) => Ok(tx.rollback()?),
            Session::EachAlone(_) => Ok(()),
        }
    }
}

/// Whether PostgreSQL refused the unit of work only because a concurrent one won; running it
/// again is then correct.
pub(crate) fn is_retryable(err: &DbError) -> bool {
    match err {
        DbError::LostRace => true,
        DbError::Postgres(err) => matches!(
            err.code(),
            Some(code) if *code == SqlState::T_R_SERIALIZATION_FAILURE
                || *code == SqlState::T_R_DEADLOCK_DETECTED
        ),
        _ => false,
    }
}

pub(crate) fn is_unique_violation(err: &postgres::Error) -> bool {
    err.code() == Some(&SqlState::UNIQUE_VIOLATION)
}

/// Connections to one PostgreSQL database, used on blocking threads.
pub(crate) struct PgPool {
    url: String,
    idle: Mutex<Vec<PgConn>>,
    slots: Arc<Semaphore>,
}

impl std::fmt::Debug for PgPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgPool")
            .field("url", &redact(&self.url))
            .finish_non_exhaustive()
    }
}

/// The URL without its password, for logs and errors.
pub(crate) fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

impl Drop for PgPool {
    /// Closing a client blocks on its connection, which an async task must not do: the last
    /// handle may well be dropped on one.
    fn drop(&mut self) {
        let idle = std::mem::take(self.idle.get_mut().unwrap_or_else(|p| p.into_inner()));
        if !idle.is_empty() {
            std::thread::spawn(move || drop(idle));
        }
    }
}

/// How many connections one replica opens at most; PostgreSQL's own default limit is 100.
const MAX_CONNECTIONS: usize = 16;
/// How often a unit of work that lost a race is run again before the error is reported.
const MAX_ATTEMPTS: u32 = 30;

impl PgPool {
    /// Connects and applies pending migrations (one replica at a time).
    pub(crate) fn open(url: &str, migrations: &[Migration]) -> DbResult<PgPool> {
        let pool = PgPool {
            url: url.to_owned(),
            idle: Mutex::new(Vec::new()),
            slots: Arc::new(Semaphore::new(MAX_CONNECTIONS)),
        };
        let mut conn = pool.connect()?;
        super::migrate::apply_postgres(&mut conn.client, migrations)?;
        pool.give_back(conn);
        Ok(pool)
    }

    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    fn connect(&self) -> DbResult<PgConn> {
        let client = Client::connect(&self.url, NoTls)?;
        Ok(PgConn {
            client,
            statements: HashMap::new(),
        })
    }

    fn take(&self) -> DbResult<PgConn> {
        let idle = self
            .idle
            .lock()
            .map_err(|_| DbError::Pool("pool lock poisoned".into()))?
            .pop();
        match idle {
            Some(conn) if !conn.client.is_closed() => Ok(conn),
            _ => self.connect(),
        }
    }

    fn give_back(&self, conn: PgConn) {
        if conn.client.is_closed() {
            return;
        }
        if let Ok(mut idle) = self.idle.lock() {
            idle.push(conn);
        }
    }

    /// Runs `work` on a blocking thread, in one transaction at `isolation` (with `None`, each
    /// statement on its own), again while it loses races.
    pub(crate) async fn run<T, E, F>(
        self: &Arc<Self>,
        isolation: Option<IsolationLevel>,
        mut work: F,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
        F: FnMut(&super::Tx<'_>) -> Result<T, E> + Send + 'static,
    {
        let permit = Arc::clone(&self.slots)
            .acquire_owned()
            .await
            .map_err(|err| E::from(DbError::Pool(err.to_string())))?;
        let pool = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let mut conn = pool.take().map_err(E::from)?;
            let mut attempt = 0;
            let outcome = loop {
                attempt += 1;
                match run_once(&mut conn, isolation, &mut work) {
                    Err(Failure::Db(err)) if is_retryable(&err) && attempt < MAX_ATTEMPTS => {
                        std::thread::sleep(backoff(attempt));
                    }
                    Err(Failure::Db(err)) => break Err(E::from(err)),
                    Err(Failure::Refused(refusal)) => break Err(refusal),
                    Ok(value) => break Ok(value),
                }
            };
            pool.give_back(conn);
            outcome
        })
        .await
        .map_err(|err| E::from(DbError::Pool(err.to_string())))?
    }
}

enum Failure<E> {
    Db(DbError),
    Refused(E),
}

fn run_once<T, E, F>(
    conn: &mut PgConn,
    isolation: Option<IsolationLevel>,
    work: &mut F,
) -> Result<T, Failure<E>>
where
    E: From<DbError>,
    F: FnMut(&super::Tx<'_>) -> Result<T, E>,
{
    let session = match isolation {
        Some(isolation) => Session::Transaction(
            conn.client
                .build_transaction()
                .isolation_level(isolation)
                .start()
                .map_err(|err| Failure::Db(err.into()))?,
        ),
        None => Session::EachAlone(&mut conn.client),
    };
    let tx = super::Tx::postgres(PgTx {
        tx: session,
        statements: &mut conn.statements,
        lost_race: false,
    });
    let value = work(&tx);
    let Some(pg) = tx.into_postgres() else {
        return Err(Failure::Db(DbError::Pool(
            "not a PostgreSQL transaction".into(),
        )));
    };
    match value {
        Ok(value) => {
            pg.commit().map_err(Failure::Db)?;
            Ok(value)
        }
        // The work's error may be its own refusal or a converted database error; which of
        // them is only known here, so a lost race is remembered on the side.
        Err(_) if pg.lost_race => Err(Failure::Db(DbError::LostRace)),
        Err(refusal) => match pg.roll_back() {
            Ok(()) => Err(Failure::Refused(refusal)),
            Err(err) => Err(Failure::Db(err)),
        },
    }
}

fn backoff(attempt: u32) -> Duration {
    let base = 2u64.saturating_pow(attempt.min(6));
    Duration::from_millis(base + rand::random::<u64>() % (base * 2))
}

/// What a listener hears.
#[derive(Debug)]
pub enum Notice<'a> {
    /// A notification's payload.
    Payload(&'a str),
    /// The connection was lost and is back: notifications in between are gone.
    Reconnected,
    /// Nothing for a while.
    Idle,
}

/// Follows `channel` on a connection of its own, on a thread of its own, reconnecting when
/// PostgreSQL goes away, until `hear` answers false.
pub(crate) fn listen<F>(url: String, channel: &'static str, mut hear: F)
where
    F: FnMut(Notice<'_>) -> bool + Send + 'static,
{
    let spawned = std::thread::Builder::new()
        .name(format!("listen-{channel}"))
        .spawn(move || {
            let mut connected_before = false;
            loop {
                match Client::connect(&url, NoTls) {
                    Ok(mut client) => {
                        if let Err(err) = client.batch_execute(&format!("LISTEN {channel}")) {
                            tracing::warn!(%err, channel, "LISTEN failed");
                        } else {
                            if connected_before && !hear(Notice::Reconnected) {
                                return;
                            }
                            connected_before = true;
                            if !follow(&mut client, &mut hear) {
                                return;
                            }
                        }
                    }
                    Err(err) => {
                        tracing::warn!(%err, channel, "cannot reach PostgreSQL to listen");
                        if !hear(Notice::Idle) {
                            return;
                        }
                    }
                }
                std::thread::sleep(Duration::from_millis(500));
            }
        });
    if let Err(err) = spawned {
        tracing::error!(%err, "cannot start the notification listener");
    }
}

/// Hands on notifications until the connection fails (true: reconnect) or `hear` is done
/// (false).
fn follow<F>(client: &mut Client, hear: &mut F) -> bool
where
    F: FnMut(Notice<'_>) -> bool,
{
    use postgres::fallible_iterator::FallibleIterator;
    loop {
        // A fresh wait each time: a timeout iterator whose delay once ran out answers at once
        // from then on, which would spin.
        let next = client
            .notifications()
            .timeout_iter(Duration::from_secs(1))
            .next();
        let heard = match next {
            Ok(Some(notification)) => hear(Notice::Payload(notification.payload())),
            // The server closed the connection: the iterator only says "nothing".
            Ok(None) if client.is_closed() => return true,
            Ok(None) => hear(Notice::Idle),
            Err(err) => {
                tracing::warn!(%err, "lost the notification connection");
                return true;
            }
        };
        if !heard {
            return false;
        }
    }
}

/// Holds a session-level advisory lock on a connection of its own while it can: the replica
/// whose thread holds it runs the work only one replica may run at a time. PostgreSQL releases
/// the lock the moment that connection ends, a crashed replica's included, and another
/// replica's thread takes it within a second.
pub(crate) fn hold_advisory_lock(url: String, key: i64, held: Weak<AtomicBool>) {
    let spawned = std::thread::Builder::new()
        .name("advisory-lock".into())
        .spawn(move || loop {
            if held.strong_count() == 0 {
                return;
            }
            if let Ok(mut client) = Client::connect(&url, NoTls) {
                loop {
                    let Some(flag) = held.upgrade() else {
                        return;
                    };
                    let check = if flag.load(Ordering::SeqCst) {
                        client.simple_query("SELECT 1").map(|_| true)
                    } else {
                        client
                            .query_one("SELECT pg_try_advisory_lock($1)", &[&key])
                            .map(|row| row.get::<_, bool>(0))
                    };
                    match check {
                        Ok(holding) => flag.store(holding, Ordering::SeqCst),
                        Err(_) => {
                            flag.store(false, Ordering::SeqCst);
                            break;
                        }
                    }
                    drop(flag);
                    std::thread::sleep(Duration::from_millis(500));
                }
            }
            std::thread::sleep(Duration::from_millis(500));
        });
    if let Err(err) = spawned {
        tracing::error!(%err, "cannot start the advisory lock holder");
    }
}
