//! Status: health, the public status page with its history, incidents and maintenance windows,
//! and the public site settings.

pub mod handlers;
pub mod history;
pub mod incidents;
pub mod routes;
pub mod service;
pub mod store;
pub mod units;
