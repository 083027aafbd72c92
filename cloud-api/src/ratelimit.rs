//! Fixed-window request counters kept in memory, keyed by what is limited (an action and a
//! client address or account). Windows are short, so losing them on restart is harmless.

use crate::config::Rate;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug, Default)]
pub struct RateLimiter {
    windows: Mutex<HashMap<String, Window>>,
}

#[derive(Debug, Clone, Copy)]
struct Window {
    started: Instant,
    length: Duration,
    count: u32,
}

/// Above this many keys, expired windows are swept on the next check.
const SWEEP_AT: usize = 10_000;

impl RateLimiter {
    /// Counts one request under `key`; `Err(seconds)` says how long until it may try again.
    pub fn check(&self, key: &str, rate: Rate) -> Result<(), u64> {
        self.check_at(key, rate, Instant::now())
    }

    fn check_at(&self, key: &str, rate: Rate, now: Instant) -> Result<(), u64> {
        let length = Duration::from_secs(u64::from(rate.per_seconds.max(1)));
        let mut windows = self
            .windows
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if windows.len() >= SWEEP_AT {
            windows.retain(|_, w| now.duration_since(w.started) < w.length);
        }
        let window = windows.entry(key.to_owned()).or_insert(Window {
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
}
