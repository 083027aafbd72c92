//! What the service measured since the last roll-up tick, added up in memory with atomics (a
//! request costs a few additions, never a database write), and the row a tick adds to the
//! store: counts add, levels are summed with the number of readings so any tick length averages
//! right.

use std::sync::atomic::{AtomicU64, Ordering};

/// Upper bounds (seconds) of the latency histogram, as on `/metrics`: 5 ms to about 10 s, then
/// everything slower.
pub const LATENCY_BOUNDS: [f64; 12] = [
    0.005, 0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24,
];
pub const LATENCY_BUCKETS: usize = LATENCY_BOUNDS.len() + 1;

/// The counts since the last tick.
#[derive(Debug, Default)]
pub struct Window {
    requests: AtomicU64,
    client_errors: AtomicU64,
    server_errors: AtomicU64,
    latency: [AtomicU64; LATENCY_BUCKETS],
    jobs_completed: AtomicU64,
    jobs_failed: AtomicU64,
    agent_bytes_in: AtomicU64,
    agent_bytes_out: AtomicU64,
}

/// How a job ended, for the throughput counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobOutcome {
    Completed,
    Failed,
}

impl JobOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            JobOutcome::Completed => "completed",
            JobOutcome::Failed => "failed",
        }
    }
}

fn bucket_of(seconds: f64) -> usize {
    LATENCY_BOUNDS
        .iter()
        .position(|bound| seconds <= *bound)
        .unwrap_or(LATENCY_BOUNDS.len())
}

impl Window {
    pub fn record_request(&self, status: u16, seconds: f64) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        match status {
            400..=499 => self.client_errors.fetch_add(1, Ordering::Relaxed),
            500..=599 => self.server_errors.fetch_add(1, Ordering::Relaxed),
            _ => 0,
        };
        self.latency[bucket_of(seconds)].fetch_add(1, Ordering::Relaxed);
    }

    pub fn record_job(&self, outcome: JobOutcome) {
        match outcome {
            JobOutcome::Completed => &self.jobs_completed,
            JobOutcome::Failed => &self.jobs_failed,
        }
        .fetch_add(1, Ordering::Relaxed);
    }

    pub fn record_agent_bytes(&self, downloaded: u64, uploaded: u64) {
        self.agent_bytes_in.fetch_add(downloaded, Ordering::Relaxed);
        self.agent_bytes_out.fetch_add(uploaded, Ordering::Relaxed);
    }

    /// Everything counted since the last take, leaving zeros behind.
    pub fn take(&self) -> Rollup {
        let take = |counter: &AtomicU64| counter.swap(0, Ordering::Relaxed);
        Rollup {
            requests: take(&self.requests),
            client_errors: take(&self.client_errors),
            server_errors: take(&self.server_errors),
            latency: std::array::from_fn(|i| take(&self.latency[i])),
            jobs_completed: take(&self.jobs_completed),
            jobs_failed: take(&self.jobs_failed),
            agent_bytes_in: take(&self.agent_bytes_in),
            agent_bytes_out: take(&self.agent_bytes_out),
            ..Rollup::default()
        }
    }

    /// Puts counts that could not be written back, so the next tick writes them.
    pub fn give_back(&self, rollup: &Rollup) {
        let add = |counter: &AtomicU64, n: u64| counter.fetch_add(n, Ordering::Relaxed);
        add(&self.requests, rollup.requests);
        add(&self.client_errors, rollup.client_errors);
        add(&self.server_errors, rollup.server_errors);
        for (counter, n) in self.latency.iter().zip(rollup.latency) {
            add(counter, n);
        }
        add(&self.jobs_completed, rollup.jobs_completed);
        add(&self.jobs_failed, rollup.jobs_failed);
        add(&self.agent_bytes_in, rollup.agent_bytes_in);
        add(&self.agent_bytes_out, rollup.agent_bytes_out);
    }
}

/// Levels read from the store (and this replica) at a tick.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Levels {
    pub queue_depth: u64,
    pub running_jobs: u64,
    pub fleet_capacity: u64,
    pub fleet_active: u64,
    pub dead_letters: u64,
    pub storage_bytes: u64,
    pub live_subscribers: u64,
}

/// One replica's minute or hour: counts, and levels summed over `samples` readings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rollup {
    pub requests: u64,
    pub client_errors: u64,
    pub server_errors: u64,
    pub latency: [u64; LATENCY_BUCKETS],
    pub jobs_completed: u64,
    pub jobs_failed: u64,
    pub agent_bytes_in: u64,
    pub agent_bytes_out: u64,
    pub samples: u64,
    pub level_sums: Levels,
}

impl Rollup {
    pub fn with_levels(mut self, levels: Levels) -> Rollup {
        self.samples = 1;
        self.level_sums = levels;
        self
    }

    /// Adds another row's counts and readings to this one.
    pub fn add(&mut self, other: &Rollup) {
        self.requests += other.requests;
        self.client_errors += other.client_errors;
        self.server_errors += other.server_errors;
        for (mine, theirs) in self.latency.iter_mut().zip(other.latency) {
            *mine += theirs;
        }
        self.jobs_completed += other.jobs_completed;
        self.jobs_failed += other.jobs_failed;
        self.agent_bytes_in += other.agent_bytes_in;
        self.agent_bytes_out += other.agent_bytes_out;
        self.samples += other.samples;
        let (a, b) = (&mut self.level_sums, &other.level_sums);
        a.queue_depth += b.queue_depth;
        a.running_jobs += b.running_jobs;
        a.fleet_capacity += b.fleet_capacity;
        a.fleet_active += b.fleet_active;
        a.dead_letters += b.dead_letters;
        a.storage_bytes += b.storage_bytes;
        a.live_subscribers += b.live_subscribers;
    }

    /// The histogram as the store keeps it.
    pub fn latency_text(&self) -> String {
        self.latency
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Reads the stored histogram; a shorter or empty text leaves the missing buckets at zero.
    pub fn parse_latency(text: &str) -> Option<[u64; LATENCY_BUCKETS]> {
        let mut buckets = [0; LATENCY_BUCKETS];
        for (slot, part) in text.split(',').filter(|p| !p.is_empty()).enumerate() {
            *buckets.get_mut(slot)? = part.parse().ok()?;
        }
        Some(buckets)
    }
}

/// The latency (milliseconds) below which `quantile` of the requests fell, interpolated inside
/// its bucket as Prometheus's `histogram_quantile` does; the slowest bucket answers its lower
/// bound.
pub fn latency_quantile(buckets: &[u64; LATENCY_BUCKETS], quantile: f64) -> Option<f64> {
    let total: u64 = buckets.iter().sum();
    if total == 0 {
        return None;
    }
    let rank = quantile * total as f64;
    let mut below = 0u64;
    for (i, count) in buckets.iter().enumerate() {
        let reached = below + count;
        if (reached as f64) >= rank && *count > 0 {
            let lower = if i == 0 { 0.0 } else { LATENCY_BOUNDS[i - 1] };
            let Some(upper) = LATENCY_BOUNDS.get(i) else {
                return Some(lower * 1000.0);
            };
            let within = (rank - below as f64) / *count as f64;
            return Some((lower + (upper - lower) * within.clamp(0.0, 1.0)) * 1000.0);
        }
        below = reached;
    }
    Some(LATENCY_BOUNDS[LATENCY_BOUNDS.len() - 1] * 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_counts_requests_by_class_and_bucket_and_empties_when_taken() {
        let window = Window::default();
        window.record_request(200, 0.003);
        window.record_request(404, 0.015);
        window.record_request(503, 30.0);
        window.record_job(JobOutcome::Completed);
        window.record_agent_bytes(1000, 10);
        let taken = window.take();
        assert_eq!(taken.requests, 3);
        assert_eq!((taken.client_errors, taken.server_errors), (1, 1));
        assert_eq!(taken.latency[0], 1);
        assert_eq!(taken.latency[2], 1);
        assert_eq!(taken.latency[LATENCY_BUCKETS - 1], 1);
        assert_eq!((taken.jobs_completed, taken.agent_bytes_in), (1, 1000));
        assert_eq!(window.take(), Rollup::default());
        window.give_back(&taken);
        assert_eq!(window.take(), taken);
    }

    #[test]
    fn quantiles_interpolate_inside_their_bucket() {
        let mut buckets = [0; LATENCY_BUCKETS];
        // 100 requests between 10 and 20 ms.
        buckets[2] = 100;
        let p50 = latency_quantile(&buckets, 0.5).expect("p50");
        assert!((p50 - 15.0).abs() < 1e-9, "{p50}");
        let p99 = latency_quantile(&buckets, 0.99).expect("p99");
        assert!((p99 - 19.9).abs() < 1e-9, "{p99}");
        // One slow request in 100 moves p99 into the slow bucket but not p95.
        buckets[2] = 99;
        buckets[9] = 1;
        assert!(latency_quantile(&buckets, 0.95).expect("p95") < 20.0);
        assert!(latency_quantile(&buckets, 0.995).expect("p99.5") > 1280.0);
        assert_eq!(latency_quantile(&[0; LATENCY_BUCKETS], 0.5), None);
    }

    #[test]
    fn the_histogram_survives_the_store() {
        let mut rollup = Rollup::default();
        rollup.latency[3] = 7;
        rollup.latency[LATENCY_BUCKETS - 1] = 2;
        let text = rollup.latency_text();
        assert_eq!(Rollup::parse_latency(&text), Some(rollup.latency));
        assert_eq!(Rollup::parse_latency(""), Some([0; LATENCY_BUCKETS]));
        assert_eq!(Rollup::parse_latency("1,x"), None);
    }
}
