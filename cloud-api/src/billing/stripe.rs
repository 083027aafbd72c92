//! Stripe's API as billing uses it: form-encoded calls with the secret key, an idempotency key
//! where a retry must not create a second object, a customer's invoices, and Stripe's error
//! body read for the log.

use crate::config::StripeSettings;
use serde::Deserialize;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum StripeError {
    #[error("Stripe refused the call ({status}): {message}")]
    Refused { status: u16, message: String },
    #[error("Stripe could not be reached: {0}")]
    Unreachable(String),
    #[error("Stripe answered something billing does not understand: {0}")]
    Protocol(String),
}

#[derive(Debug, Deserialize)]
struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Debug, Deserialize)]
struct ErrorDetail {
    #[serde(default)]
    message: String,
}

#[derive(Debug, Deserialize)]
struct Created {
    id: String,
}

#[derive(Debug, Deserialize)]
struct Session {
    url: String,
}

/// An invoice as Stripe's API lists it (the fields billing shows).
#[derive(Debug, Clone, Deserialize)]
pub struct StripeInvoice {
    pub id: String,
    pub number: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub amount_due: i64,
    #[serde(default)]
    pub amount_paid: i64,
    pub currency: String,
    /// Unix seconds.
    pub created: i64,
    pub hosted_invoice_url: Option<String>,
    pub invoice_pdf: Option<String>,
}

/// A page of a Stripe list.
#[derive(Debug, Deserialize)]
pub struct StripeList<T> {
    pub data: Vec<T>,
    #[serde(default)]
    pub has_more: bool,
}

/// What a Checkout Session is opened with.
#[derive(Debug)]
pub struct CheckoutRequest<'a> {
    pub customer: &'a str,
    pub price: &'a str,
    pub plan: &'a str,
    /// The organization whose plan it buys.
    pub org_id: &'a str,
    pub success_url: &'a str,
    pub cancel_url: &'a str,
}

#[derive(Debug, Clone)]
pub struct StripeClient {
    http: reqwest::Client,
    api: String,
    secret_key: String,
}

impl StripeClient {
    /// A client for the configured account; none when billing is off.
    pub fn from_settings(settings: &StripeSettings) -> Result<Option<StripeClient>, StripeError> {
        let Some(key) = &settings.secret_key else {
            return Ok(None);
        };
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(settings.request_timeout_seconds.max(1)))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|err| StripeError::Unreachable(err.to_string()))?;
        Ok(Some(StripeClient {
            http,
            api: settings.api_base.trim_end_matches('/').to_owned(),
            secret_key: key.expose().to_owned(),
        }))
    }

    /// Creates the organization's customer, billed at its owner's address. The idempotency key
    /// makes two racing first checkouts (or a retry after a lost answer) get the same customer
    /// rather than two.
    pub async fn create_customer(&self, org_id: &str, email: &str) -> Result<String, StripeError> {
        let form = [("email", email), ("metadata[org_id]", org_id)];
        let created: Created = self
            .post("/v1/customers", &form, Some(&format!("customer-{org_id}")))
            .await?;
        Ok(created.id)
    }

    /// Bills the customer at `email` from now on: invoices and receipts go to the organization's
    /// owner, who may have changed since the customer was made.
    pub async fn set_customer_email(&self, customer: &str, email: &str) -> Result<(), StripeError> {
        let path = format!("/v1/customers/{customer}");
        let _: Created = self.post(&path, &[("email", email)], None).await?;
        Ok(())
    }

    /// Opens a Checkout Session in subscription mode; answers the page to send the user to.
    pub async fn create_checkout(&self, req: &CheckoutRequest<'_>) -> Result<String, StripeError> {
        let form = [
            ("mode", "subscription"),
            ("customer", req.customer),
            ("client_reference_id", req.org_id),
            ("line_items[0][price]", req.price),
            ("line_items[0][quantity]", "1"),
            ("success_url", req.success_url),
            ("cancel_url", req.cancel_url),
            ("metadata[plan]", req.plan),
            ("metadata[org_id]", req.org_id),
            ("subscription_data[metadata][plan]", req.plan),
            ("subscription_data[metadata][org_id]", req.org_id),
        ];
        let session: Session = self.post("/v1/checkout/sessions", &form, None).await?;
        Ok(session.url)
    }

    /// Opens a Customer Portal session; answers the page to send the user to.
    pub async fn create_portal(
        &self,
        customer: &str,
        return_url: &str,
    ) -> Result<String, StripeError> {
        let form = [("customer", customer), ("return_url", return_url)];
        let session: Session = self
            .post("/v1/billing_portal/sessions", &form, None)
            .await?;
        Ok(session.url)
    }

    /// The customer's newest `limit` invoices (Stripe allows 1 to 100).
    pub async fn list_invoices(
        &self,
        customer: &str,
        limit: u32,
    ) -> Result<StripeList<StripeInvoice>, StripeError> {
        let limit = limit.clamp(1, 100).to_string();
        let request = self
            .http
            .get(format!("{}/v1/invoices", self.api))
            .bearer_auth(&self.secret_key)
            .query(&[("customer", customer), ("limit", limit.as_str())]);
        self.send(request).await
    }

    async fn post<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        form: &[(&str, &str)],
        idempotency_key: Option<&str>,
    ) -> Result<T, StripeError> {
        let mut request = self
            .http
            .post(format!("{}{path}", self.api))
            .bearer_auth(&self.secret_key)
            .form(form);
        if let Some(key) = idempotency_key {
            request = request.header("Idempotency-Key", key);
        }
        self.send(request).await
    }

    async fn send<T: serde::de::DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<T, StripeError> {
        let response = request
            .send()
            .await
            .map_err(|err| StripeError::Unreachable(err.without_url().to_string()))?;
        let status = response.status();
        let body = response
            .bytes()
            .await
            .map_err(|err| StripeError::Unreachable(err.without_url().to_string()))?;
        if !status.is_success() {
            let message = serde_json::from_slice::<ErrorBody>(&body)
                .map(|body| body.error.message)
                .unwrap_or_else(|_| String::from_utf8_lossy(&body).chars().take(200).collect());
            return Err(StripeError::Refused {
                status: status.as_u16(),
                message,
            });
        }
        serde_json::from_slice(&body).map_err(|err| StripeError::Protocol(err.to_string()))
    }
}
