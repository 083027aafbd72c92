//! The metric families and the middleware that feeds the request ones. Updating a counter or a
//! histogram is a few atomic operations: nothing is written to the database per request.

use crate::services::Services;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
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

type LatencyFamily = Family<RouteLabels, Histogram, fn() -> Histogram>;

fn latency_histogram() -> Histogram {
    // 5 ms to about 10 s.
    Histogram::new(exponential_buckets(0.005, 2.0, 12))
}

/// The service's metrics, one set per process.
pub struct Metrics {
    registry: Registry,
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
    let status_class = format!("{}xx", response.status().as_u16() / 100);
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
        .observe(started.elapsed().as_secs_f64());
    response
}
