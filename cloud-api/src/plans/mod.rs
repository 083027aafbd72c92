//! Plans: what each plan allows, and what a user uses of theirs.

pub mod handlers;
pub mod quota;
pub mod routes;
pub mod service;
pub mod store;
