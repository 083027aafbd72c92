//! In-process tests: the router called directly with `tower::ServiceExt::oneshot`, no socket.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;
use tseeder_cloud::{http, server, Settings};

async fn app() -> (axum::Router, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let settings = Settings {
        data_dir: dir.path().to_path_buf(),
        ..Settings::default()
    };
    let services = server::start_services(settings).await.expect("services");
    (http::router(services), dir)
}

async fn call(app: &axum::Router, request: Request<Body>) -> (StatusCode, Value) {
    let response = app.clone().oneshot(request).await.expect("response");
    let status = response.status();
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn health_reports_the_database() {
    let (app, _dir) = app().await;
    let (status, body) = call(
        &app,
        Request::get("/health").body(Body::empty()).expect("req"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "ok");
    assert_eq!(body["database"], "ok");
}

#[tokio::test]
async fn protected_routes_refuse_anonymous_callers_in_the_error_format() {
    let (app, _dir) = app().await;
    let (status, body) = call(
        &app,
        Request::get("/api/v1/jobs")
            .body(Body::empty())
            .expect("req"),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["code"], "unauthenticated");
    assert!(body["error"]["message"].is_string());
}

#[tokio::test]
async fn plans_are_public_and_seeded() {
    let (app, _dir) = app().await;
    let (status, body) = call(
        &app,
        Request::get("/api/v1/plans")
            .body(Body::empty())
            .expect("req"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body.as_array().map(Vec::len), Some(3));
    assert_eq!(body[0]["maxActiveJobs"], 2);
}

#[tokio::test]
async fn a_login_for_nobody_is_a_plain_401() {
    let (app, _dir) = app().await;
    let request = Request::post("/api/v1/auth/login")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(
            r#"{"email":"nobody@example.org","password":"whatever123"}"#,
        ))
        .expect("req");
    let (status, body) = call(&app, request).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["code"], "invalid_credentials");
}
