//! Wire types of the tseeder public API, shared by the server and every client so both sides
//! agree on field names (camelCase JSON) and on the shapes published in the OpenAPI document.

pub mod accounts;
pub mod admin;
pub mod agent;
pub mod billing;
pub mod codes;
pub mod console;
pub mod error;
pub mod fields;
pub mod jobs;
pub mod magnet;
pub mod names;
pub mod netpolicy;
pub mod observability;
pub mod orgs;
pub mod providers;
pub mod runtime_settings;
pub mod search;
pub mod status_history;
pub mod timestamps;
pub mod webhooks;

pub use accounts::*;
pub use admin::*;
pub use agent::*;
pub use billing::*;
pub use codes::*;
pub use console::*;
pub use error::*;
pub use jobs::*;
pub use observability::*;
pub use orgs::*;
pub use providers::*;
pub use runtime_settings::*;
pub use search::*;
pub use status_history::*;
pub use webhooks::*;

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
    /// Rows matching: exact for an organization's jobs (kept by the database as jobs change);
    /// other long lists are not counted to the end, and `totalCapped` then says it is a lower
    /// bound.
    pub total: u64,
    /// `total` stopped counting at its cap: there are at least that many.
    #[serde(default)]
    pub total_capped: bool,
    /// Pass as `after` for the page that follows this one (faster than `page` deep in a long
    /// list); absent on the last page and on lists that page by number only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// Answer of `GET /health`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Health {
    pub status: String,
    pub version: String,
    pub database: String,
}
