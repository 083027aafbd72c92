//! A credential that was revoked stops working everywhere at once: a password reset, a forced
//! logout and a suspension end the account's sessions, API keys, device tokens and open live
//! streams; a password change offers the same; keys are made only by a session that proves the
//! password again.

use cloud::{Client, LiveStream, TestServer, PASSWORD};
use reqwest::StatusCode;
use serde_json::json;
use std::time::Duration;
use tseeder_protocol::Role;
use tseeder_testkit::cloud;

/// Everything a signed-in user may hold besides the browser session: an API key, a client
/// using it, a device token, and a live stream opened with the key.
struct Held {
    keyed: Client,
    device_token: String,
    stream: LiveStream,
}

async fn hold_every_credential(user: &Client) -> Held {
    let (_, key) = user.create_key("script").await;
    let keyed = user.with_key(&key);
    let device = keyed
        .post("/api/v1/devices", json!({ "name": "laptop" }))
        .await;
    assert_eq!(device.status, StatusCode::CREATED, "{device:?}");
    let device_token = device.body["token"].as_str().expect("token").to_owned();
    let mut stream = LiveStream::open(&keyed, "/api/v1/jobs/live").await;
    let (first, _) = stream.next(Duration::from_secs(5)).await;
    assert_eq!(first, "snapshot");
    let held = Held {
        keyed,
        device_token,
        stream,
    };
    assert_eq!(
        held.keyed.get("/api/v1/auth/me").await.status,
        StatusCode::OK
    );
    assert_eq!(
        device_heartbeat(user, &held.device_token).await,
        StatusCode::OK
    );
    held
}

async fn device_heartbeat(any: &Client, token: &str) -> StatusCode {
    any.with_key(token)
        .post("/api/v1/agent/heartbeat", json!({ "leases": [] }))
        .await
        .status
}

async fn assert_all_revoked(server: &TestServer, held: &mut Held) {
    assert_eq!(
        held.keyed.get("/api/v1/auth/me").await.status,
        StatusCode::UNAUTHORIZED,
        "the API key still works"
    );
    assert_eq!(
        device_heartbeat(&server.anon(), &held.device_token).await,
        StatusCode::UNAUTHORIZED,
        "the device token still works"
    );
    assert!(
        held.stream.ends_within(Duration::from_secs(5)).await,
        "the live stream opened with the key stayed open"
    );
}

#[tokio::test]
async fn a_password_reset_revokes_keys_devices_and_live_streams() {
    let server = TestServer::start().await;
    let user = server.user(Role::User).await;
    let mut held = hold_every_credential(&user).await;
    let anon = server.anon();
    anon.post(
        "/api/v1/auth/password-reset/request",
        json!({ "email": user.email }),
    )
    .await;
    let token = server.mailed_token(&user.email, "/reset-password").await;
    let done = anon
        .post(
            "/api/v1/auth/password-reset/confirm",
            json!({ "token": token, "newPassword": "a brand new passphrase" }),
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{done:?}");
    assert_all_revoked(&server, &mut held).await;
    assert_eq!(
        user.get("/api/v1/auth/me").await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn force_logout_and_suspension_revoke_keys_devices_and_live_streams() {
    let server = TestServer::start().await;
    let admin = server.user(Role::Admin).await;
    for action in ["force-logout", "suspend"] {
        let user = server.user(Role::User).await;
        let mut held = hold_every_credential(&user).await;
        let answer = admin
            .post(
                &format!("/api/v1/admin/users/{}/{action}", user.user_id),
                json!({ "reason": "account takeover suspected", "ticketId": "SEC-9" }),
            )
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{action}: {answer:?}");
        assert_all_revoked(&server, &mut held).await;
        let audit = admin
            .get(&format!("/api/v1/admin/audit?targetId={}", user.user_id))
            .await;
        let entry = &audit.body["items"][0];
        assert_eq!(entry["detail"]["apiKeysRevoked"], 1, "{action}: {audit:?}");
        assert_eq!(entry["detail"]["devicesRevoked"], 1, "{action}: {audit:?}");
    }
}

#[tokio::test]
async fn a_password_change_signs_out_everywhere_only_when_asked() {
    let server = TestServer::start().await;
    let user = server.user(Role::User).await;
    let mut held = hold_every_credential(&user).await;
    let kept = user
        .post(
            "/api/v1/auth/password",
            json!({ "currentPassword": PASSWORD, "newPassword": "second passphrase here" }),
        )
        .await;
    assert_eq!(kept.status, StatusCode::OK, "{kept:?}");
    assert_eq!(
        held.keyed.get("/api/v1/auth/me").await.status,
        StatusCode::OK
    );
    assert!(!held.stream.ends_within(Duration::from_secs(1)).await);

    let everywhere = user
        .post(
            "/api/v1/auth/password",
            json!({
                "currentPassword": "second passphrase here",
                "newPassword": "third passphrase here",
                "signOutEverywhere": true,
            }),
        )
        .await;
    assert_eq!(everywhere.status, StatusCode::OK, "{everywhere:?}");
    assert_all_revoked(&server, &mut held).await;
    assert_eq!(
        user.get("/api/v1/auth/me").await.status,
        StatusCode::OK,
        "the session that changed it stays"
    );
}

#[tokio::test]
async fn keys_are_made_by_a_session_with_the_password_never_by_a_key() {
    let server = TestServer::start().await;
    let user = server.user(Role::User).await;
    let (_, key) = user.create_key("first").await;
    let by_key = user
        .with_key(&key)
        .post(
            "/api/v1/api-keys",
            json!({ "name": "second", "currentPassword": PASSWORD }),
        )
        .await;
    assert_eq!(
        (by_key.status, by_key.code()),
        (StatusCode::FORBIDDEN, "session_required")
    );
    let wrong = user
        .post(
            "/api/v1/api-keys",
            json!({ "name": "second", "currentPassword": "not my password" }),
        )
        .await;
    assert_eq!(
        (wrong.status, wrong.code()),
        (StatusCode::FORBIDDEN, "wrong_password")
    );
    let missing = user
        .post("/api/v1/api-keys", json!({ "name": "second" }))
        .await;
    assert_eq!(
        missing.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{missing:?}"
    );
    let listed = user.get("/api/v1/api-keys").await;
    assert_eq!(listed.body.as_array().expect("keys").len(), 1);
}
