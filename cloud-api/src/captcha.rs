//! Server-side check of a Turnstile-compatible captcha token against the configured verify URL.

use crate::config::CaptchaSettings;
use serde::Deserialize;

#[derive(Debug, Clone)]
pub struct CaptchaVerifier {
    client: reqwest::Client,
    verify_url: String,
    secret: crate::config::Secret,
}

#[derive(Debug, thiserror::Error)]
pub enum CaptchaError {
    #[error("the captcha service could not be reached: {0}")]
    Unreachable(String),
}

#[derive(Deserialize)]
struct VerifyAnswer {
    success: bool,
}

impl CaptchaVerifier {
    /// `None` when captcha is switched off.
    pub fn from_settings(settings: &CaptchaSettings) -> Option<CaptchaVerifier> {
        let (Some(url), Some(secret)) = (&settings.verify_url, &settings.secret) else {
            return None;
        };
        Some(CaptchaVerifier {
            client: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(10))
                .build()
                .unwrap_or_default(),
            verify_url: url.clone(),
            secret: secret.clone(),
        })
    }

    /// True when the service vouches for `token`.
    pub async fn verify(&self, token: &str, remote_ip: Option<&str>) -> Result<bool, CaptchaError> {
        let mut form = vec![("secret", self.secret.expose()), ("response", token)];
        if let Some(ip) = remote_ip {
            form.push(("remoteip", ip));
        }
        let answer = self
            .client
            .post(&self.verify_url)
            .form(&form)
            .send()
            .await
            .map_err(|err| CaptchaError::Unreachable(err.to_string()))?;
        if !answer.status().is_success() {
            return Err(CaptchaError::Unreachable(format!(
                "HTTP {}",
                answer.status()
            )));
        }
        let answer: VerifyAnswer = answer
            .json()
            .await
            .map_err(|err| CaptchaError::Unreachable(err.to_string()))?;
        Ok(answer.success)
    }
}
