//! The blog: public posts, written by operators.

pub mod handlers;
pub mod routes;
pub mod service;
pub mod store;
pub mod units;
