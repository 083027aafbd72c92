//! A call's parameters, wherever the client put them: the query string, a urlencoded form or
//! a multipart form (whose file parts are `.torrent` files). qBittorrent's clients use all
//! three, for reads and writes alike.

use axum::extract::{FromRequest, Multipart, Query, Request};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use std::collections::HashMap;

/// The largest `.torrent` file accepted, as the desktop app's.
pub const MAX_TORRENT_FILE_BYTES: usize = tseeder_desktop::link::MAX_TORRENT_FILE_BYTES as usize;

#[derive(Debug, Default)]
pub struct Params {
    fields: HashMap<String, String>,
    /// The uploaded files of a multipart form.
    pub files: Vec<Vec<u8>>,
}

impl Params {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(String::as_str)
    }

    /// The field, or "" when absent.
    pub fn text(&self, name: &str) -> &str {
        self.get(name).unwrap_or_default()
    }

    pub fn required(&self, name: &'static str) -> Result<&str, Missing> {
        self.get(name).ok_or(Missing(name))
    }

    /// qBittorrent's booleans: `true`/`false`, as any case.
    pub fn flag(&self, name: &str) -> bool {
        self.get(name)
            .is_some_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
    }
}

/// A required parameter the call did not carry; answers 400 as qBittorrent does.
#[derive(Debug)]
pub struct Missing(pub &'static str);

impl IntoResponse for Missing {
    fn into_response(self) -> Response {
        (
            StatusCode::BAD_REQUEST,
            format!("Missing required parameter: {}", self.0),
        )
            .into_response()
    }
}

fn bad(message: impl Into<String>) -> Response {
    (StatusCode::BAD_REQUEST, message.into()).into_response()
}

impl<S: Send + Sync> FromRequest<S> for Params {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Params, Response> {
        let mut params = Params::default();
        if let Ok(Query(query)) = Query::<HashMap<String, String>>::try_from_uri(req.uri()) {
            params.fields.extend(query);
        }
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_ascii_lowercase();
        if content_type.starts_with("multipart/form-data") {
            let mut form = Multipart::from_request(req, state)
                .await
                .map_err(IntoResponse::into_response)?;
            while let Some(field) = form.next_field().await.map_err(|e| bad(e.body_text()))? {
                let name = field.name().unwrap_or_default().to_owned();
                // As qBittorrent: every uploaded file is a torrent, whatever its field's name
                // (`torrents` from Sonarr, the file's own name from other clients).
                if name == "torrents" || field.file_name().is_some() {
                    let bytes = field.bytes().await.map_err(|e| bad(e.body_text()))?;
                    if bytes.len() > MAX_TORRENT_FILE_BYTES {
                        return Err((
                            StatusCode::PAYLOAD_TOO_LARGE,
                            "The .torrent file is too large",
                        )
                            .into_response());
                    }
                    params.files.push(bytes.to_vec());
                } else {
                    let text = field.text().await.map_err(|e| bad(e.body_text()))?;
                    params.fields.insert(name, text);
                }
            }
        } else if content_type.starts_with("application/x-www-form-urlencoded") {
            let Form(form) = Form::<HashMap<String, String>>::from_request(req, state)
                .await
                .map_err(IntoResponse::into_response)?;
            params.fields.extend(form);
        }
        Ok(params)
    }
}
