//! Copying a finished Seedr folder into our store: its files listed with their paths, matched
//! to the job's chosen files, each downloaded with Range resume into the data folder, checked
//! for size, and put into the object store (multipart for large files).

use super::client::{SeedrClient, SeedrError};
use futures_util::StreamExt;
use std::path::Path;
use tokio::io::AsyncWriteExt;

/// Folders nest no deeper than this in a torrent worth copying.
const MAX_DEPTH: usize = 16;

/// A file in a Seedr folder, by its path below the folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedrFile {
    pub id: i64,
    pub path: String,
    pub size: u64,
}

/// Every file below folder `id`, with paths relative to it.
pub async fn list_files(client: &SeedrClient, id: i64) -> Result<Vec<SeedrFile>, SeedrError> {
    let mut files = Vec::new();
    let mut pending = vec![(id, String::new(), 0usize)];
    while let Some((folder_id, prefix, depth)) = pending.pop() {
        let folder = client.folder(folder_id).await?;
        for file in folder.files {
            files.push(SeedrFile {
                id: file.id,
                path: format!("{prefix}{}", file.name),
                size: file.size.max(0.0) as u64,
            });
        }
        if depth < MAX_DEPTH {
            for sub in folder.folders {
                pending.push((sub.id, format!("{prefix}{}/", sub.name), depth + 1));
            }
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

/// Whether the job's file (its path in the torrent, which may start with the torrent's name)
/// is this Seedr file (its path below the folder named after the torrent).
pub fn same_file(job_path: &str, seedr_path: &str) -> bool {
    job_path == seedr_path
        || job_path
            .strip_suffix(seedr_path)
            .is_some_and(|head| head.ends_with('/'))
}

/// Downloads `file` into `partial`, resuming from what is there, and checks its size.
pub async fn download(
    client: &SeedrClient,
    file: &SeedrFile,
    partial: &Path,
) -> Result<(), SeedrError> {
    let local = |err: std::io::Error| SeedrError::Protocol(format!("local file: {err}"));
    let have = match tokio::fs::metadata(partial).await {
        Ok(meta) if meta.len() <= file.size => meta.len(),
        Ok(_) => {
            tokio::fs::remove_file(partial).await.map_err(local)?;
            0
        }
        Err(_) => 0,
    };
    if have < file.size {
        let response = client.download(file.id, have).await?;
        let mut out = tokio::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(partial)
            .await
            .map_err(local)?;
        let mut written = have;
        let mut body = response.bytes_stream();
        while let Some(chunk) = body.next().await {
            let chunk =
                chunk.map_err(|err| SeedrError::Unavailable(err.without_url().to_string()))?;
            written += chunk.len() as u64;
            if written > file.size {
                return Err(SeedrError::Protocol(format!(
                    "{} is longer than the {} bytes Seedr listed",
                    file.path, file.size
                )));
            }
            out.write_all(&chunk).await.map_err(local)?;
        }
        out.flush().await.map_err(local)?;
    }
    let got = tokio::fs::metadata(partial).await.map_err(local)?.len();
    if got != file.size {
        // An interrupted body: the next try resumes from here.
        return Err(SeedrError::Unavailable(format!(
            "{} stopped at {got} of {} bytes",
            file.path, file.size
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_paths_match_seedr_paths_below_the_torrents_folder() {
        assert!(same_file("Show/ep1.mkv", "ep1.mkv"));
        assert!(same_file("Show/sub/ep1.mkv", "sub/ep1.mkv"));
        assert!(same_file("single.iso", "single.iso"));
        assert!(!same_file("Show/xep1.mkv", "ep1.mkv"));
        assert!(!same_file("Show/ep1.mkv", "ep2.mkv"));
    }
}
