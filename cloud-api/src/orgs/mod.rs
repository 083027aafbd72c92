//! Organizations: teams with one owner, admins and members, joined by single-use invitations
//! sent by email. Every user has a personal organization made with their account.

pub mod handlers;
pub mod routes;
pub mod service;
pub mod store;
pub mod units;
