//! Finished files: listing, links, deletion, and the local store's signed download route with
//! HTTP Range support (so a video player can seek).

use crate::error::{ApiError, ApiResult};
use crate::files::service::LinkRefusal;
use crate::http::extract::{Auth, Json, Path, Query};
use crate::services::Services;
use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use schemars::JsonSchema;
use serde::Deserialize;
use tokio::io::{AsyncReadExt as _, AsyncSeekExt as _};
use tokio_util::io::ReaderStream;
use tseeder_protocol::{ErrorCode, FileLink, StoredFile};

/// Bytes read from disk per body chunk: large enough that per-chunk work does not bound a
/// download on loopback or a fast LAN.
const READ_CHUNK_BYTES: usize = 256 * 1024;

pub async fn list(
    State(services): State<Services>,
    Auth(principal): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<StoredFile>>> {
    Ok(Json(services.files().list(&principal, &id).await?))
}

pub async fn zip(
    State(services): State<Services>,
    Auth(principal): Auth,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let archive = services.files().archive(&principal, &id).await?;
    let mut response = (StatusCode::OK, Body::from_stream(archive.body)).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(archive.length));
    served_file(headers, "application/zip", Some(&archive.file_name));
    Ok(response)
}

/// Headers of every served file. A torrent's bytes are a stranger's: the browser must not
/// guess a type for them, and if it ever renders one (an HTML file opened in a tab) it runs in
/// a sandbox with no access to this origin.
fn served_file(headers: &mut HeaderMap, content_type: &'static str, name: Option<&str>) {
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    if let Some(value) = content_disposition(name) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("sandbox"),
    );
}

pub async fn link(
    State(services): State<Services>,
    Auth(principal): Auth,
    Path((id, index)): Path<(String, u32)>,
) -> ApiResult<Json<FileLink>> {
    Ok(Json(
        services.files().file_link(&principal, &id, index).await?,
    ))
}

pub async fn delete(
    State(services): State<Services>,
    Auth(principal): Auth,
    Path((id, index)): Path<(String, u32)>,
) -> ApiResult<StatusCode> {
    services.files().delete(&principal, &id, index).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct LinkQuery {
    /// Unix seconds after which the link is refused.
    pub expires: i64,
    pub signature: String,
    /// File name offered to the browser's save dialog.
    pub name: Option<String>,
}

/// A byte range asked for with `Range: bytes=…`, resolved against the file's length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ByteRange {
    Whole,
    Part { start: u64, end: u64 },
    Unsatisfiable,
}

/// One range only (what players and download managers send); anything else gets the whole file.
pub fn parse_range(header: Option<&str>, length: u64) -> ByteRange {
    let Some(spec) = header.and_then(|h| h.trim().strip_prefix("bytes=")) else {
        return ByteRange::Whole;
    };
    if spec.contains(',') {
        return ByteRange::Whole;
    }
    let Some((first, last)) = spec.split_once('-') else {
        return ByteRange::Whole;
    };
    let (first, last) = (first.trim(), last.trim());
    let range = if first.is_empty() {
        match last.parse::<u64>() {
            Ok(0) | Err(_) => return ByteRange::Unsatisfiable,
            Ok(suffix) => (length.saturating_sub(suffix), length.saturating_sub(1)),
        }
    } else {
        let Ok(start) = first.parse::<u64>() else {
            return ByteRange::Whole;
        };
        let end = if last.is_empty() {
            length.saturating_sub(1)
        } else {
            match last.parse::<u64>() {
                Ok(end) => end.min(length.saturating_sub(1)),
                Err(_) => return ByteRange::Whole,
            }
        };
        (start, end)
    };
    if length == 0 || range.0 >= length || range.0 > range.1 {
        return ByteRange::Unsatisfiable;
    }
    ByteRange::Part {
        start: range.0,
        end: range.1,
    }
}

fn content_disposition(name: Option<&str>) -> Option<HeaderValue> {
    HeaderValue::from_str(&tseeder_storage::attachment_disposition(name?)?).ok()
}

/// `GET /api/v1/files/{*key}`: the signature is the credential.
pub async fn download(
    State(services): State<Services>,
    Path(key): Path<String>,
    Query(query): Query<LinkQuery>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let path = services
        .files()
        .open_local_link(&key, query.expires, query.name.as_deref(), &query.signature)
        .map_err(|refusal| match refusal {
            LinkRefusal::Expired => ApiError::forbidden(
                ErrorCode::LinkExpired,
                "this download link has expired; ask for a new one",
            ),
            LinkRefusal::Invalid => {
                ApiError::forbidden(ErrorCode::LinkInvalid, "this download link is not valid")
            }
        })?;
    let mut file = match tokio::fs::File::open(&path).await {
        Ok(file) => file,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Err(ApiError::NotFound),
        Err(err) => return Err(ApiError::Internal(err.to_string())),
    };
    let length = file
        .metadata()
        .await
        .map_err(|err| ApiError::Internal(err.to_string()))?
        .len();
    let range = parse_range(
        headers.get(header::RANGE).and_then(|v| v.to_str().ok()),
        length,
    );
    let mut response = match range {
        ByteRange::Unsatisfiable => {
            let mut response = StatusCode::RANGE_NOT_SATISFIABLE.into_response();
            if let Ok(value) = HeaderValue::from_str(&format!("bytes */{length}")) {
                response.headers_mut().insert(header::CONTENT_RANGE, value);
            }
            return Ok(response);
        }
        ByteRange::Whole => {
            let body = Body::from_stream(ReaderStream::with_capacity(file, READ_CHUNK_BYTES));
            let mut response = (StatusCode::OK, body).into_response();
            response
                .headers_mut()
                .insert(header::CONTENT_LENGTH, HeaderValue::from(length));
            response
        }
        ByteRange::Part { start, end } => {
            file.seek(std::io::SeekFrom::Start(start))
                .await
                .map_err(|err| ApiError::Internal(err.to_string()))?;
            let count = end - start + 1;
            let body = Body::from_stream(ReaderStream::with_capacity(
                file.take(count),
                READ_CHUNK_BYTES,
            ));
            let mut response = (StatusCode::PARTIAL_CONTENT, body).into_response();
            let headers = response.headers_mut();
            headers.insert(header::CONTENT_LENGTH, HeaderValue::from(count));
            if let Ok(value) = HeaderValue::from_str(&format!("bytes {start}-{end}/{length}")) {
                headers.insert(header::CONTENT_RANGE, value);
            }
            response
        }
    };
    let headers = response.headers_mut();
    headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    served_file(headers, "application/octet-stream", query.name.as_deref());
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_resolve_against_the_length() {
        assert_eq!(parse_range(None, 100), ByteRange::Whole);
        assert_eq!(
            parse_range(Some("bytes=10-19"), 100),
            ByteRange::Part { start: 10, end: 19 }
        );
        assert_eq!(
            parse_range(Some("bytes=90-"), 100),
            ByteRange::Part { start: 90, end: 99 }
        );
        assert_eq!(
            parse_range(Some("bytes=-10"), 100),
            ByteRange::Part { start: 90, end: 99 }
        );
        assert_eq!(
            parse_range(Some("bytes=50-1000"), 100),
            ByteRange::Part { start: 50, end: 99 }
        );
        assert_eq!(
            parse_range(Some("bytes=100-"), 100),
            ByteRange::Unsatisfiable
        );
        assert_eq!(
            parse_range(Some("bytes=20-10"), 100),
            ByteRange::Unsatisfiable
        );
        assert_eq!(parse_range(Some("bytes=-0"), 100), ByteRange::Unsatisfiable);
        assert_eq!(parse_range(Some("bytes=0-1,5-6"), 100), ByteRange::Whole);
        assert_eq!(parse_range(Some("items=0-1"), 100), ByteRange::Whole);
    }

    #[test]
    fn file_names_cannot_break_the_header() {
        let value = content_disposition(Some("a\"b\r\nSet-Cookie: x.mkv")).expect("value");
        let text = value.to_str().expect("ascii");
        assert!(!text.contains('"') && !text.contains('\n'), "{text}");
        assert!(text.starts_with("attachment; filename*=UTF-8''a%22b"));
    }
}
