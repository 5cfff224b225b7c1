//! The per-user command rate limit (60 commands a minute per user, then 429
//! `RATE_LIMIT_EXCEEDED` with `Retry-After` in seconds): governor's keyed GCRA limiter. A
//! user may send a burst of `limit` at once, and then one more each `window / limit` (one
//! a second at 60 a minute); `Retry-After` is the wait until the next.
//!
//! Its memory is bounded: the map of users forgets, every [`FORGET_EVERY`] checks, each
//! user whose allowance has refilled (`retain_recent`), so it holds only the users seen
//! lately (within `window` at most; a user who sent one command, within two intervals),
//! whatever the number of distinct `user_id`s tokens carry.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::middleware::NoOpMiddleware;
use governor::state::keyed::HashMapStateStore;
use governor::{Quota, RateLimiter};
use zora_core::UserId;

use crate::error::ApiError;

/// How often (in checks) users at rest are forgotten.
pub const FORGET_EVERY: u64 = 64;

type Limiter<C> =
    RateLimiter<UserId, HashMapStateStore<UserId>, C, NoOpMiddleware<<C as Clock>::Instant>>;

/// How many requests a user may make per window (see the module documentation).
#[derive(Debug, Clone)]
pub struct RateLimit<C: Clock = DefaultClock> {
    limiter: Arc<Limiter<C>>,
    clock: C,
    limit: u32,
    checks: Arc<AtomicU64>,
}

impl RateLimit {
    pub fn new(limit: usize, window: Duration) -> Self {
        Self::with_clock(limit, window, DefaultClock::default())
    }
}

impl<C: Clock + Clone> RateLimit<C> {
    /// The limit on `clock` (a test's fake one).
    pub fn with_clock(limit: usize, window: Duration, clock: C) -> Self {
        let limit = u32::try_from(limit).unwrap_or(u32::MAX).max(1);
        let burst = NonZeroU32::new(limit).unwrap_or(NonZeroU32::MIN);
        let quota = Quota::with_period(window / limit)
            .unwrap_or_else(|| Quota::per_second(burst))
            .allow_burst(burst);
        Self {
            limiter: Arc::new(RateLimiter::hashmap_with_clock(quota, clock.clone())),
            clock,
            limit,
            checks: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Counts a request of `user`, or refuses it with the seconds to wait (at least 1).
    pub fn check(&self, user: UserId) -> Result<(), ApiError> {
        if self
            .checks
            .fetch_add(1, Ordering::Relaxed)
            .is_multiple_of(FORGET_EVERY)
        {
            self.limiter.retain_recent();
        }
        self.limiter.check_key(&user).map_err(|not_until| {
            let wait = not_until.wait_time_from(self.clock.now());
            ApiError::RateLimited {
                message: format!("Too many commands: at most {} a minute", self.limit),
                retry_after: wait.as_secs_f64().ceil().max(1.0) as u64,
            }
        })
    }

    /// The users the limiter holds state for now.
    pub fn tracked_users(&self) -> usize {
        self.limiter.len()
    }
}

#[cfg(test)]
mod tests {
    use governor::clock::FakeRelativeClock;

    use super::*;

    fn limit() -> (RateLimit<FakeRelativeClock>, FakeRelativeClock) {
        let clock = FakeRelativeClock::default();
        (
            RateLimit::with_clock(60, Duration::from_secs(60), clock.clone()),
            clock,
        )
    }

    #[test]
    fn sixty_at_once_then_one_a_second_with_its_retry_after() {
        let (limit, clock) = limit();
        let user = UserId::new();
        for i in 0..60 {
            assert!(limit.check(user).is_ok(), "request {i}");
        }
        match limit.check(user) {
            Err(ApiError::RateLimited { retry_after, .. }) => assert_eq!(retry_after, 1),
            other => panic!("the 61st is refused: {other:?}"),
        }
        assert!(limit.check(UserId::new()).is_ok(), "per user");
        clock.advance(Duration::from_secs(1));
        assert!(limit.check(user).is_ok(), "one more a second later");
        assert!(limit.check(user).is_err());
    }

    #[test]
    fn the_map_of_users_stays_bounded_however_many_users_come() {
        let (limit, clock) = limit();
        let mut most = 0;
        for _ in 0..10_000 {
            assert!(limit.check(UserId::new()).is_ok());
            most = most.max(limit.tracked_users());
            clock.advance(Duration::from_millis(10));
        }
        // A user who sent one command is forgotten once its allowance has refilled and one
        // more interval passed (two seconds at 60 a minute): the map holds the last two
        // seconds' users (200 here) and those since the last sweep, not the 10,000.
        assert!(most <= 200 + FORGET_EVERY as usize + 1, "held {most} users");
        assert!(most >= 100, "it does count users: {most}");
    }
}
