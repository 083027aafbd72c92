//! The global search's HTTP adapter.

use crate::error::ApiResult;
use crate::http::extract::{Json, Query};
use crate::services::Services;
use axum::extract::State;
use schemars::JsonSchema;
use serde::Deserialize;
use tseeder_protocol::{SearchKind, SearchResults};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SearchQuery {
    /// Words to find (each as a prefix): an email, a name, an id, an info hash, an action.
    pub q: String,
    /// Only this kind, paged; every kind's best few otherwise.
    pub kind: Option<SearchKind>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

pub async fn search(
    State(services): State<Services>,
    Query(query): Query<SearchQuery>,
) -> ApiResult<Json<SearchResults>> {
    services
        .search()
        .search(&query.q, query.kind, query.page, query.per_page)
        .await
        .map(Json)
}
