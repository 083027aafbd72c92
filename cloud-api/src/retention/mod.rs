//! Keeping what the service stores only as long as promised: the files of completed jobs for
//! their plan's `retention_days` (owners are mailed first), and sessions, tokens, security
//! events, job events and storage snapshots for their own retention periods.

pub mod service;
pub mod store;
pub mod units;
