//! Who runs cloud jobs. The operator's agents claim theirs through `dispatch`; Seedr.cc's are
//! driven from here. An owner switches the active provider (a versioned, audited runtime
//! setting); jobs finish on the provider they started on.

pub mod handlers;
pub mod routes;
pub mod seedr;
pub mod service;
pub mod store;
pub mod units;
