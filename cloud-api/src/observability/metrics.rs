//! The metric families and the middleware that feeds the request ones. Updating a counter or a
//! histogram is a few atomic operations: nothing is written to the database per request; the
//! same counts also go to the roll-up window the store receives once per tick.

use super::rollup::{JobOutcome, Window, LATENCY_BOUNDS};
use crate::services::Services;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use std::time::Instant;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    /// The route template (`/api/v1/jobs/{id}`), never the path a caller sent.
    pub route: String,
    pub method: String,
    /// `2xx`, `4xx`, `5xx`…
    pub status_class: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub route: String,
    pub method: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StatusLabels {
    pub status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabels {
    pub outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct DirectionLabels {
    /// `in`: downloaded from peers; `out`: uploaded to peers.
    pub direction: String,
}

type LatencyFamily = Family<RouteLabels, Histogram, fn() -> Histogram>;

fn latency_histogram() -> Histogram {
    Histogram::new(LATENCY_BOUNDS.iter().copied())
}

/// The service's metrics, one set per process.
pub struct Metrics {
    registry: Registry,
    /// Names this process's rows in the roll-ups.
    replica: String,
    window: Window,
    pub jobs_finished: Family<OutcomeLabels, Counter>,
    pub agent_bytes: Family<DirectionLabels, Counter>,
    pub requests: Family<RequestLabels, Counter>,
    pub latency: LatencyFamily,
    pub jobs: Family<StatusLabels, Gauge>,
    pub queue_depth: Gauge,
    pub dead_letters: Gauge,
    pub agents_online: Gauge,
    pub fleet_capacity: Gauge,
    pub fleet_active_jobs: Gauge,
    pub storage_bytes: Gauge,
    pub stored_objects: Gauge,
    pub live_subscribers: Gauge,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("tseeder");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "Requests answered, by route template, method and status class",
            requests.clone(),
        );
        let latency: LatencyFamily = Family::new_with_constructor(latency_histogram);
        registry.register(
            "http_request_duration_seconds",
            "Time to answer a request, by route template and method",
            latency.clone(),
        );
        let jobs_finished = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "jobs_finished",
            "Jobs that ended, by outcome (completed, failed)",
            jobs_finished.clone(),
        );
        let agent_bytes = Family::<DirectionLabels, Counter>::default();
        registry.register(
            "agent_bytes",
            "Bytes agents reported moving for cloud jobs (in: downloaded, out: uploaded to peers)",
            agent_bytes.clone(),
        );
        // Every series exists from the start, at 0, so rates need no first event.
        for outcome in [JobOutcome::Completed, JobOutcome::Failed] {
            drop(jobs_finished.get_or_create(&OutcomeLabels {
                outcome: outcome.as_str().to_owned(),
            }));
        }
        for direction in ["in", "out"] {
            drop(agent_bytes.get_or_create(&DirectionLabels {
                direction: direction.to_owned(),
            }));
        }
        let jobs = Family::<StatusLabels, Gauge>::default();
        registry.register("jobs", "Jobs by status", jobs.clone());
        let mut gauge = |name: &str, help: &str| {
            let gauge = Gauge::default();
            registry.register(name, help, gauge.clone());
            gauge
        };
        let queue_depth = gauge("queue_depth", "Jobs waiting for an agent");
        let dead_letters = gauge(
            "dead_letters",
            "Jobs out of attempts, waiting for an operator",
        );
        let agents_online = gauge("agents_online", "Operator agents heard from recently");
        let fleet_capacity = gauge("fleet_capacity", "Jobs the online agents can run at once");
        let fleet_active_jobs = gauge("fleet_active_jobs", "Jobs the online agents are running");
        let storage_bytes = gauge("storage_bytes", "Bytes of stored files");
        let stored_objects = gauge("stored_objects", "Stored files");
        let live_subscribers = gauge(
            "live_subscribers",
            "Open live (SSE) streams on this replica",
        );
        Metrics {
            registry,
            replica: uuid::Uuid::now_v7().to_string(),
            window: Window::default(),
            jobs_finished,
            agent_bytes,
            requests,
            latency,
            jobs,
            queue_depth,
            dead_letters,
            agents_online,
            fleet_capacity,
            fleet_active_jobs,
            storage_bytes,
            stored_objects,
            live_subscribers,
        }
    }
}

impl Metrics {
    pub fn replica(&self) -> &str {
        &self.replica
    }

    /// What was counted since the last roll-up tick.
    pub fn window(&self) -> &Window {
        &self.window
    }

    pub fn job_finished(&self, outcome: JobOutcome) {
        self.jobs_finished
            .get_or_create(&OutcomeLabels {
                outcome: outcome.as_str().to_owned(),
            })
            .inc();
        self.window.record_job(outcome);
    }

    /// Bytes an agent moved since its previous report of the same job.
    pub fn agent_moved(&self, downloaded: u64, uploaded: u64) {
        for (direction, bytes) in [("in", downloaded), ("out", uploaded)] {
            self.agent_bytes
                .get_or_create(&DirectionLabels {
                    direction: direction.to_owned(),
                })
                .inc_by(bytes);
        }
        self.window.record_agent_bytes(downloaded, uploaded);
    }

    /// The OpenMetrics text of every family.
    pub fn encode(&self) -> Result<String, std::fmt::Error> {
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)?;
        Ok(text)
    }
}

/// Counts and times each request under its route template.
pub async fn measure(State(services): State<Services>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |path| path.as_str().to_owned());
    let method = request.method().as_str().to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    let metrics = services.metrics();
    let seconds = started.elapsed().as_secs_f64();
    let status = response.status().as_u16();
    metrics.window.record_request(status, seconds);
    let status_class = format!("{}xx", status / 100);
    metrics
        .requests
        .get_or_create(&RequestLabels {
            route: route.clone(),
            method: method.clone(),
            status_class,
        })
        .inc();
    metrics
        .latency
        .get_or_create(&RouteLabels { route, method })
        .observe(seconds);
    response
}
