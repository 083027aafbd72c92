//! Seedr.cc as a provider: its REST API v1 client, and the runner that drives the Seedr jobs
//! from the transfer's start to their files in our store.

pub mod client;
pub mod copy;
pub mod runner;
