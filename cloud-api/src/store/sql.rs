//! One way to write a query for both backends: parameters and columns pass as [`Value`]s (the
//! five kinds SQLite stores, which PostgreSQL's integer, float, text and bytea columns map onto),
//! placeholders are written `?1` and translated for PostgreSQL, and the few spellings the two
//! dialects disagree on come from [`Dialect`]. Each domain's `store.rs` is written once against
//! [`Tx`].

use super::{DbError, DbResult};
use std::cell::{Cell, RefCell};
use std::sync::Arc;

/// A stored value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Integer(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

impl Value {
    pub fn as_ref(&self) -> ValueRef<'_> {
        match self {
            Value::Null => ValueRef::Null,
            Value::Integer(n) => ValueRef::Integer(*n),
            Value::Real(x) => ValueRef::Real(*x),
            Value::Text(text) => ValueRef::Text(text.as_bytes()),
            Value::Blob(bytes) => ValueRef::Blob(bytes),
        }
    }
}

/// A stored value where it lies, in the backend's own row: reading a column into a Rust value
/// copies its text once, out of the database's buffer, and never through a [`Value`] first.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ValueRef<'a> {
    Null,
    Integer(i64),
    Real(f64),
    /// UTF-8 as stored; SQLite does not check it, so reading replaces what is not.
    Text(&'a [u8]),
    Blob(&'a [u8]),
}

impl ValueRef<'_> {
    pub fn to_owned(self) -> Value {
        match self {
            ValueRef::Null => Value::Null,
            ValueRef::Integer(n) => Value::Integer(n),
            ValueRef::Real(x) => Value::Real(x),
            ValueRef::Text(text) => Value::Text(text_to_string(text)),
            ValueRef::Blob(bytes) => Value::Blob(bytes.to_vec()),
        }
    }

    /// What kind of value this is, for an error that says what a column held instead.
    fn kind(&self) -> &'static str {
        match self {
            ValueRef::Null => "null",
            ValueRef::Integer(_) => "an integer",
            ValueRef::Real(_) => "a real number",
            ValueRef::Text(_) => "text",
            ValueRef::Blob(_) => "bytes",
        }
    }
}

/// Binds a Rust value as a query parameter.
pub trait ToValue {
    fn to_value(&self) -> Value;
}

/// Reads a Rust value out of a column.
pub trait FromValue: Sized {
    fn from_value(value: ValueRef<'_>) -> Result<Self, String>;
}

macro_rules! integer_values {
    ($($ty:ty),*) => {$(
        impl ToValue for $ty {
            fn to_value(&self) -> Value {
                Value::Integer(i64::try_from(*self).unwrap_or(i64::MAX))
            }
        }

        impl FromValue for $ty {
            fn from_value(value: ValueRef<'_>) -> Result<Self, String> {
                match value {
                    ValueRef::Integer(n) => <$ty>::try_from(n)
                        .map_err(|_| format!("{n} does not fit {}", stringify!($ty))),
                    other => Err(format!("expected an integer, found {}", other.kind())),
                }
            }
        }
    )*};
}

integer_values!(i64, i32, u32, u64, usize, u16, u8);

impl ToValue for bool {
    fn to_value(&self) -> Value {
        Value::Integer(i64::from(*self))
    }
}

impl FromValue for bool {
    fn from_value(value: ValueRef<'_>) -> Result<Self, String> {
        match value {
            ValueRef::Integer(n) => Ok(n != 0),
            other => Err(format!("expected a flag, found {}", other.kind())),
        }
    }
}

impl ToValue for f64 {
    fn to_value(&self) -> Value {
        Value::Real(*self)
    }
}

impl ToValue for f32 {
    fn to_value(&self) -> Value {
        Value::Real(f64::from(*self))
    }
}

impl FromValue for f64 {
    fn from_value(value: ValueRef<'_>) -> Result<Self, String> {
        match value {
            ValueRef::Real(x) => Ok(x),
            ValueRef::Integer(n) => Ok(n as f64),
            other => Err(format!("expected a number, found {}", other.kind())),
        }
    }
}

impl ToValue for str {
    fn to_value(&self) -> Value {
        Value::Text(self.to_owned())
    }
}

/// Text as a `String`; bytes that are not UTF-8 (SQLite does not check) are replaced, not
/// refused. Valid text, which is nearly all of it, takes the standard library's fast check
/// rather than the lossy decoder's byte-by-byte walk.
fn text_to_string(text: &[u8]) -> String {
    match std::str::from_utf8(text) {
        Ok(valid) => valid.to_owned(),
        Err(_) => String::from_utf8_lossy(text).into_owned(),
    }
}

impl ToValue for String {
    fn to_value(&self) -> Value {
        Value::Text(self.clone())
    }
}

impl FromValue for String {
    fn from_value(value: ValueRef<'_>) -> Result<Self, String> {
        match value {
            ValueRef::Text(text) => Ok(text_to_string(text)),
            other => Err(format!("expected text, found {}", other.kind())),
        }
    }
}

impl ToValue for [u8] {
    fn to_value(&self) -> Value {
        Value::Blob(self.to_vec())
    }
}

impl ToValue for Vec<u8> {
    fn to_value(&self) -> Value {
        Value::Blob(self.clone())
    }
}

impl<const N: usize> ToValue for [u8; N] {
    fn to_value(&self) -> Value {
        Value::Blob(self.to_vec())
    }
}

impl FromValue for Vec<u8> {
    fn from_value(value: ValueRef<'_>) -> Result<Self, String> {
        match value {
            ValueRef::Blob(bytes) => Ok(bytes.to_vec()),
            other => Err(format!("expected bytes, found {}", other.kind())),
        }
    }
}

impl<T: ToValue> ToValue for Option<T> {
    fn to_value(&self) -> Value {
        match self {
            Some(inner) => inner.to_value(),
            None => Value::Null,
        }
    }
}

impl<T: FromValue> FromValue for Option<T> {
    fn from_value(value: ValueRef<'_>) -> Result<Self, String> {
        match value {
            ValueRef::Null => Ok(None),
            other => T::from_value(other).map(Some),
        }
    }
}

impl<T: ToValue + ?Sized> ToValue for &T {
    fn to_value(&self) -> Value {
        (**self).to_value()
    }
}

impl ToValue for Value {
    fn to_value(&self) -> Value {
        self.clone()
    }
}

impl FromValue for Value {
    fn from_value(value: ValueRef<'_>) -> Result<Self, String> {
        Ok(value.to_owned())
    }
}

/// Query parameters: `params![a, b]` binds `?1` to `a` and `?2` to `b`.
macro_rules! params {
    () => {
        &[] as &[$crate::store::Value]
    };
    ($($value:expr),+ $(,)?) => {
        &[$($crate::store::ToValue::to_value(&$value)),+] as &[$crate::store::Value]
    };
}
pub(crate) use params;

/// A result's column names, in order.
#[derive(Debug)]
pub struct Columns {
    names: Box<[String]>,
    /// No two columns share a name, so a name found after the last column read is the only
    /// one (a join may select two `id`s; the first is then always the one named).
    unique: bool,
}

impl Columns {
    pub fn new(names: impl IntoIterator<Item = String>) -> Columns {
        let names: Box<[String]> = names.into_iter().collect();
        let unique = names.iter().enumerate().all(|(i, name)| {
            !names[..i]
                .iter()
                .any(|earlier| earlier.eq_ignore_ascii_case(name))
        });
        Columns { names, unique }
    }
}

/// Where a column is found: by position or by name. `hint` is where a name's search may start
/// when names are unique: the column after the one read last, since rows are mostly read in
/// the order they were selected.
pub trait ColumnIndex {
    fn position(&self, columns: &Columns, hint: usize) -> Option<usize>;
}

impl ColumnIndex for usize {
    fn position(&self, columns: &Columns, _hint: usize) -> Option<usize> {
        (*self < columns.names.len()).then_some(*self)
    }
}

impl ColumnIndex for &str {
    fn position(&self, columns: &Columns, hint: usize) -> Option<usize> {
        // The common case, a row read in its columns' order with names spelled as selected,
        // costs one exact comparison.
        if columns.unique
            && columns
                .names
                .get(hint)
                .is_some_and(|name| name.as_str() == *self)
        {
            return Some(hint);
        }
        let named = |name: &String| name.eq_ignore_ascii_case(self);
        let hint = if columns.unique {
            hint.min(columns.names.len())
        } else {
            0
        };
        let (before, from_hint) = columns.names.split_at(hint);
        from_hint
            .iter()
            .position(named)
            .map(|i| hint + i)
            .or_else(|| before.iter().position(named))
    }
}

/// One result row, read by position or column name. A row that a query hands to its reader
/// one at a time ([`Tx::query_map`], [`Tx::query_row`]) stays in SQLite's own buffer while it
/// is read; rows kept after their query ([`Tx::query`]) hold their values.
#[derive(Debug, Clone)]
pub struct Row<'r> {
    columns: Arc<Columns>,
    values: Values<'r>,
    /// The column after the one read last: a row read in its columns' order finds each name at
    /// the first comparison instead of scanning the whole list.
    next: Cell<usize>,
}

#[derive(Debug, Clone)]
enum Values<'r> {
    Kept(Vec<Value>),
    InPlace(Vec<ValueRef<'r>>),
}

impl Row<'static> {
    pub(crate) fn new(columns: Arc<Columns>, values: Vec<Value>) -> Row<'static> {
        Row {
            columns,
            values: Values::Kept(values),
            next: Cell::new(0),
        }
    }
}

impl<'r> Row<'r> {
    /// A row whose values stay where the backend has them while it is read.
    pub(crate) fn in_place(columns: Arc<Columns>, values: Vec<ValueRef<'r>>) -> Row<'r> {
        Row {
            columns,
            values: Values::InPlace(values),
            next: Cell::new(0),
        }
    }

    pub fn columns(&self) -> &[String] {
        &self.columns.names
    }

    /// A column's value by name, copied out of the row.
    pub fn value(&self, column: &str) -> Option<Value> {
        let position = self.find(&column)?;
        Some(self.raw(position).to_owned())
    }

    /// The row with every value copied out of the backend's buffer, to keep after its query.
    fn kept(&self) -> Row<'static> {
        let values = (0..self.columns.names.len())
            .map(|i| self.raw(i).to_owned())
            .collect();
        Row::new(Arc::clone(&self.columns), values)
    }

    fn raw(&self, position: usize) -> ValueRef<'_> {
        match &self.values {
            Values::Kept(values) => values[position].as_ref(),
            Values::InPlace(values) => values[position],
        }
    }

    fn find(&self, index: &impl ColumnIndex) -> Option<usize> {
        let position = index.position(&self.columns, self.next.get())?;
        self.next.set(position + 1);
        Some(position)
    }

    pub fn get<I: ColumnIndex + std::fmt::Debug, T: FromValue>(&self, index: I) -> DbResult<T> {
        let position = self
            .find(&index)
            .ok_or_else(|| DbError::Corrupt(format!("no column {index:?}")))?;
        T::from_value(self.raw(position))
            .map_err(|message| DbError::Corrupt(format!("column {index:?}: {message}")))
    }
}

/// The two SQL dialects spoken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    /// The larger of two values in one row (SQLite's scalar `MAX`).
    pub fn greatest(self, a: &str, b: &str) -> String {
        match self {
            Dialect::Sqlite => format!("MAX({a}, {b})"),
            Dialect::Postgres => format!("GREATEST({a}, {b})"),
        }
    }

    /// The UTC calendar day (`YYYY-MM-DD`) of a millisecond timestamp column.
    pub fn utc_day(self, millis: &str) -> String {
        match self {
            Dialect::Sqlite => format!("date({millis} / 1000, 'unixepoch')"),
            Dialect::Postgres => {
                format!("to_char(to_timestamp({millis} / 1000) AT TIME ZONE 'UTC', 'YYYY-MM-DD')")
            }
        }
    }

    /// A case-insensitive `LIKE` with `\` as its escape character.
    pub fn like_ci(self, column: &str, pattern: &str) -> String {
        match self {
            Dialect::Sqlite => format!("{column} LIKE {pattern} ESCAPE '\\'"),
            Dialect::Postgres => format!("{column} ILIKE {pattern} ESCAPE '\\'"),
        }
    }

    /// Rows a claim takes are skipped by concurrent claims instead of waited for.
    /// Names the index a query must read a table through, where the planner cannot tell on
    /// its own: SQLite without statistics prefers any index with an equality on it, where a
    /// range over another index's first column would be far cheaper. PostgreSQL plans from its
    /// statistics and takes no hints.
    pub fn through_index(self, index: &str) -> String {
        match self {
            Dialect::Sqlite => format!("INDEXED BY {index}"),
            Dialect::Postgres => String::new(),
        }
    }

    pub fn skip_locked(self) -> &'static str {
        match self {
            Dialect::Sqlite => "",
            Dialect::Postgres => "FOR UPDATE SKIP LOCKED",
        }
    }
}

/// A unit of work's connection: every query of one store operation runs through it.
#[derive(Debug)]
pub struct Tx<'c> {
    inner: TxInner<'c>,
}

#[derive(Debug)]
enum TxInner<'c> {
    Sqlite(&'c rusqlite::Connection),
    Postgres(RefCell<super::postgres::PgTx<'c>>),
}

impl<'c> Tx<'c> {
    pub(crate) fn sqlite(conn: &'c rusqlite::Connection) -> Tx<'c> {
        Tx {
            inner: TxInner::Sqlite(conn),
        }
    }

    pub(crate) fn postgres(tx: super::postgres::PgTx<'c>) -> Tx<'c> {
        Tx {
            inner: TxInner::Postgres(RefCell::new(tx)),
        }
    }

    pub(crate) fn into_postgres(self) -> Option<super::postgres::PgTx<'c>> {
        match self.inner {
            TxInner::Postgres(tx) => Some(tx.into_inner()),
            TxInner::Sqlite(_) => None,
        }
    }

    pub fn dialect(&self) -> Dialect {
        match self.inner {
            TxInner::Sqlite(_) => Dialect::Sqlite,
            TxInner::Postgres(_) => Dialect::Postgres,
        }
    }

    /// Runs a statement and answers how many rows it changed.
    pub fn execute(&self, sql: &str, params: &[Value]) -> DbResult<usize> {
        match &self.inner {
            TxInner::Sqlite(conn) => super::sqlite::execute(conn, sql, params),
            TxInner::Postgres(tx) => tx.borrow_mut().execute(sql, params),
        }
    }

    /// Every row a query answers, kept.
    pub fn query(&self, sql: &str, params: &[Value]) -> DbResult<Vec<Row<'static>>> {
        match &self.inner {
            TxInner::Sqlite(_) => {
                let mut rows = Vec::new();
                self.for_each_row(sql, params, |row| {
                    rows.push(row.kept());
                    Ok(true)
                })?;
                Ok(rows)
            }
            // PostgreSQL's rows already hold their values.
            TxInner::Postgres(tx) => tx.borrow_mut().query(sql, params),
        }
    }

    /// Hands each row to `visit` as it is read, until `visit` answers false.
    fn for_each_row(
        &self,
        sql: &str,
        params: &[Value],
        mut visit: impl FnMut(&Row<'_>) -> DbResult<bool>,
    ) -> DbResult<()> {
        match &self.inner {
            TxInner::Sqlite(conn) => super::sqlite::for_each_row(conn, sql, params, visit),
            TxInner::Postgres(tx) => {
                let rows = tx.borrow_mut().query(sql, params)?;
                for row in &rows {
                    if !visit(row)? {
                        break;
                    }
                }
                Ok(())
            }
        }
    }

    /// The first row, mapped; [`DbError::NoRows`] when there is none. The rest are not read.
    pub fn query_row<T>(
        &self,
        sql: &str,
        params: &[Value],
        map: impl FnOnce(&Row<'_>) -> DbResult<T>,
    ) -> DbResult<T> {
        let mut map = Some(map);
        let mut first = None;
        self.for_each_row(sql, params, |row| {
            if let Some(map) = map.take() {
                first = Some(map(row));
            }
            Ok(false)
        })?;
        first.ok_or(DbError::NoRows)?
    }

    /// Every row, mapped as it is read.
    pub fn query_map<T>(
        &self,
        sql: &str,
        params: &[Value],
        mut map: impl FnMut(&Row<'_>) -> DbResult<T>,
    ) -> DbResult<Vec<T>> {
        let mut out = Vec::new();
        self.for_each_row(sql, params, |row| {
            out.push(map(row)?);
            Ok(true)
        })?;
        Ok(out)
    }

    /// A statement to run several times with different parameters.
    pub fn prepare(&self, sql: &str) -> DbResult<Statement<'_, 'c>> {
        Ok(Statement {
            tx: self,
            sql: sql.to_owned(),
        })
    }

    /// Several statements without parameters, as a migration or a test's setup has them.
    pub fn execute_batch(&self, sql: &str) -> DbResult<()> {
        match &self.inner {
            TxInner::Sqlite(conn) => Ok(conn
                .execute_batch(sql)
                .map_err(tseeder_sqlite::DbError::from)?),
            TxInner::Postgres(tx) => tx.borrow_mut().execute_batch(sql),
        }
    }
}

/// A query bound to its text; each backend caches the prepared form by text.
#[derive(Debug)]
pub struct Statement<'t, 'c> {
    tx: &'t Tx<'c>,
    sql: String,
}

impl Statement<'_, '_> {
    pub fn execute(&mut self, params: &[Value]) -> DbResult<usize> {
        self.tx.execute(&self.sql, params)
    }

    pub fn query_map<T>(
        &mut self,
        params: &[Value],
        mut map: impl FnMut(&Row<'_>) -> DbResult<T>,
    ) -> DbResult<std::vec::IntoIter<DbResult<T>>> {
        let mut out = Vec::new();
        self.tx.for_each_row(&self.sql, params, |row| {
            out.push(map(row));
            Ok(true)
        })?;
        Ok(out.into_iter())
    }

    pub fn query_row<T>(
        &mut self,
        params: &[Value],
        map: impl FnOnce(&Row<'_>) -> DbResult<T>,
    ) -> DbResult<T> {
        self.tx.query_row(&self.sql, params, map)
    }
}

/// `.optional()` on a single-row answer: no row is `None`, not an error.
pub trait OptionalExtension<T> {
    fn optional(self) -> DbResult<Option<T>>;
}

impl<T> OptionalExtension<T> for DbResult<T> {
    fn optional(self) -> DbResult<Option<T>> {
        match self {
            Ok(value) => Ok(Some(value)),
            Err(DbError::NoRows) => Ok(None),
            Err(err) => Err(err),
        }
    }
}

/// Rewrites `?1` / `?` placeholders as PostgreSQL's `$1`, leaving quoted text alone.
pub(crate) fn numbered_placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut chars = sql.chars().peekable();
    let mut next_bare = 1;
    let mut quote: Option<char> = None;
    while let Some(c) = chars.next() {
        match quote {
            Some(open) => {
                out.push(c);
                if c == open {
                    quote = None;
                }
            }
            None if c == '\'' || c == '"' => {
                quote = Some(c);
                out.push(c);
            }
            None if c == '?' => {
                let mut digits = String::new();
                while let Some(d) = chars.peek().copied().filter(char::is_ascii_digit) {
                    digits.push(d);
                    chars.next();
                }
                out.push('$');
                if digits.is_empty() {
                    out.push_str(&next_bare.to_string());
                    next_bare += 1;
                } else {
                    out.push_str(&digits);
                }
            }
            None => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_outside_quotes_only() {
        assert_eq!(
            numbered_placeholders(
                "SELECT a FROM t WHERE b = ?1 AND c = ?12 AND d LIKE '?x' ESCAPE '\\'"
            ),
            "SELECT a FROM t WHERE b = $1 AND c = $12 AND d LIKE '?x' ESCAPE '\\'"
        );
        assert_eq!(numbered_placeholders("VALUES (?, ?)"), "VALUES ($1, $2)");
    }

    #[test]
    fn values_round_trip_and_refuse_what_does_not_fit() {
        assert_eq!(u32::from_value(7u32.to_value().as_ref()), Ok(7));
        assert!(u32::from_value(Value::Integer(-1).as_ref()).is_err());
        assert_eq!(Option::<String>::from_value(Value::Null.as_ref()), Ok(None));
        assert_eq!(bool::from_value(true.to_value().as_ref()), Ok(true));
        assert_eq!(
            String::from_value(Value::Integer(1).as_ref()),
            Err("expected text, found an integer".to_owned())
        );
    }

    fn row(names: &[&str]) -> Row<'static> {
        let values = (0..names.len() as i64).map(Value::Integer).collect();
        Row::new(
            Arc::new(Columns::new(names.iter().map(|name| name.to_string()))),
            values,
        )
    }

    #[test]
    fn columns_are_found_by_name_in_any_order() {
        let row = row(&["id", "name", "status"]);
        assert_eq!(row.get::<_, i64>("id").ok(), Some(0));
        assert_eq!(row.get::<_, i64>("status").ok(), Some(2));
        assert_eq!(row.get::<_, i64>("NAME").ok(), Some(1), "names ignore case");
        assert_eq!(
            row.get::<_, i64>("id").ok(),
            Some(0),
            "a column before the last read"
        );
        assert_eq!(row.get::<_, i64>(2usize).ok(), Some(2));
        assert!(row.get::<_, i64>("missing").is_err());
    }

    #[test]
    fn a_name_two_columns_share_is_always_the_first() {
        // As a join selecting `j.id` and `u.id` answers.
        let row = row(&["id", "name", "id"]);
        assert_eq!(row.get::<_, i64>("name").ok(), Some(1));
        assert_eq!(row.get::<_, i64>("id").ok(), Some(0));
        assert_eq!(row.get::<_, i64>("id").ok(), Some(0));
    }
}
