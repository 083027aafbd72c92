//! The roll-up tick (this replica's counts and a reading of the levels added to its minute and
//! hour) and what is read back: the operators' charts and the recent figures the overview's
//! alerts compare with their thresholds.

use super::report::{points, slots, Totals};
use super::rollup::Rollup;
use super::store::{self as q, Resolution};
use super::units;
use crate::error::ApiResult;
use crate::services::Services;
use crate::store as db;
use tseeder_protocol::{MetricsRange, ObservabilityReport};

const MINUTE_MS: i64 = 60_000;
const HOUR_MS: i64 = 60 * MINUTE_MS;

/// The window the alerts look at.
pub const ALERT_WINDOW_MS: i64 = 15 * MINUTE_MS;

/// How each range reads: from which roll-up, cut into buckets of what length, reaching how far.
fn shape(range: MetricsRange) -> (Resolution, i64, i64) {
    match range {
        MetricsRange::LastHour => (Resolution::Minute, MINUTE_MS, HOUR_MS),
        MetricsRange::LastDay => (Resolution::Minute, 15 * MINUTE_MS, 24 * HOUR_MS),
        MetricsRange::LastWeek => (Resolution::Hour, HOUR_MS, 7 * 24 * HOUR_MS),
    }
}

/// The figures of the last minutes the overview's alerts are computed from.
#[derive(Debug, Clone, Default)]
pub struct Recent {
    /// The last [`ALERT_WINDOW_MS`].
    pub window: Totals,
    /// The last hour, for dead-letter growth.
    pub hour: Totals,
}

#[derive(Debug)]
pub struct Observability<'a> {
    services: &'a Services,
}

impl<'a> Observability<'a> {
    pub(crate) fn new(services: &'a Services) -> Self {
        Observability { services }
    }

    /// Adds what this replica counted since the last tick, and a reading of the levels, to its
    /// minute and hour of `now`. Counts that could not be written wait for the next tick.
    pub async fn roll_up(&self, now: i64) -> ApiResult<()> {
        let metrics = self.services.metrics();
        let counted = metrics.window().take();
        let result = self.write(now, &counted).await;
        if result.is_err() {
            metrics.window().give_back(&counted);
        }
        result
    }

    async fn write(&self, now: i64, counted: &Rollup) -> ApiResult<()> {
        let reading = super::state::read(self.services).await?;
        let tick = counted.clone().with_levels(reading.levels);
        let replica = self.services.metrics().replica().to_owned();
        units::add_tick(self.services.db(), replica, now, tick).await?;
        Ok(())
    }

    /// The charts of `range` ending now.
    pub async fn report(&self, range: MetricsRange) -> ApiResult<ObservabilityReport> {
        let (resolution, bucket, span) = shape(range);
        let now = db::now_ms();
        let to = now - now.rem_euclid(bucket) + bucket;
        let from = to - span;
        let rows = self
            .services
            .db()
            .call(move |tx| q::rows_since(tx, resolution, from))
            .await?;
        let slots = slots(&rows);
        Ok(ObservabilityReport {
            range,
            bucket_seconds: (bucket / 1000) as u32,
            from: db::to_datetime(from),
            to: db::to_datetime(to),
            points: points(&slots, from, bucket, span / bucket),
            summary: Totals::of(slots.values()).summary(),
        })
    }

    /// What the last minutes measured, for the overview's alerts.
    pub async fn recent(&self) -> ApiResult<Recent> {
        let now = db::now_ms();
        let since = Resolution::Minute.start_of(now - HOUR_MS);
        let rows = self
            .services
            .db()
            .call(move |tx| q::rows_since(tx, Resolution::Minute, since))
            .await?;
        let slots = slots(&rows);
        let window_start = Resolution::Minute.start_of(now - ALERT_WINDOW_MS);
        Ok(Recent {
            window: Totals::of(slots.range(window_start..).map(|(_, slot)| slot)),
            hour: Totals::of(slots.values()),
        })
    }
}
