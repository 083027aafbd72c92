//! Operators' tools: user management, every job, the audit log and security events, overview and storage.

pub mod handlers;
pub mod overview;
pub mod routes;
pub mod service;
pub mod store;
pub mod units;
