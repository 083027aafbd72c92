//! The session cookie: HttpOnly, SameSite=Lax; over https also Secure and named with the
//! `__Host-` prefix, which browsers accept only from this exact origin over https with no
//! Domain, so a sibling subdomain or a plain-http page cannot plant or overwrite it.

use crate::config::Settings;
use axum::http::{header, HeaderMap, HeaderValue};

pub const SESSION_COOKIE: &str = "tseeder_session";
pub const SECURE_SESSION_COOKIE: &str = "__Host-tseeder_session";

pub fn session_cookie_name(settings: &Settings) -> &'static str {
    if settings.secure_cookies() {
        SECURE_SESSION_COOKIE
    } else {
        SESSION_COOKIE
    }
}

/// The session cookie's value when one with a value was sent.
pub fn session_token(settings: &Settings, headers: &HeaderMap) -> Option<String> {
    session_cookie(settings, headers).filter(|value| !value.is_empty())
}

/// The session cookie's value as sent, even empty: next to an API key, any session cookie is a
/// second credential that has to hold.
pub fn session_cookie(settings: &Settings, headers: &HeaderMap) -> Option<String> {
    let wanted = session_cookie_name(settings);
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == wanted)
        .map(|(_, value)| value.trim().to_owned())
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
    let name = session_cookie_name(settings);
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
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
        assert_eq!(
            session_token(&Settings::default(), &headers).as_deref(),
            Some("abc")
        );
    }

    #[test]
    fn cookie_flags_follow_the_public_url() {
        let mut settings = Settings::default();
        let plain = set_session(&settings, "t");
        let text = plain.to_str().expect("ascii");
        assert!(text.contains("HttpOnly") && text.contains("SameSite=Lax"));
        assert!(!text.contains("Secure"));
        settings.public_url = Some("https://tseeder.example".into());
        let secure = set_session(&settings, "t");
        let text = secure.to_str().expect("ascii");
        assert!(
            text.starts_with("__Host-tseeder_session=t; Path=/;"),
            "{text}"
        );
        assert!(text.contains("; Secure") && !text.contains("Domain"));
        // Over https the plain name is not read: it could come from a sibling subdomain.
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("tseeder_session=planted"),
        );
        assert_eq!(session_token(&settings, &headers), None);
    }
}
