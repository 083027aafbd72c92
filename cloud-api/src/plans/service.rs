//! Plans, and what the organization a request works in uses of its own.

use crate::error::ApiResult;
use crate::plans::store as plans;
use crate::services::{Principal, Services};
use tseeder_protocol::{Plan, Usage};

/// Plans and what a user uses of theirs.
#[derive(Debug, Clone, Copy)]
pub struct Plans<'a> {
    pub(crate) services: &'a Services,
}

impl<'a> Plans<'a> {
    pub(crate) fn new(services: &'a Services) -> Self {
        Plans { services }
    }
}

impl Plans<'_> {
    pub async fn list(&self) -> ApiResult<Vec<Plan>> {
        Ok(self.services.db().call(plans::list_plans).await?)
    }

    pub async fn usage(&self, principal: &Principal) -> ApiResult<Usage> {
        let org_id = principal.org.id.clone();
        Ok(self
            .services
            .db()
            .call(move |conn| plans::usage_of(conn, &org_id))
            .await?)
    }
}
