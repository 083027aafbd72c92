//! tseeder's control plane: accounts, sessions, RBAC, jobs, plans, the agent dispatcher, files
//! and live progress behind a JSON API, on SQLite. One folder per domain holds its handlers, its
//! service, its store queries and its slice of the route table. The `tseeder-cloud` binary is a
//! thin command line over [`server::launch`].

pub mod accounts;
pub mod admin;
pub mod agents;
pub mod audit;
pub mod billing;
pub mod blog;
pub mod captcha;
pub mod config;
pub mod credentials;
pub mod crypto;
pub mod dispatch;
mod embedded;
pub mod error;
pub mod files;
pub mod http;
pub mod ids;
pub mod jobs;
pub mod mail;
pub mod observability;
pub mod orgs;
pub mod plans;
pub mod providers;
pub mod ratelimit;
pub mod retention;
pub mod runtime_settings;
pub mod search;
pub mod server;
pub mod services;
pub mod status;
pub mod store;
pub mod torrent;
pub mod webhooks;

pub use config::Settings;
pub use server::launch;
