//! Files: what finished jobs stored, links to download them, archives, and storage upkeep.

pub mod archive;
pub mod handlers;
pub mod routes;
pub mod service;
pub mod store;
pub mod units;
pub mod upkeep;
