//! What the service tells Prometheus: every request counted and timed by route template and
//! status class in memory, and the state of the queue, the fleet and storage read from the store
//! when scraped. `GET /metrics` needs `metrics.token`; without one it is served only on the
//! separate `metrics.listen` address.

pub mod handlers;
pub mod metrics;
pub mod routes;
pub(crate) mod state;

pub use metrics::{measure, Metrics};
