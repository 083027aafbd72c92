//! The operators' global search over users, jobs, agents and the audit log.

pub mod handlers;
pub mod routes;
pub mod service;
pub mod store;
