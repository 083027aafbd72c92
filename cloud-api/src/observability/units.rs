//! Observability's unit of work: a minute's counts added to this replica's minute and hour
//! rows together, one store operation, so a service never holds a transaction.

use super::rollup::Rollup;
use super::store::{self as q, Resolution};
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
