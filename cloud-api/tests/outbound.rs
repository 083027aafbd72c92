//! The services the API calls out to, played by real local servers: an SMTP sink (the
//! testkit's aiosmtpd) receiving the verification mail, and a Turnstile-compatible
//! verify endpoint that checks what the API sends it.

use axum::extract::State;
use axum::Form;
use cloud::{TestServer, PASSWORD};
use reqwest::StatusCode;
use serde_json::json;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tseeder_cloud::config::Secret;
use tseeder_protocol::Role;
use tseeder_testkit::cloud;
use tseeder_testkit::mail::SmtpSink;

#[tokio::test]
async fn verification_mail_goes_through_smtp_when_configured() {
    let scratch = tempfile::tempdir().expect("scratch");
    let maildir = scratch.path().join("maildir");
    let sink = SmtpSink::start(&maildir).await;
    let server = TestServer::start_with(|s| {
        s.mail.smtp_url = Some(Secret::new(format!("smtp://127.0.0.1:{}", sink.port)));
        s.mail.from = "tseeder <accounts@tseeder.example>".into();
    })
    .await;
    let mut browser = server.anon();
    let registered = browser
        .post(
            "/api/v1/auth/register",
            json!({ "email": "smtp.user@example.org", "password": PASSWORD, "acceptedAup": true }),
        )
        .await;
    assert_eq!(registered.status, StatusCode::ACCEPTED);

    let mut mails = Vec::new();
    for _ in 0..50 {
        mails = sink.delivered();
        if !mails.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(mails.len(), 1, "one mail reached the SMTP server");
    let mail = &mails[0];
    assert!(mail.contains("To: smtp.user@example.org"));
    assert!(mail.contains("From: tseeder <accounts@tseeder.example>"));
    assert!(mail.contains("Subject: Confirm your tseeder account"));
    assert!(
        server.outbox().await.is_empty(),
        "with SMTP configured nothing goes to the outbox"
    );

    let token = cloud::token_after(mail, &format!("{}/verify-email?token=", server.base));
    let verified = browser
        .post("/api/v1/auth/verify-email", json!({ "token": token }))
        .await;
    assert_eq!(verified.status, StatusCode::OK);
    assert_eq!(
        browser
            .login("smtp.user@example.org", PASSWORD)
            .await
            .status,
        StatusCode::OK
    );
}

type Seen = Arc<Mutex<Vec<HashMap<String, String>>>>;

async fn verify(
    State(seen): State<Seen>,
    Form(form): Form<HashMap<String, String>>,
) -> axum::Json<serde_json::Value> {
    let success = form.get("secret").map(String::as_str) == Some("turnstile-secret")
        && form.get("response").map(String::as_str) == Some("human-token");
    seen.lock().expect("lock").push(form);
    axum::Json(json!({ "success": success, "error-codes": [] }))
}

#[tokio::test]
async fn captcha_tokens_are_checked_against_the_verify_url() {
    let seen: Seen = Arc::default();
    let app = axum::Router::new()
        .route("/siteverify", axum::routing::post(verify))
        .with_state(Arc::clone(&seen));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });

    let server = TestServer::start_with(|s| {
        s.captcha.verify_url = Some(format!("http://{addr}/siteverify"));
        s.captcha.site_key = Some("site-key".into());
        s.captcha.secret = Some(Secret::new("turnstile-secret"));
    })
    .await;
    let anon = server.anon();
    let body = |token: Option<&str>| json!({ "email": "human@example.org", "password": PASSWORD, "acceptedAup": true, "captchaToken": token });
    let missing = anon.post("/api/v1/auth/register", body(None)).await;
    assert_eq!(
        (missing.status, missing.code()),
        (StatusCode::UNPROCESSABLE_ENTITY, "captcha_required")
    );
    let robot = anon
        .post("/api/v1/auth/register", body(Some("robot-token")))
        .await;
    assert_eq!(
        (robot.status, robot.code()),
        (StatusCode::FORBIDDEN, "captcha_failed")
    );
    let human = anon
        .post("/api/v1/auth/register", body(Some("human-token")))
        .await;
    assert_eq!(human.status, StatusCode::ACCEPTED, "{human:?}");

    let calls = seen.lock().expect("lock").clone();
    assert_eq!(calls.len(), 2, "no call without a token");
    assert_eq!(calls[1]["secret"], "turnstile-secret");
    assert_eq!(calls[1]["response"], "human-token");
    assert_eq!(calls[1]["remoteip"], "127.0.0.1");

    let support = server.user(Role::Support).await;
    let events = support
        .get("/api/v1/admin/security-events?kind=captcha_failed")
        .await;
    assert_eq!(events.body["total"], 1);
    assert_eq!(
        server.outbox().await.len(),
        1,
        "only the human got a verification mail"
    );
}

#[tokio::test]
async fn an_unreachable_captcha_service_is_a_clear_upstream_error() {
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("port")
        .local_addr()
        .expect("addr");
    let server = TestServer::start_with(|s| {
        s.captcha.verify_url = Some(format!("http://{dead}/siteverify"));
        s.captcha.site_key = Some("site-key".into());
        s.captcha.secret = Some(Secret::new("x"));
    })
    .await;
    let answer = server
        .anon()
        .post(
            "/api/v1/auth/register",
            json!({ "email": "h@example.org", "password": PASSWORD, "acceptedAup": true, "captchaToken": "t" }),
        )
        .await;
    assert_eq!(
        (answer.status, answer.code()),
        (StatusCode::BAD_GATEWAY, "captcha_unavailable")
    );
    let support = server.user(Role::Support).await;
    assert_eq!(
        support
            .get("/api/v1/admin/users?q=h@example.org")
            .await
            .body["total"],
        0,
        "no account was created"
    );
}

#[tokio::test]
async fn mail_the_smtp_server_cannot_take_waits_in_the_queue_across_a_restart() {
    let scratch = tempfile::tempdir().expect("scratch");
    let maildir = scratch.path().join("maildir");
    // The mail server is down when the user signs up.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("free port")
        .local_addr()
        .expect("addr")
        .port();
    let server = TestServer::start_with(|s| {
        s.mail.smtp_url = Some(Secret::new(format!("smtp://127.0.0.1:{port}")));
        s.mail.retry_base_seconds = 1;
    })
    .await;
    let started = std::time::Instant::now();
    let registered = server
        .anon()
        .post(
            "/api/v1/auth/register",
            json!({ "email": "queued@example.org", "password": PASSWORD, "acceptedAup": true }),
        )
        .await;
    assert_eq!(registered.status, StatusCode::ACCEPTED, "{registered:?}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the answer did not wait for mail"
    );
    assert_eq!(server.services.mail().deliver_queued().await, 0);
    assert_eq!(server.services.mail().pending_mail().await, 1);

    // The service restarts (the same data folder); the mail server comes back.
    let settings = server.services.settings().clone();
    let restarted = tseeder_cloud::server::start_services(settings)
        .await
        .expect("services");
    assert_eq!(
        restarted.mail().pending_mail().await,
        1,
        "the queue survived"
    );
    let sink = SmtpSink::start_on(&maildir, port).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while restarted.mail().pending_mail().await > 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the mail was never retried"
        );
        restarted.mail().deliver_queued().await;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let mails = sink.delivered();
    assert_eq!(mails.len(), 1);
    assert!(mails[0].contains("To: queued@example.org"));
    drop(sink);
}
