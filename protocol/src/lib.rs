//! Wire types of the tseeder public API, shared by the server and every client so both sides
//! agree on field names (camelCase JSON) and on the shapes published in the OpenAPI document.

pub mod accounts;
pub mod admin;
pub mod agent;
pub mod codes;
pub mod console;
pub mod error;
pub mod fields;
pub mod jobs;
pub mod magnet;
pub mod names;
pub mod netpolicy;

pub use accounts::*;
pub use admin::*;
pub use agent::*;
pub use codes::*;
pub use console::*;
pub use error::*;
pub use jobs::*;

/// A `Debug` that names every field but prints the secret ones as `[redacted]`, for types that
/// carry passwords or tokens: a request logged while debugging must not leak them.
#[macro_export]
macro_rules! debug_redacting {
    ($type:ident { $($shown:ident),* $(,)? } hiding { $($hidden:ident),+ $(,)? }) => {
        impl ::std::fmt::Debug for $type {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.debug_struct(stringify!($type))
                    $(.field(stringify!($shown), &self.$shown))*
                    $(.field(stringify!($hidden), &"[redacted]"))+
                    .finish()
            }
        }
    };
}

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One page of a listing, with the total so clients can draw pagers.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "PageOf{T}")]
pub struct Page<T> {
    pub items: Vec<T>,
    pub page: u32,
    pub per_page: u32,
    pub total: u64,
}

/// Answer of `GET /health`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Health {
    pub status: String,
    pub version: String,
    pub database: String,
}
