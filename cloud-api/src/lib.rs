//! tseeder's control plane: accounts, sessions, RBAC, jobs, plans, the agent dispatcher, files
//! and live progress behind a JSON API, on SQLite. The `tseeder-cloud` binary is a thin command line over [`server::launch`].

pub mod archive;
pub mod captcha;
pub mod config;
pub mod crypto;
pub mod db;
mod embedded;
pub mod error;
pub mod http;
pub mod mail;
pub mod ratelimit;
pub mod server;
pub mod service;
pub mod torrent;

pub use config::Settings;
pub use server::launch;
