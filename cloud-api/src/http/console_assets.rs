//! Serves the built web console (`ui/dist`) beside the API: hashed assets cached for a year,
//! every other page path answered with `index.html` so the console's own router takes over,
//! and a content security policy that only lets the console talk to this origin.

use crate::config::{Settings, StorageBackend};
use crate::error::ApiError;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use std::path::PathBuf;
use std::sync::Arc;
use tower::ServiceExt;
use tower_http::services::ServeDir;

/// Where the console lives and the headers every page of it carries.
#[derive(Debug, Clone)]
pub struct Console {
    inner: Arc<ConsoleInner>,
}

#[derive(Debug)]
struct ConsoleInner {
    dir: PathBuf,
    csp: HeaderValue,
}

fn origin_of(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    let origin = parsed.origin();
    origin.is_tuple().then(|| origin.ascii_serialization())
}

/// The policy: scripts, styles, fonts and API calls from this origin only; media may also come
/// from the object store (presigned links); the captcha's origin only when one is configured.
pub fn content_security_policy(settings: &Settings) -> String {
    let captcha = settings
        .captcha
        .site_key
        .as_ref()
        .and(settings.captcha.verify_url.as_ref())
        .and_then(|_| origin_of(&settings.captcha.script_url));
    let storage = (settings.storage.location.backend == StorageBackend::S3)
        .then(|| {
            let s3 = &settings.storage.location.s3;
            let mut url = url::Url::parse(&s3.endpoint).ok()?;
            if !s3.path_style {
                let host = format!("{}.{}", s3.bucket, url.host_str()?);
                url.set_host(Some(&host)).ok()?;
            }
            origin_of(url.as_str())
        })
        .flatten();
    let with = |extra: &Option<String>| {
        extra
            .as_ref()
            .map(|origin| format!(" {origin}"))
            .unwrap_or_default()
    };
    let frames = captcha
        .as_ref()
        .map_or_else(|| "'none'".to_owned(), Clone::clone);
    format!(
        "default-src 'self'; script-src 'self'{captcha_src}; style-src 'self'; \
         img-src 'self' data: blob:; media-src 'self' blob:{storage_src}; font-src 'self'; \
         connect-src 'self'; frame-src {frames}; object-src 'none'; base-uri 'none'; \
         form-action 'self'; frame-ancestors 'none'",
        captcha_src = with(&captcha),
        storage_src = with(&storage),
    )
}

impl Console {
    pub fn new(settings: &Settings) -> Console {
        let csp = HeaderValue::from_str(&content_security_policy(settings))
            .unwrap_or_else(|_| HeaderValue::from_static("default-src 'self'"));
        Console {
            inner: Arc::new(ConsoleInner {
                dir: settings.console_dir.clone(),
                csp,
            }),
        }
    }

    fn secure(&self, mut response: Response, cache: &'static str) -> Response {
        let cacheable =
            response.status().is_success() || response.status() == StatusCode::NOT_MODIFIED;
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_SECURITY_POLICY, self.inner.csp.clone());
        headers.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        headers.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        );
        if cacheable {
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
        }
        response
    }

    async fn index(&self) -> Response {
        match tokio::fs::read(self.inner.dir.join("index.html")).await {
            Ok(html) => self.secure(
                (
                    [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                    Body::from(html),
                )
                    .into_response(),
                "no-cache",
            ),
            Err(err) => {
                tracing::warn!(dir = %self.inner.dir.display(), %err,
                    "the web console is not built; only the API is served");
                ApiError::NotFound.into_response()
            }
        }
    }

    async fn file(&self, request: Request, cache: &'static str) -> Response {
        match ServeDir::new(&self.inner.dir)
            .append_index_html_on_directories(false)
            .oneshot(request)
            .await
        {
            Ok(response) if response.status() == StatusCode::NOT_FOUND => {
                ApiError::NotFound.into_response()
            }
            Ok(response) => self.secure(response.map(Body::new), cache),
            Err(never) => match never {},
        }
    }
}

/// Everything the API routes do not match: API paths get the API's JSON 404, assets and
/// top-level files are served from the console folder, any other page path gets `index.html`.
pub async fn fallback(State(console): State<Console>, request: Request) -> Response {
    let path = request.uri().path().to_owned();
    if path.starts_with("/api/") || path == "/api" || path == "/health" {
        return ApiError::NotFound.into_response();
    }
    if !matches!(*request.method(), Method::GET | Method::HEAD) {
        return ApiError::MethodNotAllowed.into_response();
    }
    if path.starts_with("/assets/") {
        // Vite names every asset after its content hash, so a name never changes meaning.
        return console
            .file(request, "public, max-age=31536000, immutable")
            .await;
    }
    let last = path.rsplit('/').next().unwrap_or_default();
    if last.contains('.') && !path.contains("..") {
        return console.file(request, "no-cache").await;
    }
    console.index().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_names_the_object_store_and_captcha_only_when_used() {
        let mut settings = Settings::default();
        let plain = content_security_policy(&settings);
        assert!(plain.contains("script-src 'self';"), "{plain}");
        assert!(plain.contains("frame-src 'none'"), "{plain}");
        assert!(plain.contains("connect-src 'self';"), "{plain}");

        settings.storage.location.backend = StorageBackend::S3;
        settings.storage.location.s3.endpoint = "https://s3.example.net:9000/".into();
        settings.storage.location.s3.bucket = "media".into();
        settings.storage.location.s3.path_style = false;
        settings.captcha.verify_url = Some("https://captcha.example/siteverify".into());
        settings.captcha.site_key = Some("key".into());
        settings.captcha.script_url = "https://widgets.example/api.js".into();
        let full = content_security_policy(&settings);
        assert!(
            full.contains("media-src 'self' blob: https://media.s3.example.net:9000;"),
            "{full}"
        );
        assert!(
            full.contains("script-src 'self' https://widgets.example;"),
            "{full}"
        );
        assert!(
            full.contains("frame-src https://widgets.example;"),
            "{full}"
        );
    }
}
