//! Runtime settings' unit of work: a new version of the settings (its changes checked against
//! the catalog and the operator's role, the plans it edits, its audit row) stored as one store
//! operation on top of the version the operator saw, so a service never holds a transaction.

use super::catalog::{knobs, Home};
use super::service::{changed_meanwhile, normalized, read_stored, value_and_default, Request};
use super::store::{self as q, Overrides, VersionRow};
use crate::audit::actor::{Actor, Why};
use crate::error::{ApiError, ApiResult};
use crate::store::{DbResult, Store};
use tseeder_protocol::{ErrorCode, Role, SettingChange};

/// Stores the next version of the runtime settings: each change checked against the catalog
/// and the operator's role, the plan values it edits, and its audit row. Refused when another
/// version was stored since the one the operator saw, or when nothing would change.
pub(crate) async fn commit(
    store: &Store,
    boot: serde_json::Value,
    who: Actor,
    why: Why,
    role: Role,
    req: Request,
    now: i64,
) -> ApiResult<VersionRow> {
    store
        .transaction_with(move |tx| -> ApiResult<VersionRow> {
            let stored = read_stored(tx)?;
            if stored.version != req.expected_version {
                return Err(changed_meanwhile(stored.version));
            }
            let catalog = knobs(&stored.plans);
            let mut overrides = stored.overrides.clone();
            let mut changes = Vec::new();
            for (key, wanted) in &req.changes {
                let knob = catalog
                    .iter()
                    .find(|knob| &knob.key == key)
                    .ok_or_else(|| {
                        ApiError::unprocessable(
                            ErrorCode::UnknownSetting,
                            format!("there is no runtime setting {key:?}"),
                        )
                    })?;
                if let Some(value) = wanted {
                    if let Some(why) = knob.accepts.refuse(value) {
                        return Err(ApiError::unprocessable(
                            ErrorCode::InvalidSetting,
                            format!("{key} {why}"),
                        ));
                    }
                }
                let (old, default) = value_and_default(tx, &boot, &stored, knob)?;
                let new = normalized(wanted.clone().unwrap_or(default.clone()));
                if new == old {
                    continue;
                }
                if role < knob.editable_by {
                    return Err(ApiError::forbidden(
                        ErrorCode::InsufficientRole,
                        format!("only a {} can change {key}", knob.editable_by.as_str()),
                    ));
                }
                if new == default {
                    overrides.remove(key);
                } else {
                    overrides.insert(key.clone(), new.clone());
                }
                if let Home::Plan { plan_id, column } = &knob.home {
                    q::set_plan_value(tx, plan_id, *column, new.as_i64().unwrap_or_default())?;
                }
                changes.push(SettingChange {
                    key: key.clone(),
                    old,
                    new,
                });
            }
            if changes.is_empty() {
                return Err(ApiError::unprocessable(
                    ErrorCode::NothingChanged,
                    "every setting already has the value asked for",
                ));
            }
            let version = stored.version + 1;
            q::insert_version(
                tx,
                &q::NewVersion {
                    version,
                    overrides: &overrides,
                    changes: &changes,
                    actor_id: &who.id,
                    actor_email: &who.email,
                    reason: &why.reason,
                    ticket_id: &why.ticket_id,
                    rollback_of: req.rollback_of,
                    now,
                },
            )
            .map_err(|err| {
                if err.is_unique_violation() {
                    changed_meanwhile(version)
                } else {
                    err.into()
                }
            })?;
            who.audit(
                tx,
                req.action,
                &version.to_string(),
                &why,
                serde_json::json!({ "changes": changes, "rollbackOf": req.rollback_of }),
            )?;
            Ok(VersionRow {
                version,
                overrides,
                changes,
                actor_id: Some(who.id.clone()),
                actor_email: who.email.clone(),
                reason: why.reason.clone(),
                ticket_id: why.ticket_id.clone(),
                rollback_of: req.rollback_of,
                created_at: now,
            })
        })
        .await
}

/// The overrides in force now, and those of version `target` (0: none at all), if it exists.
pub async fn overrides_now_and_then(
    store: &Store,
    target: u64,
) -> DbResult<(Overrides, Option<Overrides>)> {
    store
        .call(move |tx| {
            let current = q::latest(tx)?.map(|row| row.overrides).unwrap_or_default();
            let then = match target {
                0 => Some(Overrides::new()),
                version => q::version(tx, version)?.map(|row| row.overrides),
            };
            Ok((current, then))
        })
        .await
}
