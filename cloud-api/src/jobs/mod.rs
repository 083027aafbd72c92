//! Jobs: what users ask to download, their states and history, and their live progress.

pub mod handlers;
pub mod live;
pub mod routes;
pub mod service;
pub mod store;
pub mod stream;
pub mod units;
