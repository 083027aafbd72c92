//! Credentials: sessions and API keys, how callers prove who they are, and the tally of bad ones.

pub mod failures;
pub mod handlers;
pub mod routes;
pub mod service;
pub mod store;
pub mod units;
