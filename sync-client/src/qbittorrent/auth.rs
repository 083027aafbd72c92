//! Who may call the API, as qBittorrent decides it: `auth/login` with the username and
//! password answers `Ok.` and an `SID` cookie; an `Authorization: Bearer` key works as
//! qBittorrent 5.2's WebUI API keys do; anything else answers 403. Five failed logins from one
//! address ban it for an hour, and a browser request from another site's page (an `Origin`
//! that is not this server) is refused, so a web page cannot add downloads.

use crate::config::{QbittorrentSettings, Secret};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A session ends after this long without a call, as qBittorrent's default.
const SESSION_IDLE: Duration = Duration::from_secs(3600);
const FAILURES_BEFORE_BAN: u32 = 5;
const BAN: Duration = Duration::from_secs(3600);

#[derive(Debug)]
pub struct Auth {
    username: String,
    password: Secret,
    api_key: Secret,
    /// SID → last use.
    sessions: Mutex<HashMap<String, Instant>>,
    /// Failed logins per address: how many, and since when.
    failures: Mutex<HashMap<IpAddr, (u32, Instant)>>,
}

/// Equal without telling, by timing, how much of a guess was right.
fn same_secret(given: &str, expected: &Secret) -> bool {
    if expected.is_empty() {
        return false;
    }
    let given = Sha256::digest(given.as_bytes());
    let expected = Sha256::digest(expected.expose().as_bytes());
    given
        .iter()
        .zip(expected.iter())
        .fold(0u8, |acc, (a, b)| acc | (a ^ b))
        == 0
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[derive(Debug)]
pub enum Login {
    Ok(String),
    Failed,
    Banned,
}

impl Auth {
    pub fn new(settings: &QbittorrentSettings) -> Auth {
        Auth {
            username: settings.username.clone(),
            password: settings.password.clone(),
            api_key: settings.api_key.clone(),
            sessions: Mutex::default(),
            failures: Mutex::default(),
        }
    }

    fn banned(&self, ip: IpAddr) -> bool {
        let mut failures = lock(&self.failures);
        match failures.get(&ip) {
            Some((count, since)) if since.elapsed() < BAN => *count >= FAILURES_BEFORE_BAN,
            Some(_) => {
                failures.remove(&ip);
                false
            }
            None => false,
        }
    }

    pub fn login(&self, ip: IpAddr, username: &str, password: &str) -> Login {
        if self.banned(ip) {
            return Login::Banned;
        }
        let user_ok = username == self.username;
        if same_secret(password, &self.password) && user_ok {
            lock(&self.failures).remove(&ip);
            let sid = hex::encode(rand::random::<[u8; 24]>());
            let mut sessions = lock(&self.sessions);
            sessions.retain(|_, used| used.elapsed() < SESSION_IDLE);
            sessions.insert(sid.clone(), Instant::now());
            return Login::Ok(sid);
        }
        let mut failures = lock(&self.failures);
        let entry = failures.entry(ip).or_insert((0, Instant::now()));
        entry.0 += 1;
        entry.1 = Instant::now();
        Login::Failed
    }

    pub fn logout(&self, headers: &HeaderMap) {
        if let Some(sid) = session_id(headers) {
            lock(&self.sessions).remove(&sid);
        }
    }

    fn allows(&self, headers: &HeaderMap) -> bool {
        if let Some(key) = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
        {
            return same_secret(key.trim(), &self.api_key);
        }
        let Some(sid) = session_id(headers) else {
            return false;
        };
        let mut sessions = lock(&self.sessions);
        match sessions.get_mut(&sid) {
            Some(used) if used.elapsed() < SESSION_IDLE => {
                *used = Instant::now();
                true
            }
            Some(_) => {
                sessions.remove(&sid);
                false
            }
            None => false,
        }
    }
}

fn session_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == "SID")
        .map(|(_, value)| value.to_owned())
}

/// A browser sends `Origin` with a cross-site request; it must name this very server.
fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    origin
        .split_once("://")
        .is_some_and(|(_, authority)| authority.eq_ignore_ascii_case(host))
}

/// The guard on every route but `auth/login` and `/health`.
pub async fn require(State(auth): State<Arc<Auth>>, request: Request, next: Next) -> Response {
    if !same_origin(request.headers()) {
        return (StatusCode::UNAUTHORIZED, "Unauthorized").into_response();
    }
    if !auth.allows(request.headers()) {
        return (StatusCode::FORBIDDEN, "Forbidden").into_response();
    }
    next.run(request).await
}

/// `POST /api/v2/auth/login`.
pub async fn login(
    State(auth): State<Arc<Auth>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    params: super::params::Params,
) -> Response {
    if !same_origin(&headers) {
        return (StatusCode::UNAUTHORIZED, "Unauthorized").into_response();
    }
    match auth.login(peer.ip(), params.text("username"), params.text("password")) {
        Login::Ok(sid) => {
            let cookie = format!("SID={sid}; HttpOnly; SameSite=Strict; path=/");
            let mut response = "Ok.".into_response();
            if let Ok(value) = HeaderValue::from_str(&cookie) {
                response.headers_mut().insert(header::SET_COOKIE, value);
            }
            response
        }
        Login::Failed => (StatusCode::UNAUTHORIZED, "Fails.").into_response(),
        Login::Banned => (
            StatusCode::FORBIDDEN,
            "Your IP address has been banned after too many failed authentication attempts.",
        )
            .into_response(),
    }
}

/// `POST /api/v2/auth/logout`.
pub async fn logout(State(auth): State<Arc<Auth>>, headers: HeaderMap) -> Response {
    auth.logout(&headers);
    StatusCode::OK.into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn auth() -> Auth {
        Auth::new(&QbittorrentSettings {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            username: "sonarr".into(),
            password: Secret::new("long enough password"),
            api_key: Secret::new("qbt_key"),
        })
    }

    fn cookie(sid: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("other=1; SID={sid}")).expect("header"),
        );
        headers
    }

    #[test]
    fn a_session_cookie_or_the_api_key_lets_a_caller_in_and_nothing_else_does() {
        let auth = auth();
        let ip = IpAddr::from([127, 0, 0, 1]);
        let Login::Ok(sid) = auth.login(ip, "sonarr", "long enough password") else {
            panic!("the right password signs in");
        };
        assert!(auth.allows(&cookie(&sid)));
        assert!(!auth.allows(&cookie("forged")));
        assert!(!auth.allows(&HeaderMap::new()));
        let mut bearer = HeaderMap::new();
        bearer.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer qbt_key"),
        );
        assert!(auth.allows(&bearer));
        bearer.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer qbt_kez"),
        );
        assert!(!auth.allows(&bearer));
        auth.logout(&cookie(&sid));
        assert!(!auth.allows(&cookie(&sid)));
    }

    #[test]
    fn five_failed_logins_ban_the_address_even_for_the_right_password() {
        let auth = auth();
        let ip = IpAddr::from([127, 0, 0, 2]);
        for _ in 0..FAILURES_BEFORE_BAN {
            assert!(matches!(auth.login(ip, "sonarr", "guess"), Login::Failed));
        }
        assert!(matches!(
            auth.login(ip, "sonarr", "long enough password"),
            Login::Banned
        ));
        let other = IpAddr::from([127, 0, 0, 3]);
        assert!(matches!(
            auth.login(other, "sonarr", "long enough password"),
            Login::Ok(_)
        ));
        assert!(matches!(
            auth.login(other, "radarr", "long enough password"),
            Login::Failed
        ));
    }

    #[test]
    fn a_page_on_another_site_is_not_this_server() {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, HeaderValue::from_static("127.0.0.1:8081"));
        assert!(same_origin(&headers));
        headers.insert(
            header::ORIGIN,
            HeaderValue::from_static("http://127.0.0.1:8081"),
        );
        assert!(same_origin(&headers));
        headers.insert(
            header::ORIGIN,
            HeaderValue::from_static("https://evil.example"),
        );
        assert!(!same_origin(&headers));
    }
}
