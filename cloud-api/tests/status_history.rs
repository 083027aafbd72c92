//! The status history, on both backends (the suite runs again on PostgreSQL): the sampler records
//! each component (storage by a real write, read and delete), days roll up into a strip with
//! their worst state and downtime, uptime counts major outage fully and partial outage at 30 %,
//! planned maintenance is not downtime, and operators open, update and resolve incidents that the
//! public history shows.

use chrono::{Duration, Utc};
use reqwest::StatusCode;
use serde_json::{json, Value};
use tseeder_protocol::{ComponentState, Role};
use tseeder_testkit::cloud::TestServer;

fn component<'a>(history: &'a Value, id: &str) -> &'a Value {
    history["components"]
        .as_array()
        .expect("components")
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no {id} in {history}"))
}

fn day(component: &Value, days_ago: i64) -> &Value {
    let wanted = (Utc::now() - Duration::days(days_ago))
        .format("%Y-%m-%d")
        .to_string();
    component["days"]
        .as_array()
        .expect("days")
        .iter()
        .find(|d| d["day"] == wanted.as_str())
        .unwrap_or_else(|| panic!("no {wanted} in {component}"))
}

fn at(days_ago: i64) -> i64 {
    // Noon of that day, so a sample never crosses midnight.
    let date = (Utc::now() - Duration::days(days_ago)).date_naive();
    date.and_hms_opt(12, 0, 0)
        .expect("noon")
        .and_utc()
        .timestamp_millis()
}

#[tokio::test]
async fn the_history_shows_days_uptime_incidents_and_maintenance() {
    let server = TestServer::start().await;
    let admin = server.user(Role::Admin).await;
    let support = server.user(Role::Support).await;
    let public = server.anon();

    // Before anything was sampled, every day of every component has no data.
    let empty = public.get("/api/v1/status/history").await;
    assert_eq!(empty.status, StatusCode::OK, "{empty:?}");
    assert_eq!(empty.body["days"], 90);
    let ids: Vec<&str> = empty.body["components"]
        .as_array()
        .expect("components")
        .iter()
        .map(|c| c["id"].as_str().expect("id"))
        .collect();
    assert_eq!(ids, ["api", "queue", "agents", "storage"]);
    let api = component(&empty.body, "api");
    assert_eq!(api["days"].as_array().map(Vec::len), Some(90));
    assert!(api["days"]
        .as_array()
        .expect("days")
        .iter()
        .all(|d| d["state"] == "no_data"));
    assert_eq!(api["uptime"]["last90d"], Value::Null);

    // An hour of major outage three days ago, a partial outage two days ago.
    let status = server.services.status();
    status
        .record(at(3), &[("api".into(), ComponentState::Outage)], 3600)
        .await
        .expect("record");
    status
        .record(
            at(3) + 1,
            &[("api".into(), ComponentState::Operational)],
            82_800,
        )
        .await
        .expect("record");
    status
        .record(
            at(2),
            &[("api".into(), ComponentState::PartialOutage)],
            1000,
        )
        .await
        .expect("record");
    status
        .record(
            at(2) + 1,
            &[("api".into(), ComponentState::Operational)],
            9000,
        )
        .await
        .expect("record");

    // The sampler now: storage is probed for real through the store.
    status.sample(60).await.expect("sample");
    let now = public.get("/api/v1/status").await;
    let storage = now.body["components"]
        .as_array()
        .expect("components")
        .iter()
        .find(|c| c["id"] == "storage")
        .cloned()
        .unwrap_or_else(|| panic!("no storage in {}", now.body));
    assert_eq!(storage["state"], "operational", "{storage}");
    assert!(storage["detail"]
        .as_str()
        .expect("detail")
        .contains("written, read and deleted"));
    let leftovers: Vec<_> = server.services.store().list("status/").await.expect("list");
    assert!(
        leftovers.is_empty(),
        "the probe removes what it wrote: {leftovers:?}"
    );

    // Maintenance of the API now: its samples count as planned, not as downtime.
    let starts = Utc::now() - Duration::minutes(5);
    let window = admin
        .post(
            "/api/v1/admin/status/maintenance",
            json!({ "title": "Database upgrade", "components": ["api"],
                    "startsAt": starts, "endsAt": Utc::now() + Duration::hours(1) }),
        )
        .await;
    assert_eq!(window.status, StatusCode::CREATED, "{window:?}");
    status
        .record(
            crate_now() + 1000,
            &[("api".into(), ComponentState::Outage)],
            60,
        )
        .await
        .expect("record");

    let history = public.get("/api/v1/status/history").await.body;
    let api = component(&history, "api");
    let three = day(api, 3);
    assert_eq!(three["state"], "major_outage", "{three}");
    assert_eq!(
        (
            three["downtimeMinutes"].as_u64(),
            three["observedMinutes"].as_u64()
        ),
        (Some(60), Some(1440))
    );
    assert_eq!(day(api, 2)["state"], "partial_outage");
    assert_eq!(day(api, 2)["partialOutageMinutes"], 17);
    let today = day(api, 0);
    assert_eq!(today["state"], "maintenance", "{today}");
    assert_eq!(today["maintenanceMinutes"], 1);
    assert_eq!(
        day(api, 4)["state"],
        "no_data",
        "before the component was recorded"
    );
    // 7 days: 3600 s major and 1000 s partial in 86 400 + 10 000 + 120 s observed.
    let expected = 100.0 * (1.0 - (3600.0 + 0.3 * 1000.0) / (86_400.0 + 10_000.0 + 120.0));
    let week = api["uptime"]["last7d"].as_f64().expect("7 d");
    assert!((week - expected).abs() < 1e-6, "{week} vs {expected}");
    assert_eq!(
        api["uptime"]["last24h"].as_f64(),
        Some(100.0),
        "maintenance is not downtime"
    );
    assert_eq!(history["maintenance"][0]["title"], "Database upgrade");
    let week_only = public.get("/api/v1/status/history?days=7").await.body;
    assert_eq!(
        component(&week_only, "queue")["days"]
            .as_array()
            .map(Vec::len),
        Some(7)
    );
    for bad in ["0", "401", "many"] {
        let refused = public
            .get(&format!("/api/v1/status/history?days={bad}"))
            .await;
        assert_eq!(
            refused.status,
            StatusCode::BAD_REQUEST,
            "{bad}: {refused:?}"
        );
    }

    // An incident: opened, updated, resolved; on the day's bar and in the audit log.
    let refused = support
        .post(
            "/api/v1/admin/status/incidents",
            json!({ "title": "Slow queue", "component": "queue", "severity": "minor", "note": "Looking" }),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let unknown = admin
        .post(
            "/api/v1/admin/status/incidents",
            json!({ "title": "Slow queue", "component": "database", "severity": "minor", "note": "Looking" }),
        )
        .await;
    assert_eq!(unknown.code(), "unknown_component", "{unknown:?}");
    let opened = admin
        .post(
            "/api/v1/admin/status/incidents",
            json!({ "title": "Jobs wait for agents", "component": "queue", "severity": "major",
                    "note": "Jobs are queued longer than usual; we are looking into it." }),
        )
        .await;
    assert_eq!(opened.status, StatusCode::CREATED, "{opened:?}");
    assert_eq!(opened.body["status"], "investigating");
    let id = opened.body["id"].as_str().expect("id").to_owned();
    let updates = format!("/api/v1/admin/status/incidents/{id}/updates");
    let identified = admin
        .post(
            &updates,
            json!({ "status": "identified", "note": "An agent region lost its network." }),
        )
        .await;
    assert_eq!(identified.status, StatusCode::OK, "{identified:?}");
    let resolved = admin
        .post(
            &updates,
            json!({ "status": "resolved", "note": "The region is back.", "severity": "minor" }),
        )
        .await;
    assert_eq!(resolved.body["status"], "resolved");
    assert_eq!(resolved.body["severity"], "minor");
    assert_ne!(resolved.body["resolvedAt"], Value::Null);
    assert_eq!(resolved.body["updates"].as_array().map(Vec::len), Some(3));
    assert_eq!(resolved.body["updates"][0]["note"], "The region is back.");
    let late = admin
        .post(
            &updates,
            json!({ "status": "monitoring", "note": "One more thing." }),
        )
        .await;
    assert_eq!(
        (late.status, late.code()),
        (StatusCode::CONFLICT, "incident_resolved")
    );

    let history = public.get("/api/v1/status/history").await.body;
    assert_eq!(history["incidents"][0]["title"], "Jobs wait for agents");
    let queue_today = day(component(&history, "queue"), 0);
    assert_eq!(
        queue_today["incidents"][0]["title"], "Jobs wait for agents",
        "{queue_today}"
    );
    assert_eq!(
        day(component(&history, "api"), 0)["incidents"]
            .as_array()
            .map(Vec::len),
        Some(0)
    );
    let listed = support.get("/api/v1/admin/status/incidents").await;
    assert_eq!(listed.body["total"], 1, "{listed:?}");
    for action in [
        "incident.open",
        "incident.update",
        "incident.resolve",
        "maintenance.schedule",
    ] {
        let audit = admin
            .get(&format!("/api/v1/admin/audit?action={action}"))
            .await;
        assert_eq!(audit.body["total"], 1, "{action}: {audit:?}");
    }

    // A cancelled window ends the maintenance at once.
    let window_id = window.body["id"].as_str().expect("id");
    let cancelled = admin
        .delete(&format!("/api/v1/admin/status/maintenance/{window_id}"))
        .await;
    assert_eq!(cancelled.status, StatusCode::NO_CONTENT);
    let again = admin
        .delete(&format!("/api/v1/admin/status/maintenance/{window_id}"))
        .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    assert_eq!(
        public.get("/api/v1/status/history").await.body["maintenance"],
        json!([])
    );
}

fn crate_now() -> i64 {
    Utc::now().timestamp_millis()
}
