//! Plans and what a user uses of theirs.

use crate::error::ApiResult;
use crate::plans::store as plans;
use crate::services::{Principal, Services};
use tseeder_protocol::{Plan, Usage};

impl Services {
    pub async fn list_plans(&self) -> ApiResult<Vec<Plan>> {
        Ok(self.db().call(|conn| plans::list_plans(conn)).await?)
    }

    pub async fn usage(&self, principal: &Principal) -> ApiResult<Usage> {
        let uid = principal.user.id.clone();
        let (plan, counts) = self
            .db()
            .call(move |conn| {
                Ok((
                    plans::plan_of_user(conn, &uid)?,
                    plans::usage_of_user(conn, &uid)?,
                ))
            })
            .await?;
        Ok(Usage {
            plan,
            active_jobs: counts.active_jobs,
            storage_bytes: counts.storage_bytes,
            total_jobs: counts.total_jobs,
        })
    }
}
