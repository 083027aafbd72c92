//! The user's settings for the desktop app: defaults in code, kept as one JSON value in the app's
//! SQLite file, and checked whenever they change so a bad value is refused with a clear message.

use crate::destination::Remembered;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DesktopSettings {
    /// Where the tseeder cloud API is served.
    pub cloud_url: String,
    /// Where downloads on this computer go.
    pub download_dir: PathBuf,
    /// Where finished cloud jobs are copied.
    pub sync_dir: PathBuf,
    pub default_destination: Remembered,
    /// Add links and files to `default_destination` without showing the Add dialog. Off by
    /// default: any web page can open a link, and only the user may let that start a download.
    pub add_without_asking: bool,
    /// Copy finished cloud jobs into `sync_dir` (each job can opt out).
    pub sync_enabled: bool,
    /// Delete the cloud copy once a job's files are synced and verified.
    pub delete_cloud_after_sync: bool,
    /// KiB/s; 0 means no limit.
    pub download_limit_kib: u32,
    pub upload_limit_kib: u32,
    pub sync_limit_kib: u32,
    pub start_at_login: bool,
    /// While the app runs and the user is signed in, this computer takes the jobs the user sends
    /// to it from the web console or the extension.
    pub personal_agent: bool,
    pub notifications: bool,
}

impl DesktopSettings {
    /// Defaults for a user whose downloads folder is `downloads`.
    pub fn defaults_for(downloads: &Path) -> DesktopSettings {
        DesktopSettings {
            cloud_url: "http://127.0.0.1:8080".into(),
            download_dir: downloads.join("tseeder"),
            sync_dir: downloads.join("tseeder").join("Cloud"),
            default_destination: Remembered::Ask,
            add_without_asking: false,
            sync_enabled: true,
            delete_cloud_after_sync: false,
            download_limit_kib: 0,
            upload_limit_kib: 0,
            sync_limit_kib: 0,
            start_at_login: false,
            personal_agent: true,
            notifications: true,
        }
    }

    /// Refuses what cannot work; trims and normalises the cloud URL (or the comma-separated
    /// URLs of several control-plane replicas, tried in turn when one cannot be reached).
    pub fn checked(mut self) -> Result<DesktopSettings, String> {
        let urls: Vec<String> = self
            .cloud_url
            .split(',')
            .map(str::trim)
            .filter(|url| !url.is_empty())
            .map(checked_cloud_url)
            .collect::<Result<_, _>>()?;
        if urls.is_empty() {
            return Err("The cloud URL must be a full http:// or https:// address.".into());
        }
        self.cloud_url = urls.join(",");
        for (label, dir) in [("download", &self.download_dir), ("sync", &self.sync_dir)] {
            if !dir.is_absolute() {
                return Err(format!("The {label} folder must be an absolute path."));
            }
        }
        // The sync folder may sit inside the download folder (each download makes a fresh folder
        // of its own, which can never be it), but downloads must never land inside synced files.
        if self.download_dir.starts_with(&self.sync_dir) {
            return Err("The download folder cannot be the sync folder or inside it.".into());
        }
        const MAX_KIB: u32 = 4 * 1024 * 1024;
        for limit in [
            self.download_limit_kib,
            self.upload_limit_kib,
            self.sync_limit_kib,
        ] {
            if limit > MAX_KIB {
                return Err("A speed limit is at most 4 GiB/s (0 for none).".into());
            }
        }
        Ok(self)
    }
}

/// One control-plane address, normalised; the API key crosses it, so plain http only to this
/// computer itself.
fn checked_cloud_url(text: &str) -> Result<String, String> {
    let url = url::Url::parse(text)
        .map_err(|_| "The cloud URL must be a full http:// or https:// address.".to_owned())?;
    if !matches!(url.scheme(), "http" | "https")
        || url.host_str().is_none_or(str::is_empty)
        || !url.username().is_empty()
        || url.password().is_some()
        || url.query().is_some()
    {
        return Err("The cloud URL must be a plain http:// or https:// address.".into());
    }
    let loopback = match url.host() {
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    if url.scheme() == "http" && !loopback {
        return Err("The cloud URL must be https:// (plain http:// only to this computer).".into());
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

impl Default for DesktopSettings {
    fn default() -> Self {
        DesktopSettings::defaults_for(Path::new("/tmp"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_good_url_is_normalised_and_bad_values_are_refused() {
        let base = DesktopSettings::defaults_for(Path::new("/home/ann/Downloads"));
        let ok = DesktopSettings {
            cloud_url: " https://cloud.example.org/ ".into(),
            ..base.clone()
        }
        .checked()
        .expect("valid");
        assert_eq!(ok.cloud_url, "https://cloud.example.org");
        let replicas = DesktopSettings {
            cloud_url: " https://a.example.org/ , https://b.example.org".into(),
            ..base.clone()
        }
        .checked()
        .expect("several replicas");
        assert_eq!(
            replicas.cloud_url,
            "https://a.example.org,https://b.example.org"
        );
        for url in [
            "ftp://x",
            "javascript:alert(1)",
            "https://u:p@x.org",
            "nothing",
            "http://x.org/?a=1",
            "http://cloud.example.org",
            "http://10.0.0.5:8080",
            "https://a.example.org,http://10.0.0.5:8080",
            " , ",
        ] {
            let bad = DesktopSettings {
                cloud_url: url.into(),
                ..base.clone()
            };
            assert!(bad.checked().is_err(), "{url}");
        }
        let relative = DesktopSettings {
            sync_dir: "Cloud".into(),
            ..base.clone()
        };
        assert!(relative
            .checked()
            .expect_err("relative")
            .contains("sync folder"));
        for local in [
            "http://127.0.0.1:8080",
            "http://localhost:8080",
            "http://[::1]:8080",
        ] {
            let ok = DesktopSettings {
                cloud_url: local.into(),
                ..base.clone()
            };
            assert!(ok.checked().is_ok(), "{local}");
        }
        let inside_sync = DesktopSettings {
            download_dir: base.sync_dir.join("more"),
            ..base.clone()
        };
        assert!(inside_sync
            .checked()
            .expect_err("inside")
            .contains("sync folder"));
        let fast = DesktopSettings {
            sync_limit_kib: u32::MAX,
            ..base
        };
        assert!(fast.checked().is_err());
    }

    #[test]
    fn a_partial_stored_value_keeps_the_other_defaults() {
        let stored: DesktopSettings =
            serde_json::from_str(r#"{"syncEnabled": false}"#).expect("partial json");
        assert!(!stored.sync_enabled);
        assert!(stored.personal_agent);
    }
}
