//! The engine against a real swarm: Debian's aria2c seeds on 127.0.0.1, the engine finds it
//! through the magnet's peer hint, and every byte is checked. Hostile torrents write nothing.

use std::path::Path;
use std::time::{Duration, Instant};
use swarm::{sha256_of_file, SeedOptions, Seeder};
use tseeder_engine::{Engine, EngineError, TorrentSource};
use tseeder_testkit::engine::loopback_engine;
use tseeder_testkit::swarm;

async fn engine(dir: &Path) -> Engine {
    Engine::start(loopback_engine(), &dir.join("session"))
        .await
        .expect("engine")
}

async fn wait_finished(download: &tseeder_engine::Download) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let progress = download.progress();
        assert!(progress.error.is_none(), "{progress:?}");
        if progress.finished {
            return;
        }
        assert!(Instant::now() < deadline, "stuck at {progress:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn magnet_downloads_every_file_byte_exact_inside_its_folder() {
    let seeder = Seeder::start(SeedOptions::default());
    let work = tempfile::tempdir().expect("tempdir");
    let engine = engine(work.path()).await;
    let resolved = engine
        .resolve(&TorrentSource::Magnet(seeder.magnet()))
        .await
        .expect("metadata from the seeder");
    assert_eq!(resolved.name, "swarm-data");
    let paths: Vec<_> = resolved.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(paths, vec!["swarm-data/a.bin", "swarm-data/sub/b.bin"]);
    assert_eq!(resolved.selected_bytes(None), 1_300_000);

    let folder = work.path().join("job-1");
    let download = engine
        .download(&resolved, &folder, None)
        .await
        .expect("start");
    wait_finished(&download).await;
    let progress = download.progress();
    assert_eq!(progress.downloaded_bytes, 1_300_000);
    for (file, seeded) in resolved.files.iter().zip(&seeder.files) {
        let on_disk = download.file_path(file);
        assert!(on_disk.starts_with(&folder));
        assert_eq!(sha256_of_file(&on_disk), seeded.sha256, "{}", file.path);
    }
    download.remove(true).await.expect("remove");
    assert!(!folder.exists(), "removing with data deletes the folder");
    engine.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn only_the_chosen_files_are_fetched() {
    let seeder = Seeder::start(SeedOptions {
        name: "choose",
        files: &[("one.bin", 200_000), ("two.bin", 400_000)],
        ..Default::default()
    });
    let work = tempfile::tempdir().expect("tempdir");
    let engine = engine(work.path()).await;
    let resolved = engine
        .resolve(&TorrentSource::Torrent(seeder.torrent.clone().into()))
        .await
        .expect("metadata from the file");
    assert_eq!(resolved.selected_bytes(Some(&[1])), 400_000);
    let folder = work.path().join("job-2");
    // The .torrent names no reachable peer; the magnet's hint leads to the seeder.
    let resolved = engine
        .resolve(&TorrentSource::Magnet(seeder.magnet()))
        .await
        .expect("metadata");
    let download = engine
        .download(&resolved, &folder, Some(&[1]))
        .await
        .expect("start");
    wait_finished(&download).await;
    let two = &resolved.files[1];
    assert_eq!(
        sha256_of_file(&download.file_path(two)),
        seeder.files[1].sha256
    );
    let progress = download.progress();
    assert!(
        progress.total_bytes < 600_000,
        "only the chosen file's pieces count: {progress:?}"
    );
    let one = download.file_path(&resolved.files[0]);
    if one.exists() {
        assert_ne!(
            sha256_of_file(&one),
            seeder.files[0].sha256,
            "the unchosen file was not fetched"
        );
    }
    assert!(matches!(
        engine.download(&resolved, &folder, Some(&[7])).await,
        Err(EngineError::BadSelection(7))
    ));
    engine.stop().await;
}

/// A bencoded multi-file torrent whose only file has the given path components.
fn torrent_with_path(name: &[u8], path: &[&[u8]]) -> Vec<u8> {
    fn bytes(out: &mut Vec<u8>, b: &[u8]) {
        out.extend_from_slice(format!("{}:", b.len()).as_bytes());
        out.extend_from_slice(b);
    }
    let mut out =
        b"d8:announce27:http://127.0.0.1:9/announce4:infod5:filesld6:lengthi16384e4:pathl".to_vec();
    for part in path {
        bytes(&mut out, part);
    }
    out.extend_from_slice(b"eee4:name");
    bytes(&mut out, name);
    out.extend_from_slice(b"12:piece lengthi16384e6:pieces20:");
    out.extend_from_slice(&[0u8; 20]);
    out.extend_from_slice(b"ee");
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn hostile_names_are_refused_before_anything_is_written() {
    let work = tempfile::tempdir().expect("tempdir");
    let engine = engine(work.path()).await;
    let cases: Vec<(&[u8], Vec<&[u8]>)> = vec![
        (b"ok", vec![b"..", b"..", b"escaped.txt"]),
        (b"ok", vec![b"/etc", b"passwd"]),
        (b"ok", vec![b"..\\..\\windows.txt"]),
        (b"ok", vec![b""]),
        (b"ok", vec![b"a", b".", b"b"]),
        (b"..", vec![b"x.txt"]),
        (b"", vec![b"x.txt"]),
        (b"C:", vec![b"x.txt"]),
    ];
    for (name, path) in cases {
        let torrent = torrent_with_path(name, &path);
        let result = engine
            .resolve(&TorrentSource::Torrent(torrent.into()))
            .await;
        match result {
            Err(err @ (EngineError::UnsafeNames(_) | EngineError::BadSource(_))) => {
                assert!(!err.is_retryable(), "{err}");
            }
            other => panic!("{name:?}/{path:?} was accepted: {other:?}"),
        }
    }
    let mut written: Vec<_> = walk(work.path());
    written.retain(|p| !p.starts_with(work.path().join("session")));
    assert!(written.is_empty(), "files appeared: {written:?}");
    assert!(!work
        .path()
        .parent()
        .expect("parent")
        .join("escaped.txt")
        .exists());
    engine.stop().await;
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                found.extend(walk(&path));
            } else {
                found.push(path);
            }
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread")]
async fn padded_hybrid_torrents_are_numbered_as_the_torrent_numbers_them() {
    // Every hybrid torrent has padding files between the real ones (BEP 47): a selection
    // names files by this numbering, so the engine must use it too.
    let sizes = [("a.bin", 100_000), ("b.bin", 50_000), ("c.bin", 70_000)];
    let padded = swarm::PaddedTorrent::make("padded", &sizes);
    assert!(padded.files.iter().any(|f| f.padding), "{:?}", padded.files);
    let work = tempfile::tempdir().expect("tempdir");
    let engine = engine(work.path()).await;
    let resolved = engine
        .resolve(&TorrentSource::Torrent(padded.torrent.clone().into()))
        .await
        .expect("resolve");
    let numbers: Vec<(u32, String, bool)> = resolved
        .files
        .iter()
        .map(|f| (f.index, f.path.clone(), f.padding))
        .collect();
    let expected: Vec<(u32, String, bool)> = padded
        .files
        .iter()
        .map(|f| (f.index, f.path.clone(), f.padding))
        .collect();
    assert_eq!(numbers, expected);
    assert_eq!(resolved.info_hash, padded.info_hash);
    assert_eq!(
        resolved.selected_bytes(None),
        220_000,
        "padding is never counted"
    );
}
