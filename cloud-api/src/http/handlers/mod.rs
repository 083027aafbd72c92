//! HTTP adapters: each handler unpacks the request, calls one service function and shapes the
//! answer. No behaviour lives here.

pub mod accounts;
pub mod admin;
pub mod agent;
pub mod console;
pub mod devices;
pub mod files;
pub mod jobs;
pub mod live;
pub mod system;
