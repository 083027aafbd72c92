//! What the service measures and who sees it: every request counted and timed by route
//! template and status class in memory, job throughput and agent bytes, and the state of the
//! queue, the fleet and storage read from the store. Prometheus scrapes `GET /metrics` (with
//! `metrics.token`, or without on the separate `metrics.listen` address); each replica rolls its
//! counts up into the store per minute and per hour for the console's charts and the overview's
//! alerts.

pub mod handlers;
pub mod metrics;
pub mod report;
pub mod rollup;
pub mod routes;
pub mod service;
pub(crate) mod state;
pub mod store;
pub mod units;

pub use metrics::{measure, Metrics};
pub use rollup::JobOutcome;
