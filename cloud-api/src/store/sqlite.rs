//! The embedded backend: one SQLite file through `tseeder-sqlite`'s pool, whose write
//! transactions take the lock up front (`BEGIN IMMEDIATE`), so a unit of work never sees another
//! one's half-done change and needs no retry.

use super::sql::{Columns, Row, Value, ValueRef as StoredRef};
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

fn stored(value: ValueRef<'_>) -> StoredRef<'_> {
    match value {
        ValueRef::Null => StoredRef::Null,
        ValueRef::Integer(n) => StoredRef::Integer(n),
        ValueRef::Real(x) => StoredRef::Real(x),
        ValueRef::Text(text) => StoredRef::Text(text),
        ValueRef::Blob(bytes) => StoredRef::Blob(bytes),
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

/// Steps through a query's rows, handing each to `visit` while SQLite still holds it, until
/// `visit` answers false.
pub(super) fn for_each_row(
    conn: &rusqlite::Connection,
    sql: &str,
    params: &[Value],
    mut visit: impl FnMut(&Row<'_>) -> DbResult<bool>,
) -> DbResult<()> {
    let mut statement = conn.prepare_cached(sql).map_err(sqlite_error)?;
    let names = statement.column_names();
    let width = names.len();
    let columns = Arc::new(Columns::new(names.into_iter().map(str::to_owned)));
    let mut rows = statement
        .query(rusqlite::params_from_iter(params))
        .map_err(sqlite_error)?;
    while let Some(row) = rows.next().map_err(sqlite_error)? {
        // Sized up front: collecting through `Result` cannot know the length, and grew the
        // buffer three times a row.
        let mut values = Vec::with_capacity(width);
        for i in 0..width {
            values.push(stored(row.get_ref(i).map_err(sqlite_error)?));
        }
        if !visit(&Row::in_place(Arc::clone(&columns), values))? {
            break;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::store::{params, DbError, Tx, Value};

    fn connection() -> rusqlite::Connection {
        rusqlite::Connection::open_in_memory().expect("an in-memory database")
    }

    /// SQLite's `abs` of the smallest integer fails with "integer overflow" when that row is
    /// stepped to: a reader that goes past the rows it was asked for fails.
    const SECOND_ROW_FAILS: &str = "SELECT 7 AS n UNION ALL SELECT abs(-9223372036854775808)";

    #[test]
    fn a_single_row_query_stops_at_its_first_row() {
        let conn = connection();
        let tx = Tx::sqlite(&conn);
        let first: i64 = tx
            .query_row(SECOND_ROW_FAILS, params![], |row| row.get("n"))
            .expect("only the first row is read");
        assert_eq!(first, 7);
        assert!(
            tx.query_map(SECOND_ROW_FAILS, params![], |row| row.get::<_, i64>("n"))
                .is_err(),
            "reading every row does reach the failing one"
        );
        assert!(matches!(
            tx.query_row("SELECT 1 WHERE 0", params![], |row| row.get::<_, i64>(0)),
            Err(DbError::NoRows)
        ));
    }

    #[test]
    fn rows_read_in_place_and_rows_kept_answer_the_same() {
        let conn = connection();
        conn.execute_batch(
            "CREATE TABLE t (id INTEGER, name TEXT, data BLOB, score REAL);
             INSERT INTO t VALUES (1, 'ünïcode', x'00ff', 0.5), (2, NULL, NULL, NULL);
             INSERT INTO t VALUES (3, CAST(x'6fff6b' AS TEXT), NULL, NULL);",
        )
        .expect("the table");
        let tx = Tx::sqlite(&conn);
        let sql = "SELECT id, name, data, score FROM t ORDER BY id";
        type Read = (i64, Option<String>, Option<Vec<u8>>, Option<f64>);
        let read = |row: &crate::store::Row<'_>| -> crate::store::DbResult<Read> {
            Ok((
                row.get("id")?,
                row.get("name")?,
                row.get("data")?,
                row.get("score")?,
            ))
        };
        let in_place = tx
            .query_map(sql, params![], read)
            .expect("rows read in place");
        let kept: Vec<Read> = tx
            .query(sql, params![])
            .expect("rows kept")
            .iter()
            .map(read)
            .collect::<Result<_, _>>()
            .expect("kept rows read");
        assert_eq!(in_place, kept);
        assert_eq!(
            in_place[0],
            (1, Some("ünïcode".into()), Some(vec![0, 0xff]), Some(0.5))
        );
        assert_eq!(in_place[1], (2, None, None, None));
        // Text that is not UTF-8 (SQLite does not check) is read with replacement characters.
        assert_eq!(in_place[2].1.as_deref(), Some("o\u{fffd}k"));
        let kept_rows = tx.query(sql, params![]).expect("rows kept");
        assert_eq!(
            kept_rows[0].value("name"),
            Some(Value::Text("ünïcode".into()))
        );
    }
}
