//! Observability's store calls: a minute's counts added to this replica's minute and hour rows
//! together (one unit of work, so a service never holds a transaction), and the levels read in
//! one call.

use super::rollup::Rollup;
use super::store::{self as q, Resolution};
use crate::admin::store as admin_q;
use crate::store::{DbResult, Store};

/// Adds a minute's counts to this replica's minute and hour rows.
pub async fn add_tick(store: &Store, replica: String, now: i64, tick: Rollup) -> DbResult<()> {
    store
        .transaction(move |tx| {
            q::add_to(tx, Resolution::Minute, &replica, now, &tick)?;
            q::add_to(tx, Resolution::Hour, &replica, now, &tick)
        })
        .await
}

/// The levels the store knows of: jobs by state, dead letters, stored bytes and objects.
pub async fn levels(
    store: &Store,
) -> DbResult<(std::collections::BTreeMap<String, u64>, u64, (u64, u64))> {
    store
        .call(|conn| {
            Ok((
                admin_q::jobs_by_status(conn)?,
                admin_q::dead_letter_count(conn)?,
                admin_q::storage_totals(conn)?,
            ))
        })
        .await
}
