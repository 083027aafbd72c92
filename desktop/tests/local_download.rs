//! Downloads on this computer with a real swarm on 127.0.0.1 (Debian's aria2c seeding a torrent
//! made by mktorrent): a `tseeder://add?…&dest=local` link opens the Add dialog with this
//! computer preselected and downloads nothing until the user confirms; then the app stops
//! mid-download, and the reopened app resumes the job and finishes it with the right bytes.

mod support;

use std::time::Duration;
use swarm::{sha256_of_file, SeedOptions, Seeder};
use tseeder_desktop::destination::{Decision, Destination};
use tseeder_desktop::{Desktop, DesktopJob, JobPlace};
use tseeder_protocol::JobStatus;
use tseeder_testkit::swarm;

fn local_job(desktop: &Desktop) -> Option<DesktopJob> {
    desktop
        .jobs()
        .into_iter()
        .find(|job| job.place == JobPlace::Local)
}

async fn wait_for(what: &str, mut probe: impl FnMut() -> bool) {
    for _ in 0..600 {
        if probe() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for {what}");
}

#[tokio::test]
async fn a_local_download_survives_a_restart_and_finishes_with_the_right_bytes() {
    let seeder = Seeder::start(SeedOptions {
        name: "local-sample.bin",
        files: &[("local-sample.bin", 4 * 1024 * 1024)],
        upload_limit: Some("1M"),
        ..SeedOptions::default()
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let desktop = support::open_desktop(dir.path(), 30).await;
    let link = format!(
        "tseeder://add?uri={}&dest=local",
        percent_encoding::utf8_percent_encode(&seeder.magnet(), percent_encoding::NON_ALPHANUMERIC)
    );
    let add = desktop.receive_link(&link).await.expect("link");

    // The link only preselects: the dialog shows the files (metadata comes from the swarm) and
    // nothing downloads until the user says so.
    assert_eq!(
        add.decision,
        Decision::Ask {
            suggested: Destination::Local,
            note: None
        }
    );
    assert!(
        local_job(&desktop).is_none(),
        "nothing starts before the user confirms"
    );
    support::add_here_when_ready(&desktop, &add.id).await;
    wait_for("some bytes on this computer", || {
        local_job(&desktop).is_some_and(|job| job.downloaded_bytes > 0)
    })
    .await;
    assert!(desktop.pending_adds().is_empty(), "the dialog is done");
    let before = local_job(&desktop).expect("job");
    assert_ne!(
        before.status,
        JobStatus::Completed,
        "the seeder is slower than that"
    );
    desktop.shutdown().await;
    drop(desktop);

    let desktop = support::open_desktop(dir.path(), 30).await;
    let listed = local_job(&desktop).expect("the job is listed after the restart");
    assert_eq!(listed.key, before.key);
    wait_for("the resumed download to finish", || {
        local_job(&desktop).is_some_and(|job| job.status == JobStatus::Completed)
    })
    .await;
    let file = dir
        .path()
        .join("Downloads")
        .join("tseeder")
        // The download's own folder, then its file.
        .join("local-sample.bin")
        .join("local-sample.bin");
    assert_eq!(sha256_of_file(&file), seeder.files[0].sha256);
    desktop.shutdown().await;
}
