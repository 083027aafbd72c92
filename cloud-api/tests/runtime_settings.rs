//! Runtime settings, on both backends (the suite runs again on PostgreSQL): operators change
//! registration, the maintenance banner, plan limits and prices, dispatch knobs and alert
//! thresholds without a restart; each change is a version with old and new values, actor, reason
//! and ticket; the history can be rolled back (itself a new version); a stale or bad change is
//! refused without touching anything; and what was changed survives a restart.

use reqwest::StatusCode;
use serde_json::{json, Value};
use tseeder_protocol::Role;
use tseeder_testkit::cloud::{random_magnet, Answer, Client, SimAgent, TestServer, PASSWORD};

const WHY: &str = "planned database upgrade tonight";

fn setting<'a>(settings: &'a Value, key: &str) -> &'a Value {
    settings["settings"]
        .as_array()
        .expect("settings")
        .iter()
        .find(|s| s["key"] == key)
        .unwrap_or_else(|| panic!("no {key} in {settings}"))
}

async fn version(client: &Client) -> u64 {
    let answer = client.get("/api/v1/admin/settings").await;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    answer.body["version"].as_u64().expect("version")
}

async fn change(client: &Client, changes: Value) -> Answer {
    let expected = version(client).await;
    client
        .patch(
            "/api/v1/admin/settings",
            json!({ "changes": changes, "expectedVersion": expected, "reason": WHY, "ticketId": "OPS-12" }),
        )
        .await
}

#[tokio::test]
async fn operators_change_settings_that_take_effect_at_once_and_are_kept_as_versions() {
    let server = TestServer::start().await;
    let admin = server.user(Role::Admin).await;
    let support = server.user(Role::Support).await;

    let listed = support.get("/api/v1/admin/settings").await;
    assert_eq!(listed.status, StatusCode::OK, "{listed:?}");
    assert_eq!(listed.body["version"], 0);
    let open = setting(&listed.body, "registration.open");
    assert_eq!(
        (&open["value"], &open["default"], &open["changed"]),
        (&json!(true), &json!(true), &json!(false))
    );
    let price = setting(&listed.body, "plans.pro.price_cents");
    assert_eq!(
        (&price["value"], &price["editableBy"]),
        (&json!(900), &json!("superadmin"))
    );
    assert_eq!(setting(&listed.body, "dispatch.lease_seconds")["min"], 5);

    // Support reads but does not change.
    let refused = support
        .patch(
            "/api/v1/admin/settings",
            json!({ "changes": { "registration.open": false }, "expectedVersion": 0, "reason": WHY, "ticketId": "OPS-12" }),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{refused:?}");

    // Closing sign-up and showing a banner: one version, effective at once.
    let closed = change(
        &admin,
        json!({ "registration.open": false, "maintenance.banner": "Maintenance tonight 22:00–23:00 UTC" }),
    )
    .await;
    assert_eq!(closed.status, StatusCode::OK, "{closed:?}");
    assert_eq!(closed.body["version"], 1);
    assert_eq!(closed.body["actorEmail"], admin.email);
    assert_eq!(closed.body["ticketId"], "OPS-12");
    let mut changes = closed.body["changes"].as_array().expect("changes").clone();
    changes.sort_by_key(|c| c["key"].as_str().map(str::to_owned));
    assert_eq!(
        changes,
        vec![
            json!({ "key": "maintenance.banner", "old": "", "new": "Maintenance tonight 22:00–23:00 UTC" }),
            json!({ "key": "registration.open", "old": true, "new": false }),
        ]
    );
    let site = server.anon().get("/api/v1/config").await;
    assert_eq!(site.body["registrationOpen"], false, "{site:?}");
    assert_eq!(
        site.body["maintenanceBanner"],
        "Maintenance tonight 22:00–23:00 UTC"
    );
    let register = server
        .anon()
        .post(
            "/api/v1/auth/register",
            json!({ "email": "late@example.org", "password": PASSWORD, "acceptedAup": true }),
        )
        .await;
    assert_eq!(register.status, StatusCode::FORBIDDEN, "{register:?}");
    assert_eq!(register.code(), "registration_closed");

    // A plan limit is a setting: the plan page and the quota check follow it.
    let user = server.user(Role::User).await;
    let limited = change(&admin, json!({ "plans.free.max_active_jobs": 1 })).await;
    assert_eq!(limited.status, StatusCode::OK, "{limited:?}");
    let plans = server.anon().get("/api/v1/plans").await;
    let free = plans
        .body
        .as_array()
        .expect("plans")
        .iter()
        .find(|p| p["id"] == "free")
        .expect("free")
        .clone();
    assert_eq!(free["maxActiveJobs"], 1);
    let first = user
        .post("/api/v1/jobs", json!({ "magnet": random_magnet("one") }))
        .await;
    assert_eq!(first.status, StatusCode::CREATED, "{first:?}");
    let second = user
        .post("/api/v1/jobs", json!({ "magnet": random_magnet("two") }))
        .await;
    assert_eq!(second.code(), "quota_exceeded", "{second:?}");

    // Prices are the superadmin's; an admin is told so and nothing changes.
    let priced = change(&admin, json!({ "plans.pro.price_cents": 1200 })).await;
    assert_eq!(priced.status, StatusCode::FORBIDDEN, "{priced:?}");
    assert_eq!(priced.code(), "insufficient_role");
    let owner = server.user(Role::Superadmin).await;
    let priced = change(&owner, json!({ "plans.pro.price_cents": 1200 })).await;
    assert_eq!(priced.status, StatusCode::OK, "{priced:?}");

    // Dispatch knobs reach agents as they register.
    let leased = change(&admin, json!({ "dispatch.lease_seconds": 30 })).await;
    assert_eq!(leased.status, StatusCode::OK, "{leased:?}");
    let agent = SimAgent::issued(&server, &admin, "knob-agent", "eu", 1).await;
    let registered = agent.register("knob-agent", "eu", 1).await;
    assert_eq!(registered["leaseSeconds"], 30, "{registered}");

    // Bad changes are refused and leave the version as it was.
    let before = version(&admin).await;
    for (changes, status, code) in [
        (
            json!({ "dispatch.lease_seconds": 2 }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_setting",
        ),
        (
            json!({ "dispatch.lease_seconds": "60" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_setting",
        ),
        (
            json!({ "registration.open": "yes" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_setting",
        ),
        (
            json!({ "dispatch.lease_secs": 60 }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_setting",
        ),
        (
            json!({ "plans.gold.price_cents": 1 }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_setting",
        ),
        (
            json!({ "dispatch.lease_seconds": 30 }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "nothing_changed",
        ),
        (
            json!({}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "nothing_changed",
        ),
    ] {
        let answer = change(&admin, changes.clone()).await;
        assert_eq!(
            (answer.status, answer.code()),
            (status, code),
            "{changes}: {answer:?}"
        );
    }
    let unjustified = admin
        .patch(
            "/api/v1/admin/settings",
            json!({ "changes": { "registration.open": true }, "expectedVersion": before, "reason": "x", "ticketId": "OPS-1" }),
        )
        .await;
    assert_eq!(unjustified.code(), "reason_required", "{unjustified:?}");
    // A change made against an older version would overwrite someone else's.
    let stale = admin
        .patch(
            "/api/v1/admin/settings",
            json!({ "changes": { "registration.open": true }, "expectedVersion": before - 1, "reason": WHY, "ticketId": "OPS-1" }),
        )
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "{stale:?}");
    assert_eq!(stale.code(), "settings_changed");
    assert_eq!(version(&admin).await, before);
    assert_eq!(
        server.anon().get("/api/v1/config").await.body["registrationOpen"],
        false
    );

    // The history, newest first, and every change in the audit log.
    let history = support
        .get("/api/v1/admin/settings/history?perPage=2")
        .await;
    assert_eq!(history.status, StatusCode::OK, "{history:?}");
    assert_eq!(history.body["total"], 4);
    assert_eq!(history.body["items"][0]["version"], 4);
    assert_eq!(
        history.body["items"][0]["changes"],
        json!([{ "key": "dispatch.lease_seconds", "old": 60, "new": 30 }])
    );
    let audit = support
        .get("/api/v1/admin/audit?action=settings.change")
        .await;
    assert_eq!(audit.body["total"], 4, "{audit:?}");
    assert_eq!(audit.body["items"][0]["targetId"], "4");
    assert_eq!(audit.body["items"][0]["ticketId"], "OPS-12");

    // Restarted, the service keeps what was changed.
    let email = admin.email.clone();
    let server = server.restart().await;
    let mut admin = server.anon();
    admin.login(&email, PASSWORD).await;
    assert_eq!(
        server.anon().get("/api/v1/config").await.body["registrationOpen"],
        false
    );
    let listed = admin.get("/api/v1/admin/settings").await;
    assert_eq!(setting(&listed.body, "dispatch.lease_seconds")["value"], 30);
    assert_eq!(
        setting(&listed.body, "dispatch.lease_seconds")["changed"],
        true
    );
    assert_eq!(
        setting(&listed.body, "plans.free.max_active_jobs")["default"],
        2
    );
}

#[tokio::test]
async fn a_rollback_restores_every_setting_of_a_version_as_a_new_version() {
    let server = TestServer::start().await;
    let admin = server.user(Role::Admin).await;
    let step = |changes: Value| {
        let admin = &admin;
        async move {
            let answer = change(admin, changes).await;
            assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
        }
    };
    step(json!({ "maintenance.banner": "Back soon", "dispatch.max_attempts": 3 })).await; // v1
    step(json!({ "plans.free.retention_days": 3, "alerts.failed_jobs_per_hour": 10 })).await; // v2
    step(json!({ "maintenance.banner": "", "dispatch.max_attempts": 8 })).await; // v3

    // What returning to v1 would change, seen before doing it.
    let preview = admin.get("/api/v1/admin/settings/history/1").await;
    assert_eq!(preview.status, StatusCode::OK, "{preview:?}");
    assert_eq!(preview.body["version"]["version"], 1);
    let mut diff = preview.body["rollbackChanges"]
        .as_array()
        .expect("diff")
        .clone();
    diff.sort_by_key(|c| c["key"].as_str().map(str::to_owned));
    assert_eq!(
        diff,
        vec![
            json!({ "key": "alerts.failed_jobs_per_hour", "old": 10, "new": 3 }),
            json!({ "key": "dispatch.max_attempts", "old": 8, "new": 3 }),
            json!({ "key": "maintenance.banner", "old": "", "new": "Back soon" }),
            json!({ "key": "plans.free.retention_days", "old": 3, "new": 7 }),
        ]
    );

    let rolled = admin
        .post(
            "/api/v1/admin/settings/rollback",
            json!({ "version": 1, "expectedVersion": 3, "reason": "v2 and v3 broke the queue", "ticketId": "INC-9" }),
        )
        .await;
    assert_eq!(rolled.status, StatusCode::OK, "{rolled:?}");
    assert_eq!(
        (
            rolled.body["version"].as_u64(),
            rolled.body["rollbackOf"].as_u64()
        ),
        (Some(4), Some(1))
    );
    let listed = admin.get("/api/v1/admin/settings").await.body;
    assert_eq!(setting(&listed, "maintenance.banner")["value"], "Back soon");
    assert_eq!(setting(&listed, "dispatch.max_attempts")["value"], 3);
    assert_eq!(setting(&listed, "alerts.failed_jobs_per_hour")["value"], 3);
    assert_eq!(setting(&listed, "plans.free.retention_days")["value"], 7);
    assert_eq!(
        setting(&listed, "plans.free.retention_days")["changed"],
        false
    );
    let plans = server.anon().get("/api/v1/plans").await.body;
    assert_eq!(plans[0]["retentionDays"], 7);

    // Version 0 is the configuration file's values: nothing left changed.
    let reset = admin
        .post(
            "/api/v1/admin/settings/rollback",
            json!({ "version": 0, "expectedVersion": 4, "reason": "back to the configuration file", "ticketId": "INC-9" }),
        )
        .await;
    assert_eq!(reset.status, StatusCode::OK, "{reset:?}");
    let listed = admin.get("/api/v1/admin/settings").await.body;
    assert!(
        listed["settings"]
            .as_array()
            .expect("settings")
            .iter()
            .all(|s| s["changed"] == false && s["value"] == s["default"]),
        "{listed}"
    );
    assert_eq!(
        server.anon().get("/api/v1/config").await.body["maintenanceBanner"],
        Value::Null
    );
    let audit = admin
        .get("/api/v1/admin/audit?action=settings.rollback")
        .await;
    assert_eq!(audit.body["total"], 2, "{audit:?}");

    // Rolling back to where things are is no change; to a version that never was, not found.
    let again = admin
        .post(
            "/api/v1/admin/settings/rollback",
            json!({ "version": 0, "expectedVersion": 5, "reason": "back to the configuration file", "ticketId": "INC-9" }),
        )
        .await;
    assert_eq!(again.code(), "nothing_changed", "{again:?}");
    for version in ["99", "latest", "-1"] {
        let missing = admin
            .get(&format!("/api/v1/admin/settings/history/{version}"))
            .await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND, "{version}");
    }
}
