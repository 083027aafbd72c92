//! Request extractors that answer in the API's error format instead of axum's plain text, and
//! the JSON that answers carry.

use crate::agents::service::AgentPrincipal;
use crate::error::ApiError;
use crate::services::{Principal, RequestMeta};
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use serde::de::DeserializeOwned;
use tseeder_protocol::ErrorCode;

/// A JSON body. Malformed JSON is 400, a well-formed body of the wrong shape 422, a missing
/// `Content-Type: application/json` 415 and an oversized body 413.
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

impl<T, S> FromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        // Every body of this API is an object; serde would also read a struct from an array
        // of its fields in order, which the documented contract does not allow.
        let value = match axum::Json::<serde_json::Value>::from_request(req, state).await {
            Ok(axum::Json(value)) => value,
            Err(rejection) => return Err(json_rejection(rejection)),
        };
        if !value.is_object() {
            return Err(ApiError::unprocessable(
                ErrorCode::InvalidBody,
                "the body must be a JSON object",
            ));
        }
        let mut value = value;
        integral_floats_as_integers(&mut value);
        serde_json::from_value(value)
            .map(Json)
            .map_err(|err| ApiError::unprocessable(ErrorCode::InvalidBody, err.to_string()))
    }
}

/// An answer's body. serde writes a document in many small pieces; a plain `Vec` takes each
/// in a bounds check and a copy, where axum's own `Json` goes through `BytesMut`'s general
/// buffer interface for every piece, which alone took a twentieth of the job list's time.
impl<T: serde::Serialize> axum::response::IntoResponse for Json<T> {
    fn into_response(self) -> axum::response::Response {
        let mut body = Vec::with_capacity(1024);
        match serde_json::to_writer(&mut body, &self.0) {
            Ok(()) => (
                [(
                    axum::http::header::CONTENT_TYPE,
                    axum::http::HeaderValue::from_static("application/json"),
                )],
                body,
            )
                .into_response(),
            Err(err) => {
                ApiError::Internal(format!("writing an answer's JSON: {err}")).into_response()
            }
        }
    }
}

/// JSON has one number type: `64.0` is the integer 64 to JSON Schema and to every JavaScript
/// client, but serde refuses it for an integer field. Whole numbers written with a fraction are
/// read as the integers they are; other numbers stay as sent.
fn integral_floats_as_integers(value: &mut serde_json::Value) {
    use serde_json::{Number, Value};
    match value {
        Value::Number(number) if number.is_f64() => {
            let float = number.as_f64().unwrap_or(f64::NAN);
            // Whole floats inside the i64/u64 ranges convert exactly; others stay floats.
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            if float.fract() == 0.0 {
                if (0.0..18_446_744_073_709_551_616.0).contains(&float) {
                    *number = Number::from(float as u64);
                } else if (-9_223_372_036_854_775_808.0..0.0).contains(&float) {
                    *number = Number::from(float as i64);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(integral_floats_as_integers),
        Value::Object(fields) => fields.values_mut().for_each(integral_floats_as_integers),
        _ => {}
    }
}

fn json_rejection(rejection: JsonRejection) -> ApiError {
    match rejection {
        JsonRejection::JsonSyntaxError(err) => ApiError::bad_request(
            ErrorCode::MalformedJson,
            format!("the body is not valid JSON: {}", err.body_text()),
        ),
        JsonRejection::JsonDataError(err) => {
            ApiError::unprocessable(ErrorCode::InvalidBody, err.body_text())
        }
        JsonRejection::MissingJsonContentType(_) => ApiError::UnsupportedMediaType {
            message: "send the body as application/json".into(),
        },
        JsonRejection::BytesRejection(err) if err.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            ApiError::PayloadTooLarge { limit: 0 }
        }
        other => ApiError::bad_request(ErrorCode::BadBody, other.body_text()),
    }
}

/// Path segments; one that does not parse (a file index that is not a number) is 400.
#[derive(Debug, Clone, Copy, Default)]
pub struct Path<T>(pub T);

impl<T, S> FromRequestParts<S> for Path<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(value)| Path(value))
            .map_err(|err: PathRejection| {
                ApiError::bad_request(ErrorCode::InvalidPath, err.body_text())
            })
    }
}

/// Query-string parameters; unknown values of known parameters are 400.
#[derive(Debug, Clone, Copy, Default)]
pub struct Query<T>(pub T);

impl<T, S> FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(value)| Query(value))
            .map_err(|err: QueryRejection| {
                ApiError::bad_request(ErrorCode::InvalidQuery, err.body_text())
            })
    }
}

/// The authenticated caller, placed in the request by the access guard.
#[derive(Debug, Clone)]
pub struct Auth(pub Principal);

impl<S: Send + Sync> FromRequestParts<S> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Principal>()
            .cloned()
            .map(Auth)
            .ok_or(ApiError::Unauthenticated)
    }
}

/// The authenticated agent, placed in the request by the access guard on agent routes.
#[derive(Debug, Clone)]
pub struct AgentAuth(pub AgentPrincipal);

impl<S: Send + Sync> FromRequestParts<S> for AgentAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<AgentPrincipal>()
            .cloned()
            .map(AgentAuth)
            .ok_or(ApiError::Unauthenticated)
    }
}

/// Client address and user agent, placed in the request by the access guard.
#[derive(Debug, Clone)]
pub struct Meta(pub RequestMeta);

impl<S: Send + Sync> FromRequestParts<S> for Meta {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Meta(
            parts
                .extensions
                .get::<RequestMeta>()
                .cloned()
                .unwrap_or_default(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::{integral_floats_as_integers, Json};
    use axum::response::IntoResponse;
    use serde_json::json;

    #[tokio::test]
    async fn an_answer_is_its_document_as_json_whatever_its_size() {
        // Larger than the buffer an answer starts with, so it must grow without losing a byte.
        let document =
            json!({ "items": (0..500).map(|i| format!("item \"{i}\"")).collect::<Vec<_>>() });
        let response = Json(&document).into_response();
        assert_eq!(response.status(), axum::http::StatusCode::OK);
        assert_eq!(
            response.headers()[axum::http::header::CONTENT_TYPE],
            "application/json"
        );
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("the body");
        assert!(body.len() > 1024);
        let read: serde_json::Value = serde_json::from_slice(&body).expect("valid JSON");
        assert_eq!(read, document);
    }

    #[test]
    fn whole_numbers_written_with_a_fraction_are_read_as_integers() {
        let mut body = json!({
            "capacity": 4.0,
            "files": [{ "index": 2.0, "size": 1.5e3 }],
            "cpu": 12.5,
            "offset": -3.0,
            "huge": 1e30
        });
        integral_floats_as_integers(&mut body);
        assert_eq!(
            body,
            json!({
                "capacity": 4,
                "files": [{ "index": 2, "size": 1500 }],
                "cpu": 12.5,
                "offset": -3,
                "huge": 1e30
            })
        );
        assert!(body["capacity"].is_u64() && body["offset"].is_i64());
    }
}
