//! A job as qBittorrent's `torrents/info`, `torrents/properties` and `torrents/files` describe a
//! torrent. The state follows the local copy, not the cloud: a torrent is downloading until its
//! verified copy is in the folder, then `pausedUP` with its ratio at its limit, which is what
//! tells Sonarr and Radarr that it may be imported and removed.

use crate::client::{CopyState, Torrent};
use serde::Serialize;
use serde_json::{json, Value};
use tseeder_protocol::{JobFile, JobStatus};

/// qBittorrent's "no estimate".
const ETA_UNKNOWN: u64 = 8_640_000;

pub fn state(torrent: &Torrent) -> &'static str {
    match torrent.copy.as_ref().map(|c| c.state) {
        Some(CopyState::Done) => return "pausedUP",
        Some(CopyState::Failed) => return "error",
        _ => {}
    }
    let Some(cloud) = &torrent.cloud else {
        return "missingFiles";
    };
    match cloud.job.status {
        JobStatus::Failed | JobStatus::Cancelled => "error",
        JobStatus::Paused => "pausedDL",
        JobStatus::Submitted | JobStatus::Queued => "queuedDL",
        JobStatus::Metadata => "metaDL",
        JobStatus::Downloading | JobStatus::Uploading | JobStatus::Completed => "downloading",
    }
}

/// Bytes of the selected files, when known.
pub fn size(torrent: &Torrent) -> u64 {
    let copied = torrent.copy.as_ref().map_or(0, |c| c.total_bytes);
    let cloud = torrent.cloud.as_ref().and_then(|c| {
        c.job
            .total_bytes
            .or(c.progress.as_ref().and_then(|p| p.total_bytes))
    });
    cloud.unwrap_or(copied).max(copied)
}

/// The cloud's download and the local copy, half each; 1 only once the copy is verified.
pub fn progress(torrent: &Torrent) -> f64 {
    if torrent.copy.as_ref().map(|c| c.state) == Some(CopyState::Done) {
        return 1.0;
    }
    let cloud = torrent.cloud.as_ref().map_or(0.0, |live| {
        if live.job.status == JobStatus::Completed {
            return 1.0;
        }
        let downloaded = live
            .progress
            .as_ref()
            .map_or(0, |p| p.downloaded_bytes)
            .max(live.job.downloaded_bytes);
        fraction(downloaded, size(torrent))
    });
    let copied = torrent
        .copy
        .as_ref()
        .map_or(0.0, |c| fraction(c.received_bytes, c.total_bytes));
    ((cloud + copied) / 2.0).min(0.999)
}

fn fraction(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        (part as f64 / whole as f64).clamp(0.0, 1.0)
    }
}

fn done(torrent: &Torrent) -> bool {
    torrent.copy.as_ref().map(|c| c.state) == Some(CopyState::Done)
}

fn completion_on(torrent: &Torrent) -> i64 {
    torrent
        .cloud
        .as_ref()
        .and_then(|c| c.job.completed_at)
        .filter(|_| done(torrent))
        .map_or(if done(torrent) { torrent.added_on } else { -1 }, |at| {
            at.timestamp()
        })
}

fn path_text(path: &std::path::Path) -> String {
    path.to_string_lossy().into_owned()
}

/// One entry of `torrents/info`, with the fields qBittorrent 5.1 sends; the ones a cloud job
/// has no equivalent for carry qBittorrent's own "none" values.
#[derive(Debug, Serialize)]
pub struct TorrentInfo {
    pub hash: String,
    pub infohash_v1: String,
    pub infohash_v2: String,
    pub name: String,
    pub size: u64,
    pub total_size: u64,
    pub progress: f64,
    pub dlspeed: u64,
    pub upspeed: u64,
    pub priority: i64,
    pub num_seeds: u32,
    pub num_complete: u32,
    pub num_leechs: u32,
    pub num_incomplete: u32,
    pub ratio: f64,
    pub ratio_limit: f64,
    pub max_ratio: f64,
    pub seeding_time_limit: i64,
    pub max_seeding_time: i64,
    pub inactive_seeding_time_limit: i64,
    pub eta: u64,
    pub state: &'static str,
    pub category: String,
    pub tags: String,
    pub save_path: String,
    pub content_path: String,
    pub root_path: String,
    pub download_path: String,
    pub added_on: i64,
    pub completion_on: i64,
    pub last_activity: i64,
    pub amount_left: u64,
    pub completed: u64,
    pub downloaded: u64,
    pub uploaded: u64,
    pub downloaded_session: u64,
    pub uploaded_session: u64,
    pub dl_limit: i64,
    pub up_limit: i64,
    pub seeding_time: i64,
    pub time_active: i64,
    pub availability: i64,
    pub seq_dl: bool,
    pub f_l_piece_prio: bool,
    pub force_start: bool,
    pub super_seeding: bool,
    pub auto_tmm: bool,
    pub private: bool,
    pub has_metadata: bool,
    pub magnet_uri: String,
    pub tracker: String,
    pub trackers_count: u32,
    pub reannounce: i64,
    pub popularity: f64,
}

pub fn info(torrent: &Torrent) -> TorrentInfo {
    let size = size(torrent);
    let progress = progress(torrent);
    let finished = done(torrent);
    let live = torrent.cloud.as_ref().and_then(|c| c.progress.clone());
    let state = state(torrent);
    let dlspeed = live
        .as_ref()
        .filter(|_| state == "downloading")
        .map_or(0, |p| p.download_speed);
    let eta = if finished {
        0
    } else {
        live.as_ref()
            .and_then(|p| p.eta_seconds)
            .unwrap_or(ETA_UNKNOWN)
    };
    let peers = live.as_ref().map_or(0, |p| p.peers);
    let amount_left = if finished {
        0
    } else {
        size - (size as f64 * progress) as u64
    };
    let job = torrent.cloud.as_ref().map(|c| &c.job);
    TorrentInfo {
        hash: torrent.hash.clone(),
        infohash_v1: job
            .and_then(|j| j.info_hash_v1.clone())
            .unwrap_or_else(|| torrent.hash.clone()),
        infohash_v2: job.and_then(|j| j.info_hash_v2.clone()).unwrap_or_default(),
        name: torrent.name.clone(),
        size,
        total_size: size,
        progress,
        dlspeed,
        upspeed: 0,
        priority: 0,
        num_seeds: peers,
        num_complete: peers,
        num_leechs: 0,
        num_incomplete: 0,
        ratio: if finished { 1.0 } else { 0.0 },
        ratio_limit: 1.0,
        max_ratio: 1.0,
        seeding_time_limit: -2,
        max_seeding_time: -1,
        inactive_seeding_time_limit: -2,
        eta,
        state,
        category: torrent.category.clone(),
        tags: String::new(),
        save_path: path_text(&torrent.save_path),
        content_path: path_text(&torrent.content_path),
        root_path: path_text(&torrent.content_path),
        download_path: String::new(),
        added_on: torrent.added_on,
        completion_on: completion_on(torrent),
        last_activity: torrent.added_on,
        amount_left,
        completed: size - amount_left,
        downloaded: size - amount_left,
        uploaded: if finished { size } else { 0 },
        downloaded_session: 0,
        uploaded_session: 0,
        dl_limit: -1,
        up_limit: -1,
        seeding_time: 0,
        time_active: 0,
        availability: -1,
        seq_dl: false,
        f_l_piece_prio: false,
        force_start: false,
        super_seeding: false,
        auto_tmm: false,
        private: false,
        has_metadata: size > 0,
        magnet_uri: job.and_then(|j| j.magnet.clone()).unwrap_or_default(),
        tracker: String::new(),
        trackers_count: 0,
        reannounce: 0,
        popularity: 0.0,
    }
}

/// `torrents/properties`: what a client reads right after an add, and for the save path.
#[derive(Debug, Serialize)]
pub struct Properties {
    pub hash: String,
    pub infohash_v1: String,
    pub infohash_v2: String,
    pub name: String,
    pub save_path: String,
    pub download_path: String,
    pub creation_date: i64,
    pub piece_size: i64,
    pub pieces_have: i64,
    pub pieces_num: i64,
    pub comment: String,
    pub created_by: String,
    pub is_private: bool,
    #[serde(rename = "isPrivate")]
    pub is_private_v5: bool,
    pub has_metadata: bool,
    pub total_size: u64,
    pub total_downloaded: u64,
    pub total_uploaded: u64,
    pub total_wasted: u64,
    pub share_ratio: f64,
    pub dl_speed: u64,
    pub up_speed: u64,
    pub dl_limit: i64,
    pub up_limit: i64,
    pub eta: u64,
    pub time_elapsed: i64,
    pub seeding_time: i64,
    pub nb_connections: u32,
    pub peers: u32,
    pub peers_total: u32,
    pub seeds: u32,
    pub seeds_total: u32,
    pub addition_date: i64,
    pub completion_date: i64,
    pub last_seen: i64,
    pub reannounce: i64,
}

pub fn properties(torrent: &Torrent) -> Properties {
    let info = info(torrent);
    Properties {
        hash: info.hash,
        infohash_v1: info.infohash_v1,
        infohash_v2: info.infohash_v2,
        name: info.name,
        save_path: info.save_path,
        download_path: String::new(),
        creation_date: -1,
        piece_size: -1,
        pieces_have: -1,
        pieces_num: -1,
        comment: String::new(),
        created_by: String::new(),
        is_private: false,
        is_private_v5: false,
        has_metadata: info.has_metadata,
        total_size: info.total_size,
        total_downloaded: info.downloaded,
        total_uploaded: info.uploaded,
        total_wasted: 0,
        share_ratio: info.ratio,
        dl_speed: info.dlspeed,
        up_speed: 0,
        dl_limit: -1,
        up_limit: -1,
        eta: info.eta,
        time_elapsed: 0,
        seeding_time: 0,
        nb_connections: info.num_seeds,
        peers: 0,
        peers_total: 0,
        seeds: info.num_seeds,
        seeds_total: info.num_seeds,
        addition_date: info.added_on,
        completion_date: info.completion_on,
        last_seen: -1,
        reannounce: 0,
    }
}

/// `torrents/files`: the cloud's file list, each file's progress the torrent's.
pub fn files(torrent: &Torrent, files: &[JobFile]) -> Value {
    let progress = progress(torrent);
    Value::Array(
        files
            .iter()
            .map(|file| {
                json!({
                    "index": file.index,
                    "name": file.path,
                    "size": file.size,
                    "progress": if file.selected { progress } else { 0.0 },
                    "priority": if file.selected { 1 } else { 0 },
                    "is_seed": file.selected && done(torrent),
                    "piece_range": [0, 0],
                    "availability": -1,
                })
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::LocalCopy;
    use std::path::PathBuf;
    use tseeder_protocol::{Job, JobLive, JobSource, LiveProgress};

    fn torrent(status: JobStatus, copy: Option<(CopyState, u64)>) -> Torrent {
        let now = chrono::Utc::now();
        Torrent {
            hash: "ab".repeat(20),
            job_id: "job".into(),
            name: "Show.S01E01".into(),
            category: "tv".into(),
            save_path: PathBuf::from("/media/tv"),
            content_path: PathBuf::from("/media/tv/Show.S01E01"),
            cloud: Some(JobLive {
                job: Job {
                    id: "job".into(),
                    name: "Show.S01E01".into(),
                    org_id: "org_user".into(),
                    owner_id: "user".into(),
                    status,
                    dead_lettered: false,
                    source: JobSource::Magnet,
                    info_hash_v1: Some("ab".repeat(20)),
                    info_hash_v2: None,
                    magnet: None,
                    total_bytes: Some(1000),
                    downloaded_bytes: 500,
                    error: None,
                    attempts: 1,
                    region: None,
                    device_id: None,
                    created_at: now,
                    updated_at: now,
                    completed_at: None,
                },
                progress: Some(LiveProgress {
                    downloaded_bytes: 500,
                    total_bytes: Some(1000),
                    ..LiveProgress::default()
                }),
            }),
            copy: copy.map(|(state, received)| LocalCopy {
                state,
                received_bytes: received,
                total_bytes: 1000,
                error: None,
                content_path: None,
            }),
            added_on: now.timestamp(),
        }
    }

    #[test]
    fn a_torrent_is_downloading_until_its_local_copy_is_verified() {
        let half_in_cloud = torrent(JobStatus::Downloading, None);
        assert_eq!(state(&half_in_cloud), "downloading");
        assert!((progress(&half_in_cloud) - 0.25).abs() < 1e-9);

        let finished_in_cloud = torrent(JobStatus::Completed, None);
        assert_eq!(state(&finished_in_cloud), "downloading");
        assert!((progress(&finished_in_cloud) - 0.5).abs() < 1e-9);

        let copying = torrent(JobStatus::Completed, Some((CopyState::Syncing, 1000)));
        assert_eq!(state(&copying), "downloading");
        assert!(
            progress(&copying) < 1.0,
            "never 1 before the copy is verified"
        );
        assert_eq!(info(&copying).ratio, 0.0);

        let copied = torrent(JobStatus::Completed, Some((CopyState::Done, 1000)));
        assert_eq!(state(&copied), "pausedUP");
        assert_eq!(progress(&copied), 1.0);
        let shown = info(&copied);
        assert_eq!(shown.ratio, shown.ratio_limit);
        assert_eq!(shown.amount_left, 0);
        assert_ne!(shown.content_path, shown.save_path);
    }

    #[test]
    fn failures_and_pauses_show_as_qbittorrent_names_them() {
        assert_eq!(state(&torrent(JobStatus::Failed, None)), "error");
        assert_eq!(state(&torrent(JobStatus::Cancelled, None)), "error");
        assert_eq!(state(&torrent(JobStatus::Paused, None)), "pausedDL");
        assert_eq!(state(&torrent(JobStatus::Queued, None)), "queuedDL");
        assert_eq!(state(&torrent(JobStatus::Metadata, None)), "metaDL");
        assert_eq!(
            state(&torrent(JobStatus::Completed, Some((CopyState::Failed, 0)))),
            "error"
        );
        let mut gone = torrent(JobStatus::Completed, Some((CopyState::Waiting, 10)));
        gone.cloud = None;
        assert_eq!(state(&gone), "missingFiles");
    }
}
