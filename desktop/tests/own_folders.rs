//! Local downloads never clobber the user's files: each gets a fresh folder of its own, beside a
//! file of the same name, beside the sync folder, and beside another download of the same name;
//! deleting one with its files removes its folder and nothing else.

mod support;

use std::path::Path;
use tseeder_desktop::{Desktop, JobPlace};

/// A minimal .torrent: one file (`files` empty) or several under `name`. `salt` makes the piece
/// hash, and so the info hash, differ between torrents that are otherwise alike.
fn torrent(name: &str, files: &[&str], salt: u8) -> Vec<u8> {
    let mut info = Vec::new();
    info.extend_from_slice(b"d");
    if files.is_empty() {
        info.extend_from_slice(b"6:lengthi1024e");
    } else {
        info.extend_from_slice(b"5:filesl");
        for file in files {
            info.extend_from_slice(
                format!("d6:lengthi512e4:pathl{}:{file}ee", file.len()).as_bytes(),
            );
        }
        info.extend_from_slice(b"e");
    }
    info.extend_from_slice(format!("4:name{}:{name}", name.len()).as_bytes());
    info.extend_from_slice(b"12:piece lengthi16384e6:pieces20:");
    info.extend_from_slice(&[salt; 20]);
    info.extend_from_slice(b"e");
    let mut out = b"d4:info".to_vec();
    out.extend_from_slice(&info);
    out.extend_from_slice(b"e");
    out
}

async fn add_here(desktop: &Desktop, dir: &Path, file: &str, bytes: Vec<u8>) -> String {
    let path = dir.join(file);
    std::fs::write(&path, bytes).expect("write torrent");
    let add = desktop
        .receive_link(path.to_str().expect("utf-8"))
        .await
        .expect("link");
    support::add_here_when_ready(desktop, &add.id).await
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn every_local_download_gets_a_fresh_folder_and_deleting_one_touches_nothing_else() {
    let dir = tempfile::tempdir().expect("tempdir");
    let desktop = support::open_desktop(dir.path(), 5).await;
    let settings = desktop.settings();
    let downloads = settings.download_dir.clone();
    std::fs::create_dir_all(&settings.sync_dir).expect("sync folder");
    std::fs::write(settings.sync_dir.join("synced.bin"), b"from the cloud").expect("synced");
    assert_eq!(settings.sync_dir, downloads.join("Cloud"));
    std::fs::write(downloads.join("notes.txt"), b"the user's own file").expect("user file");

    let notes = add_here(
        &desktop,
        dir.path(),
        "a.torrent",
        torrent("notes.txt", &[], 1),
    )
    .await;
    let cloud = add_here(
        &desktop,
        dir.path(),
        "b.torrent",
        torrent("Cloud", &["x.bin"], 2),
    )
    .await;
    let first = add_here(
        &desktop,
        dir.path(),
        "c.torrent",
        torrent("same", &["a.bin"], 3),
    )
    .await;
    let second = add_here(
        &desktop,
        dir.path(),
        "d.torrent",
        torrent("same", &["a.bin"], 4),
    )
    .await;

    assert_eq!(
        names_in(&downloads),
        [
            "Cloud",
            "Cloud (2)",
            "notes.txt",
            "notes.txt (2)",
            "same",
            "same (2)"
        ]
    );
    assert_eq!(
        std::fs::read(downloads.join("notes.txt")).expect("user file"),
        b"the user's own file"
    );
    assert_eq!(
        names_in(&settings.sync_dir),
        ["synced.bin"],
        "nothing landed in the sync folder"
    );
    for (key, folder) in [
        (&notes, "notes.txt (2)"),
        (&cloud, "Cloud (2)"),
        (&first, "same"),
        (&second, "same (2)"),
    ] {
        assert_eq!(
            desktop.job_folder(key).await.expect("folder").file_name(),
            Some(std::ffi::OsStr::new(folder)),
            "{key}"
        );
    }
    assert_eq!(
        desktop
            .jobs()
            .iter()
            .filter(|job| job.place == JobPlace::Local)
            .count(),
        4
    );

    desktop.delete_job(&notes, true).await.expect("delete");
    desktop.delete_job(&second, true).await.expect("delete");
    assert_eq!(
        names_in(&downloads),
        ["Cloud", "Cloud (2)", "notes.txt", "same"]
    );
    assert_eq!(names_in(&settings.sync_dir), ["synced.bin"]);

    // A download's folder goes with it when deleted with its files: the sync folder may not
    // move into one.
    let mut moved = desktop.settings();
    moved.sync_dir = downloads.join("same").join("Cloud");
    let refused = desktop
        .save_settings(moved)
        .await
        .expect_err("a sync folder inside a download's folder");
    assert!(refused.to_string().contains("\"same\""), "{refused}");
    assert_eq!(desktop.settings().sync_dir, settings.sync_dir);
    desktop.shutdown().await;
}
