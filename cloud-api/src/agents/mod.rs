//! Agents, the machines that download (operators' servers and users' own devices): tokens,
//! registration, heartbeats, the fleet.

pub mod handlers;
pub mod routes;
pub mod service;
pub mod store;
pub mod units;
