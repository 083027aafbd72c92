//! The S3 store against Garage, a real S3-compatible server that checks SigV4, started on
//! 127.0.0.1 by the test (install it with `scripts/setup`). A small proxy in front of it
//! injects server errors and dropped connections to prove retries and clean aborts.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use futures_util::StreamExt;
use hyper_util::rt::TokioIo;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Notify;
use tower::ServiceExt;
use tseeder_storage::{ObjectKey, ObjectStore, S3Config, S3Store, StorageError};
use tseeder_testkit::garage;

use garage::{start_garage, Garage, BUCKET, KEY_ID, SECRET};

fn store_at(endpoint: &str, secret: &str) -> S3Store {
    S3Store::new(S3Config {
        endpoint: endpoint.to_owned(),
        region: "garage".into(),
        bucket: BUCKET.into(),
        access_key_id: KEY_ID.into(),
        secret_access_key: secret.into(),
        path_style: true,
        part_size: 5 * 1024 * 1024,
        parallel_parts: 3,
        max_attempts: 4,
        sign_payload: None,
    })
    .expect("store")
}

fn random_file(dir: &Path, size: usize) -> (PathBuf, String) {
    let mut data = vec![0u8; size];
    let mut state = 0x9e3779b97f4a7c15u64 ^ size as u64;
    for chunk in data.chunks_mut(8) {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        chunk.copy_from_slice(&state.to_le_bytes()[..chunk.len()]);
    }
    let path = dir.join(format!("file-{size}.bin"));
    std::fs::write(&path, &data).expect("write");
    (path, hex::encode(Sha256::digest(&data)))
}

/// SHA-256 of the object as fetched through a fresh presigned URL.
async fn downloaded_sum(store: &S3Store, key: &ObjectKey) -> String {
    let url = store
        .presign_get(key, Duration::from_secs(60))
        .expect("presign");
    let body = reqwest::get(url)
        .await
        .expect("get")
        .bytes()
        .await
        .expect("body");
    hex::encode(Sha256::digest(&body))
}

#[tokio::test]
async fn objects_round_trip_through_garage_with_presigned_range_downloads() {
    let garage = start_garage().await;
    let store = store_at(&garage.endpoint, SECRET);
    let scratch = tempfile::tempdir().expect("tempdir");
    let key = ObjectKey::job_file("u1", "j1", 0).expect("key");

    let (small, small_sum) = random_file(scratch.path(), 1000);
    assert_eq!(store.put_file(&key, &small).await.expect("put"), 1000);
    assert_eq!(
        store.head(&key).await.expect("head").map(|i| i.size),
        Some(1000)
    );
    let listed = store.list("users/u1/").await.expect("list");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].key, key.as_str());
    assert!(store.list("users/u2/").await.expect("list").is_empty());

    let url = store
        .presign_get(&key, Duration::from_secs(60))
        .expect("presign");
    let body = reqwest::get(url.clone())
        .await
        .expect("get")
        .bytes()
        .await
        .expect("body");
    assert_eq!(hex::encode(Sha256::digest(&body)), small_sum);
    let partial = reqwest::Client::new()
        .get(url.clone())
        .header("range", "bytes=100-199")
        .send()
        .await
        .expect("range");
    assert_eq!(partial.status(), reqwest::StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        partial.bytes().await.expect("body").as_ref(),
        &body[100..200]
    );

    let tampered = url.as_str().replace("files/0", "files/1");
    assert_eq!(
        reqwest::get(tampered).await.expect("get").status(),
        reqwest::StatusCode::FORBIDDEN
    );
    let mut forged = url.clone();
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| {
            let v = if k == "X-Amz-Expires" {
                "86400".to_string()
            } else {
                v.into_owned()
            };
            (k.into_owned(), v)
        })
        .collect();
    forged.query_pairs_mut().clear().extend_pairs(pairs);
    assert_eq!(
        reqwest::get(forged).await.expect("get").status(),
        reqwest::StatusCode::FORBIDDEN
    );

    let short = store
        .presign_get(&key, Duration::from_secs(1))
        .expect("presign");
    tokio::time::sleep(Duration::from_millis(2100)).await;
    // AWS answers 403 for an expired URL, Garage 400; either way nothing is served.
    let expired = reqwest::get(short).await.expect("get").status();
    assert!(
        matches!(expired.as_u16(), 400 | 403),
        "expired URL answered {expired}"
    );

    store.delete(&key).await.expect("delete");
    assert_eq!(store.head(&key).await.expect("head"), None);
    store
        .delete(&key)
        .await
        .expect("deleting a missing object is fine");
}

#[tokio::test]
async fn large_files_go_up_in_parts_byte_exact() {
    let garage = start_garage().await;
    let store = store_at(&garage.endpoint, SECRET);
    let scratch = tempfile::tempdir().expect("tempdir");
    let (big, sum) = random_file(scratch.path(), 23 * 1024 * 1024 + 17);
    let key = ObjectKey::job_file("u1", "j2", 3).expect("key");
    store.put_file(&key, &big).await.expect("multipart upload");
    assert_eq!(
        store.head(&key).await.expect("head").map(|i| i.size),
        Some(23 * 1024 * 1024 + 17)
    );
    assert_eq!(downloaded_sum(&store, &key).await, sum);
    assert!(store
        .unfinished_uploads("users/")
        .await
        .expect("uploads")
        .is_empty());
}

#[tokio::test]
async fn a_wrong_secret_is_refused_by_the_store() {
    let garage = start_garage().await;
    let store = store_at(&garage.endpoint, &"f".repeat(64));
    let key = ObjectKey::parse("x/y").expect("key");
    match store.put_bytes(&key, bytes::Bytes::from_static(b"x")).await {
        Err(StorageError::Http { status: 403, .. }) => {}
        other => panic!("expected 403, got {other:?}"),
    }
}

/// How the proxy misbehaves on part uploads (`PUT …?partNumber=N`).
#[derive(Clone, Copy)]
enum Fault {
    /// The first try of every part gets 503.
    FirstTryOfEachPart,
    /// Part 2 always gets 500.
    PartTwoAlways,
    /// The first try of part 2 reaches the store with one byte changed.
    CorruptFirstTryOfPartTwo,
    /// The connection carrying the first try of every part is closed halfway through its body,
    /// with no answer.
    HangUpOnFirstTryOfEachPart,
    /// Every connection carrying part 2 is closed halfway through its body.
    HangUpOnPartTwoAlways,
}

/// Closes the connection a request came in on; the proxy puts one in every request.
#[derive(Clone)]
struct HangUp(Arc<Notify>);

#[derive(Clone)]
struct Proxy {
    upstream: String,
    fault: Fault,
    tries: Arc<Mutex<HashMap<String, u32>>>,
    client: reqwest::Client,
}

/// What the proxy does with one request.
enum Action {
    Forward,
    /// Forward with one byte of the body changed.
    Corrupt,
    /// Answer with this server error instead of forwarding.
    Fail(u16),
    /// Close the connection partway through the body, with no answer.
    HangUp,
}

/// Counts the try when `request` uploads a part, and picks what the fault does with it.
fn action_for(proxy: &Proxy, request: &Request) -> Action {
    let part = request
        .uri()
        .query()
        .and_then(|q| q.split('&').find_map(|p| p.strip_prefix("partNumber=")));
    let (Some(part), true) = (part, request.method() == axum::http::Method::PUT) else {
        return Action::Forward;
    };
    let tries = {
        let mut seen = proxy.tries.lock().expect("lock");
        let count = seen.entry(part.to_owned()).or_default();
        *count += 1;
        *count
    };
    let (first_try, part_two) = (tries == 1, part == "2");
    match proxy.fault {
        Fault::FirstTryOfEachPart if first_try => Action::Fail(503),
        Fault::PartTwoAlways if part_two => Action::Fail(if first_try { 503 } else { 500 }),
        Fault::CorruptFirstTryOfPartTwo if part_two && first_try => Action::Corrupt,
        Fault::HangUpOnFirstTryOfEachPart if first_try => Action::HangUp,
        Fault::HangUpOnPartTwoAlways if part_two => Action::HangUp,
        _ => Action::Forward,
    }
}

async fn forward(State(proxy): State<Proxy>, request: Request) -> Response {
    let action = action_for(&proxy, &request);
    match action {
        Action::HangUp => {
            let hang_up = request
                .extensions()
                .get::<HangUp>()
                .cloned()
                .expect("the proxy gives every request its connection");
            // Take some of the part's bytes so the client is mid-send, then go silent.
            let mut body = request.into_body().into_data_stream();
            let mut received = 0;
            while let Some(Ok(chunk)) = body.next().await {
                received += chunk.len();
                if received >= 1024 * 1024 {
                    break;
                }
            }
            hang_up.0.notify_one();
            return std::future::pending().await;
        }
        Action::Fail(status) => {
            return Response::builder()
                .status(status)
                .body(Body::from(
                    "<Error><Code>SlowDown</Code><Message>injected</Message></Error>",
                ))
                .expect("response");
        }
        Action::Forward | Action::Corrupt => {}
    }
    let (parts, body) = request.into_parts();
    let mut body = axum::body::to_bytes(body, usize::MAX)
        .await
        .expect("body")
        .to_vec();
    if matches!(action, Action::Corrupt) {
        body[1000] ^= 0x01;
    }
    let url = format!(
        "{}{}",
        proxy.upstream,
        parts.uri.path_and_query().map_or("", |p| p.as_str())
    );
    let mut upstream = proxy.client.request(parts.method.clone(), url).body(body);
    for (name, value) in &parts.headers {
        upstream = upstream.header(name, value);
    }
    let answer = upstream.send().await.expect("upstream");
    let mut response = Response::builder().status(answer.status());
    for (name, value) in answer.headers() {
        response = response.header(name, value);
    }
    response
        .body(Body::from(answer.bytes().await.expect("upstream body")))
        .expect("response")
}

async fn start_proxy(upstream: &str, fault: Fault) -> (String, Arc<Mutex<HashMap<String, u32>>>) {
    let tries = Arc::new(Mutex::new(HashMap::new()));
    let proxy = Proxy {
        upstream: upstream.to_owned(),
        fault,
        tries: Arc::clone(&tries),
        client: reqwest::Client::new(),
    };
    let app = axum::Router::new().fallback(forward).with_state(proxy);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    // Served connection by connection, so a request can have its own connection closed.
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let app = app.clone();
            tokio::spawn(async move {
                let hang_up = Arc::new(Notify::new());
                let for_requests = HangUp(Arc::clone(&hang_up));
                let service = hyper::service::service_fn(
                    move |mut request: hyper::Request<hyper::body::Incoming>| {
                        request.extensions_mut().insert(for_requests.clone());
                        app.clone().oneshot(request.map(Body::new))
                    },
                );
                let connection = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service);
                tokio::select! {
                    _ = connection => {}
                    _ = hang_up.notified() => {}
                }
            });
        }
    });
    (format!("http://{addr}"), tries)
}

#[tokio::test]
async fn signed_payloads_upload_byte_exact() {
    let garage = start_garage().await;
    let store = S3Store::new(S3Config {
        sign_payload: Some(true),
        ..store_at(&garage.endpoint, SECRET).config().clone()
    })
    .expect("store");
    let scratch = tempfile::tempdir().expect("tempdir");
    let (big, sum) = random_file(scratch.path(), 11 * 1024 * 1024 + 3);
    let key = ObjectKey::job_file("u1", "j6", 0).expect("key");
    store.put_file(&key, &big).await.expect("signed multipart");
    assert_eq!(downloaded_sum(&store, &key).await, sum);
}

/// A 12 MiB file (three parts) uploaded through a proxy that misbehaves as `fault` says.
struct FaultyUpload {
    garage: Garage,
    key: ObjectKey,
    sha256: String,
    outcome: Result<u64, StorageError>,
    /// Tries the proxy saw per part number.
    tries: HashMap<String, u32>,
}

async fn upload_through(fault: Fault, job: &str) -> FaultyUpload {
    let garage = start_garage().await;
    let (proxy, tries) = start_proxy(&garage.endpoint, fault).await;
    let store = store_at(&proxy, SECRET);
    let scratch = tempfile::tempdir().expect("tempdir");
    let (big, sha256) = random_file(scratch.path(), 12 * 1024 * 1024);
    let key = ObjectKey::job_file("u1", job, 0).expect("key");
    let outcome = store.put_file(&key, &big).await;
    let tries = tries.lock().expect("lock").clone();
    FaultyUpload {
        garage,
        key,
        sha256,
        outcome,
        tries,
    }
}

impl FaultyUpload {
    /// The upload succeeded and Garage holds exactly the file.
    async fn assert_stored(&self) {
        if let Err(err) = &self.outcome {
            panic!("the upload should have survived: {err}");
        }
        let direct = store_at(&self.garage.endpoint, SECRET);
        assert_eq!(downloaded_sum(&direct, &self.key).await, self.sha256);
    }

    /// Garage holds neither the object nor an unfinished multipart upload.
    async fn assert_nothing_left(&self) {
        let direct = store_at(&self.garage.endpoint, SECRET);
        assert!(
            direct
                .unfinished_uploads("")
                .await
                .expect("uploads")
                .is_empty(),
            "the upload was aborted"
        );
        assert_eq!(
            direct.head(&self.key).await.expect("head"),
            None,
            "no object appeared"
        );
    }
}

#[tokio::test]
async fn failing_parts_are_retried_until_the_upload_completes() {
    let upload = upload_through(Fault::FirstTryOfEachPart, "j3").await;
    upload.assert_stored().await;
    assert_eq!(upload.tries.len(), 3, "three parts");
    assert!(
        upload.tries.values().all(|t| *t == 2),
        "each part failed once and was retried: {:?}",
        upload.tries
    );
}

#[tokio::test]
async fn a_part_corrupted_on_the_way_is_refused_by_its_checksum_and_sent_again() {
    let upload = upload_through(Fault::CorruptFirstTryOfPartTwo, "j5").await;
    upload.assert_stored().await;
    assert_eq!(
        upload.tries["2"], 2,
        "the store refused the corrupted part and it was sent again"
    );
}

#[tokio::test]
async fn a_part_that_keeps_failing_aborts_the_upload_cleanly() {
    let upload = upload_through(Fault::PartTwoAlways, "j4").await;
    match &upload.outcome {
        Err(StorageError::Http { status: 500, .. }) => {}
        other => panic!("expected the upload to fail with 500, got {other:?}"),
    }
    assert_eq!(upload.tries["2"], 4, "part 2 was tried max_attempts times");
    upload.assert_nothing_left().await;
}

#[tokio::test]
async fn parts_whose_connection_drops_are_sent_again_until_the_upload_completes() {
    let upload = upload_through(Fault::HangUpOnFirstTryOfEachPart, "j7").await;
    upload.assert_stored().await;
    assert_eq!(upload.tries.len(), 3, "three parts");
    assert!(
        upload.tries.values().all(|t| *t == 2),
        "each part lost its connection once and was sent again: {:?}",
        upload.tries
    );
}

#[tokio::test]
async fn a_part_that_always_loses_its_connection_aborts_the_upload_cleanly() {
    let upload = upload_through(Fault::HangUpOnPartTwoAlways, "j8").await;
    match &upload.outcome {
        Err(StorageError::Network(_)) => {}
        other => panic!("expected the upload to fail with a network error, got {other:?}"),
    }
    assert_eq!(upload.tries["2"], 4, "part 2 was tried max_attempts times");
    upload.assert_nothing_left().await;
}

#[tokio::test]
async fn an_upload_abandoned_midway_is_aborted_once_old_enough() {
    let garage = start_garage().await;
    let (proxy, tries) = start_proxy(&garage.endpoint, Fault::PartTwoAlways).await;
    let store = store_at(&proxy, SECRET);
    let scratch = tempfile::tempdir().expect("tempdir");
    let (big, _) = random_file(scratch.path(), 12 * 1024 * 1024);
    let key = ObjectKey::job_file("u1", "j9", 0).expect("key");
    // The uploader dies while part 2 waits for a retry, so nothing aborts its upload.
    let uploader = tokio::spawn(async move { store.put_file(&key, &big).await });
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !tries.lock().expect("lock").contains_key("2") {
        assert!(std::time::Instant::now() < deadline, "part 2 never came");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    uploader.abort();
    let _ = uploader.await;

    let direct = store_at(&garage.endpoint, SECRET);
    let left = direct.unfinished_uploads("").await.expect("uploads");
    assert_eq!(left.len(), 1, "the crash left its upload behind");
    assert!(left[0].initiated.is_some(), "the store says when it began");
    let objects = ObjectStore::S3(Box::new(direct.clone()));
    let an_hour_ago = chrono::Utc::now() - chrono::Duration::hours(1);
    assert_eq!(
        objects
            .clear_abandoned_uploads(an_hour_ago)
            .await
            .expect("sweep"),
        0,
        "a young upload may still be running"
    );
    assert_eq!(
        direct.unfinished_uploads("").await.expect("uploads").len(),
        1
    );
    let soon = chrono::Utc::now() + chrono::Duration::minutes(1);
    assert_eq!(
        objects.clear_abandoned_uploads(soon).await.expect("sweep"),
        1
    );
    assert!(direct
        .unfinished_uploads("")
        .await
        .expect("uploads")
        .is_empty());
}
