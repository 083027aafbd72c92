//! The embedded backend: one SQLite file through `tseeder-sqlite`'s pool, whose write
//! transactions take the lock up front (`BEGIN IMMEDIATE`), so a unit of work never sees another
//! one's half-done change and needs no retry.

use super::sql::{Columns, Row, Value};
use super::DbResult;
use rusqlite::types::{ToSqlOutput, ValueRef};
use std::sync::Arc;

impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Value::Null => ToSqlOutput::Borrowed(ValueRef::Null),
            Value::Integer(n) => ToSqlOutput::Borrowed(ValueRef::Integer(*n)),
            Value::Real(x) => ToSqlOutput::Borrowed(ValueRef::Real(*x)),
            Value::Text(text) => ToSqlOutput::Borrowed(ValueRef::Text(text.as_bytes())),
            Value::Blob(bytes) => ToSqlOutput::Borrowed(ValueRef::Blob(bytes)),
        })
    }
}

fn read(value: ValueRef<'_>) -> Value {
    match value {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(n) => Value::Integer(n),
        ValueRef::Real(x) => Value::Real(x),
        ValueRef::Text(text) => Value::Text(String::from_utf8_lossy(text).into_owned()),
        ValueRef::Blob(bytes) => Value::Blob(bytes.to_vec()),
    }
}

fn sqlite_error(err: rusqlite::Error) -> super::DbError {
    tseeder_sqlite::DbError::from(err).into()
}

pub(super) fn execute(conn: &rusqlite::Connection, sql: &str, params: &[Value]) -> DbResult<usize> {
    let mut statement = conn.prepare_cached(sql).map_err(sqlite_error)?;
    statement
        .execute(rusqlite::params_from_iter(params))
        .map_err(sqlite_error)
}

pub(super) fn query(
    conn: &rusqlite::Connection,
    sql: &str,
    params: &[Value],
) -> DbResult<Vec<Row>> {
    let mut statement = conn.prepare_cached(sql).map_err(sqlite_error)?;
    let names = statement.column_names();
    let width = names.len();
    let columns = Arc::new(Columns::new(names.into_iter().map(str::to_owned)));
    let mut rows = statement
        .query(rusqlite::params_from_iter(params))
        .map_err(sqlite_error)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(sqlite_error)? {
        let values = (0..width)
            .map(|i| row.get_ref(i).map(read))
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(sqlite_error)?;
        out.push(Row::new(Arc::clone(&columns), values));
    }
    Ok(out)
}
