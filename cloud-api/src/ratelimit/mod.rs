//! Fixed-window request counters kept in memory, keyed by what is limited (an action and a
//! client address or account). Windows are short, so losing them on restart is harmless. An
//! attacker controls the keys (addresses, typed emails), so their length and number are bounded
//! and expired windows are swept by a periodic task, never on a request. Replicas of a cluster
//! count in the store instead (`store.rs`), so a limit holds whichever replica is asked.

pub mod store;

use crate::config::Rate;
use sha2::{Digest, Sha256};
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// What a limit counts; its name prefixes the limiter's keys and the security event's detail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitedAction {
    Register,
    VerifyResend,
    Login,
    Reset,
    ResetConfirm,
    PasswordChange,
    Jobs,
}

impl LimitedAction {
    pub const fn as_str(self) -> &'static str {
        match self {
            LimitedAction::Register => "register",
            LimitedAction::VerifyResend => "verify-resend",
            LimitedAction::Login => "login",
            LimitedAction::Reset => "reset",
            LimitedAction::ResetConfirm => "reset-confirm",
            LimitedAction::PasswordChange => "password-change",
            LimitedAction::Jobs => "jobs",
        }
    }
}

#[derive(Debug)]
pub struct RateLimiter {
    windows: Mutex<HashMap<String, Window>>,
    max_keys: usize,
}

#[derive(Debug, Clone, Copy)]
struct Window {
    started: Instant,
    length: Duration,
    count: u32,
}

/// Keys longer than this are kept as their SHA-256.
const MAX_KEY_BYTES: usize = 128;
/// Windows kept at most (about 20 MiB). Past it, a key not seen before is refused until the
/// next sweep: under a flood of distinct addresses, limited actions fail closed.
const MAX_KEYS: usize = 100_000;

impl Default for RateLimiter {
    fn default() -> Self {
        RateLimiter::with_capacity(MAX_KEYS)
    }
}

pub(crate) fn bounded(key: &str) -> Cow<'_, str> {
    if key.len() <= MAX_KEY_BYTES {
        Cow::Borrowed(key)
    } else {
        Cow::Owned(format!("sha256:{}", hex::encode(Sha256::digest(key))))
    }
}

impl RateLimiter {
    pub fn with_capacity(max_keys: usize) -> RateLimiter {
        RateLimiter {
            windows: Mutex::default(),
            max_keys,
        }
    }

    fn windows(&self) -> std::sync::MutexGuard<'_, HashMap<String, Window>> {
        self.windows
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Counts one request under `key`; `Err(seconds)` says how long until it may try again.
    pub fn check(&self, key: &str, rate: Rate) -> Result<(), u64> {
        self.check_at(key, rate, Instant::now())
    }

    fn check_at(&self, key: &str, rate: Rate, now: Instant) -> Result<(), u64> {
        let length = Duration::from_secs(u64::from(rate.per_seconds.max(1)));
        let key = bounded(key);
        let mut windows = self.windows();
        if !windows.contains_key(key.as_ref()) && windows.len() >= self.max_keys {
            return Err(length.as_secs());
        }
        let window = windows.entry(key.into_owned()).or_insert(Window {
            started: now,
            length,
            count: 0,
        });
        if now.duration_since(window.started) >= window.length {
            *window = Window {
                started: now,
                length,
                count: 0,
            };
        }
        if window.count >= rate.count {
            let left = window
                .length
                .saturating_sub(now.duration_since(window.started));
            return Err(left.as_secs().max(1));
        }
        window.count += 1;
        Ok(())
    }

    /// Drops windows that have ended; returns how many are left.
    pub fn sweep(&self) -> usize {
        self.sweep_at(Instant::now())
    }

    fn sweep_at(&self, now: Instant) -> usize {
        let mut windows = self.windows();
        windows.retain(|_, w| now.duration_since(w.started) < w.length);
        windows.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_past_the_count_until_the_window_ends() {
        let limiter = RateLimiter::default();
        let rate = Rate::new(2, 60);
        let t0 = Instant::now();
        assert!(limiter.check_at("login:ip:1", rate, t0).is_ok());
        assert!(limiter.check_at("login:ip:1", rate, t0).is_ok());
        let retry = limiter.check_at("login:ip:1", rate, t0 + Duration::from_secs(10));
        assert_eq!(retry, Err(50));
        assert!(
            limiter.check_at("login:ip:2", rate, t0).is_ok(),
            "keys are separate"
        );
        assert!(limiter
            .check_at("login:ip:1", rate, t0 + Duration::from_secs(61))
            .is_ok());
    }

    #[test]
    fn memory_is_bounded_and_freed_by_the_sweep() {
        let limiter = RateLimiter::with_capacity(3);
        let rate = Rate::new(5, 60);
        let t0 = Instant::now();
        for key in ["a", "b", "c"] {
            assert!(limiter.check_at(key, rate, t0).is_ok());
        }
        assert_eq!(
            limiter.check_at("d", rate, t0),
            Err(60),
            "full: new keys wait"
        );
        assert!(
            limiter.check_at("a", rate, t0).is_ok(),
            "known keys still count"
        );
        assert_eq!(limiter.sweep_at(t0 + Duration::from_secs(30)), 3);
        assert_eq!(limiter.sweep_at(t0 + Duration::from_secs(61)), 0);
        assert!(limiter
            .check_at("d", rate, t0 + Duration::from_secs(61))
            .is_ok());
    }

    #[test]
    fn long_keys_are_kept_short_and_still_distinct() {
        let limiter = RateLimiter::default();
        let rate = Rate::new(1, 60);
        let long_a = format!("login:account:{}@example.org", "a".repeat(5000));
        let long_b = format!("login:account:{}@example.org", "b".repeat(5000));
        assert!(limiter.check(&long_a, rate).is_ok());
        assert!(limiter.check(&long_a, rate).is_err());
        assert!(limiter.check(&long_b, rate).is_ok());
        assert!(limiter.windows().keys().all(|k| k.len() <= MAX_KEY_BYTES));
    }
}
