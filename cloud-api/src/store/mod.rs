//! The control plane's SQLite file: the shared plumbing of `tseeder-sqlite` (a pool on blocking
//! threads, checksummed migrations, one error type) with this service's migrations from the
//! repository's `migrations/` folder. Each domain's queries live in its own `store.rs`.

pub(crate) mod migrate;

pub use migrate::MIGRATIONS;
pub use tseeder_sqlite::{applied_migrations, now_ms, to_datetime, Db, DbError, DbResult};

/// Opens (creating if needed) the database file and applies pending migrations.
pub fn open(path: &std::path::Path) -> DbResult<Db> {
    Db::open(path, MIGRATIONS, tseeder_sqlite::Options::default())
}
