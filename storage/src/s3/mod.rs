//! An S3-compatible store spoken to with reqwest and signed with aws-sigv4: single and multipart
//! uploads, presigned downloads, head, delete and listing. Path-style and virtual-host URLs.

mod multipart;
mod xml;

use crate::{ObjectInfo, ObjectKey, StorageError};
use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    sign, PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest,
    SignatureLocation, SigningSettings, UriPathNormalizationMode,
};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use bytes::Bytes;
use reqwest::Method;
use sha2::{Digest, Sha256};
use std::path::Path;
use std::time::{Duration, SystemTime};
use url::Url;

#[derive(Clone, serde::Deserialize, serde::Serialize)]
#[serde(default)]
pub struct S3Config {
    /// `https://s3.eu-west-1.amazonaws.com`, `https://<account>.r2.cloudflarestorage.com`,
    /// `http://127.0.0.1:3900`…
    pub endpoint: String,
    pub region: String,
    pub bucket: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    /// `endpoint/bucket/key` when true, `bucket.endpoint/key` when false.
    pub path_style: bool,
    /// Bytes per multipart part; S3 needs at least 5 MiB for all parts but the last.
    pub part_size: usize,
    /// Parts in flight at once; memory use is about `part_size × parallel_parts`.
    pub parallel_parts: usize,
    /// Tries per request before a transient failure becomes an error.
    pub max_attempts: u32,
    /// Whether upload bodies are covered by the signature (a SHA-256 of every byte, computed by
    /// both ends). Unset: only over plain HTTP to another machine; over HTTPS or to this machine
    /// bodies go as `UNSIGNED-PAYLOAD` with a signed CRC32 that the server checks, as the AWS SDKs
    /// do over TLS.
    pub sign_payload: Option<bool>,
}

impl Default for S3Config {
    fn default() -> Self {
        S3Config {
            endpoint: String::new(),
            region: "us-east-1".into(),
            bucket: String::new(),
            access_key_id: String::new(),
            secret_access_key: String::new(),
            path_style: true,
            part_size: 8 * 1024 * 1024,
            parallel_parts: 8,
            max_attempts: 4,
            sign_payload: None,
        }
    }
}

impl std::fmt::Debug for S3Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Config")
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("bucket", &self.bucket)
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"[redacted]")
            .field("path_style", &self.path_style)
            .field("part_size", &self.part_size)
            .field("parallel_parts", &self.parallel_parts)
            .field("max_attempts", &self.max_attempts)
            .field("sign_payload", &self.sign_payload)
            .finish()
    }
}

pub const MIN_PART_SIZE: usize = 5 * 1024 * 1024;
/// S3 numbers parts 1 to 10 000; larger files get larger parts.
pub const MAX_PARTS: u64 = 10_000;

/// A multipart upload that was started and neither completed nor aborted: a crashed uploader
/// leaves one behind, and the store keeps (and bills) its parts until it is aborted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnfinishedUpload {
    pub key: String,
    pub upload_id: String,
    pub initiated: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(Debug, Clone)]
pub struct S3Store {
    config: S3Config,
    base: Url,
    identity: Identity,
    client: reqwest::Client,
    sign_payload: bool,
}

/// How the request body is vouched for in the signature.
enum Payload<'a> {
    /// Hashed into the signature.
    Bytes(&'a [u8]),
    Empty,
    /// Sent as `UNSIGNED-PAYLOAD`; its integrity rests on TLS (or on never leaving this machine)
    /// and on a signed checksum header.
    Unsigned,
}

impl S3Store {
    pub fn new(config: S3Config) -> Result<S3Store, StorageError> {
        let mut base = Url::parse(&config.endpoint)
            .map_err(|err| StorageError::Config(format!("endpoint: {err}")))?;
        if !matches!(base.scheme(), "http" | "https") || base.host_str().is_none() {
            return Err(StorageError::Config(
                "endpoint must be an http(s) URL".into(),
            ));
        }
        if config.bucket.is_empty()
            || !config
                .bucket
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
        {
            return Err(StorageError::Config(
                "bucket names use a-z, 0-9, '-' and '.'".into(),
            ));
        }
        if config.part_size < MIN_PART_SIZE
            || config.parallel_parts == 0
            || config.max_attempts == 0
        {
            return Err(StorageError::Config(format!(
                "part_size must be at least {MIN_PART_SIZE}, parallel_parts and max_attempts at least 1"
            )));
        }
        if config.path_style {
            base.set_path(&format!("/{}/", config.bucket));
        } else {
            let host = format!("{}.{}", config.bucket, base.host_str().unwrap_or_default());
            base.set_host(Some(&host))
                .map_err(|err| StorageError::Config(format!("endpoint host: {err}")))?;
            base.set_path("/");
        }
        let identity = Credentials::new(
            &config.access_key_id,
            &config.secret_access_key,
            None,
            None,
            "tseeder-config",
        )
        .into();
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(300))
            .build()
            .map_err(|err| StorageError::Config(err.to_string()))?;
        let sign_payload = config
            .sign_payload
            .unwrap_or_else(|| base.scheme() == "http" && !is_this_machine(&base));
        Ok(S3Store {
            config,
            base,
            identity,
            client,
            sign_payload,
        })
    }

    pub fn config(&self) -> &S3Config {
        &self.config
    }

    /// Bytes per part for a file of `size`: the configured size, or more when the file would
    /// otherwise need more parts than S3 allows.
    fn part_size_for(&self, size: u64) -> usize {
        let needed = size.div_ceil(MAX_PARTS).next_multiple_of(1024 * 1024);
        self.config.part_size.max(needed as usize)
    }

    fn url(&self, key: Option<&ObjectKey>, query: &[(&str, &str)]) -> Url {
        let mut url = self.base.clone();
        if let Some(key) = key {
            // Keys use only unreserved characters and '/', so they need no escaping.
            let path = format!("{}{}", url.path(), key.as_str());
            url.set_path(&path);
        }
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        url
    }

    fn signing_params(
        &self,
        location: SignatureLocation,
        expires_in: Option<Duration>,
    ) -> Result<aws_sigv4::http_request::SigningParams<'_>, StorageError> {
        Ok(v4::SigningParams::builder()
            .identity(&self.identity)
            .region(&self.config.region)
            .name("s3")
            .time(SystemTime::now())
            .settings(Self::settings(location, expires_in))
            .build()
            .map_err(|err| StorageError::Signing(err.to_string()))?
            .into())
    }

    fn settings(location: SignatureLocation, expires_in: Option<Duration>) -> SigningSettings {
        let mut settings = SigningSettings::default();
        settings.percent_encoding_mode = PercentEncodingMode::Single;
        settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
        settings.payload_checksum_kind = match location {
            SignatureLocation::Headers => PayloadChecksumKind::XAmzSha256,
            _ => PayloadChecksumKind::NoHeader,
        };
        settings.signature_location = location;
        settings.expires_in = expires_in;
        settings
    }

    /// The headers that sign a request with its payload hash.
    fn signed_headers(
        &self,
        method: &Method,
        url: &Url,
        headers: &[(&str, String)],
        payload: Payload<'_>,
    ) -> Result<Vec<(String, String)>, StorageError> {
        let hash = match payload {
            Payload::Bytes(bytes) => hex::encode(Sha256::digest(bytes)),
            Payload::Empty => hex::encode(Sha256::digest(b"")),
            Payload::Unsigned => "UNSIGNED-PAYLOAD".to_owned(),
        };
        let params = self.signing_params(SignatureLocation::Headers, None)?;
        let signable = SignableRequest::new(
            method.as_str(),
            url.as_str(),
            headers.iter().map(|(k, v)| (*k, v.as_str())),
            SignableBody::Precomputed(hash),
        )
        .map_err(|err| StorageError::Signing(err.to_string()))?;
        let (instructions, _) = sign(signable, &params)
            .map_err(|err| StorageError::Signing(err.to_string()))?
            .into_parts();
        Ok(instructions
            .headers()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect())
    }

    /// Sends one signed request, retrying transient failures with exponential back-off.
    async fn send(
        &self,
        method: Method,
        url: Url,
        headers: Vec<(&str, String)>,
        body: Bytes,
    ) -> Result<reqwest::Response, StorageError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let result = self.send_once(&method, &url, &headers, body.clone()).await;
            match result {
                Err(err) if err.is_transient() && attempt < self.config.max_attempts => {
                    let wait = Duration::from_millis(200 * (1 << (attempt - 1)));
                    tracing::warn!(%err, attempt, ?wait, "storage request failed; retrying");
                    tokio::time::sleep(wait).await;
                }
                other => return other,
            }
        }
    }

    async fn send_once(
        &self,
        method: &Method,
        url: &Url,
        headers: &[(&str, String)],
        body: Bytes,
    ) -> Result<reqwest::Response, StorageError> {
        let mut headers = headers.to_vec();
        let payload = if body.is_empty() {
            Payload::Empty
        } else if *method == Method::PUT && !self.sign_payload {
            headers.push(("x-amz-checksum-crc32", crc32_header(&body)));
            Payload::Unsigned
        } else {
            Payload::Bytes(&body)
        };
        let signed = self.signed_headers(method, url, &headers, payload)?;
        let mut request = self.client.request(method.clone(), url.clone());
        for (name, value) in &headers {
            request = request.header(*name, value);
        }
        for (name, value) in signed {
            request = request.header(name, value);
        }
        let response = request
            .body(body)
            .send()
            .await
            .map_err(|err| StorageError::Network(describe(&err)))?;
        if response.status().is_success() {
            return Ok(response);
        }
        Err(http_error(response).await)
    }

    /// A bodiless request whose answer is an XML document.
    async fn request_xml<T: for<'de> serde::Deserialize<'de>>(
        &self,
        method: Method,
        url: Url,
    ) -> Result<T, StorageError> {
        let response = self.send(method, url, Vec::new(), Bytes::new()).await?;
        let text = response
            .text()
            .await
            .map_err(|err| StorageError::Network(describe(&err)))?;
        xml::parse(&text)
    }

    pub async fn put_bytes(&self, key: &ObjectKey, bytes: Bytes) -> Result<(), StorageError> {
        self.send(Method::PUT, self.url(Some(key), &[]), Vec::new(), bytes)
            .await?;
        Ok(())
    }

    /// Uploads a file: one request when it fits in a part, multipart otherwise.
    pub async fn put_file(&self, key: &ObjectKey, source: &Path) -> Result<u64, StorageError> {
        let size = tokio::fs::metadata(source).await?.len();
        if size <= self.config.part_size as u64 {
            let bytes = tokio::fs::read(source).await?;
            self.put_bytes(key, Bytes::from(bytes)).await?;
        } else {
            multipart::upload(self, key, source, size).await?;
        }
        Ok(size)
    }

    pub async fn head(&self, key: &ObjectKey) -> Result<Option<ObjectInfo>, StorageError> {
        match self
            .send(
                Method::HEAD,
                self.url(Some(key), &[]),
                Vec::new(),
                Bytes::new(),
            )
            .await
        {
            Ok(response) => Ok(Some(ObjectInfo {
                key: key.to_string(),
                size: response
                    .headers()
                    .get(reqwest::header::CONTENT_LENGTH)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0),
            })),
            Err(StorageError::Http { status: 404, .. }) => Ok(None),
            Err(err) => Err(err),
        }
    }

    pub async fn delete(&self, key: &ObjectKey) -> Result<(), StorageError> {
        match self
            .send(
                Method::DELETE,
                self.url(Some(key), &[]),
                Vec::new(),
                Bytes::new(),
            )
            .await
        {
            Ok(_) | Err(StorageError::Http { status: 404, .. }) => Ok(()),
            Err(err) => Err(err),
        }
    }

    /// Every object whose key starts with `prefix`, following continuation tokens.
    pub async fn list(&self, prefix: &str) -> Result<Vec<ObjectInfo>, StorageError> {
        let mut found = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut query = vec![("list-type", "2"), ("prefix", prefix)];
            if let Some(token) = &token {
                query.push(("continuation-token", token));
            }
            let page: xml::ListBucketResult = self
                .request_xml(Method::GET, self.url(None, &query))
                .await?;
            found.extend(page.contents.into_iter().map(|c| ObjectInfo {
                key: c.key,
                size: c.size,
            }));
            match (page.is_truncated, page.next_continuation_token) {
                (true, Some(next)) => token = Some(next),
                _ => return Ok(found),
            }
        }
    }

    /// Multipart uploads started under `prefix` and neither completed nor aborted.
    pub async fn unfinished_uploads(
        &self,
        prefix: &str,
    ) -> Result<Vec<UnfinishedUpload>, StorageError> {
        let mut found = Vec::new();
        let mut markers: Option<(String, String)> = None;
        loop {
            let mut query = vec![("uploads", ""), ("prefix", prefix)];
            if let Some((key, upload_id)) = &markers {
                query.push(("key-marker", key));
                query.push(("upload-id-marker", upload_id));
            }
            let page: xml::ListMultipartUploadsResult = self
                .request_xml(Method::GET, self.url(None, &query))
                .await?;
            found.extend(page.upload.into_iter().map(|u| {
                UnfinishedUpload {
                    initiated: u
                        .initiated
                        .as_deref()
                        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                        .map(|t| t.with_timezone(&chrono::Utc)),
                    key: u.key,
                    upload_id: u.upload_id,
                }
            }));
            match (
                page.is_truncated,
                page.next_key_marker,
                page.next_upload_id_marker,
            ) {
                (true, Some(key), Some(upload_id)) => markers = Some((key, upload_id)),
                _ => return Ok(found),
            }
        }
    }

    /// Gives up a multipart upload: the store frees its parts.
    pub async fn abort_upload(&self, key: &str, upload_id: &str) -> Result<(), StorageError> {
        let key = ObjectKey::parse(key)?;
        match self
            .send(
                Method::DELETE,
                self.url(Some(&key), &[("uploadId", upload_id)]),
                Vec::new(),
                Bytes::new(),
            )
            .await
        {
            Ok(_) | Err(StorageError::Http { status: 404, .. }) => Ok(()),
            Err(err) => Err(err),
        }
    }

    /// The object's bytes as they arrive, fetched through a short presigned GET.
    pub async fn read(&self, key: &ObjectKey) -> Result<crate::ByteStream, StorageError> {
        use futures_util::StreamExt as _;
        let url = self.presign_get(key, Duration::from_secs(300))?;
        let response = self
            .client
            .get(url)
            .send()
            .await
            .map_err(|err| StorageError::Network(describe(&err)))?;
        if response.status() == reqwest::StatusCode::NOT_FOUND {
            return Err(StorageError::NotFound(key.to_string()));
        }
        if !response.status().is_success() {
            return Err(http_error(response).await);
        }
        Ok(response
            .bytes_stream()
            .map(|chunk| chunk.map_err(|err| StorageError::Network(describe(&err))))
            .boxed())
    }

    /// A GET URL anyone can use until it expires; it supports HTTP Range.
    pub fn presign_get(&self, key: &ObjectKey, expires_in: Duration) -> Result<Url, StorageError> {
        self.presign(self.url(Some(key), &[]), expires_in)
    }

    /// Like [`S3Store::presign_get`], and the store answers with a `Content-Disposition` that
    /// saves the file as `save_as` (keys are ids, which make poor file names). The header is a
    /// signed part of the URL, so it cannot be changed.
    pub fn presign_download(
        &self,
        key: &ObjectKey,
        expires_in: Duration,
        save_as: &str,
    ) -> Result<Url, StorageError> {
        let mut url = self.url(Some(key), &[]);
        if let Some(disposition) = crate::attachment_disposition(save_as) {
            url.query_pairs_mut()
                .append_pair("response-content-disposition", &disposition);
        }
        self.presign(url, expires_in)
    }

    fn presign(&self, url: Url, expires_in: Duration) -> Result<Url, StorageError> {
        let params = self.signing_params(SignatureLocation::QueryParams, Some(expires_in))?;
        let signable = SignableRequest::new(
            "GET",
            url.as_str(),
            std::iter::empty(),
            SignableBody::UnsignedPayload,
        )
        .map_err(|err| StorageError::Signing(err.to_string()))?;
        let (instructions, _) = sign(signable, &params)
            .map_err(|err| StorageError::Signing(err.to_string()))?
            .into_parts();
        let mut signed = url;
        {
            let mut pairs = signed.query_pairs_mut();
            for (name, value) in instructions.params() {
                pairs.append_pair(name, value);
            }
        }
        Ok(signed)
    }
}

fn describe(err: &reqwest::Error) -> String {
    let mut text = if err.is_timeout() {
        "timed out".to_owned()
    } else {
        err.to_string()
    };
    let mut source = std::error::Error::source(err);
    while let Some(inner) = source {
        text = format!("{text}: {inner}");
        source = inner.source();
    }
    text
}

async fn http_error(response: reqwest::Response) -> StorageError {
    let status = response.status().as_u16();
    let text = match response.text().await {
        Ok(text) => text,
        // The answer broke off: what went wrong is the connection, and trying again may help.
        Err(err) => {
            return StorageError::Network(format!(
                "the store's {status} answer broke off: {}",
                describe(&err)
            ))
        }
    };
    let doc: xml::ErrorDocument = xml::parse(&text).unwrap_or_default();
    if doc.code.is_empty() {
        // Not an S3 error document (a proxy's page, say): keep the start of it for the log.
        let start: String = text.chars().take(200).collect();
        return StorageError::Http {
            status,
            code: "Unknown".into(),
            message: start,
        };
    }
    StorageError::Http {
        status,
        code: doc.code,
        message: doc.message,
    }
}

/// An endpoint on this machine: its traffic never crosses a network.
fn is_this_machine(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(name)) => name == "localhost",
        None => false,
    }
}

/// `x-amz-checksum-crc32`: the big-endian CRC32 of the body in base64.
fn crc32_header(body: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(crc32fast::hash(body).to_be_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(path_style: bool) -> S3Config {
        S3Config {
            endpoint: "https://s3.example.org".into(),
            bucket: "media".into(),
            access_key_id: "AKID".into(),
            secret_access_key: "very-secret".into(),
            path_style,
            ..S3Config::default()
        }
    }

    #[test]
    fn urls_follow_the_addressing_style() {
        let key = ObjectKey::parse("users/u/jobs/j/files/0").expect("key");
        let path = S3Store::new(config(true)).expect("store");
        assert_eq!(
            path.url(Some(&key), &[]).as_str(),
            "https://s3.example.org/media/users/u/jobs/j/files/0"
        );
        let host = S3Store::new(config(false)).expect("store");
        assert_eq!(
            host.url(Some(&key), &[]).as_str(),
            "https://media.s3.example.org/users/u/jobs/j/files/0"
        );
        assert!(!format!("{:?}", config(true)).contains("very-secret"));
    }

    #[test]
    fn presigned_urls_carry_expiry_and_signature() {
        let store = S3Store::new(config(true)).expect("store");
        let key = ObjectKey::parse("a/b").expect("key");
        let url = store
            .presign_get(&key, Duration::from_secs(300))
            .expect("presign");
        let query: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
        assert_eq!(query["X-Amz-Expires"], "300");
        assert_eq!(query["X-Amz-Algorithm"], "AWS4-HMAC-SHA256");
        assert!(query["X-Amz-Credential"].starts_with("AKID/"));
        assert_eq!(query["X-Amz-Signature"].len(), 64);
    }

    #[test]
    fn payloads_are_signed_only_over_plain_http_to_another_machine() {
        let signs = |endpoint: &str, choice: Option<bool>| {
            S3Store::new(S3Config {
                endpoint: endpoint.into(),
                sign_payload: choice,
                ..config(true)
            })
            .expect("store")
            .sign_payload
        };
        assert!(signs("http://storage.lan:3900", None));
        assert!(!signs("https://s3.example.org", None));
        assert!(!signs("http://127.0.0.1:3900", None));
        assert!(!signs("http://[::1]:3900", None));
        assert!(!signs("http://localhost:3900", None));
        assert!(signs("https://s3.example.org", Some(true)));
        assert!(!signs("http://storage.lan:3900", Some(false)));
    }

    #[test]
    fn checksums_are_big_endian_crc32_in_base64() {
        // The CRC32 check value of "123456789" is 0xCBF43926.
        assert_eq!(crc32_header(b"123456789"), "y/Q5Jg==");
    }

    #[test]
    fn huge_files_get_parts_large_enough_for_the_part_limit() {
        let store = S3Store::new(config(true)).expect("store");
        let part = store.config().part_size;
        assert_eq!(store.part_size_for(1024 * 1024 * 1024), part);
        let huge = 200 * 1024 * 1024 * 1024_u64;
        let grown = store.part_size_for(huge);
        assert!(grown > part);
        assert!(huge.div_ceil(grown as u64) <= MAX_PARTS);
        assert_eq!(grown % (1024 * 1024), 0);
    }

    #[test]
    fn bad_configuration_is_refused() {
        assert!(S3Store::new(S3Config {
            part_size: 1024,
            ..config(true)
        })
        .is_err());
        assert!(S3Store::new(S3Config {
            bucket: "Bad_Bucket".into(),
            ..config(true)
        })
        .is_err());
        assert!(S3Store::new(S3Config {
            endpoint: "ftp://x".into(),
            ..config(true)
        })
        .is_err());
    }
}
