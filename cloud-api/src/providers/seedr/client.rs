//! Seedr.cc's REST API v1 as this service uses it: HTTP Basic auth with the operator's account,
//! transfers added by magnet or .torrent upload, the account's folders read for progress and
//! files, files downloaded with Range, folders deleted once copied.

use crate::config::SeedrSettings;
use serde::Deserialize;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum SeedrError {
    #[error("Seedr refused the account's credentials (providers.seedr.email and password)")]
    Unauthorized,
    #[error("Seedr has no room for this transfer: the account is full ({0})")]
    NotEnoughSpace(String),
    #[error("Seedr refused the transfer: {0}")]
    Refused(String),
    /// Worth another try later: Seedr did not answer, or answered 5xx.
    #[error("Seedr is unreachable or failing: {0}")]
    Unavailable(String),
    #[error("Seedr answered something this service does not understand: {0}")]
    Protocol(String),
    #[error("no Seedr account is configured (providers.seedr.email and password)")]
    NotConfigured,
}

impl SeedrError {
    pub fn is_transient(&self) -> bool {
        matches!(self, SeedrError::Unavailable(_))
    }
}

/// Seedr writes numbers as numbers or strings, depending on the field and the day.
fn loose_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    let value = serde_json::Value::deserialize(d)?;
    Ok(match value {
        serde_json::Value::Number(n) => n.as_f64().unwrap_or(0.0),
        serde_json::Value::String(s) => s.trim().parse().unwrap_or(0.0),
        _ => 0.0,
    })
}

#[derive(Debug, Clone, Deserialize)]
pub struct Added {
    pub user_torrent_id: i64,
    #[serde(default)]
    pub title: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Torrent {
    pub id: i64,
    #[serde(default)]
    pub name: String,
    #[serde(default, deserialize_with = "loose_number")]
    pub size: f64,
    #[serde(default)]
    pub hash: String,
    /// Percent, 0 to 100.
    #[serde(default, deserialize_with = "loose_number")]
    pub progress: f64,
    #[serde(default, deserialize_with = "loose_number")]
    pub download_rate: f64,
    #[serde(default)]
    pub warnings: Option<String>,
    #[serde(default, deserialize_with = "loose_number")]
    pub stopped: f64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct FolderEntry {
    pub id: i64,
    #[serde(default)]
    pub name: String,
    #[serde(default, deserialize_with = "loose_number")]
    pub size: f64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct FileEntry {
    /// What `/rest/file/{id}` takes.
    #[serde(alias = "folder_file_id")]
    pub id: i64,
    pub name: String,
    #[serde(deserialize_with = "loose_number")]
    pub size: f64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Folder {
    #[serde(default)]
    pub id: i64,
    #[serde(default)]
    pub name: String,
    #[serde(default, deserialize_with = "loose_number")]
    pub space_max: f64,
    #[serde(default, deserialize_with = "loose_number")]
    pub space_used: f64,
    #[serde(default)]
    pub folders: Vec<FolderEntry>,
    #[serde(default)]
    pub files: Vec<FileEntry>,
    #[serde(default)]
    pub torrents: Vec<Torrent>,
}

/// What `/rest/transfer/*` answers: `result` is `true`, or a word saying why not.
#[derive(Debug, Deserialize)]
struct TransferAnswer {
    #[serde(default)]
    result: serde_json::Value,
    #[serde(default)]
    user_torrent_id: Option<i64>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    error: Option<String>,
}

#[derive(Debug, Clone)]
pub struct SeedrClient {
    http: reqwest::Client,
    /// Every call but a file's download ends within this.
    limit: Duration,
    rest: String,
    email: String,
    password: String,
}

impl SeedrClient {
    pub fn new(settings: &SeedrSettings) -> Result<SeedrClient, SeedrError> {
        let (Some(email), Some(password)) = (&settings.email, &settings.password) else {
            return Err(SeedrError::NotConfigured);
        };
        let limit = Duration::from_secs(settings.request_timeout_seconds.max(1));
        // A file's body may take hours; what must not last is silence.
        let http = reqwest::Client::builder()
            .read_timeout(limit)
            .connect_timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::limited(3))
            .build()
            .map_err(|err| SeedrError::Protocol(err.to_string()))?;
        Ok(SeedrClient {
            http,
            rest: format!("{}/rest", settings.base_url.trim_end_matches('/')),
            limit,
            email: email.clone(),
            password: password.expose().to_owned(),
        })
    }

    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.rest))
            .basic_auth(&self.email, Some(&self.password))
    }

    async fn send(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, SeedrError> {
        let response = request
            .send()
            .await
            .map_err(|err| SeedrError::Unavailable(err.without_url().to_string()))?;
        let status = response.status();
        if status == reqwest::StatusCode::UNAUTHORIZED || status == reqwest::StatusCode::FORBIDDEN {
            return Err(SeedrError::Unauthorized);
        }
        if status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS {
            return Err(SeedrError::Unavailable(format!("HTTP {status}")));
        }
        if !status.is_success() && status != reqwest::StatusCode::PARTIAL_CONTENT {
            let body = response.text().await.unwrap_or_default();
            return Err(SeedrError::Refused(format!(
                "HTTP {status}: {}",
                body.chars().take(200).collect::<String>()
            )));
        }
        Ok(response)
    }

    async fn json<T: serde::de::DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<T, SeedrError> {
        self.send(request.timeout(self.limit))
            .await?
            .json()
            .await
            .map_err(|err| SeedrError::Protocol(err.without_url().to_string()))
    }

    /// The account's top folder: its space, its folders and its running transfers.
    pub async fn root(&self) -> Result<Folder, SeedrError> {
        self.json(self.request(reqwest::Method::GET, "/folder"))
            .await
    }

    pub async fn folder(&self, id: i64) -> Result<Folder, SeedrError> {
        self.json(self.request(reqwest::Method::GET, &format!("/folder/{id}")))
            .await
    }

    pub async fn add_magnet(&self, magnet: &str) -> Result<Added, SeedrError> {
        let request = self
            .request(reqwest::Method::POST, "/transfer/magnet")
            .form(&[("magnet", magnet)]);
        added(self.json(request).await?)
    }

    pub async fn add_torrent(&self, torrent: Vec<u8>) -> Result<Added, SeedrError> {
        let part = reqwest::multipart::Part::bytes(torrent)
            .file_name("job.torrent")
            .mime_str("application/x-bittorrent")
            .map_err(|err| SeedrError::Protocol(err.to_string()))?;
        let request = self
            .request(reqwest::Method::POST, "/transfer/file")
            .multipart(reqwest::multipart::Form::new().part("file", part));
        added(self.json(request).await?)
    }

    /// A file's bytes from `offset` on.
    pub async fn download(
        &self,
        file_id: i64,
        offset: u64,
    ) -> Result<reqwest::Response, SeedrError> {
        let mut request = self.request(reqwest::Method::GET, &format!("/file/{file_id}"));
        if offset > 0 {
            request = request.header(reqwest::header::RANGE, format!("bytes={offset}-"));
        }
        let response = self.send(request).await?;
        if offset > 0 && response.status() != reqwest::StatusCode::PARTIAL_CONTENT {
            return Err(SeedrError::Protocol(format!(
                "asked for bytes from {offset}, got HTTP {}",
                response.status()
            )));
        }
        Ok(response)
    }

    pub async fn delete_folder(&self, id: i64) -> Result<(), SeedrError> {
        self.send(
            self.request(reqwest::Method::DELETE, &format!("/folder/{id}"))
                .timeout(self.limit),
        )
        .await
        .map(drop)
    }

    pub async fn delete_torrent(&self, id: i64) -> Result<(), SeedrError> {
        self.send(
            self.request(reqwest::Method::DELETE, &format!("/torrent/{id}"))
                .timeout(self.limit),
        )
        .await
        .map(drop)
    }
}

fn added(answer: TransferAnswer) -> Result<Added, SeedrError> {
    match (&answer.result, answer.user_torrent_id) {
        (serde_json::Value::Bool(true), Some(id)) => Ok(Added {
            user_torrent_id: id,
            title: answer.title.unwrap_or_default(),
        }),
        (serde_json::Value::String(word), _) if word.contains("not_enough_space") => {
            Err(SeedrError::NotEnoughSpace(word.clone()))
        }
        (serde_json::Value::String(word), _) => Err(SeedrError::Refused(word.clone())),
        _ => Err(SeedrError::Refused(
            answer
                .error
                .unwrap_or_else(|| "the transfer was not added".into()),
        )),
    }
}
