//! Settings operators change while the service runs, each change a numbered, audited version
//! that can be rolled back; the boot settings (file and environment) stay their defaults.

pub mod catalog;
pub mod handlers;
pub mod routes;
pub mod service;
pub mod store;
pub mod units;

pub use catalog::Runtime;

/// The PostgreSQL channel a replica announces a new version on.
pub(crate) const CHANNEL: &str = "tseeder_runtime_settings";

/// The runtime settings in force on this replica.
#[derive(Debug, Clone)]
pub struct Current {
    /// 0 until the first change.
    pub version: u64,
    pub overrides: store::Overrides,
    pub values: Runtime,
}

impl std::ops::Deref for Current {
    type Target = Runtime;

    fn deref(&self) -> &Runtime {
        &self.values
    }
}
