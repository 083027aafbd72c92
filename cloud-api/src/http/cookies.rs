//! The session cookie: HttpOnly, SameSite=Lax, Secure when the service is served over https.

use crate::config::Settings;
use axum::http::{header, HeaderMap, HeaderValue};

pub const SESSION_COOKIE: &str = "tseeder_session";

pub fn session_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.trim().to_owned())
        .filter(|value| !value.is_empty())
}

pub fn set_session(settings: &Settings, token: &str) -> HeaderValue {
    let max_age = u64::from(settings.sessions.ttl_hours) * 3600;
    cookie(settings, token, max_age)
}

pub fn clear_session(settings: &Settings) -> HeaderValue {
    cookie(settings, "", 0)
}

fn cookie(settings: &Settings, value: &str, max_age: u64) -> HeaderValue {
    let secure = if settings.secure_cookies() {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("tseeder_session=; Path=/; Max-Age=0"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_session_among_other_cookies() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; tseeder_session=abc; b=2"),
        );
        assert_eq!(session_token(&headers).as_deref(), Some("abc"));
    }

    #[test]
    fn cookie_flags_follow_the_public_url() {
        let mut settings = Settings::default();
        let plain = set_session(&settings, "t");
        let text = plain.to_str().expect("ascii");
        assert!(text.contains("HttpOnly") && text.contains("SameSite=Lax"));
        assert!(!text.contains("Secure"));
        settings.public_url = "https://tseeder.example".into();
        assert!(set_session(&settings, "t")
            .to_str()
            .expect("ascii")
            .contains("; Secure"));
    }
}
