//! Runtime settings as operators use them: read them with their defaults, change several at once
//! as one audited version, page through the history, and roll back to any version. Every
//! replica keeps the values in force in memory and reloads them when another one changes them.

use super::catalog::{knobs, Home, Knob, Runtime};
use super::store::{self as q, Overrides, VersionRow};
use super::units;
use super::{Current, CHANNEL};
use crate::audit::actor::{check_justification, Actor, Why};
use crate::error::{ApiError, ApiResult};
use crate::services::{Paging, Principal, RequestMeta, Services};
use crate::store::{self as db, Dialect, Tx};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use tseeder_protocol::{
    AuditAction, ChangeSettings, ErrorCode, Page, RollbackSettings, RuntimeSetting,
    RuntimeSettings as SettingsView, SettingChange, SettingsVersion, SettingsVersionDetail,
};

#[derive(Debug, Clone, Copy)]
pub struct RuntimeSettings<'a> {
    pub(crate) services: &'a Services,
}

impl<'a> RuntimeSettings<'a> {
    pub(crate) fn new(services: &'a Services) -> Self {
        RuntimeSettings { services }
    }
}

/// What the store holds now, read in one piece of work.
pub(crate) struct Stored {
    pub(crate) version: u64,
    pub(crate) overrides: Overrides,
    pub(crate) plans: Vec<(String, String)>,
    /// Plan settings' values before any runtime change.
    pub(crate) first_values: Overrides,
}

pub(crate) fn read_stored(tx: &Tx<'_>) -> db::DbResult<Stored> {
    let latest = q::latest(tx)?;
    Ok(Stored {
        version: latest.as_ref().map_or(0, |row| row.version),
        overrides: latest.map(|row| row.overrides).unwrap_or_default(),
        plans: q::plan_ids(tx)?,
        first_values: q::values_before_first_change(tx)?,
    })
}

/// A setting's value now and without runtime changes.
pub(crate) fn value_and_default(
    tx: &Tx<'_>,
    boot: &serde_json::Value,
    stored: &Stored,
    knob: &Knob,
) -> db::DbResult<(serde_json::Value, serde_json::Value)> {
    Ok(match &knob.home {
        Home::Boot => {
            let default = Runtime::boot_value(boot, &knob.key).unwrap_or_default();
            let value = stored
                .overrides
                .get(&knob.key)
                .cloned()
                .unwrap_or(default.clone());
            (value, default)
        }
        Home::Plan { plan_id, column } => {
            let value = q::plan_value(tx, plan_id, *column)?
                .map(serde_json::Value::from)
                .unwrap_or_default();
            let default = stored
                .first_values
                .get(&knob.key)
                .cloned()
                .unwrap_or(value.clone());
            (value, default)
        }
    })
}

/// The change to make, checked.
pub(crate) struct Request {
    /// Key → new value; `None` returns it to its default.
    pub(crate) changes: BTreeMap<String, Option<serde_json::Value>>,
    pub(crate) expected_version: u64,
    pub(crate) rollback_of: Option<u64>,
    pub(crate) action: AuditAction,
}

impl RuntimeSettings<'_> {
    /// The values in force on this replica.
    pub fn current(&self) -> Arc<Current> {
        self.services.runtime()
    }

    /// Reads the newest version from the store into memory.
    pub async fn reload(&self) -> db::DbResult<()> {
        let latest = self.services.db().call(q::latest).await?;
        let (version, overrides) =
            latest.map_or((0, Overrides::new()), |row| (row.version, row.overrides));
        self.install(version, overrides);
        Ok(())
    }

    fn install(&self, version: u64, overrides: Overrides) {
        let values = Runtime::build(self.services.settings(), &overrides);
        self.services.set_runtime(Current {
            version,
            overrides,
            values,
        });
    }

    /// Every setting with its value, default and who may change it.
    pub async fn list(&self) -> ApiResult<SettingsView> {
        let boot = Runtime::boot_document(self.services.settings());
        Ok(self
            .services
            .db()
            .call(move |tx| {
                let stored = read_stored(tx)?;
                let list = knobs(&stored.plans)
                    .into_iter()
                    .map(|knob| {
                        let (value, default) = value_and_default(tx, &boot, &stored, &knob)?;
                        Ok(RuntimeSetting {
                            changed: stored.overrides.contains_key(&knob.key),
                            key: knob.key,
                            group: knob.group.to_owned(),
                            description: knob.description,
                            value_type: knob.accepts.value_type(),
                            value,
                            default,
                            editable_by: knob.editable_by,
                            min: knob.accepts.range().map(|(min, _)| min),
                            max: knob.accepts.range().map(|(_, max)| max),
                        })
                    })
                    .collect::<db::DbResult<Vec<_>>>()?;
                Ok(SettingsView {
                    version: stored.version,
                    settings: list,
                })
            })
            .await?)
    }

    /// Changes several settings at once, as one new version.
    pub async fn change(
        &self,
        actor: &Principal,
        meta: &RequestMeta,
        req: ChangeSettings,
    ) -> ApiResult<SettingsVersion> {
        let why = check_justification(&req.reason, &req.ticket_id)?;
        if req.changes.is_empty() {
            return Err(ApiError::unprocessable(
                ErrorCode::NothingChanged,
                "name at least one setting to change",
            ));
        }
        let changes = req
            .changes
            .into_iter()
            .map(|(key, value)| (key, Some(value).filter(|v| !v.is_null())))
            .collect();
        self.commit(
            actor,
            meta,
            why,
            Request {
                changes,
                expected_version: req.expected_version,
                rollback_of: None,
                action: AuditAction::SettingsChange,
            },
        )
        .await
    }

    /// Returns every setting to its value at `req.version`, as a new version.
    pub async fn rollback(
        &self,
        actor: &Principal,
        meta: &RequestMeta,
        req: RollbackSettings,
    ) -> ApiResult<SettingsVersion> {
        let why = check_justification(&req.reason, &req.ticket_id)?;
        let target = req.version;
        let (current, then) = units::overrides_now_and_then(self.services.db(), target).await?;
        let then = then.ok_or(ApiError::NotFound)?;
        let keys: BTreeSet<&String> = current.keys().chain(then.keys()).collect();
        let changes = keys
            .into_iter()
            .map(|key| (key.clone(), then.get(key).cloned()))
            .collect();
        self.commit(
            actor,
            meta,
            why,
            Request {
                changes,
                expected_version: req.expected_version,
                rollback_of: Some(target),
                action: AuditAction::SettingsRollback,
            },
        )
        .await
    }

    async fn commit(
        &self,
        actor: &Principal,
        meta: &RequestMeta,
        why: Why,
        req: Request,
    ) -> ApiResult<SettingsVersion> {
        let boot = Runtime::boot_document(self.services.settings());
        let who = Actor::of(actor, meta);
        let role = actor.role();
        let now = db::now_ms();
        let row = units::commit(self.services.db(), boot, who, why, role, req, now).await?;
        self.install(row.version, row.overrides.clone());
        if self.services.db().dialect() == Dialect::Postgres {
            if let Err(err) = self
                .services
                .db()
                .notify(CHANNEL, vec![row.version.to_string()])
                .await
            {
                tracing::error!(%err, "other replicas could not be told of the settings change");
            }
        }
        Ok(version_view(row))
    }

    /// Every version, newest first.
    pub async fn history(&self, paging: Paging) -> ApiResult<Page<SettingsVersion>> {
        let (rows, total) = self
            .services
            .db()
            .call(move |tx| q::history(tx, paging.per_page, paging.offset()))
            .await?;
        Ok(paging.wrap(rows.into_iter().map(version_view).collect(), total))
    }

    /// A version, and what rolling back to it would change.
    pub async fn version(&self, version: u64) -> ApiResult<SettingsVersionDetail> {
        let boot = Runtime::boot_document(self.services.settings());
        let detail = self
            .services
            .db()
            .call(move |tx| {
                let row = match version {
                    0 => None,
                    version => match q::version(tx, version)? {
                        Some(row) => Some(row),
                        None => return Ok(None),
                    },
                };
                let stored = read_stored(tx)?;
                let then = row
                    .as_ref()
                    .map(|row| row.overrides.clone())
                    .unwrap_or_default();
                let mut rollback_changes = Vec::new();
                for knob in knobs(&stored.plans) {
                    let (now_value, default) = value_and_default(tx, &boot, &stored, &knob)?;
                    let then_value = then.get(&knob.key).cloned().unwrap_or(default);
                    if then_value != now_value {
                        rollback_changes.push(SettingChange {
                            key: knob.key,
                            old: now_value,
                            new: then_value,
                        });
                    }
                }
                Ok(Some(SettingsVersionDetail {
                    version: row.map(version_view),
                    rollback_changes,
                }))
            })
            .await?;
        detail.ok_or(ApiError::NotFound)
    }

    /// Reloads whenever another replica changes the settings (PostgreSQL's LISTEN).
    pub fn follow_other_replicas(&self) {
        let wake = Arc::new(tokio::sync::Notify::new());
        let heard = Arc::downgrade(&wake);
        let listening = self.services.db().listen(CHANNEL, move |notice| {
            let Some(wake) = heard.upgrade() else {
                return false;
            };
            if !matches!(notice, crate::store::Notice::Idle) {
                wake.notify_one();
            }
            true
        });
        if !listening {
            return;
        }
        let services = self.services.clone();
        tokio::spawn(async move {
            loop {
                wake.notified().await;
                if let Err(err) = services.runtime_settings().reload().await {
                    tracing::error!(%err, "runtime settings could not be reloaded");
                }
            }
        });
    }
}

pub(crate) fn changed_meanwhile(now: u64) -> ApiError {
    ApiError::conflict(
        ErrorCode::SettingsChanged,
        format!(
            "the settings changed meanwhile (now version {now}): reload them and redo the change"
        ),
    )
}

/// Whole numbers as integers, so `5.0` and `5` are one value.
pub(crate) fn normalized(value: serde_json::Value) -> serde_json::Value {
    match value.as_f64() {
        Some(n) if value.is_number() && n.fract() == 0.0 && n.abs() < 9.0e15 => (n as i64).into(),
        _ => value,
    }
}

fn version_view(row: VersionRow) -> SettingsVersion {
    SettingsVersion {
        version: row.version,
        changes: row.changes,
        actor_id: row.actor_id,
        actor_email: row.actor_email,
        reason: row.reason,
        ticket_id: row.ticket_id,
        rollback_of: row.rollback_of,
        created_at: db::to_datetime(row.created_at),
    }
}
