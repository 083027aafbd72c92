//! A local Stripe for the suite, following Stripe's public API as tseeder uses it: form-encoded
//! `POST /v1/customers` (honouring `Idempotency-Key`), `POST /v1/customers/{id}` (the email),
//! `POST /v1/checkout/sessions` and `POST /v1/billing_portal/sessions`, each with
//! `Authorization: Bearer <secret key>` and Stripe's error body (`{"error": {"type", "message",
//! "param"}}`) for a missing parameter or a wrong key. Its hosted Checkout page takes a
//! "payment" with one click: the subscription is created, `checkout.session.completed` and
//! `customer.subscription.created` are posted to the webhook URL signed as Stripe signs them,
//! and the browser goes back to `success_url`. Its portal page cancels at period end the same
//! way. It records every API call it receives.

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

pub const SECRET_KEY: &str = "sk_test_suite_4eC39HqLyjWDarjtT1zdp7dc";
pub const WEBHOOK_SECRET: &str = "whsec_suite_1f3e9a7c5b2d4e6f8a0b";

/// What every subscription's first invoice comes to, in cents of [`INVOICE_CURRENCY`].
pub const INVOICE_AMOUNT: i64 = 900;
pub const INVOICE_CURRENCY: &str = "eur";

/// An API call as the stand-in received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    pub path: String,
    pub authorized: bool,
    pub idempotency_key: Option<String>,
    pub form: BTreeMap<String, String>,
}

#[derive(Debug, Clone)]
struct CheckoutSession {
    customer: String,
    price: String,
    reference: String,
    metadata_plan: String,
    success_url: String,
    subscription: Option<String>,
}

#[derive(Debug, Clone)]
struct SubscriptionRecord {
    id: String,
    customer: String,
    price: String,
    plan: String,
    reference: String,
    status: String,
    cancel_at_period_end: bool,
    created: i64,
    period_end: i64,
}

#[derive(Debug, Clone)]
struct InvoiceRecord {
    id: String,
    number: String,
    customer: String,
    subscription: String,
    created: i64,
}

#[derive(Debug, Default)]
struct Sim {
    next: u64,
    webhook_url: Option<String>,
    calls: Vec<Call>,
    customers: Vec<(String, String)>,
    customer_by_key: HashMap<String, String>,
    sessions: HashMap<String, CheckoutSession>,
    portals: HashMap<String, (String, String)>,
    subscriptions: Vec<SubscriptionRecord>,
    invoices: Vec<InvoiceRecord>,
    /// What tseeder answered each webhook posted to it: (event type, status).
    deliveries: Vec<(String, u16)>,
    fail_next: u32,
}

type Shared = Arc<Mutex<Sim>>;

fn lock(sim: &Shared) -> std::sync::MutexGuard<'_, Sim> {
    sim.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[derive(Debug)]
pub struct StripeSim {
    pub base: String,
    sim: Shared,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for StripeSim {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64
}

/// `Stripe-Signature` for `payload` signed at `t` with `secret`, as Stripe computes it.
pub fn signature(secret: &str, t: i64, payload: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("key");
    mac.update(format!("{t}.{payload}").as_bytes());
    format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
}

/// An event body as Stripe posts it.
pub fn event(id: &str, kind: &str, created: i64, object: Value) -> String {
    json!({
        "id": id,
        "object": "event",
        "api_version": "2024-06-20",
        "created": created,
        "type": kind,
        "livemode": false,
        "pending_webhooks": 1,
        "data": { "object": object },
    })
    .to_string()
}

/// A subscription object as Stripe's events carry it.
pub fn subscription(
    id: &str,
    customer: &str,
    status: &str,
    price: &str,
    period_end: i64,
    cancel_at_period_end: bool,
    created: i64,
) -> Value {
    json!({
        "id": id,
        "object": "subscription",
        "customer": customer,
        "status": status,
        "created": created,
        "current_period_end": period_end,
        "cancel_at_period_end": cancel_at_period_end,
        "metadata": {},
        "items": { "object": "list", "data": [
            { "id": format!("si_{id}"), "object": "subscription_item", "quantity": 1,
              "price": { "id": price, "object": "price", "recurring": { "interval": "month" } } }
        ] },
    })
}

impl StripeSim {
    pub async fn start() -> StripeSim {
        let sim: Shared = Arc::default();
        let app = Router::new()
            .route("/v1/customers", post(create_customer))
            .route("/v1/customers/{id}", post(update_customer))
            .route("/v1/checkout/sessions", post(create_checkout))
            .route("/v1/billing_portal/sessions", post(create_portal))
            .route("/v1/invoices", get(list_invoices))
            .route("/c/pay/{id}", get(checkout_page).post(pay))
            .route("/p/session/{id}", get(portal_page))
            .route("/p/session/{id}/cancel", post(cancel_at_period_end))
            .with_state(sim.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("stripe stand-in");
        });
        StripeSim { base, sim, task }
    }

    /// Where the hosted pages post their events (tseeder's `/api/v1/billing/webhook`).
    pub fn set_webhook_url(&self, url: &str) {
        lock(&self.sim).webhook_url = Some(url.to_owned());
    }

    /// The next `n` API calls answer 500.
    pub fn fail_next(&self, n: u32) {
        lock(&self.sim).fail_next = n;
    }

    pub fn calls(&self) -> Vec<Call> {
        lock(&self.sim).calls.clone()
    }

    /// Customers created: (id, email).
    pub fn customers(&self) -> Vec<(String, String)> {
        lock(&self.sim).customers.clone()
    }

    /// Webhooks posted by the hosted pages and tseeder's answers.
    pub fn deliveries(&self) -> Vec<(String, u16)> {
        lock(&self.sim).deliveries.clone()
    }

    /// The session id of a Checkout URL this stand-in answered.
    pub fn session_of(url: &str) -> String {
        url.rsplit('/').next().expect("session id").to_owned()
    }
}

/// Stripe's refusal of a call, answered with its error body.
#[derive(Debug)]
struct Refusal {
    status: StatusCode,
    message: String,
    param: Option<String>,
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let kind = if self.status.is_server_error() {
            "api_error"
        } else {
            "invalid_request_error"
        };
        (
            self.status,
            Json(
                json!({ "error": { "type": kind, "message": self.message, "param": self.param } }),
            ),
        )
            .into_response()
    }
}

fn stripe_error(status: StatusCode, message: &str, param: Option<&str>) -> Refusal {
    Refusal {
        status,
        message: message.to_owned(),
        param: param.map(str::to_owned),
    }
}

/// Records the call and checks the key; `Err` is Stripe's answer.
fn admit(
    sim: &Shared,
    path: &str,
    headers: &HeaderMap,
    form: &BTreeMap<String, String>,
) -> Result<(), Refusal> {
    let authorized = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        == Some(&format!("Bearer {SECRET_KEY}"));
    let mut sim = lock(sim);
    sim.calls.push(Call {
        path: path.to_owned(),
        authorized,
        idempotency_key: headers
            .get("idempotency-key")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        form: form.clone(),
    });
    if !authorized {
        return Err(stripe_error(
            StatusCode::UNAUTHORIZED,
            "Invalid API Key provided",
            None,
        ));
    }
    if sim.fail_next > 0 {
        sim.fail_next -= 1;
        return Err(stripe_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "An unknown error occurred",
            None,
        ));
    }
    Ok(())
}

fn required<'a>(form: &'a BTreeMap<String, String>, param: &str) -> Result<&'a str, Refusal> {
    form.get(param)
        .map(String::as_str)
        .filter(|value| !value.is_empty())
        .ok_or_else(|| {
            stripe_error(
                StatusCode::BAD_REQUEST,
                &format!("Missing required param: {param}."),
                Some(param),
            )
        })
}

fn next_id(sim: &mut Sim, prefix: &str) -> String {
    sim.next += 1;
    format!("{prefix}_suite{:06}", sim.next)
}

/// Where the stand-in was reached, for the URLs of its hosted pages.
fn base_of(headers: &HeaderMap) -> String {
    headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(|host| format!("http://{host}"))
        .unwrap_or_default()
}

async fn create_customer(
    State(sim): State<Shared>,
    headers: HeaderMap,
    Form(form): Form<BTreeMap<String, String>>,
) -> Result<Response, Refusal> {
    admit(&sim, "/v1/customers", &headers, &form)?;
    let email = required(&form, "email")?.to_owned();
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let mut sim = lock(&sim);
    let known = key
        .as_ref()
        .and_then(|key| sim.customer_by_key.get(key).cloned());
    let id = match known {
        Some(id) => id,
        None => {
            let id = next_id(&mut sim, "cus");
            sim.customers.push((id.clone(), email.clone()));
            if let Some(key) = key {
                sim.customer_by_key.insert(key, id.clone());
            }
            id
        }
    };
    Ok(Json(json!({ "id": id, "object": "customer", "email": email,
        "metadata": { "org_id": form.get("metadata[org_id]") } }))
    .into_response())
}

/// `POST /v1/customers/{id}`: only the billing address is ever changed here.
async fn update_customer(
    State(sim): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(form): Form<BTreeMap<String, String>>,
) -> Result<Response, Refusal> {
    admit(&sim, &format!("/v1/customers/{id}"), &headers, &form)?;
    let email = required(&form, "email")?.to_owned();
    let mut sim = lock(&sim);
    let Some(customer) = sim.customers.iter_mut().find(|(known, _)| *known == id) else {
        return Err(stripe_error(
            StatusCode::NOT_FOUND,
            &format!("No such customer: '{id}'"),
            Some("id"),
        ));
    };
    customer.1 = email.clone();
    Ok(Json(json!({ "id": id, "object": "customer", "email": email })).into_response())
}

async fn create_checkout(
    State(sim): State<Shared>,
    headers: HeaderMap,
    Form(form): Form<BTreeMap<String, String>>,
) -> Result<Response, Refusal> {
    admit(&sim, "/v1/checkout/sessions", &headers, &form)?;
    if required(&form, "mode")? != "subscription" {
        return Err(stripe_error(
            StatusCode::BAD_REQUEST,
            "This test server only sells subscriptions.",
            Some("mode"),
        ));
    }
    let customer = required(&form, "customer")?.to_owned();
    let price = required(&form, "line_items[0][price]")?.to_owned();
    required(&form, "line_items[0][quantity]")?;
    let success_url = required(&form, "success_url")?.to_owned();
    required(&form, "cancel_url")?;
    let reference = required(&form, "client_reference_id")?.to_owned();
    let mut sim = lock(&sim);
    if !sim.customers.iter().any(|(id, _)| *id == customer) {
        return Err(stripe_error(
            StatusCode::BAD_REQUEST,
            &format!("No such customer: '{customer}'"),
            Some("customer"),
        ));
    }
    let id = next_id(&mut sim, "cs_test");
    sim.sessions.insert(
        id.clone(),
        CheckoutSession {
            customer,
            price,
            reference,
            metadata_plan: form.get("metadata[plan]").cloned().unwrap_or_default(),
            success_url,
            subscription: None,
        },
    );
    let url = format!("{}/c/pay/{id}", base_of(&headers));
    Ok(Json(
        json!({ "id": id, "object": "checkout.session", "mode": "subscription",
        "status": "open", "url": url }),
    )
    .into_response())
}

async fn create_portal(
    State(sim): State<Shared>,
    headers: HeaderMap,
    Form(form): Form<BTreeMap<String, String>>,
) -> Result<Response, Refusal> {
    admit(&sim, "/v1/billing_portal/sessions", &headers, &form)?;
    let customer = required(&form, "customer")?.to_owned();
    let return_url = required(&form, "return_url")?.to_owned();
    let mut sim = lock(&sim);
    let id = next_id(&mut sim, "bps");
    sim.portals.insert(id.clone(), (customer, return_url));
    let url = format!("{}/p/session/{id}", base_of(&headers));
    Ok(Json(json!({ "id": id, "object": "billing_portal.session", "url": url })).into_response())
}

async fn checkout_page(State(sim): State<Shared>, Path(id): Path<String>) -> Response {
    let Some(session) = lock(&sim).sessions.get(&id).cloned() else {
        return (StatusCode::NOT_FOUND, "no such checkout session").into_response();
    };
    Html(format!(
        "<!doctype html><title>Checkout</title><h1>Subscribe</h1>\
         <p>Price <code id=\"price\">{}</code></p>\
         <form method=\"post\"><button type=\"submit\">Pay and subscribe</button></form>",
        session.price
    ))
    .into_response()
}

/// Posts `events` to the webhook URL, signed, one after the other as Stripe would.
async fn deliver(sim: &Shared, events: Vec<(String, String)>) {
    let Some(url) = lock(sim).webhook_url.clone() else {
        return;
    };
    let client = reqwest::Client::new();
    for (kind, body) in events {
        let status = client
            .post(&url)
            .header("content-type", "application/json; charset=utf-8")
            .header("stripe-signature", signature(WEBHOOK_SECRET, now(), &body))
            .body(body)
            .send()
            .await
            .map(|response| response.status().as_u16())
            .unwrap_or(0);
        lock(sim).deliveries.push((kind, status));
    }
}

fn subscription_event(sim: &mut Sim, kind: &str, record: &SubscriptionRecord) -> (String, String) {
    let id = next_id(sim, "evt");
    let mut object = subscription(
        &record.id,
        &record.customer,
        &record.status,
        &record.price,
        record.period_end,
        record.cancel_at_period_end,
        record.created,
    );
    object["metadata"] = json!({ "org_id": record.reference, "plan": record.plan });
    (kind.to_owned(), event(&id, kind, now(), object))
}

async fn pay(State(sim): State<Shared>, Path(id): Path<String>) -> Response {
    let (events, success_url) = {
        let mut guard = lock(&sim);
        let Some(session) = guard.sessions.get(&id).cloned() else {
            return (StatusCode::NOT_FOUND, "no such checkout session").into_response();
        };
        if session.subscription.is_some() {
            return (StatusCode::CONFLICT, "already paid").into_response();
        }
        let record = SubscriptionRecord {
            id: next_id(&mut guard, "sub"),
            customer: session.customer.clone(),
            price: session.price.clone(),
            plan: session.metadata_plan.clone(),
            reference: session.reference.clone(),
            status: "active".into(),
            cancel_at_period_end: false,
            created: now(),
            period_end: now() + 30 * 86_400,
        };
        if let Some(stored) = guard.sessions.get_mut(&id) {
            stored.subscription = Some(record.id.clone());
        }
        guard.subscriptions.push(record.clone());
        let invoice = InvoiceRecord {
            id: next_id(&mut guard, "in"),
            number: format!("SUITE-{:04}", guard.invoices.len() + 1),
            customer: record.customer.clone(),
            subscription: record.id.clone(),
            created: now(),
        };
        guard.invoices.push(invoice);
        let completed_id = next_id(&mut guard, "evt");
        let completed = event(
            &completed_id,
            "checkout.session.completed",
            now(),
            json!({ "id": id, "object": "checkout.session", "mode": "subscription",
                "status": "complete", "payment_status": "paid",
                "customer": session.customer, "subscription": record.id,
                "client_reference_id": session.reference,
                "metadata": { "plan": session.metadata_plan, "org_id": session.reference } }),
        );
        let created = subscription_event(&mut guard, "customer.subscription.created", &record);
        (
            vec![
                ("checkout.session.completed".to_owned(), completed),
                created,
            ],
            session.success_url.replace("{CHECKOUT_SESSION_ID}", &id),
        )
    };
    deliver(&sim, events).await;
    Redirect::to(&success_url).into_response()
}

/// `GET /v1/invoices`: the customer's invoices, newest first, `limit` of them (1 to 100).
async fn list_invoices(
    State(sim): State<Shared>,
    headers: HeaderMap,
    axum::extract::Query(query): axum::extract::Query<BTreeMap<String, String>>,
) -> Result<Json<Value>, Refusal> {
    admit(&sim, "/v1/invoices", &headers, &query)?;
    let customer = required(&query, "customer")?;
    let limit = match query.get("limit") {
        None => 10,
        Some(text) => text
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=100).contains(n))
            .ok_or_else(|| {
                stripe_error(
                    StatusCode::BAD_REQUEST,
                    "Invalid integer: limit must be between 1 and 100.",
                    Some("limit"),
                )
            })?,
    };
    let base = base_of(&headers);
    let guard = lock(&sim);
    let mine: Vec<&InvoiceRecord> = guard
        .invoices
        .iter()
        .rev()
        .filter(|invoice| invoice.customer == customer)
        .collect();
    let data: Vec<Value> = mine
        .iter()
        .take(limit)
        .map(|invoice| {
            json!({
                "id": invoice.id, "object": "invoice", "number": invoice.number,
                "customer": invoice.customer, "status": "paid",
                "amount_due": INVOICE_AMOUNT, "amount_paid": INVOICE_AMOUNT,
                "total": INVOICE_AMOUNT, "currency": INVOICE_CURRENCY,
                "created": invoice.created,
                "hosted_invoice_url": format!("{base}/i/{}", invoice.id),
                "invoice_pdf": format!("{base}/i/{}/pdf", invoice.id),
                "parent": { "type": "subscription_details",
                    "subscription_details": { "subscription": invoice.subscription } },
            })
        })
        .collect();
    Ok(Json(json!({
        "object": "list", "url": "/v1/invoices", "data": data,
        "has_more": mine.len() > limit,
    })))
}

async fn portal_page(State(sim): State<Shared>, Path(id): Path<String>) -> Response {
    let guard = lock(&sim);
    let Some((customer, return_url)) = guard.portals.get(&id).cloned() else {
        return (StatusCode::NOT_FOUND, "no such portal session").into_response();
    };
    let plans: Vec<String> = guard
        .subscriptions
        .iter()
        .filter(|record| record.customer == customer)
        .map(|record| format!("<li>{} ({})</li>", record.price, record.status))
        .collect();
    Html(format!(
        "<!doctype html><title>Billing portal</title><h1>Your subscription</h1><ul>{}</ul>\
         <form method=\"post\" action=\"/p/session/{id}/cancel\">\
         <button type=\"submit\">Cancel plan</button></form>\
         <a href=\"{return_url}\">Return to tseeder</a>",
        plans.join("")
    ))
    .into_response()
}

async fn cancel_at_period_end(State(sim): State<Shared>, Path(id): Path<String>) -> Response {
    let (events, return_url) = {
        let mut guard = lock(&sim);
        let Some((customer, return_url)) = guard.portals.get(&id).cloned() else {
            return (StatusCode::NOT_FOUND, "no such portal session").into_response();
        };
        let mut changed = Vec::new();
        for record in guard.subscriptions.iter_mut() {
            if record.customer == customer && record.status == "active" {
                record.cancel_at_period_end = true;
                changed.push(record.clone());
            }
        }
        let events = changed
            .iter()
            .map(|record| subscription_event(&mut guard, "customer.subscription.updated", record))
            .collect();
        (events, return_url)
    };
    deliver(&sim, events).await;
    Redirect::to(&return_url).into_response()
}
