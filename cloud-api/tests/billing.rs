//! Stripe billing against the suite's Stripe stand-in (testkit `stripe`), on both backends:
//! Checkout is opened with what Stripe needs and one customer per organization (a team's bought
//! by its owner and shared by its members); the stand-in's payment
//! posts signed events that put the user on the plan (audited); webhooks built and signed here
//! check order safety, cancellation at period end, the past-due grace period, replays, a wrong
//! secret and a stale timestamp; a team's owner, and no one else, lists its invoices from
//! Stripe; with billing off the routes say so and operators assign plans.

use reqwest::StatusCode;
use serde_json::{json, Value};
use tseeder_cloud::config::Secret;
use tseeder_protocol::Role;
use tseeder_testkit::cloud::{Client, TestServer};
use tseeder_testkit::stripe::{
    event, signature, subscription, StripeSim, INVOICE_AMOUNT, INVOICE_CURRENCY, SECRET_KEY,
    WEBHOOK_SECRET,
};

const DAY_MS: i64 = 86_400_000;
const WHY: &str = "annual deal agreed by sales";

async fn billed_server(stripe: &StripeSim) -> TestServer {
    let api = stripe.base.clone();
    let server = TestServer::start_with(move |settings| {
        settings.billing.stripe.api_base = api;
        settings.billing.stripe.secret_key = Some(Secret::new(SECRET_KEY));
        settings.billing.stripe.webhook_secret = Some(Secret::new(WEBHOOK_SECRET));
        settings.billing.past_due_grace_days = 3;
        settings
            .billing
            .prices
            .insert("pro".into(), "price_suite_pro".into());
    })
    .await;
    stripe.set_webhook_url(&format!("{}/api/v1/billing/webhook", server.base));
    server
}

fn now_secs() -> i64 {
    tseeder_cloud::store::now_ms() / 1000
}

/// Posts `body` to the webhook signed with `secret` at `t`.
async fn post_event(server: &TestServer, body: &str, secret: &str, t: i64) -> (StatusCode, Value) {
    let response = reqwest::Client::new()
        .post(format!("{}/api/v1/billing/webhook", server.base))
        .header("content-type", "application/json")
        .header("stripe-signature", signature(secret, t, body))
        .body(body.to_owned())
        .send()
        .await
        .expect("webhook");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn deliver(server: &TestServer, body: &str) -> Value {
    let (status, answer) = post_event(server, body, WEBHOOK_SECRET, now_secs()).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    answer
}

async fn plan_of(client: &Client) -> String {
    let billing = client.get("/api/v1/billing").await;
    assert_eq!(billing.status, StatusCode::OK, "{billing:?}");
    billing.body["plan"]["id"]
        .as_str()
        .expect("plan")
        .to_owned()
}

/// A user with a Stripe customer (made by opening a Checkout) and its id.
async fn customer_of(server: &TestServer, stripe: &StripeSim) -> (Client, String) {
    let user = server.user(Role::User).await;
    let opened = user
        .post("/api/v1/billing/checkout", json!({ "plan": "pro" }))
        .await;
    assert_eq!(opened.status, StatusCode::OK, "{opened:?}");
    let customer = stripe
        .customers()
        .into_iter()
        .find(|(_, email)| *email == user.email)
        .expect("customer")
        .0;
    (user, customer)
}

fn subscribed(id: &str, customer: &str, status: &str, period_end: i64, cancels: bool) -> Value {
    subscription(
        id,
        customer,
        status,
        "price_suite_pro",
        period_end,
        cancels,
        now_secs() - 60,
    )
}

/// Mails to `email` whose text holds `subject` (quoted-printable undone).
async fn mails_to(server: &TestServer, email: &str, subject: &str) -> Vec<String> {
    server
        .outbox()
        .await
        .into_iter()
        .filter(|mail| mail.contains(&format!("To: {email}")) && mail.contains(subject))
        .collect()
}

async fn audit_of(server: &TestServer, user_id: &str, action: &str) -> Vec<Value> {
    let admin = server.user(Role::Admin).await;
    let audit = admin
        .get(&format!(
            "/api/v1/admin/audit?action={action}&targetId={user_id}"
        ))
        .await;
    assert_eq!(audit.status, StatusCode::OK, "{audit:?}");
    audit.body["items"].as_array().expect("items").clone()
}

#[tokio::test]
async fn checkout_sends_what_stripe_needs_and_reuses_one_customer() {
    let stripe = StripeSim::start().await;
    let server = billed_server(&stripe).await;
    let user = server.user(Role::User).await;

    let overview = user.get("/api/v1/billing").await;
    assert_eq!(overview.body["enabled"], true);
    assert_eq!(overview.body["plan"]["id"], "free");
    assert_eq!(overview.body["purchasable"], json!(["pro"]));
    assert_eq!(overview.body["hasBillingAccount"], false);

    for _ in 0..2 {
        let opened = user
            .post("/api/v1/billing/checkout", json!({ "plan": "pro" }))
            .await;
        assert_eq!(opened.status, StatusCode::OK, "{opened:?}");
        let url = opened.body["url"].as_str().expect("url");
        assert!(
            url.starts_with(&format!("{}/c/pay/cs_test_", stripe.base)),
            "{url}"
        );
    }
    let calls = stripe.calls();
    assert!(calls.iter().all(|call| call.authorized), "{calls:?}");
    let customers: Vec<_> = calls.iter().filter(|c| c.path == "/v1/customers").collect();
    assert_eq!(
        customers.len(),
        1,
        "the customer is created once and reused"
    );
    assert_eq!(customers[0].form["email"], user.email);
    // A user's own purchase is billed to their personal organization.
    let personal = format!("org_{}", user.user_id);
    assert_eq!(customers[0].form["metadata[org_id]"], personal);
    assert_eq!(
        customers[0].idempotency_key.as_deref(),
        Some(format!("customer-{personal}").as_str())
    );
    let customer = &stripe.customers()[0].0;
    let sessions: Vec<_> = calls
        .iter()
        .filter(|c| c.path == "/v1/checkout/sessions")
        .collect();
    assert_eq!(sessions.len(), 2);
    for session in sessions {
        let form = &session.form;
        assert_eq!(form["mode"], "subscription");
        assert_eq!(form["customer"], *customer);
        assert_eq!(form["client_reference_id"], personal);
        assert_eq!(form["subscription_data[metadata][org_id]"], personal);
        assert_eq!(form["line_items[0][price]"], "price_suite_pro");
        assert_eq!(form["line_items[0][quantity]"], "1");
        assert_eq!(form["metadata[plan]"], "pro");
        assert_eq!(
            form["success_url"],
            format!("{}/settings?billing=success", server.base)
        );
        assert_eq!(
            form["cancel_url"],
            format!("{}/settings?billing=cancelled", server.base)
        );
    }

    let not_for_sale = user
        .post("/api/v1/billing/checkout", json!({ "plan": "business" }))
        .await;
    assert_eq!(not_for_sale.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(not_for_sale.code(), "plan_not_purchasable");
    let free = user
        .post("/api/v1/billing/checkout", json!({ "plan": "free" }))
        .await;
    assert_eq!(free.code(), "plan_not_purchasable");
    let unknown = user
        .post("/api/v1/billing/checkout", json!({ "plan": "gold" }))
        .await;
    assert_eq!(unknown.code(), "unknown_plan");

    // Stripe down: setting the billing address first is best effort, the checkout is not.
    stripe.fail_next(2);
    let outage = user
        .post("/api/v1/billing/checkout", json!({ "plan": "pro" }))
        .await;
    assert_eq!(outage.status, StatusCode::BAD_GATEWAY);
    assert_eq!(outage.code(), "payment_provider_failed");
    assert!(
        !outage.body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("unknown error"),
        "Stripe's detail is logged, not returned: {outage:?}"
    );

    let portal = user.post("/api/v1/billing/portal", json!({})).await;
    assert_eq!(portal.status, StatusCode::OK, "{portal:?}");
    let call = stripe.calls().into_iter().last().expect("portal call");
    assert_eq!(call.path, "/v1/billing_portal/sessions");
    assert_eq!(call.form["customer"], *customer);
    assert_eq!(call.form["return_url"], format!("{}/settings", server.base));

    let stranger = server.user(Role::User).await;
    let no_account = stranger.post("/api/v1/billing/portal", json!({})).await;
    assert_eq!(no_account.status, StatusCode::CONFLICT);
    assert_eq!(no_account.code(), "no_billing_account");
}

#[tokio::test]
async fn paying_at_checkout_puts_the_user_on_the_plan_and_is_audited() {
    let stripe = StripeSim::start().await;
    let server = billed_server(&stripe).await;
    let user = server.user(Role::User).await;
    let opened = user
        .post("/api/v1/billing/checkout", json!({ "plan": "pro" }))
        .await;
    let url = opened.body["url"].as_str().expect("url").to_owned();

    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let paid = browser.post(&url).send().await.expect("pay");
    assert_eq!(paid.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        paid.headers()["location"],
        format!("{}/settings?billing=success", server.base).as_str()
    );
    assert_eq!(
        stripe.deliveries(),
        vec![
            ("checkout.session.completed".to_owned(), 200),
            ("customer.subscription.created".to_owned(), 200)
        ]
    );

    let overview = user.get("/api/v1/billing").await.body;
    assert_eq!(overview["plan"]["id"], "pro");
    assert_eq!(overview["subscription"]["status"], "active");
    assert_eq!(overview["subscription"]["planId"], "pro");
    assert_eq!(overview["subscription"]["cancelAtPeriodEnd"], false);
    assert!(overview["subscription"]["currentPeriodEnd"].is_string());
    assert_eq!(overview["hasBillingAccount"], true);
    let usage = user.get("/api/v1/usage").await.body;
    assert_eq!(usage["plan"]["id"], "pro", "quotas follow the plan");

    let again = user
        .post("/api/v1/billing/checkout", json!({ "plan": "pro" }))
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(again.code(), "already_subscribed");

    let audit = audit_of(&server, &user.user_id, "billing.plan_change").await;
    assert_eq!(audit.len(), 1, "{audit:?}");
    assert_eq!(audit[0]["actorEmail"], "billing");
    assert_eq!(audit[0]["detail"]["from"], "free");
    assert_eq!(audit[0]["detail"]["to"], "pro");

    let admin = server.user(Role::Support).await;
    let seen = admin
        .get(&format!("/api/v1/admin/users/{}/billing", user.user_id))
        .await;
    assert_eq!(seen.status, StatusCode::OK, "{seen:?}");
    assert_eq!(seen.body["subscription"]["status"], "active");
}

#[tokio::test]
async fn an_older_subscription_state_never_overwrites_a_newer_one() {
    let stripe = StripeSim::start().await;
    let server = billed_server(&stripe).await;
    let (user, customer) = customer_of(&server, &stripe).await;
    let end = now_secs() + 20 * 86_400;
    let t = now_secs();

    let newer = event(
        "evt_newer",
        "customer.subscription.updated",
        t,
        subscribed("sub_order", &customer, "active", end, true),
    );
    let older = event(
        "evt_older",
        "customer.subscription.updated",
        t - 100,
        subscribed("sub_order", &customer, "past_due", end, false),
    );
    deliver(&server, &newer).await;
    assert_eq!(deliver(&server, &older).await["applied"], true);

    let overview = user.get("/api/v1/billing").await.body;
    assert_eq!(overview["plan"]["id"], "pro");
    assert_eq!(overview["subscription"]["status"], "active");
    assert_eq!(overview["subscription"]["cancelAtPeriodEnd"], true);

    // A cancelled subscription never comes back, whatever arrives after.
    let deleted = event(
        "evt_deleted",
        "customer.subscription.deleted",
        t + 10,
        subscribed("sub_order", &customer, "canceled", now_secs() - 1, false),
    );
    let late_update = event(
        "evt_late",
        "customer.subscription.updated",
        t + 20,
        subscribed("sub_order", &customer, "active", end, false),
    );
    deliver(&server, &deleted).await;
    deliver(&server, &late_update).await;
    let overview = user.get("/api/v1/billing").await.body;
    assert_eq!(overview["subscription"]["status"], "canceled");
    assert_eq!(overview["plan"]["id"], "free");
}

#[tokio::test]
async fn a_cancelled_subscription_keeps_the_plan_until_its_period_ends() {
    let stripe = StripeSim::start().await;
    let server = billed_server(&stripe).await;
    let (user, customer) = customer_of(&server, &stripe).await;
    let end = now_secs() + 5 * 86_400;
    deliver(
        &server,
        &event(
            "evt_c1",
            "customer.subscription.created",
            now_secs() - 10,
            subscribed("sub_cancel", &customer, "active", end, false),
        ),
    )
    .await;
    assert_eq!(plan_of(&user).await, "pro");
    deliver(
        &server,
        &event(
            "evt_c2",
            "customer.subscription.deleted",
            now_secs(),
            subscribed("sub_cancel", &customer, "canceled", end, false),
        ),
    )
    .await;
    assert_eq!(plan_of(&user).await, "pro", "paid until the period ends");

    let billing = server.services.billing();
    let now = tseeder_cloud::store::now_ms();
    assert_eq!(billing.settle(now + 4 * DAY_MS).await.expect("settle"), 0);
    assert_eq!(plan_of(&user).await, "pro");
    assert!(mails_to(&server, &user.email, "now on the free plan")
        .await
        .is_empty());
    assert_eq!(billing.settle(now + 6 * DAY_MS).await.expect("settle"), 1);
    assert_eq!(plan_of(&user).await, "free");
    let lapsed = mails_to(&server, &user.email, "now on the free plan").await;
    assert_eq!(lapsed.len(), 1, "{lapsed:?}");
    assert!(lapsed[0].contains("subscription ended"), "{}", lapsed[0]);
    assert_eq!(billing.settle(now + 7 * DAY_MS).await.expect("settle"), 0);

    let audit = audit_of(&server, &user.user_id, "billing.plan_change").await;
    let moves: Vec<_> = audit
        .iter()
        .map(|entry| entry["detail"]["to"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(moves, vec!["free", "pro"], "newest first");
}

#[tokio::test]
async fn a_failed_payment_keeps_the_plan_for_the_grace_period() {
    let stripe = StripeSim::start().await;
    let server = billed_server(&stripe).await;
    let (user, customer) = customer_of(&server, &stripe).await;
    let end = now_secs() + 30 * 86_400;
    deliver(
        &server,
        &event(
            "evt_p1",
            "customer.subscription.created",
            now_secs() - 10,
            subscribed("sub_due", &customer, "active", end, false),
        ),
    )
    .await;
    deliver(
        &server,
        &event(
            "evt_p2",
            "invoice.payment_failed",
            now_secs(),
            json!({ "id": "in_1", "object": "invoice", "customer": customer,
                "subscription": "sub_due", "attempt_count": 1 }),
        ),
    )
    .await;
    let overview = user.get("/api/v1/billing").await.body;
    assert_eq!(overview["plan"]["id"], "pro");
    assert_eq!(overview["subscription"]["status"], "past_due");
    assert!(
        overview["subscription"]["graceEndsAt"].is_string(),
        "{overview}"
    );

    let billing = server.services.billing();
    let now = tseeder_cloud::store::now_ms();
    assert_eq!(billing.settle(now + 2 * DAY_MS).await.expect("settle"), 0);
    assert_eq!(plan_of(&user).await, "pro");
    assert_eq!(
        billing
            .settle(now + 3 * DAY_MS + 60_000)
            .await
            .expect("settle"),
        1
    );
    assert_eq!(plan_of(&user).await, "free");

    // The payment finally goes through: the plan comes back.
    deliver(
        &server,
        &event(
            "evt_p3",
            "customer.subscription.updated",
            now_secs() + 1,
            subscribed("sub_due", &customer, "active", end, false),
        ),
    )
    .await;
    assert_eq!(plan_of(&user).await, "pro");
}

#[tokio::test]
async fn replays_bad_signatures_and_stale_timestamps_change_nothing() {
    let stripe = StripeSim::start().await;
    let server = billed_server(&stripe).await;
    let (user, customer) = customer_of(&server, &stripe).await;
    let body = event(
        "evt_once",
        "customer.subscription.created",
        now_secs(),
        subscribed("sub_once", &customer, "active", now_secs() + 86_400, false),
    );
    assert_eq!(deliver(&server, &body).await["applied"], true);
    assert_eq!(
        deliver(&server, &body).await["applied"],
        false,
        "a replay is ignored"
    );
    assert_eq!(
        audit_of(&server, &user.user_id, "billing.plan_change")
            .await
            .len(),
        1
    );

    let cancel = event(
        "evt_forged",
        "customer.subscription.deleted",
        now_secs(),
        subscribed("sub_once", &customer, "canceled", now_secs() - 1, false),
    );
    let (status, answer) = post_event(&server, &cancel, "whsec_someone_else", now_secs()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(answer["error"]["code"], "webhook_signature_invalid");
    let (status, answer) = post_event(&server, &cancel, WEBHOOK_SECRET, now_secs() - 301).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(answer["error"]["code"], "webhook_signature_invalid");
    let unsigned = reqwest::Client::new()
        .post(format!("{}/api/v1/billing/webhook", server.base))
        .body(cancel.clone())
        .send()
        .await
        .expect("webhook");
    assert_eq!(unsigned.status(), StatusCode::BAD_REQUEST);
    // Stripe signs with the old and the new secret while one is rolled.
    let t = now_secs();
    let rolled = format!(
        "{},v1={}",
        signature("whsec_previous", t, &cancel),
        signature(WEBHOOK_SECRET, t, &cancel)
            .split_once("v1=")
            .expect("v1")
            .1
    );
    assert_eq!(plan_of(&user).await, "pro", "nothing forged was applied");

    let admin = server.user(Role::Admin).await;
    let events = admin
        .get("/api/v1/admin/security-events?kind=billing_webhook_rejected")
        .await;
    assert_eq!(
        events.body["items"].as_array().map(Vec::len),
        Some(3),
        "{events:?}"
    );

    let response = reqwest::Client::new()
        .post(format!("{}/api/v1/billing/webhook", server.base))
        .header("stripe-signature", rolled)
        .body(cancel)
        .send()
        .await
        .expect("webhook");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(plan_of(&user).await, "free");
}

#[tokio::test]
async fn without_billing_the_routes_say_so_and_operators_assign_plans() {
    let server = TestServer::start().await;
    let user = server.user(Role::User).await;
    let overview = user.get("/api/v1/billing").await;
    assert_eq!(overview.body["enabled"], false);
    assert_eq!(overview.body["purchasable"], json!([]));
    for path in ["/api/v1/billing/checkout", "/api/v1/billing/portal"] {
        let refused = user.post(path, json!({ "plan": "pro" })).await;
        assert_eq!(refused.status, StatusCode::CONFLICT, "{path}");
        assert_eq!(refused.code(), "billing_not_configured");
    }
    let refused = user.get("/api/v1/billing/invoices").await;
    assert_eq!(
        (refused.status, refused.code()),
        (StatusCode::CONFLICT, "billing_not_configured")
    );
    let webhook = reqwest::Client::new()
        .post(format!("{}/api/v1/billing/webhook", server.base))
        .body("{}")
        .send()
        .await
        .expect("webhook");
    assert_eq!(webhook.status(), StatusCode::CONFLICT);

    let admin = server.user(Role::Admin).await;
    let path = format!("/api/v1/admin/users/{}/plan", user.user_id);
    let unjustified = admin
        .post(
            &path,
            json!({ "planId": "pro", "reason": "", "ticketId": "T-9" }),
        )
        .await;
    assert_eq!(unjustified.code(), "reason_required");
    let unknown = admin
        .post(
            &path,
            json!({ "planId": "gold", "reason": WHY, "ticketId": "T-9" }),
        )
        .await;
    assert_eq!(unknown.code(), "unknown_plan");
    let changed = admin
        .post(
            &path,
            json!({ "planId": "business", "reason": WHY, "ticketId": "T-9" }),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{changed:?}");
    assert_eq!(changed.body["user"]["planId"], "business");
    assert_eq!(plan_of(&user).await, "business");
    let audit = audit_of(&server, &user.user_id, "user.plan_change").await;
    assert_eq!(
        audit[0]["detail"],
        json!({ "from": "free", "to": "business" })
    );
    assert_eq!(audit[0]["reason"], WHY);
    assert_eq!(audit[0]["ticketId"], "T-9");
}

#[tokio::test]
async fn a_team_buys_its_own_plan_through_its_owner_and_its_members_share_it() {
    let stripe = StripeSim::start().await;
    let server = billed_server(&stripe).await;
    let owner = server.user(Role::User).await;
    let member = server.user(Role::User).await;
    let created = owner
        .post("/api/v1/orgs", json!({ "name": "Studio" }))
        .await;
    let org = created.body["org"]["id"].as_str().expect("org").to_owned();
    owner
        .post(
            &format!("/api/v1/orgs/{org}/invites"),
            json!({ "email": member.email, "role": "member" }),
        )
        .await;
    let token = server.mailed_token(&member.email, "/invites/accept").await;
    let joined = member
        .post("/api/v1/invites/accept", json!({ "token": token }))
        .await;
    assert_eq!(joined.status, StatusCode::OK, "{joined:?}");
    for client in [&owner, &member] {
        let used = client
            .post(&format!("/api/v1/orgs/{org}/use"), json!({}))
            .await;
        assert_eq!(used.status, StatusCode::OK, "{used:?}");
    }

    // A member sees the team's billing and may not buy or manage it.
    let overview = member.get("/api/v1/billing").await.body;
    assert_eq!(overview["orgId"], org.as_str());
    assert_eq!(overview["canManage"], false);
    let refused = member
        .post("/api/v1/billing/checkout", json!({ "plan": "pro" }))
        .await;
    assert_eq!(
        (refused.status, refused.code()),
        (StatusCode::FORBIDDEN, "insufficient_role")
    );
    let refused = member.post("/api/v1/billing/portal", json!({})).await;
    assert_eq!(refused.code(), "insufficient_role");

    // The owner buys for the team: the team is Stripe's customer and reference.
    assert_eq!(owner.get("/api/v1/billing").await.body["canManage"], true);
    let opened = owner
        .post("/api/v1/billing/checkout", json!({ "plan": "pro" }))
        .await;
    assert_eq!(opened.status, StatusCode::OK, "{opened:?}");
    let calls = stripe.calls();
    let customer = calls
        .iter()
        .find(|call| call.path == "/v1/customers")
        .expect("customer");
    assert_eq!(customer.form["metadata[org_id]"], org);
    assert_eq!(customer.form["email"], owner.email);
    let session = calls
        .iter()
        .find(|call| call.path == "/v1/checkout/sessions")
        .expect("session");
    assert_eq!(session.form["client_reference_id"], org);
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let url = opened.body["url"].as_str().expect("url");
    let paid = browser.post(url).send().await.expect("pay");
    assert!(paid.status().is_redirection(), "{paid:?}");

    assert_eq!(plan_of(&member).await, "pro", "every member shares it");

    // The owner sees the team's invoices, as Stripe keeps them; a member does not.
    let invoices = owner.get("/api/v1/billing/invoices").await;
    assert_eq!(invoices.status, StatusCode::OK, "{invoices:?}");
    let items = invoices.body["items"].as_array().expect("items");
    assert_eq!(items.len(), 1, "{invoices:?}");
    assert_eq!(items[0]["number"], "SUITE-0001");
    assert_eq!(items[0]["status"], "paid");
    assert_eq!(items[0]["amountPaid"], INVOICE_AMOUNT);
    assert_eq!(items[0]["currency"], INVOICE_CURRENCY);
    assert!(items[0]["createdAt"].is_string());
    let hosted = items[0]["hostedUrl"].as_str().expect("hosted page");
    assert!(hosted.starts_with(&stripe.base), "{hosted}");
    assert_eq!(invoices.body["hasMore"], false);
    let listed = stripe
        .calls()
        .into_iter()
        .filter(|call| call.path == "/v1/invoices")
        .collect::<Vec<_>>();
    assert_eq!(listed.len(), 1);
    assert!(listed[0].authorized);
    assert_eq!(listed[0].form["customer"], session.form["customer"]);
    assert_eq!(listed[0].form["limit"], "24");
    let refused = member.get("/api/v1/billing/invoices").await;
    assert_eq!(
        (refused.status, refused.code()),
        (StatusCode::FORBIDDEN, "insufficient_role")
    );
    assert_eq!(member.get("/api/v1/usage").await.body["plan"]["id"], "pro");
    let audit = audit_of(&server, &org, "billing.org_plan_change").await;
    assert_eq!(audit.len(), 1, "{audit:?}");
    assert_eq!(audit[0]["detail"]["to"], "pro");
    let support = server.user(Role::Support).await;
    let seen = support
        .get(&format!("/api/v1/admin/orgs/{org}/billing"))
        .await;
    assert_eq!(seen.status, StatusCode::OK, "{seen:?}");
    assert_eq!(seen.body["subscription"]["planId"], "pro");
    assert_eq!(seen.body["subscription"]["status"], "active");
    assert_eq!(seen.body["hasBillingAccount"], true);
    // The owner's own account did not buy anything.
    owner
        .post(
            &format!("/api/v1/orgs/org_{}/use", owner.user_id),
            json!({}),
        )
        .await;
    assert_eq!(plan_of(&owner).await, "free");
    let none = owner.get("/api/v1/billing/invoices").await;
    assert_eq!(
        none.body,
        json!({ "items": [], "hasMore": false }),
        "nothing was bought in the owner's own organization"
    );

    // What is paid for is not deleted with the team.
    let refused = owner.delete(&format!("/api/v1/orgs/{org}")).await;
    assert_eq!(
        (refused.status, refused.code()),
        (StatusCode::CONFLICT, "org_has_subscription")
    );

    // Handed over, the team is billed at its new owner's address, not the former owner's.
    let customer_id = stripe
        .calls()
        .iter()
        .find(|call| call.path == "/v1/checkout/sessions")
        .map(|call| call.form["customer"].clone())
        .expect("the customer checked out");
    let email_of = |id: &str| {
        stripe
            .customers()
            .into_iter()
            .find(|(known, _)| known == id)
            .map(|(_, email)| email)
    };
    assert_eq!(
        email_of(&customer_id).as_deref(),
        Some(owner.email.as_str())
    );
    let handed = owner
        .post(
            &format!("/api/v1/orgs/{org}/transfer"),
            json!({ "userId": member.user_id }),
        )
        .await;
    assert_eq!(handed.status, StatusCode::OK, "{handed:?}");
    assert_eq!(
        email_of(&customer_id).as_deref(),
        Some(member.email.as_str())
    );
    let update = stripe
        .calls()
        .into_iter()
        .find(|call| call.path == format!("/v1/customers/{customer_id}"))
        .expect("the customer was updated");
    assert!(update.authorized, "{update:?}");
    let portal = member.post("/api/v1/billing/portal", json!({})).await;
    assert_eq!(
        portal.status,
        StatusCode::OK,
        "the new owner manages it: {portal:?}"
    );
    assert_eq!(
        stripe.customers().len(),
        1,
        "still one customer for the team"
    );
}
