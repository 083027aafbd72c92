//! The status page's units of work: components' states sampled, incidents opened, updated and
//! resolved, maintenance planned, each one store operation with its audit row where an operator
//! acted, so a service never holds a transaction.

use super::store as q;
use crate::store::{DbResult, Store};
use std::collections::BTreeSet;
use tseeder_protocol::ComponentState;

/// Records the components' states at `at`, each counting `seconds` (a component inside a
/// planned maintenance window as in maintenance), and forgets samples older than `kept_after`.
pub async fn record_samples(
    store: &Store,
    at: i64,
    day: String,
    states: Vec<(String, ComponentState)>,
    seconds: i64,
    kept_after: i64,
) -> DbResult<()> {
    store
        .transaction(move |tx| {
            let maintained: BTreeSet<String> = q::maintenance_ending_after(tx, at)?
                .into_iter()
                .filter(|window| window.starts_at <= at)
                .flat_map(|window| window.components)
                .collect();
            for (component, state) in &states {
                let state = (!maintained.contains(component)).then_some(*state);
                q::record_sample(tx, component, at, &day, state, seconds)?;
            }
            q::prune_samples(tx, kept_after)?;
            Ok(())
        })
        .await
}
