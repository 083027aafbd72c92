//! Sync of one file over a real HTTP server that honours Range (tower-http's file service):
//! a transfer killed mid-file resumes from the bytes on disk, never shows its final name before
//! it is complete, and never replaces a file the user already has.

use sha2::{Digest, Sha256};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tseeder_desktop::db::{self, SyncRow};
use tseeder_desktop::sync::{fetch_file, part_path, PENDING};

/// Serves `dir` and records the Range header of every request.
async fn range_server(dir: std::path::PathBuf) -> (SocketAddr, Arc<Mutex<Vec<Option<String>>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let app = axum::Router::new()
        .fallback_service(tower_http::services::ServeDir::new(dir))
        .layer(axum::middleware::from_fn(
            move |req: axum::extract::Request, next: axum::middleware::Next| {
                let log = log.clone();
                async move {
                    let range = req
                        .headers()
                        .get("range")
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned);
                    log.lock().expect("log").push(range);
                    next.run(req).await
                }
            },
        ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
    (addr, seen)
}

fn row(size: u64) -> SyncRow {
    SyncRow {
        job_id: "job1".into(),
        file_index: 0,
        remote_path: "Album/track.bin".into(),
        size,
        local_path: None,
        received: 0,
        status: PENDING.into(),
        error: None,
    }
}

#[tokio::test]
async fn a_killed_sync_resumes_where_the_disk_stopped_and_lands_verified() {
    let served = tempfile::tempdir().expect("dir");
    let data: Vec<u8> = (0..6 * 1024 * 1024u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(served.path().join("track.bin"), &data).expect("write");
    let (addr, seen) = range_server(served.path().to_path_buf()).await;
    let url = format!("http://{addr}/track.bin");

    let state = tempfile::tempdir().expect("state");
    let sync_dir = state.path().join("Cloud");
    let db = db::open(&state.path().join("tseeder.db")).expect("db");
    let first = row(data.len() as u64);
    let stored = first.clone();
    db.call(move |conn| db::insert_sync(conn, &stored))
        .await
        .expect("insert");
    let http = reqwest::Client::new();
    let final_path = sync_dir.join("Album").join("track.bin");

    // 2 MiB/s: the first run is killed after about a second, mid-file.
    let killed = tokio::time::timeout(
        Duration::from_millis(1200),
        fetch_file(&db, &http, &first, &url, &sync_dir, 2 * 1024 * 1024, |_| {}),
    )
    .await;
    assert!(
        killed.is_err(),
        "the first run must still be running when it is killed"
    );
    assert!(
        !final_path.exists(),
        "the final name never shows a partial file"
    );
    let part = part_path(&final_path);
    // The cancelled run's disk writer lets go of the file at its next piece; the lock it held
    // is what the next run waits for too.
    let locked = std::fs::File::open(&part).expect("the temporary file");
    locked.lock().expect("lock");
    drop(locked);
    let on_disk = std::fs::metadata(&part).expect("the temporary file").len();
    assert!(on_disk > 0 && on_disk < data.len() as u64, "{on_disk}");
    assert_eq!(
        &std::fs::read(&part).expect("part")[..],
        &data[..on_disk as usize]
    );

    // After the "restart": the row as the database has it, the same temporary file.
    let resumed_row = db
        .call(|conn| db::syncs_of_job(conn, "job1"))
        .await
        .expect("rows")
        .remove(0);
    assert!(
        resumed_row.local_path.is_some(),
        "the reserved name survives the restart"
    );
    let landed = fetch_file(&db, &http, &resumed_row, &url, &sync_dir, 0, |_| {})
        .await
        .expect("resumed");
    assert_eq!(landed, final_path);
    assert!(!part.exists());
    let got = std::fs::read(&final_path).expect("final");
    assert_eq!(
        hex::encode(Sha256::digest(&got)),
        hex::encode(Sha256::digest(&data))
    );

    let ranges = seen.lock().expect("log").clone();
    assert_eq!(ranges.len(), 2, "{ranges:?}");
    assert_eq!(ranges[0].as_deref(), Some("bytes=0-"));
    // Nothing already on disk was fetched again.
    assert_eq!(
        ranges[1].as_deref(),
        Some(format!("bytes={on_disk}-").as_str())
    );
    let done = db
        .call(|conn| db::syncs_of_job(conn, "job1"))
        .await
        .expect("rows")
        .remove(0);
    assert_eq!(done.status, "done");
    assert_eq!(done.received, data.len() as u64);
}

#[tokio::test]
async fn a_users_file_under_the_same_name_is_never_replaced() {
    let served = tempfile::tempdir().expect("dir");
    std::fs::write(served.path().join("track.bin"), b"from the cloud").expect("write");
    let (addr, _) = range_server(served.path().to_path_buf()).await;
    let state = tempfile::tempdir().expect("state");
    let sync_dir = state.path().join("Cloud");
    std::fs::create_dir_all(sync_dir.join("Album")).expect("mkdir");
    std::fs::write(sync_dir.join("Album").join("track.bin"), b"the user's own").expect("write");
    let db = db::open(&state.path().join("tseeder.db")).expect("db");
    let new = row(14);
    let stored = new.clone();
    db.call(move |conn| db::insert_sync(conn, &stored))
        .await
        .expect("insert");
    let landed = fetch_file(
        &db,
        &reqwest::Client::new(),
        &new,
        &format!("http://{addr}/track.bin"),
        &sync_dir,
        0,
        |_| {},
    )
    .await
    .expect("synced");
    assert_eq!(landed, sync_dir.join("Album").join("track (1).bin"));
    assert_eq!(std::fs::read(&landed).expect("new"), b"from the cloud");
    assert_eq!(
        std::fs::read(sync_dir.join("Album").join("track.bin")).expect("old"),
        b"the user's own"
    );
}

#[tokio::test]
async fn a_short_answer_is_not_accepted_as_the_file() {
    let served = tempfile::tempdir().expect("dir");
    std::fs::write(served.path().join("track.bin"), b"only ten b").expect("write");
    let (addr, _) = range_server(served.path().to_path_buf()).await;
    let state = tempfile::tempdir().expect("state");
    let sync_dir = state.path().join("Cloud");
    let db = db::open(&state.path().join("tseeder.db")).expect("db");
    let claimed = row(4096);
    let stored = claimed.clone();
    db.call(move |conn| db::insert_sync(conn, &stored))
        .await
        .expect("insert");
    let err = fetch_file(
        &db,
        &reqwest::Client::new(),
        &claimed,
        &format!("http://{addr}/track.bin"),
        &sync_dir,
        0,
        |_| {},
    )
    .await
    .expect_err("too short");
    assert!(err.is_transient(), "{err}");
    assert!(!sync_dir.join("Album").join("track.bin").exists());
}
