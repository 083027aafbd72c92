//! Webhooks: users' endpoints for the ends of their jobs, one-off job callbacks, and the signed
//! deliveries made from job events with retries.

pub mod delivery;
pub mod handlers;
pub mod routes;
pub mod sealed;
pub mod service;
pub mod signature;
pub mod store;
pub mod units;
