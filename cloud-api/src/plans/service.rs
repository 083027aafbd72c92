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
        let (plan, counts) = self
            .services
            .db()
            .call(move |conn| {
                Ok((
                    plans::plan_of_org(conn, &org_id)?,
                    plans::usage_of_org(conn, &org_id)?,
                ))
            })
            .await?;
        Ok(Usage {
            org_id: principal.org.id.clone(),
            plan,
            active_jobs: counts.active_jobs,
            storage_bytes: counts.storage_bytes,
            total_jobs: counts.total_jobs,
        })
    }
}
