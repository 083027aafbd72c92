//! The dispatcher: the queue of waiting jobs, leases agents claim, their reports and the dead-letter queue.

pub mod handlers;
pub mod routes;
pub mod service;
pub mod store;
pub mod units;
