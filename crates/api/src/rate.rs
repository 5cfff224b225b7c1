//! A per-user rate limit: at most `limit` requests in any sliding `window`; past it, 429
//! `RATE_LIMIT_EXCEEDED` with the seconds until the oldest request leaves the window.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use zora_core::UserId;

use crate::error::ApiError;

/// How many requests a user may make per window.
#[derive(Debug, Clone)]
pub struct RateLimit {
    limit: usize,
    window: Duration,
    seen: Arc<Mutex<HashMap<UserId, VecDeque<Instant>>>>,
}

impl RateLimit {
    pub fn new(limit: usize, window: Duration) -> Self {
        Self {
            limit,
            window,
            seen: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// Counts a request of `user`, or refuses it.
    pub fn check(&self, user: UserId) -> Result<(), ApiError> {
        let now = Instant::now();
        let mut seen = self
            .seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let times = seen.entry(user).or_default();
        while times
            .front()
            .is_some_and(|t| now.duration_since(*t) >= self.window)
        {
            times.pop_front();
        }
        if times.len() >= self.limit {
            let oldest = times.front().copied().unwrap_or(now);
            let wait = self
                .window
                .saturating_sub(now.duration_since(oldest))
                .as_secs()
                .max(1);
            return Err(ApiError::RateLimited {
                message: format!("Too many commands: at most {} a minute", self.limit),
                retry_after: wait,
            });
        }
        times.push_back(now);
        Ok(())
    }
}
