//! Incidents and maintenance windows: operators open an incident on a component, post updates
//! until it is resolved, and schedule maintenance whose samples count as planned; every change is
//! in the audit log and on the public status page.

use super::history::is_component;
use super::service::Status;
use super::store::{self as q, IncidentRow, MaintenanceRow};
use super::units;
use crate::audit::actor::Actor;
use crate::error::{ApiError, ApiResult};
use crate::services::{Paging, Principal, RequestMeta};
use crate::store as db;
use tseeder_protocol::{
    fields, ErrorCode, Incident, IncidentSeverity, IncidentStatus, IncidentUpdate, Maintenance,
    OpenIncident, Page, ScheduleMaintenance, UpdateIncident,
};

const MAX_NOTE_CHARS: usize = 5000;
/// The longest maintenance window: longer work is several announced windows.
const MAX_WINDOW_MS: i64 = 7 * 86_400_000;

fn checked_title(title: &str) -> ApiResult<String> {
    fields::title(title).map(str::to_owned).ok_or_else(|| {
        ApiError::unprocessable(
            ErrorCode::InvalidTitle,
            "give a title of 1 to 200 characters",
        )
    })
}

fn checked_note(note: &str) -> ApiResult<String> {
    let note = note.trim();
    if note.is_empty() || note.chars().count() > MAX_NOTE_CHARS {
        return Err(ApiError::unprocessable(
            ErrorCode::InvalidField,
            format!("write a note of 1 to {MAX_NOTE_CHARS} characters"),
        ));
    }
    Ok(note.to_owned())
}

fn checked_component(component: &str) -> ApiResult<()> {
    if is_component(component) {
        Ok(())
    } else {
        Err(ApiError::unprocessable(
            ErrorCode::UnknownComponent,
            format!(
                "the status page has no component {component:?}: api, queue, agents or storage"
            ),
        ))
    }
}

pub(crate) fn maintenance_view(row: MaintenanceRow) -> Maintenance {
    Maintenance {
        id: row.id,
        title: row.title,
        components: row.components,
        starts_at: db::to_datetime(row.starts_at),
        ends_at: db::to_datetime(row.ends_at),
    }
}

impl Status<'_> {
    /// Incidents with their updates, in the order given.
    pub(crate) async fn incident_views(&self, rows: Vec<IncidentRow>) -> ApiResult<Vec<Incident>> {
        let ids: Vec<String> = rows.iter().map(|row| row.id.clone()).collect();
        let updates = units::updates_of(self.services.db(), ids).await?;
        Ok(rows
            .into_iter()
            .zip(updates)
            .map(|(row, updates)| Incident {
                severity: IncidentSeverity::parse(&row.severity).unwrap_or(IncidentSeverity::Minor),
                status: IncidentStatus::parse(&row.status).unwrap_or(IncidentStatus::Investigating),
                started_at: db::to_datetime(row.started_at),
                resolved_at: row.resolved_at.map(db::to_datetime),
                updates: updates
                    .into_iter()
                    .map(|(status, note, at)| IncidentUpdate {
                        status: IncidentStatus::parse(&status)
                            .unwrap_or(IncidentStatus::Investigating),
                        note,
                        created_at: db::to_datetime(at),
                    })
                    .collect(),
                id: row.id,
                title: row.title,
                component: row.component,
            })
            .collect())
    }

    async fn incident_view(&self, id: &str) -> ApiResult<Incident> {
        let iid = id.to_owned();
        let row = self
            .services
            .db()
            .call(move |tx| q::incident(tx, &iid))
            .await?
            .ok_or(ApiError::NotFound)?;
        let mut views = self.incident_views(vec![row]).await?;
        views.pop().ok_or(ApiError::NotFound)
    }

    pub async fn open_incident(
        &self,
        actor: &Principal,
        meta: &RequestMeta,
        req: OpenIncident,
    ) -> ApiResult<Incident> {
        let title = checked_title(&req.title)?;
        let note = checked_note(&req.note)?;
        checked_component(&req.component)?;
        let who = Actor::of(actor, meta);
        let now = db::now_ms();
        let row = IncidentRow {
            id: uuid::Uuid::now_v7().to_string(),
            title,
            component: req.component,
            severity: req.severity.as_str().to_owned(),
            status: IncidentStatus::Investigating.as_str().to_owned(),
            started_at: now,
            resolved_at: None,
        };
        let id = row.id.clone();
        units::open_incident(self.services.db(), who, row, note, now).await?;
        self.incident_view(&id).await
    }

    pub async fn update_incident(
        &self,
        actor: &Principal,
        meta: &RequestMeta,
        id: &str,
        req: UpdateIncident,
    ) -> ApiResult<Incident> {
        let note = checked_note(&req.note)?;
        let who = Actor::of(actor, meta);
        let (iid, now) = (id.to_owned(), db::now_ms());
        units::update_incident(self.services.db(), who, iid, req, note, now).await?;
        self.incident_view(id).await
    }

    /// Every incident, newest first.
    pub async fn incidents(&self, paging: Paging) -> ApiResult<Page<Incident>> {
        let (rows, total) = self
            .services
            .db()
            .call(move |tx| q::incidents_page(tx, paging.per_page, paging.offset()))
            .await?;
        Ok(paging.wrap(self.incident_views(rows).await?, total))
    }

    pub async fn schedule_maintenance(
        &self,
        actor: &Principal,
        meta: &RequestMeta,
        req: ScheduleMaintenance,
    ) -> ApiResult<Maintenance> {
        let title = checked_title(&req.title)?;
        if req.components.is_empty() {
            return Err(ApiError::unprocessable(
                ErrorCode::UnknownComponent,
                "name the components the maintenance covers",
            ));
        }
        let mut components = req.components.clone();
        components.sort();
        components.dedup();
        components.iter().try_for_each(|c| checked_component(c))?;
        let (starts_at, ends_at) = (
            req.starts_at.timestamp_millis(),
            req.ends_at.timestamp_millis(),
        );
        let now = db::now_ms();
        if ends_at <= starts_at || ends_at <= now || ends_at - starts_at > MAX_WINDOW_MS {
            return Err(ApiError::unprocessable(
                ErrorCode::InvalidField,
                "a window ends after it starts, in the future, at most 7 days later",
            ));
        }
        let row = MaintenanceRow {
            id: uuid::Uuid::now_v7().to_string(),
            title,
            components,
            starts_at,
            ends_at,
        };
        let who = Actor::of(actor, meta);
        let stored = row.clone();
        units::schedule_maintenance(self.services.db(), who, stored, now).await?;
        Ok(maintenance_view(row))
    }

    pub async fn cancel_maintenance(
        &self,
        actor: &Principal,
        meta: &RequestMeta,
        id: &str,
    ) -> ApiResult<()> {
        let who = Actor::of(actor, meta);
        let (mid, now) = (id.to_owned(), db::now_ms());
        units::cancel_maintenance(self.services.db(), who, mid, now).await
    }
}
