//! Rate-limit windows in the store, so that every replica of a cluster counts against the same
//! limit: one statement counts a request and answers its window, atomically on either backend.

use crate::store::{params, DbResult, Tx};

/// Counts one request under `key` in a fixed window of `window_ms`; answers when the window
/// started and how many requests it holds, this one included.
pub fn count_request(conn: &Tx<'_>, key: &str, now: i64, window_ms: i64) -> DbResult<(i64, i64)> {
    conn.query_row(
        "INSERT INTO rate_windows (key, started_at, count) VALUES (?1, ?2, 1)
         ON CONFLICT (key) DO UPDATE SET
             count = CASE WHEN rate_windows.started_at <= ?3 THEN 1 ELSE rate_windows.count + 1 END,
             started_at = CASE WHEN rate_windows.started_at <= ?3 THEN ?2 ELSE rate_windows.started_at END
         RETURNING started_at, count",
        params![key, now, now - window_ms],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )
}

/// Drops windows that started before `before`.
pub fn drop_windows_before(conn: &Tx<'_>, before: i64) -> DbResult<usize> {
    conn.execute(
        "DELETE FROM rate_windows WHERE started_at < ?1",
        params![before],
    )
}
