//! Turns every replica's roll-up rows into chart points: counts add up across replicas and
//! minutes, levels the store gave every replica alike are averaged, levels of one replica's own
//! (its live streams) add up, and latency percentiles come from the merged histogram.

use super::rollup::{latency_quantile, Levels, Rollup, LATENCY_BUCKETS};
use crate::store as db;
use std::collections::BTreeMap;
use tseeder_protocol::{MetricPoint, MetricsSummary};

/// The levels of one minute or hour, over all replicas.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct SlotLevels {
    pub queue_depth: f64,
    pub running_jobs: f64,
    pub fleet_capacity: f64,
    pub fleet_active: f64,
    pub dead_letters: f64,
    pub storage_bytes: f64,
    pub live_subscribers: f64,
}

/// One minute or hour over all replicas.
#[derive(Debug, Clone, Default)]
pub struct Slot {
    pub counts: Rollup,
    /// None when no replica read the levels in it.
    pub levels: Option<SlotLevels>,
}

fn average(sums: &Levels, samples: u64) -> SlotLevels {
    let n = samples as f64;
    SlotLevels {
        queue_depth: sums.queue_depth as f64 / n,
        running_jobs: sums.running_jobs as f64 / n,
        fleet_capacity: sums.fleet_capacity as f64 / n,
        fleet_active: sums.fleet_active as f64 / n,
        dead_letters: sums.dead_letters as f64 / n,
        storage_bytes: sums.storage_bytes as f64 / n,
        live_subscribers: sums.live_subscribers as f64 / n,
    }
}

/// Merges the replicas' rows of each minute or hour, keyed by its start.
pub fn slots(rows: &[(i64, String, Rollup)]) -> BTreeMap<i64, Slot> {
    let mut slots: BTreeMap<i64, (Slot, Vec<SlotLevels>)> = BTreeMap::new();
    for (at, _replica, rollup) in rows {
        let (slot, readings) = slots.entry(*at).or_default();
        slot.counts.add(rollup);
        if rollup.samples > 0 {
            readings.push(average(&rollup.level_sums, rollup.samples));
        }
    }
    slots
        .into_iter()
        .map(|(at, (mut slot, readings))| {
            if !readings.is_empty() {
                let n = readings.len() as f64;
                let shared = |f: fn(&SlotLevels) -> f64| readings.iter().map(f).sum::<f64>() / n;
                slot.levels = Some(SlotLevels {
                    queue_depth: shared(|l| l.queue_depth),
                    running_jobs: shared(|l| l.running_jobs),
                    fleet_capacity: shared(|l| l.fleet_capacity),
                    fleet_active: shared(|l| l.fleet_active),
                    dead_letters: shared(|l| l.dead_letters),
                    storage_bytes: shared(|l| l.storage_bytes),
                    live_subscribers: readings.iter().map(|l| l.live_subscribers).sum(),
                });
            }
            (at, slot)
        })
        .collect()
}

fn percent(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| 100.0 * part as f64 / whole as f64)
}

/// What a set of slots add up to.
#[derive(Debug, Clone, Default)]
pub struct Totals {
    pub counts: Rollup,
    pub levels: Vec<SlotLevels>,
}

impl Totals {
    pub fn of<'a>(slots: impl IntoIterator<Item = &'a Slot>) -> Totals {
        let mut totals = Totals::default();
        for slot in slots {
            totals.counts.add(&slot.counts);
            totals.levels.extend(slot.levels);
        }
        totals
    }

    pub fn latency(&self) -> &[u64; LATENCY_BUCKETS] {
        &self.counts.latency
    }

    pub fn error_rate_percent(&self) -> Option<f64> {
        percent(self.counts.server_errors, self.counts.requests)
    }

    pub fn quantile(&self, q: f64) -> Option<f64> {
        latency_quantile(self.latency(), q)
    }

    fn mean(&self, f: impl Fn(&SlotLevels) -> f64) -> Option<f64> {
        (!self.levels.is_empty())
            .then(|| self.levels.iter().map(f).sum::<f64>() / self.levels.len() as f64)
    }

    /// Dead letters at the last reading less the first.
    pub fn dead_letter_growth(&self) -> Option<f64> {
        Some(self.levels.last()?.dead_letters - self.levels.first()?.dead_letters)
    }

    /// Jobs the fleet ran as a share of what it could run, over the readings with capacity.
    pub fn fleet_use_percent(&self) -> Option<f64> {
        let with_capacity: Vec<_> = self
            .levels
            .iter()
            .filter(|l| l.fleet_capacity > 0.0)
            .collect();
        (!with_capacity.is_empty()).then(|| {
            100.0 * with_capacity.iter().map(|l| l.fleet_active).sum::<f64>()
                / with_capacity.iter().map(|l| l.fleet_capacity).sum::<f64>()
        })
    }

    pub fn point(&self, at: i64) -> MetricPoint {
        let c = &self.counts;
        MetricPoint {
            at: db::to_datetime(at),
            requests: c.requests,
            client_errors: c.client_errors,
            server_errors: c.server_errors,
            error_rate_percent: self.error_rate_percent(),
            p50_ms: self.quantile(0.5),
            p95_ms: self.quantile(0.95),
            p99_ms: self.quantile(0.99),
            jobs_completed: c.jobs_completed,
            jobs_failed: c.jobs_failed,
            agent_bytes_in: c.agent_bytes_in,
            agent_bytes_out: c.agent_bytes_out,
            queue_depth: self.mean(|l| l.queue_depth),
            running_jobs: self.mean(|l| l.running_jobs),
            fleet_capacity: self.mean(|l| l.fleet_capacity),
            fleet_active_jobs: self.mean(|l| l.fleet_active),
            dead_letters: self.mean(|l| l.dead_letters),
            storage_bytes: self.mean(|l| l.storage_bytes),
            live_subscribers: self.mean(|l| l.live_subscribers),
        }
    }

    pub fn summary(&self) -> MetricsSummary {
        let c = &self.counts;
        MetricsSummary {
            requests: c.requests,
            server_errors: c.server_errors,
            error_rate_percent: self.error_rate_percent(),
            p50_ms: self.quantile(0.5),
            p95_ms: self.quantile(0.95),
            p99_ms: self.quantile(0.99),
            jobs_completed: c.jobs_completed,
            jobs_failed: c.jobs_failed,
            agent_bytes_in: c.agent_bytes_in,
            agent_bytes_out: c.agent_bytes_out,
            dead_letter_growth: self.dead_letter_growth(),
        }
    }
}

/// A point for every bucket of `[from, from + count × bucket)`, empty buckets included.
pub fn points(slots: &BTreeMap<i64, Slot>, from: i64, bucket: i64, count: i64) -> Vec<MetricPoint> {
    (0..count)
        .map(|i| {
            let start = from + i * bucket;
            Totals::of(slots.range(start..start + bucket).map(|(_, slot)| slot)).point(start)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(
        at: i64,
        replica: &str,
        requests: u64,
        dead: u64,
        subscribers: u64,
    ) -> (i64, String, Rollup) {
        let mut rollup = Rollup {
            requests,
            server_errors: requests / 10,
            ..Rollup::default()
        };
        rollup.latency[1] = requests;
        (
            at,
            replica.to_owned(),
            rollup.with_levels(Levels {
                dead_letters: dead,
                live_subscribers: subscribers,
                fleet_capacity: 4,
                fleet_active: 2,
                ..Levels::default()
            }),
        )
    }

    #[test]
    fn replicas_add_their_counts_and_their_own_streams_but_not_shared_levels() {
        let rows = vec![row(0, "a", 10, 3, 2), row(0, "b", 30, 3, 5)];
        let slots = slots(&rows);
        let slot = &slots[&0];
        assert_eq!(slot.counts.requests, 40);
        let levels = slot.levels.expect("levels");
        assert_eq!(levels.dead_letters, 3.0);
        assert_eq!(levels.live_subscribers, 7.0);
    }

    #[test]
    fn buckets_cover_the_range_and_empty_ones_have_no_levels() {
        let rows = vec![
            row(0, "a", 10, 1, 0),
            row(60_000, "a", 10, 2, 0),
            row(180_000, "a", 20, 5, 0),
        ];
        let slots = slots(&rows);
        let points = points(&slots, 0, 120_000, 3);
        assert_eq!(points.len(), 3);
        assert_eq!(points[0].requests, 20);
        assert_eq!(points[0].dead_letters, Some(1.5));
        assert_eq!(points[1].requests, 20);
        assert_eq!(points[2].requests, 0);
        assert_eq!(points[2].dead_letters, None);
        assert_eq!(points[2].p95_ms, None);
        let totals = Totals::of(slots.values());
        assert_eq!(totals.dead_letter_growth(), Some(4.0));
        assert_eq!(totals.error_rate_percent(), Some(10.0));
        assert_eq!(totals.fleet_use_percent(), Some(50.0));
    }
}
