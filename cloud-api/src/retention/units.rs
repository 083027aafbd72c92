//! Retention's units of work: a finished sweep recorded with the day's figures and its audit
//! row, and warnings queued with their jobs marked warned. Each is one store operation, so a
//! service never holds a transaction.

use super::store::{self as q, SweepRow};
use crate::audit::store::{self as audit, NewAudit};
use crate::mail::store as mail_queue;
use crate::mail::Email;
use crate::store::{DbResult, Store};
use tseeder_protocol::AuditAction;

/// Queues each warning mail and marks its jobs warned, so nobody is warned twice.
pub async fn queue_warnings(
    store: &Store,
    mails: Vec<(Email, Vec<String>)>,
    now: i64,
) -> DbResult<()> {
    store
        .transaction(move |tx| {
            for (mail, ids) in &mails {
                mail_queue::enqueue(tx, mail, now)?;
                q::mark_warned(tx, ids, now)?;
            }
            Ok(())
        })
        .await
}

/// Records a finished sweep, the day's figures and, when it deleted anything, its audit row.
pub async fn record_sweep(store: &Store, day: String, record: SweepRow) -> DbResult<()> {
    store
        .transaction(move |tx| {
            q::record_snapshot(
                tx,
                &day,
                record.deleted_files,
                record.reclaimed_bytes,
                record.finished_at,
            )?;
            q::insert_sweep(tx, &record)?;
            if record.expired_jobs > 0 || record.deleted_files > 0 {
                audit::insert_audit(
                    tx,
                    &NewAudit {
                        actor_id: None,
                        actor_email: "system",
                        action: AuditAction::RetentionSweep,
                        target_id: &day,
                        reason: Some("plan retention period passed"),
                        ticket_id: None,
                        detail: &serde_json::json!({
                            "expiredJobs": record.expired_jobs,
                            "deletedFiles": record.deleted_files,
                            "reclaimedBytes": record.reclaimed_bytes,
                        }),
                        ip: None,
                        now: record.finished_at,
                    },
                )?;
            }
            Ok(())
        })
        .await
}
