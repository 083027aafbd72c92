//! Who did an operator action and why: the checked justification, and the audit row written in
//! the same store operation as the change.

use crate::audit::store as audit;
use crate::audit::store::NewAudit;
use crate::error::{ApiError, ApiResult};
use crate::services::{Principal, RequestMeta};
use crate::store as db;
use crate::store::Tx;
pub use tseeder_protocol::fields::MIN_REASON_CHARS;
use tseeder_protocol::{fields, AuditAction, ErrorCode};

/// A checked justification: trimmed, reason long enough, ticket present.
#[derive(Debug, Clone)]
pub(crate) struct Why {
    pub(crate) reason: String,
    pub(crate) ticket_id: String,
}

pub(crate) fn check_justification(reason: &str, ticket_id: &str) -> ApiResult<Why> {
    let Some(reason) = fields::reason(reason) else {
        return Err(ApiError::bad_request(
            ErrorCode::ReasonRequired,
            format!("give a reason of {MIN_REASON_CHARS} to 2000 characters"),
        ));
    };
    let Some(ticket_id) = fields::ticket(ticket_id) else {
        return Err(ApiError::bad_request(
            ErrorCode::TicketRequired,
            "give the ticket id this action belongs to (up to 100 characters)",
        ));
    };
    Ok(Why {
        reason: reason.to_owned(),
        ticket_id: ticket_id.to_owned(),
    })
}

/// What every audited write records about who did it and where from.
#[derive(Debug, Clone)]
pub(crate) struct Actor {
    pub(crate) id: String,
    pub(crate) email: String,
    pub(crate) ip: Option<String>,
}

impl Actor {
    pub(crate) fn of(principal: &Principal, meta: &RequestMeta) -> Actor {
        Actor {
            id: principal.user.id.clone(),
            email: principal.user.email.clone(),
            ip: meta.ip.clone(),
        }
    }

    pub(crate) fn audit(
        &self,
        tx: &Tx<'_>,
        action: AuditAction,
        target_id: &str,
        why: &Why,
        detail: serde_json::Value,
    ) -> db::DbResult<()> {
        self.insert(tx, action, target_id, Some(why), detail)
    }

    /// An audit row for a change that needs no justification (publishing is not destructive).
    pub(crate) fn record(
        &self,
        tx: &Tx<'_>,
        action: AuditAction,
        target_id: &str,
        detail: serde_json::Value,
    ) -> db::DbResult<()> {
        self.insert(tx, action, target_id, None, detail)
    }

    fn insert(
        &self,
        tx: &Tx<'_>,
        action: AuditAction,
        target_id: &str,
        why: Option<&Why>,
        detail: serde_json::Value,
    ) -> db::DbResult<()> {
        audit::insert_audit(
            tx,
            &NewAudit {
                actor_id: Some(&self.id),
                actor_email: &self.email,
                action,
                target_id,
                reason: why.map(|w| w.reason.as_str()),
                ticket_id: why.map(|w| w.ticket_id.as_str()),
                detail: &detail,
                ip: self.ip.as_deref(),
                now: db::now_ms(),
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn justifications_need_a_real_reason_and_a_ticket() {
        assert!(check_justification("too short", "T-1").is_err());
        assert!(check_justification("          x", "T-1").is_err());
        assert!(check_justification("abusive uploads reported", "  ").is_err());
        let why = check_justification("  abusive uploads reported ", " T-1 ").expect("ok");
        assert_eq!(
            (why.reason.as_str(), why.ticket_id.as_str()),
            ("abusive uploads reported", "T-1")
        );
    }
}
