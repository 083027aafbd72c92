//! The audit trail: what operators did and why, and what attackers tried (security events).

pub mod actor;
pub mod store;
