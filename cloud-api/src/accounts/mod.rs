//! Accounts: sign-up with email verification, sign-in, password reset, profile.

pub mod handlers;
pub mod routes;
pub mod service;
pub mod store;
pub mod units;
