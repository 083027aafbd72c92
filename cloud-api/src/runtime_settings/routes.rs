//! The runtime settings slice of the route table: each route's method, path, least role and
//! documentation. Which settings an admin (rather than only a superadmin) may change is each
//! setting's own `editableBy`.

use super::handlers;
use crate::http::routes::{ApiRoute, RouteLimits, ADMIN, SUPPORT};
use tseeder_protocol::*;

pub(crate) fn routes(_limits: &RouteLimits) -> Vec<ApiRoute> {
    vec![
        ApiRoute::get("/api/v1/admin/settings", SUPPORT, handlers::list)
            .doc(
                "admin",
                "Every runtime setting with its value, default and the least role that may change it",
            )
            .returns::<RuntimeSettings>(200),
        ApiRoute::patch("/api/v1/admin/settings", ADMIN, handlers::change)
            .doc(
                "admin",
                "Change settings (null: back to the configuration file's value) as one new, audited version",
            )
            .json::<ChangeSettings>()
            .returns::<SettingsVersion>(200),
        ApiRoute::get("/api/v1/admin/settings/history", SUPPORT, handlers::history)
            .doc("admin", "Every version of the runtime settings, newest first")
            .query::<handlers::HistoryQuery>()
            .returns::<Page<SettingsVersion>>(200),
        ApiRoute::get(
            "/api/v1/admin/settings/history/{version}",
            SUPPORT,
            handlers::version,
        )
        .doc(
            "admin",
            "A version, and what rolling back to it would change (version 0: the configuration file)",
        )
        .returns::<SettingsVersionDetail>(200),
        ApiRoute::post("/api/v1/admin/settings/rollback", ADMIN, handlers::rollback)
            .doc(
                "admin",
                "Return every setting to its value at a version, as a new, audited version",
            )
            .json::<RollbackSettings>()
            .returns::<SettingsVersion>(200),
    ]
}
