//! The provider switch: which provider is active, how many jobs each holds, and the owner's
//! switch, made as a runtime-settings change (versioned, audited, followed by every replica).

use crate::error::{ApiError, ApiResult};
use crate::services::{Principal, RequestMeta, Services};
use std::collections::BTreeMap;
use tseeder_protocol::{
    ChangeSettings, ErrorCode, ProviderKind, ProviderLoad, ProviderReport, SwitchProvider,
};

/// The runtime setting the switch changes.
pub const ACTIVE_KEY: &str = "providers.active";

#[derive(Debug)]
pub struct Providers<'a> {
    services: &'a Services,
}

impl<'a> Providers<'a> {
    pub(crate) fn new(services: &'a Services) -> Self {
        Providers { services }
    }

    pub fn seedr_configured(&self) -> bool {
        let seedr = &self.services.settings().providers.seedr;
        seedr.email.is_some() && seedr.password.is_some()
    }

    pub async fn report(&self) -> ApiResult<ProviderReport> {
        let counts = self.services.db().call(super::store::in_flight).await?;
        let runtime = self.services.runtime();
        Ok(ProviderReport {
            active: runtime.providers.active,
            settings_version: runtime.version,
            providers: ProviderKind::ALL
                .iter()
                .map(|provider| ProviderLoad {
                    provider: *provider,
                    in_flight: counts
                        .iter()
                        .find(|(name, _)| name == provider.as_str())
                        .map_or(0, |(_, n)| *n),
                })
                .collect(),
            seedr_configured: self.seedr_configured(),
        })
    }

    /// Makes `req.provider` the active one for new jobs; jobs in flight stay where they are.
    pub async fn switch(
        &self,
        actor: &Principal,
        meta: &RequestMeta,
        req: SwitchProvider,
    ) -> ApiResult<ProviderReport> {
        if req.provider == ProviderKind::Seedr && !self.seedr_configured() {
            return Err(ApiError::unprocessable(
                ErrorCode::ProviderNotConfigured,
                "Seedr has no account configured: set providers.seedr.email and providers.seedr.password first",
            ));
        }
        self.services
            .runtime_settings()
            .change(
                actor,
                meta,
                ChangeSettings {
                    changes: BTreeMap::from([(
                        ACTIVE_KEY.to_owned(),
                        serde_json::Value::String(req.provider.as_str().to_owned()),
                    )]),
                    expected_version: req.expected_version,
                    reason: req.reason,
                    ticket_id: req.ticket_id,
                },
            )
            .await?;
        self.report().await
    }
}
