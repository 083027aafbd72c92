//! Load for the control plane's benchmarks: agents claiming from a deep queue, a bare axum JSON
//! handler to hold the job list's throughput against, and thousands of live-event subscribers
//! timing how long each progress report takes to reach them. Each prints one JSON line.

use crate::subscribers::{StreamRequest, Subscribers};
use anyhow::{bail, Context};
use futures_util::StreamExt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// Milliseconds at the given percentile of sorted samples.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn summary(mut millis: Vec<f64>) -> serde_json::Value {
    millis.sort_by(f64::total_cmp);
    serde_json::json!({
        "count": millis.len(),
        "p50_ms": percentile(&millis, 50.0),
        "p99_ms": percentile(&millis, 99.0),
        "max_ms": millis.last().copied().unwrap_or(f64::NAN),
    })
}

fn http() -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .pool_max_idle_per_host(1024)
        .timeout(Duration::from_secs(120))
        .build()?)
}

/// Registers every agent whose token is in `tokens` (one per line), then `concurrency`
/// callers claim in turn through them until `claims` claims were answered. Each claim's round
/// trip is timed; granted and empty answers are counted apart.
pub async fn claims(
    bases: Vec<String>,
    tokens: Vec<String>,
    claims: usize,
    concurrency: usize,
) -> anyhow::Result<()> {
    let client = http()?;
    let registered = futures_util::stream::iter(tokens.iter().enumerate())
        .map(|(n, token)| {
            let (client, base) = (client.clone(), bases[n % bases.len()].clone());
            async move {
                let answer = client
                    .post(format!("{base}/api/v1/agent/register"))
                    .bearer_auth(token)
                    .json(&serde_json::json!({
                        "name": format!("bench-{n}"), "region": "bench",
                        "capacity": 100_000, "version": "bench"
                    }))
                    .send()
                    .await?;
                anyhow::ensure!(
                    answer.status().is_success(),
                    "register: {}",
                    answer.status()
                );
                Ok(())
            }
        })
        .buffer_unordered(32)
        .collect::<Vec<anyhow::Result<()>>>()
        .await;
    registered
        .into_iter()
        .collect::<anyhow::Result<Vec<()>>>()?;

    let next = Arc::new(AtomicUsize::new(0));
    let tokens = Arc::new(tokens);
    let bases = Arc::new(bases);
    let results = Arc::new(Mutex::new((Vec::with_capacity(claims), 0usize)));
    let started = Instant::now();
    let workers = (0..concurrency).map(|_| {
        let (client, next, tokens, bases, results) = (
            client.clone(),
            next.clone(),
            tokens.clone(),
            bases.clone(),
            results.clone(),
        );
        tokio::spawn(async move {
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= claims {
                    return anyhow::Ok(());
                }
                let agent = n % tokens.len();
                let base = &bases[agent % bases.len()];
                let sent = Instant::now();
                let answer = client
                    .post(format!("{base}/api/v1/agent/claim"))
                    .bearer_auth(&tokens[agent])
                    .json(&serde_json::json!({}))
                    .send()
                    .await?;
                let status = answer.status();
                let body: serde_json::Value = answer.json().await?;
                let millis = sent.elapsed().as_secs_f64() * 1000.0;
                anyhow::ensure!(status.is_success(), "claim: {status} {body}");
                let mut results = results.lock().await;
                results.0.push(millis);
                if !body["assignment"].is_null() {
                    results.1 += 1;
                }
            }
        })
    });
    for worker in futures_util::future::join_all(workers).await {
        worker??;
    }
    let seconds = started.elapsed().as_secs_f64();
    let (millis, granted) = std::mem::take(&mut *results.lock().await);
    let mut out = summary(millis);
    out["granted"] = granted.into();
    out["claims_per_second"] = (claims as f64 / seconds).into();
    println!("{out}");
    Ok(())
}

/// An axum server with one route that serializes the given JSON document on every request:
/// what a JSON API costs with no database, no auth and no middleware.
pub async fn bare_json(
    listen: std::net::SocketAddr,
    body: std::path::PathBuf,
) -> anyhow::Result<()> {
    let document: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&body).context("reading the document")?)?;
    let document = Arc::new(document);
    let app = axum::Router::new().route(
        "/",
        axum::routing::get(move || {
            let document = document.clone();
            async move { axum::Json(document) }
        }),
    );
    let listener = tokio::net::TcpListener::bind(listen).await?;
    println!(
        "{}",
        serde_json::json!({ "listening": listener.local_addr()?.to_string() })
    );
    axum::serve(listener, app).await?;
    Ok(())
}

/// What the agent reports and each subscriber waits for.
pub struct SseRun {
    pub bases: Vec<String>,
    pub api_key: String,
    pub agent_token: String,
    pub job_id: String,
    pub lease_id: String,
    pub subscribers: usize,
    pub reports: u64,
    pub interval: Duration,
}

/// Opens `subscribers` streams of the user's jobs (spread over the bases), waits until each
/// has its snapshot, then reports progress `reports` times as the job's agent and times, for
/// every stream, how long each report took to arrive.
pub async fn sse(run: SseRun) -> anyhow::Result<()> {
    let requests = (0..run.subscribers)
        .map(|n| {
            let base = &run.bases[n % run.bases.len()];
            StreamRequest::new(base, "/api/v1/jobs/live", &run.api_key)
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let open_started = Instant::now();
    let subscribers = Subscribers::open(requests, run.reports);
    while subscribers.ready.load(Ordering::Relaxed) < run.subscribers {
        if subscribers.is_finished() {
            // Failed while opening: its error says why.
            subscribers.finish(Instant::now())?;
            bail!("the streams ended before they opened");
        }
        if open_started.elapsed() > Duration::from_secs(600) {
            bail!(
                "only {} streams got their snapshot",
                subscribers.ready.load(Ordering::Relaxed)
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let opened_seconds = open_started.elapsed().as_secs_f64();
    // When each report was sent, noted before it is sent; the streams only note when each
    // arrived, and the delays are computed once every stream is done.
    let mut sent_at: Vec<Option<Instant>> = vec![None; run.reports as usize + 1];
    let agent = reqwest::Client::new();
    for k in 1..=run.reports {
        sent_at[k as usize] = Some(Instant::now());
        let answer = agent
            .post(format!(
                "{}/api/v1/agent/jobs/{}/progress",
                run.bases[0], run.job_id
            ))
            .bearer_auth(&run.agent_token)
            .json(&serde_json::json!({
                "leaseId": run.lease_id, "status": "downloading", "downloadedBytes": k,
                "totalBytes": run.reports * 10, "uploadedBytes": 0, "downloadSpeed": 1,
                "uploadSpeed": 0, "peers": 1
            }))
            .send()
            .await?;
        anyhow::ensure!(
            answer.status().is_success(),
            "progress: {}",
            answer.status()
        );
        tokio::time::sleep(run.interval).await;
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    let seen = tokio::task::spawn_blocking(move || subscribers.finish(deadline)).await??;
    let mut millis = Vec::with_capacity(run.subscribers * run.reports as usize);
    let mut resyncs = 0;
    for stream in seen {
        resyncs += stream.resyncs;
        for (k, arrived) in stream.arrivals {
            if let Some(Some(sent)) = sent_at.get(k as usize) {
                millis.push((arrived - *sent).as_secs_f64() * 1000.0);
            }
        }
    }
    let expected = run.subscribers as u64 * run.reports;
    let mut out = summary(millis);
    out["expected"] = expected.into();
    out["subscribers"] = run.subscribers.into();
    out["open_seconds"] = opened_seconds.into();
    out["resyncs"] = resyncs.into();
    println!("{out}");
    Ok(())
}

/// The live progress's `downloadedBytes` of a progress event (the report's number, the one
/// thing a stream times), found without parsing the whole job, so that the streams take as
/// little as they can of the cores the server shares with them.
pub(crate) fn downloaded_bytes(event: &[u8]) -> Option<u64> {
    const FIELD: &[u8] = b"\"progress\":{\"downloadedBytes\":";
    let at = event.windows(FIELD.len()).position(|w| w == FIELD)? + FIELD.len();
    let digits = event[at..]
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .count();
    std::str::from_utf8(&event[at..at + digits])
        .ok()?
        .parse()
        .ok()
}

/// The furthest progress a snapshot shows.
pub(crate) fn latest_progress(event: &[u8]) -> anyhow::Result<u64> {
    let text = String::from_utf8_lossy(event);
    let data = text
        .lines()
        .find_map(|l| l.strip_prefix("data: "))
        .context("a snapshot without data")?;
    let value: serde_json::Value = serde_json::from_str(data)?;
    Ok(value
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|job| job["progress"]["downloadedBytes"].as_u64())
        .max()
        .unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::downloaded_bytes;

    #[test]
    fn the_live_progress_is_read_not_the_stored_count() {
        let event = br#"event: job
data: {"job":{"id":"j","downloadedBytes":0,"name":"x"},"progress":{"downloadedBytes":17,"totalBytes":200}}

"#;
        assert_eq!(downloaded_bytes(event), Some(17));
        assert_eq!(
            downloaded_bytes(b"event: job\ndata: {\"job\":{}}\n\n"),
            None
        );
    }
}
