//! The operators' global search: what matched, grouped by kind, each group counted and paged,
//! each hit with the console page it opens.

use crate::codes::wire_names;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

wire_names! {
    /// What a search hit is.
    pub enum SearchKind {
        User = "user",
        Job = "job",
        Agent = "agent",
        Audit = "audit",
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SearchHit {
    pub kind: SearchKind,
    pub id: String,
    /// What the row is called: an email, a job's or agent's name, an audit action.
    pub title: String,
    /// What tells it apart: a role, an owner and hash, a region, who did what to what.
    pub subtitle: String,
    /// The console page that shows it.
    pub link: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SearchGroup {
    pub kind: SearchKind,
    /// Every match of this kind, not only this page's.
    pub total: u64,
    pub page: u32,
    pub per_page: u32,
    /// Best match first.
    pub items: Vec<SearchHit>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SearchResults {
    pub query: String,
    /// One group per kind asked for, in the order users, jobs, agents, audit.
    pub groups: Vec<SearchGroup>,
}
