//! The retention sweep: warns owners of files about to expire, deletes expired files (object
//! first, then its row, as a user's own delete does), prunes old rows, and records the sweep,
//! the day's storage snapshot and an audit entry.

use super::store::{self as q, ExpiringJob, SweepRow};
use super::units;
use crate::error::ApiResult;
use crate::files::store as objects;
use crate::mail::Email;
use crate::services::Services;
use crate::store::{self as db};
use std::collections::BTreeMap;
use tseeder_protocol::RetentionSweep;

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;
/// Jobs read per batch; a sweep stops after this many batches and goes on at the next.
const BATCH: u32 = 200;
const MAX_BATCHES: usize = 50;

#[derive(Debug, Clone, Copy)]
pub struct Retention<'a> {
    pub(crate) services: &'a Services,
}

impl<'a> Retention<'a> {
    pub(crate) fn new(services: &'a Services) -> Self {
        Retention { services }
    }
}

/// An untrusted name as a line of a plain-text mail: no control characters, not too long.
fn mail_line(name: &str) -> String {
    let clean: String = name
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(200)
        .collect();
    clean.trim().to_owned()
}

fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

impl Retention<'_> {
    /// One sweep; what it did is recorded and returned.
    pub async fn sweep(&self) -> ApiResult<RetentionSweep> {
        let started_at = db::now_ms();
        let rules = self.services.runtime().retention.clone();
        let mut sweep = SweepRow {
            started_at,
            ..SweepRow::default()
        };
        if rules.delete_expired_files {
            sweep.warned_users = self
                .warn(started_at, i64::from(rules.warn_hours_before) * HOUR_MS)
                .await?;
            self.expire(&mut sweep).await?;
        }
        let days = |d: u32| started_at - i64::from(d) * DAY_MS;
        for (what, before) in [
            ("sessions", days(rules.expired_credentials_days)),
            ("accountTokens", days(rules.expired_credentials_days)),
            ("orgInvites", days(rules.expired_credentials_days)),
            ("securityEvents", days(rules.security_events_days)),
            ("jobEvents", days(rules.job_events_days)),
            ("storageSnapshots", days(rules.storage_snapshots_days)),
            ("retentionSweeps", days(rules.storage_snapshots_days)),
            (
                "metricMinutes",
                started_at - i64::from(rules.metric_minutes_hours) * HOUR_MS,
            ),
            ("metricHours", days(rules.metric_hours_days)),
        ] {
            let removed = self
                .services
                .db()
                .call(move |tx| q::prune(tx, what, before))
                .await?;
            sweep.pruned.insert(what.to_owned(), removed);
        }
        sweep.finished_at = db::now_ms();
        let day = db::to_datetime(started_at).format("%Y-%m-%d").to_string();
        let record = sweep.clone();
        units::record_sweep(self.services.db(), day, record).await?;
        Ok(sweep_view(sweep))
    }

    /// Mails each owner once about their jobs whose files go within `ahead_ms`.
    async fn warn(&self, now: i64, ahead_ms: i64) -> ApiResult<u64> {
        let soon = self
            .services
            .db()
            .call(move |tx| q::jobs_to_warn(tx, now + ahead_ms, BATCH * 5))
            .await?;
        // Files already due go in this sweep; a warning would come too late.
        let mut by_owner: BTreeMap<(String, String), Vec<ExpiringJob>> = BTreeMap::new();
        for job in soon.into_iter().filter(|job| job.expires_at > now) {
            by_owner
                .entry((job.user_id.clone(), job.email.clone()))
                .or_default()
                .push(job);
        }
        let warned = by_owner.len() as u64;
        if warned == 0 {
            return Ok(0);
        }
        let base = self.services.settings().public_url_trimmed();
        let mails: Vec<(Email, Vec<String>)> = by_owner
            .into_iter()
            .map(|((_, email), jobs)| {
                let lines: Vec<String> = jobs
                    .iter()
                    .map(|job| {
                        format!(
                            "- {} (deleted {} UTC): {base}/jobs/{}",
                            mail_line(&job.name),
                            db::to_datetime(job.expires_at).format("%Y-%m-%d %H:%M"),
                            job.id
                        )
                    })
                    .collect();
                let text = format!(
                    "The stored files of these downloads reach the end of your plan's retention period soon and will then be deleted:\r\n\r\n{}\r\n\r\nDownload what you want to keep before then.\r\n",
                    lines.join("\r\n")
                );
                let ids = jobs.into_iter().map(|job| job.id).collect();
                (
                    Email {
                        to: email,
                        subject: "Your tseeder files will be deleted soon".into(),
                        text,
                    },
                    ids,
                )
            })
            .collect();
        units::queue_warnings(self.services.db(), mails, now).await?;
        self.services.mail_wakeup().notify_one();
        Ok(warned)
    }

    /// Deletes the stored files of every job whose retention has passed.
    async fn expire(&self, sweep: &mut SweepRow) -> ApiResult<()> {
        for _ in 0..MAX_BATCHES {
            let now = db::now_ms();
            let due = self
                .services
                .db()
                .call(move |tx| q::expired_jobs(tx, now, BATCH))
                .await?;
            if due.is_empty() {
                return Ok(());
            }
            let mut progressed = false;
            for job in due {
                let jid = job.id.clone();
                let stored = self
                    .services
                    .db()
                    .call(move |tx| objects::objects_of_job(tx, &jid))
                    .await?;
                let (files, bytes) = (
                    stored.len() as u64,
                    stored.iter().map(|o| o.size.max(0) as u64).sum::<u64>(),
                );
                if let Err(err) = self.services.files().delete_objects(stored).await {
                    // The store is unreachable: the files stay counted and the next sweep
                    // tries again.
                    tracing::warn!(%err, job = %job.id, "expired files could not be deleted");
                    continue;
                }
                let message = format!(
                    "{files} stored files ({}) deleted: the plan's retention period passed",
                    human_bytes(bytes)
                );
                let (jid, at) = (job.id.clone(), db::now_ms());
                self.services
                    .db()
                    .call(move |tx| q::mark_expired(tx, &jid, &message, at))
                    .await?;
                sweep.expired_jobs += 1;
                sweep.deleted_files += files;
                sweep.reclaimed_bytes += bytes;
                progressed = true;
            }
            if !progressed {
                return Ok(());
            }
        }
        Ok(())
    }

    /// The storage page's history: snapshots of the last `days` days and the newest sweep.
    pub(crate) async fn history(
        &self,
        days: i64,
    ) -> ApiResult<(
        Vec<tseeder_protocol::StorageSnapshot>,
        Option<RetentionSweep>,
    )> {
        let since = db::to_datetime(db::now_ms() - days * DAY_MS)
            .format("%Y-%m-%d")
            .to_string();
        let (rows, last) = self
            .services
            .db()
            .call(move |tx| Ok((q::snapshots(tx, &since)?, q::last_sweep(tx)?)))
            .await?;
        Ok((
            rows.into_iter()
                .map(|row| tseeder_protocol::StorageSnapshot {
                    day: row.day,
                    stored_bytes: row.stored_bytes,
                    objects: row.objects,
                    users: row.users,
                    reclaimed_bytes: row.reclaimed_bytes,
                    deleted_files: row.deleted_files,
                })
                .collect(),
            last.map(sweep_view),
        ))
    }
}

fn sweep_view(row: SweepRow) -> RetentionSweep {
    RetentionSweep {
        started_at: db::to_datetime(row.started_at),
        finished_at: db::to_datetime(row.finished_at),
        expired_jobs: row.expired_jobs,
        deleted_files: row.deleted_files,
        reclaimed_bytes: row.reclaimed_bytes,
        warned_users: row.warned_users,
        pruned: row.pruned,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_single_clean_lines() {
        assert_eq!(mail_line("Ubuntu\r\nBcc: x@y\u{7}"), "Ubuntu  Bcc: x@y");
        assert_eq!(mail_line(&"a".repeat(500)).len(), 200);
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(3 * 1024 * 1024), "3.0 MiB");
    }
}
