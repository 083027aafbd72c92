//! The global search as operators use it: every kind at once (a few best hits each, with how
//! many there are), or one kind paged.

use super::store::{self as q, Words};
use crate::error::{ApiError, ApiResult};
use crate::services::{Paging, Services};
use tseeder_protocol::{ErrorCode, SearchGroup, SearchKind, SearchResults};

/// Hits per kind when every kind is shown.
const OVERVIEW_PER_KIND: u32 = 5;
const ORDER: [SearchKind; 4] = [
    SearchKind::User,
    SearchKind::Job,
    SearchKind::Agent,
    SearchKind::Audit,
];

#[derive(Debug, Clone, Copy)]
pub struct Search<'a> {
    pub(crate) services: &'a Services,
}

impl<'a> Search<'a> {
    pub(crate) fn new(services: &'a Services) -> Self {
        Search { services }
    }
}

impl Search<'_> {
    /// `query` in every kind, or only in `kind` with `page` and `per_page`.
    pub async fn search(
        &self,
        query: &str,
        kind: Option<SearchKind>,
        page: Option<u32>,
        per_page: Option<u32>,
    ) -> ApiResult<SearchResults> {
        let words = Words::parse(query).ok_or_else(|| {
            ApiError::bad_request(
                ErrorCode::InvalidQuery,
                "search for at least one letter or digit",
            )
        })?;
        let (kinds, paging) = match kind {
            Some(kind) => (vec![kind], Paging::new(page, per_page)),
            None => (
                ORDER.to_vec(),
                Paging::new(Some(1), Some(OVERVIEW_PER_KIND)),
            ),
        };
        let groups = self
            .services
            .db()
            .call(move |conn| {
                kinds
                    .iter()
                    .map(|kind| {
                        Ok(SearchGroup {
                            kind: *kind,
                            total: q::count(conn, *kind, &words)?,
                            page: paging.page,
                            per_page: paging.per_page,
                            items: q::hits(conn, *kind, &words, paging.per_page, paging.offset())?,
                        })
                    })
                    .collect()
            })
            .await?;
        Ok(SearchResults {
            query: query.trim().to_owned(),
            groups,
        })
    }
}
