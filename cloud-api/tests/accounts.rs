//! End to end over HTTP: registration with the mailed verification link, sign in and out,
//! password reset, API keys, suspension, session revocation and force-logout.

use cloud::{Client, TestServer, PASSWORD};
use reqwest::StatusCode;
use serde_json::json;
use tseeder_cloud::store::ToValue;
use tseeder_protocol::Role;
use tseeder_testkit::cloud;

#[tokio::test]
async fn register_verify_login_me_logout() {
    let server = TestServer::start().await;
    let mut browser = server.anon();

    let registered = browser
        .post(
            "/api/v1/auth/register",
            json!({ "email": " New.User@Example.org ", "password": PASSWORD, "acceptedAup": true }),
        )
        .await;
    assert_eq!(registered.status, StatusCode::ACCEPTED, "{registered:?}");
    assert_eq!(registered.body["ok"], true);
    assert!(
        registered.body.get("email").is_none(),
        "nothing about the account"
    );

    let refused = browser.login("new.user@example.org", PASSWORD).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(refused.code(), "email_not_verified");

    let token = server
        .mailed_token("new.user@example.org", "/verify-email")
        .await;
    let verified = browser
        .post("/api/v1/auth/verify-email", json!({ "token": token }))
        .await;
    assert_eq!(verified.status, StatusCode::OK, "{verified:?}");
    let again = browser
        .post("/api/v1/auth/verify-email", json!({ "token": token }))
        .await;
    assert_eq!(
        again.status,
        StatusCode::BAD_REQUEST,
        "tokens are single use"
    );

    let login = browser.login("NEW.USER@example.org", PASSWORD).await;
    assert_eq!(login.status, StatusCode::OK, "{login:?}");
    let cookie = login.headers["set-cookie"].to_str().expect("cookie");
    assert!(cookie.starts_with("tseeder_session="));
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"));
    assert!(browser.csrf.as_deref().is_some_and(|t| t.len() >= 43));

    let me = browser.get("/api/v1/auth/me").await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body["user"]["email"], "new.user@example.org");
    assert_eq!(me.body["user"]["role"], "user");
    assert_eq!(me.body["csrfToken"].as_str(), browser.csrf.as_deref());

    let out = browser.post("/api/v1/auth/logout", json!({})).await;
    assert_eq!(out.status, StatusCode::OK);
    assert_eq!(
        browser.get("/api/v1/auth/me").await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn registering_a_taken_address_answers_the_same_and_mails_its_owner() {
    let server = TestServer::start().await;
    let anon = server.anon();
    let body = |email: &str, password: &str, aup: bool| json!({ "email": email, "password": password, "acceptedAup": aup });
    let first = anon
        .post(
            "/api/v1/auth/register",
            body("dup@example.org", PASSWORD, true),
        )
        .await;
    assert_eq!(first.status, StatusCode::ACCEPTED);
    let dup = anon
        .post(
            "/api/v1/auth/register",
            body("DUP@example.org", "another passphrase", true),
        )
        .await;
    assert_eq!(
        (dup.status, &dup.body),
        (first.status, &first.body),
        "a taken address is not revealed"
    );
    let mut owner = server.anon();
    let verified = owner
        .post(
            "/api/v1/auth/verify-email",
            json!({ "token": server.mailed_token("dup@example.org", "/verify-email").await }),
        )
        .await;
    assert_eq!(verified.status, StatusCode::OK);
    assert_eq!(
        owner.login("dup@example.org", PASSWORD).await.status,
        StatusCode::OK,
        "the second sign-up changed nothing"
    );
    let no_aup = anon
        .post(
            "/api/v1/auth/register",
            body("a@example.org", PASSWORD, false),
        )
        .await;
    assert_eq!(
        (no_aup.status, no_aup.code()),
        (StatusCode::UNPROCESSABLE_ENTITY, "aup_not_accepted")
    );
    let weak = anon
        .post(
            "/api/v1/auth/register",
            body("b@example.org", "short", true),
        )
        .await;
    assert_eq!(weak.code(), "weak_password");
    let bad_email = anon
        .post(
            "/api/v1/auth/register",
            body("not-an-email", PASSWORD, true),
        )
        .await;
    assert_eq!(bad_email.code(), "invalid_email");
    let mails = server.outbox().await;
    assert_eq!(
        mails.len(),
        2,
        "the sign-up and the owner's notice: {mails:?}"
    );
    assert!(mails[1].contains("To: dup@example.org"));
    assert!(mails[1].contains("already has one"));
}

#[tokio::test]
async fn resend_verification_mails_a_fresh_link_and_retires_the_old() {
    let server = TestServer::start().await;
    let anon = server.anon();
    anon.post(
        "/api/v1/auth/register",
        json!({ "email": "slow@example.org", "password": PASSWORD, "acceptedAup": true }),
    )
    .await;
    let old = server
        .mailed_token("slow@example.org", "/verify-email")
        .await;
    let resent = anon
        .post(
            "/api/v1/auth/verify-email/resend",
            json!({ "email": "slow@example.org" }),
        )
        .await;
    assert_eq!(resent.status, StatusCode::ACCEPTED);
    let unknown = anon
        .post(
            "/api/v1/auth/verify-email/resend",
            json!({ "email": "nobody@example.org" }),
        )
        .await;
    assert_eq!(
        unknown.status,
        StatusCode::ACCEPTED,
        "no account enumeration"
    );
    assert_eq!(unknown.body["message"], resent.body["message"]);
    let new = server
        .mailed_token("slow@example.org", "/verify-email")
        .await;
    assert_ne!(old, new);
    let stale = anon
        .post("/api/v1/auth/verify-email", json!({ "token": old }))
        .await;
    assert_eq!(stale.status, StatusCode::BAD_REQUEST);
    let fresh = anon
        .post("/api/v1/auth/verify-email", json!({ "token": new }))
        .await;
    assert_eq!(fresh.status, StatusCode::OK);
}

#[tokio::test]
async fn password_reset_is_single_use_and_ends_every_session() {
    let server = TestServer::start().await;
    let laptop = server.user(Role::User).await;
    let email = laptop.email.clone();
    let mut phone = server.anon();
    assert_eq!(phone.login(&email, PASSWORD).await.status, StatusCode::OK);

    let anon = server.anon();
    let asked = anon
        .post(
            "/api/v1/auth/password-reset/request",
            json!({ "email": email }),
        )
        .await;
    assert_eq!(asked.status, StatusCode::ACCEPTED);
    let nobody = anon
        .post(
            "/api/v1/auth/password-reset/request",
            json!({ "email": "ghost@example.org" }),
        )
        .await;
    assert_eq!(nobody.status, StatusCode::ACCEPTED);
    assert_eq!(nobody.body["message"], asked.body["message"]);

    let token = server.mailed_token(&email, "/reset-password").await;
    let weak = anon
        .post(
            "/api/v1/auth/password-reset/confirm",
            json!({ "token": token, "newPassword": "short" }),
        )
        .await;
    assert_eq!(
        weak.code(),
        "weak_password",
        "a weak password does not burn the token"
    );
    let done = anon
        .post(
            "/api/v1/auth/password-reset/confirm",
            json!({ "token": token, "newPassword": "a brand new passphrase" }),
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{done:?}");
    let reuse = anon
        .post(
            "/api/v1/auth/password-reset/confirm",
            json!({ "token": token, "newPassword": "another new passphrase" }),
        )
        .await;
    assert_eq!(
        (reuse.status, reuse.code()),
        (StatusCode::BAD_REQUEST, "invalid_token")
    );

    assert_eq!(
        laptop.get("/api/v1/auth/me").await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        phone.get("/api/v1/auth/me").await.status,
        StatusCode::UNAUTHORIZED
    );
    let mut fresh = server.anon();
    assert_eq!(
        fresh.login(&email, PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        fresh.login(&email, "a brand new passphrase").await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn api_keys_are_shown_once_work_everywhere_and_die_when_revoked() {
    let server = TestServer::start().await;
    let owner = server.user(Role::User).await;
    let (key_id, secret) = owner.create_key("desktop app").await;
    assert!(secret.starts_with("tsk_"));

    let listed = owner.get("/api/v1/api-keys").await;
    let keys = listed.body.as_array().expect("list");
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0]["name"], "desktop app");
    assert!(secret.starts_with(keys[0]["prefix"].as_str().expect("prefix")));
    assert!(
        !listed.body.to_string().contains(&secret),
        "the secret is never listed"
    );

    let script = owner.with_key(&secret);
    let me = script.get("/api/v1/auth/me").await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body["user"]["email"], owner.email.as_str());
    assert!(me.body["csrfToken"].is_null());
    let created = script
        .post(
            "/api/v1/jobs",
            json!({ "magnet": cloud::random_magnet("via-key") }),
        )
        .await;
    assert_eq!(
        created.status,
        StatusCode::CREATED,
        "keys need no CSRF token: {created:?}"
    );

    assert_eq!(
        owner
            .delete(&format!("/api/v1/api-keys/{key_id}"))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    let revoked = script.get("/api/v1/auth/me").await;
    assert_eq!(
        (revoked.status, revoked.code()),
        (StatusCode::UNAUTHORIZED, "invalid_api_key")
    );
    let garbage = owner
        .with_key("tsk_not-a-real-key")
        .get("/api/v1/jobs")
        .await;
    assert_eq!(garbage.status, StatusCode::UNAUTHORIZED);
    assert!(owner
        .get("/api/v1/api-keys")
        .await
        .body
        .as_array()
        .expect("list")
        .is_empty());
}

#[tokio::test]
async fn suspension_locks_out_sessions_keys_and_logins_at_once() {
    let server = TestServer::start().await;
    let admin = server.user(Role::Admin).await;
    let user = server.user(Role::User).await;
    let (_, secret) = user.create_key("script").await;
    let script = user.with_key(&secret);

    let why = json!({ "reason": "chargeback fraud confirmed", "ticketId": "SEC-42" });
    let suspended = admin
        .post(
            &format!("/api/v1/admin/users/{}/suspend", user.user_id),
            why.clone(),
        )
        .await;
    assert_eq!(suspended.status, StatusCode::OK, "{suspended:?}");
    assert_eq!(suspended.body["user"]["suspended"], true);
    assert_eq!(suspended.body["activeSessions"], 0);

    assert_eq!(
        user.get("/api/v1/jobs").await.status,
        StatusCode::UNAUTHORIZED
    );
    // Suspension revokes the account's API keys too.
    let by_key = script.get("/api/v1/jobs").await;
    assert_eq!(
        (by_key.status, by_key.code()),
        (StatusCode::UNAUTHORIZED, "invalid_api_key")
    );
    let mut again = server.anon();
    let login = again.login(&user.email, PASSWORD).await;
    assert_eq!(
        (login.status, login.code()),
        (StatusCode::FORBIDDEN, "account_suspended")
    );

    let lifted = admin
        .post(
            &format!("/api/v1/admin/users/{}/unsuspend", user.user_id),
            why,
        )
        .await;
    assert_eq!(lifted.status, StatusCode::OK);
    // The key stays revoked: lifting a suspension does not bring back what it ended.
    assert_eq!(
        script.get("/api/v1/jobs").await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        again.login(&user.email, PASSWORD).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn revoking_a_session_and_force_logout_take_effect_at_once() {
    let server = TestServer::start().await;
    let laptop = server.user(Role::User).await;
    let mut phone = server.anon();
    phone.login(&laptop.email, PASSWORD).await;

    let sessions = laptop.get("/api/v1/auth/sessions").await;
    let list = sessions.body.as_array().expect("sessions");
    assert_eq!(list.len(), 2);
    let other = list
        .iter()
        .find(|s| s["current"] == false)
        .expect("the phone's session");
    let revoked = laptop
        .delete(&format!(
            "/api/v1/auth/sessions/{}",
            other["id"].as_str().expect("id")
        ))
        .await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT);
    assert_eq!(
        phone.get("/api/v1/auth/me").await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(laptop.get("/api/v1/auth/me").await.status, StatusCode::OK);

    let admin = server.user(Role::Admin).await;
    let ended = admin
        .post(
            &format!("/api/v1/admin/users/{}/force-logout", laptop.user_id),
            json!({ "reason": "account takeover suspected", "ticketId": "SEC-7" }),
        )
        .await;
    assert_eq!(ended.status, StatusCode::OK, "{ended:?}");
    assert_eq!(
        laptop.get("/api/v1/auth/me").await.status,
        StatusCode::UNAUTHORIZED
    );
    let mut back = Client::new(&server.base);
    assert_eq!(
        back.login(&laptop.email, PASSWORD).await.status,
        StatusCode::OK,
        "they may sign in again"
    );
}

#[tokio::test]
async fn failed_logins_are_recorded_and_rate_limited() {
    let server = TestServer::start_with(|s| {
        s.rate_limits.login_per_account = tseeder_cloud::config::Rate::new(3, 600);
    })
    .await;
    let victim = server.user(Role::User).await;
    let mut attacker = server.anon();
    for _ in 0..2 {
        let wrong = attacker.login(&victim.email, "wrong password!").await;
        assert_eq!(
            (wrong.status, wrong.code()),
            (StatusCode::UNAUTHORIZED, "invalid_credentials")
        );
    }
    let limited = attacker.login(&victim.email, "wrong password!").await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS, "{limited:?}");
    let retry: u64 = limited.headers["retry-after"]
        .to_str()
        .expect("header")
        .parse()
        .expect("secs");
    assert!((1..=600).contains(&retry));
    let blocked = attacker.login(&victim.email, PASSWORD).await;
    assert_eq!(
        blocked.status,
        StatusCode::TOO_MANY_REQUESTS,
        "even the right password waits"
    );

    let admin = server.user(Role::Support).await;
    let events = admin.get("/api/v1/admin/security-events").await;
    let kinds: Vec<&str> = events.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    assert_eq!(
        kinds.iter().filter(|k| **k == "login_failed").count(),
        2,
        "{kinds:?}"
    );
    assert!(kinds.contains(&"rate_limited"));
}

#[tokio::test]
async fn registration_is_rate_limited_per_address() {
    let server = TestServer::start_with(|s| {
        s.rate_limits.register_per_ip = tseeder_cloud::config::Rate::new(2, 3600);
    })
    .await;
    let anon = server.anon();
    for i in 0..2 {
        let ok = anon
            .post(
                "/api/v1/auth/register",
                json!({ "email": format!("r{i}@example.org"), "password": PASSWORD, "acceptedAup": true }),
            )
            .await;
        assert_eq!(ok.status, StatusCode::ACCEPTED);
    }
    let third = anon
        .post(
            "/api/v1/auth/register",
            json!({ "email": "r3@example.org", "password": PASSWORD, "acceptedAup": true }),
        )
        .await;
    assert_eq!(
        (third.status, third.code()),
        (StatusCode::TOO_MANY_REQUESTS, "rate_limited")
    );
    assert!(third.headers.contains_key("retry-after"));
}

#[tokio::test]
async fn expired_links_do_not_work() {
    let server = TestServer::start_with(|s| {
        s.sessions.email_verification_ttl_hours = 0;
        s.sessions.password_reset_ttl_minutes = 0;
    })
    .await;
    let anon = server.anon();
    anon.post(
        "/api/v1/auth/register",
        json!({ "email": "late@example.org", "password": PASSWORD, "acceptedAup": true }),
    )
    .await;
    let token = server
        .mailed_token("late@example.org", "/verify-email")
        .await;
    let verify = anon
        .post("/api/v1/auth/verify-email", json!({ "token": token }))
        .await;
    assert_eq!(
        (verify.status, verify.code()),
        (StatusCode::BAD_REQUEST, "invalid_token")
    );

    anon.post(
        "/api/v1/auth/password-reset/request",
        json!({ "email": "late@example.org" }),
    )
    .await;
    let token = server
        .mailed_token("late@example.org", "/reset-password")
        .await;
    let reset = anon
        .post(
            "/api/v1/auth/password-reset/confirm",
            json!({ "token": token, "newPassword": "a brand new passphrase" }),
        )
        .await;
    assert_eq!(
        (reset.status, reset.code()),
        (StatusCode::BAD_REQUEST, "invalid_token")
    );
}

#[tokio::test]
async fn bad_bearer_tokens_and_stale_cookies_are_recorded() {
    let server = TestServer::start().await;
    let user = server.user(Role::User).await;
    let forged = user.with_key("tsk_forged").get("/api/v1/auth/me").await;
    assert_eq!(forged.status, StatusCode::UNAUTHORIZED);
    let not_bearer = user
        .send(
            user.http
                .get(format!("{}/api/v1/auth/me", server.base))
                .header("authorization", "Basic Zm9vOmJhcg=="),
        )
        .await;
    assert_eq!(not_bearer.status, StatusCode::UNAUTHORIZED);
    let stale = user
        .send(
            reqwest::Client::new()
                .get(format!("{}/api/v1/auth/me", server.base))
                .header("cookie", "tseeder_session=made-up"),
        )
        .await;
    assert_eq!(stale.status, StatusCode::UNAUTHORIZED);

    // Many more forged keys from the same address: still one row, with their count.
    for _ in 0..20 {
        user.with_key("tsk_forged").get("/api/v1/auth/me").await;
    }
    server.services.sweep_counters().await;
    let support = server.user(Role::Support).await;
    let keys = support
        .get("/api/v1/admin/security-events?kind=invalid_api_key")
        .await;
    assert_eq!(keys.body["total"], 1, "{keys:?}");
    assert_eq!(keys.body["items"][0]["detail"]["count"], 22, "{keys:?}");
    let cookies = support
        .get("/api/v1/admin/security-events?kind=invalid_session")
        .await;
    assert_eq!(cookies.body["total"], 1);
}

/// The session cookie a fresh login sets, as a `Cookie` header value.
async fn session_cookie(server: &TestServer, email: &str) -> String {
    let mut client = server.anon();
    let login = client.login(email, PASSWORD).await;
    let set = login.headers["set-cookie"].to_str().expect("cookie");
    set.split(';').next().expect("pair").to_owned()
}

#[tokio::test]
async fn a_key_and_a_cookie_in_one_request_must_both_hold_for_the_same_user() {
    let server = TestServer::start().await;
    let alice = server.user(Role::User).await;
    let bob = server.user(Role::User).await;
    let (_, alice_key) = alice.create_key("both").await;
    let alice_cookie = session_cookie(&server, &alice.email).await;
    let bob_cookie = session_cookie(&server, &bob.email).await;
    let me = |key: &str, cookie: &str| {
        reqwest::Client::new()
            .get(format!("{}/api/v1/auth/me", server.base))
            .bearer_auth(key)
            .header("cookie", cookie)
    };

    let own = alice.send(me(&alice_key, &alice_cookie)).await;
    assert_eq!(own.status, StatusCode::OK, "{own:?}");
    assert_eq!(own.body["user"]["email"], alice.email.as_str());

    // A dead cookie next to a good key, a good cookie next to a dead key, and two live
    // credentials of different people are all refused.
    let dead_cookie = alice.send(me(&alice_key, "tseeder_session=made-up")).await;
    assert_eq!(dead_cookie.status, StatusCode::UNAUTHORIZED);
    assert_eq!(dead_cookie.code(), "invalid_session");
    let empty_cookie = alice.send(me(&alice_key, "tseeder_session=")).await;
    assert_eq!(empty_cookie.status, StatusCode::UNAUTHORIZED);
    let dead_key = alice.send(me("tsk_made-up", &alice_cookie)).await;
    assert_eq!(dead_key.status, StatusCode::UNAUTHORIZED);
    assert_eq!(dead_key.code(), "invalid_api_key");
    let mixed = alice.send(me(&alice_key, &bob_cookie)).await;
    assert_eq!(mixed.status, StatusCode::UNAUTHORIZED);
    assert_eq!(mixed.code(), "invalid_session");
}

/// A login from behind the operator's proxy on 127.0.0.1, whose `X-Forwarded-For` ends with
/// the address the proxy saw and may start with anything the client sent.
async fn login_via_proxy(server: &TestServer, email: &str, forwarded_for: &str) -> StatusCode {
    reqwest::Client::new()
        .post(format!("{}/api/v1/auth/login", server.base))
        .header("x-forwarded-for", forwarded_for)
        .json(&json!({ "email": email, "password": "not the password" }))
        .send()
        .await
        .expect("login")
        .status()
}

#[tokio::test]
async fn behind_a_proxy_a_client_cannot_choose_the_address_it_is_limited_by() {
    let server = TestServer::start_with(|s| {
        s.trusted_proxies = vec!["127.0.0.1/32".into()];
        s.rate_limits.login_per_ip = tseeder_cloud::config::Rate::new(2, 600);
    })
    .await;
    // A different made-up first entry every time; the proxy appended the real address.
    for spoofed in ["1.1.1.1", "2.2.2.2"] {
        let status =
            login_via_proxy(&server, "x@example.org", &format!("{spoofed}, 203.0.113.5")).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let third = login_via_proxy(&server, "x@example.org", "3.3.3.3, 203.0.113.5").await;
    assert_eq!(third, StatusCode::TOO_MANY_REQUESTS);
    // Another client behind the same proxy has its own count.
    let other = login_via_proxy(&server, "x@example.org", "203.0.113.6").await;
    assert_eq!(other, StatusCode::UNAUTHORIZED);
    // IPv6 clients count by their /64: rotating the low bits does not help.
    for (i, status) in [
        StatusCode::UNAUTHORIZED,
        StatusCode::UNAUTHORIZED,
        StatusCode::TOO_MANY_REQUESTS,
    ]
    .into_iter()
    .enumerate()
    {
        let address = format!("2001:db8:7:7::{:x}", i + 1);
        assert_eq!(
            login_via_proxy(&server, "x@example.org", &address).await,
            status
        );
    }
}

#[tokio::test]
async fn guessing_the_current_password_through_a_stolen_session_is_rate_limited() {
    let server = TestServer::start_with(|s| {
        s.rate_limits.password_change_per_account = tseeder_cloud::config::Rate::new(5, 900);
    })
    .await;
    let user = server.user(Role::User).await;
    let mut statuses = Vec::new();
    for _ in 0..6 {
        let answer = user
            .post(
                "/api/v1/auth/password",
                json!({ "currentPassword": "a guess at it", "newPassword": "a new passphrase" }),
            )
            .await;
        statuses.push(answer.status);
    }
    assert_eq!(statuses[..5], [StatusCode::FORBIDDEN; 5]);
    assert_eq!(statuses[5], StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn a_session_left_unused_past_the_idle_timeout_ends() {
    let server = TestServer::start_with(|s| s.sessions.idle_timeout_hours = 1).await;
    let user = server.user(Role::User).await;
    assert_eq!(user.get("/api/v1/auth/me").await.status, StatusCode::OK);
    // Two hours without a request.
    server
        .execute_sql(
            "UPDATE sessions SET last_seen_at = last_seen_at - 7200000 WHERE user_id = ?1",
            vec![user.user_id.to_value()],
        )
        .await;
    assert_eq!(
        user.get("/api/v1/auth/me").await.status,
        StatusCode::UNAUTHORIZED
    );
}
