//! Queries of the metric roll-ups: a replica adds its tick to its minute and its hour, and the
//! charts read every replica's rows of a range.

use super::rollup::{Levels, Rollup};
use crate::store::{params, DbError, DbResult, OptionalExtension, Row, Tx};

/// Which roll-up a query works on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolution {
    Minute,
    Hour,
}

impl Resolution {
    pub fn as_str(self) -> &'static str {
        match self {
            Resolution::Minute => "minute",
            Resolution::Hour => "hour",
        }
    }

    pub fn millis(self) -> i64 {
        match self {
            Resolution::Minute => 60_000,
            Resolution::Hour => 3_600_000,
        }
    }

    /// The start of the minute or hour `at` falls in.
    pub fn start_of(self, at: i64) -> i64 {
        at - at.rem_euclid(self.millis())
    }
}

const COLUMNS: &str = "at, replica, requests, client_errors, server_errors, latency_buckets,
    jobs_completed, jobs_failed, agent_bytes_in, agent_bytes_out, samples, queue_depth_sum,
    running_jobs_sum, fleet_capacity_sum, fleet_active_sum, dead_letters_sum, storage_bytes_sum,
    live_subscribers_sum";

fn int(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn read_rollup(row: &Row) -> DbResult<(i64, String, Rollup)> {
    let count = |name: &str| -> DbResult<u64> { Ok(row.get::<_, i64>(name)?.max(0) as u64) };
    let latency: String = row.get("latency_buckets")?;
    let rollup = Rollup {
        requests: count("requests")?,
        client_errors: count("client_errors")?,
        server_errors: count("server_errors")?,
        latency: Rollup::parse_latency(&latency)
            .ok_or_else(|| DbError::Corrupt(format!("latency_buckets: {latency}")))?,
        jobs_completed: count("jobs_completed")?,
        jobs_failed: count("jobs_failed")?,
        agent_bytes_in: count("agent_bytes_in")?,
        agent_bytes_out: count("agent_bytes_out")?,
        samples: count("samples")?,
        level_sums: Levels {
            queue_depth: count("queue_depth_sum")?,
            running_jobs: count("running_jobs_sum")?,
            fleet_capacity: count("fleet_capacity_sum")?,
            fleet_active: count("fleet_active_sum")?,
            dead_letters: count("dead_letters_sum")?,
            storage_bytes: count("storage_bytes_sum")?,
            live_subscribers: count("live_subscribers_sum")?,
        },
    };
    Ok((row.get("at")?, row.get("replica")?, rollup))
}

/// Adds `tick` to this replica's row of the minute or hour that holds `at`. Only the replica
/// itself writes its rows, one tick at a time, so reading and writing back cannot lose a count.
pub fn add_to(
    conn: &Tx<'_>,
    resolution: Resolution,
    replica: &str,
    at: i64,
    tick: &Rollup,
) -> DbResult<()> {
    let start = resolution.start_of(at);
    let mut row = conn
        .query_row(
            &format!(
                "SELECT {COLUMNS} FROM metric_rollups
                 WHERE resolution = ?1 AND at = ?2 AND replica = ?3"
            ),
            params![resolution.as_str(), start, replica],
            read_rollup,
        )
        .optional()?
        .map(|(_, _, rollup)| rollup)
        .unwrap_or_default();
    row.add(tick);
    let l = &row.level_sums;
    conn.execute(
        &format!(
            "INSERT INTO metric_rollups (resolution, {COLUMNS}) VALUES
                 (?19, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)
             ON CONFLICT (resolution, at, replica) DO UPDATE SET
                 requests = excluded.requests, client_errors = excluded.client_errors,
                 server_errors = excluded.server_errors,
                 latency_buckets = excluded.latency_buckets,
                 jobs_completed = excluded.jobs_completed, jobs_failed = excluded.jobs_failed,
                 agent_bytes_in = excluded.agent_bytes_in,
                 agent_bytes_out = excluded.agent_bytes_out, samples = excluded.samples,
                 queue_depth_sum = excluded.queue_depth_sum,
                 running_jobs_sum = excluded.running_jobs_sum,
                 fleet_capacity_sum = excluded.fleet_capacity_sum,
                 fleet_active_sum = excluded.fleet_active_sum,
                 dead_letters_sum = excluded.dead_letters_sum,
                 storage_bytes_sum = excluded.storage_bytes_sum,
                 live_subscribers_sum = excluded.live_subscribers_sum"
        ),
        params![
            start,
            replica,
            int(row.requests),
            int(row.client_errors),
            int(row.server_errors),
            row.latency_text(),
            int(row.jobs_completed),
            int(row.jobs_failed),
            int(row.agent_bytes_in),
            int(row.agent_bytes_out),
            int(row.samples),
            int(l.queue_depth),
            int(l.running_jobs),
            int(l.fleet_capacity),
            int(l.fleet_active),
            int(l.dead_letters),
            int(l.storage_bytes),
            int(l.live_subscribers),
            resolution.as_str()
        ],
    )?;
    Ok(())
}

/// Every replica's rows from `since` on, oldest first: `(start, replica, counts)`.
pub fn rows_since(
    conn: &Tx<'_>,
    resolution: Resolution,
    since: i64,
) -> DbResult<Vec<(i64, String, Rollup)>> {
    conn.query_map(
        &format!(
            "SELECT {COLUMNS} FROM metric_rollups WHERE resolution = ?1 AND at >= ?2
             ORDER BY at, replica"
        ),
        params![resolution.as_str(), since],
        read_rollup,
    )
}
