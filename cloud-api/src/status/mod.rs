//! Status: health, the public status page and the public site settings.

pub mod handlers;
pub mod routes;
pub mod service;
