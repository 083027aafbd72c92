//! Paid plans through Stripe: Checkout to subscribe, the Customer Portal to manage, and signed
//! webhooks that set the plan. Billing is the user's; with it off, operators assign plans.

pub mod events;
pub mod handlers;
pub mod routes;
pub mod service;
pub mod signature;
pub mod store;
pub mod stripe;
pub mod units;
