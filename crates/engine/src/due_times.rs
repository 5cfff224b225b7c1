//! [`DueTimes`]: the times at which tasks the store told a worker about become due (a
//! retry's backoff, a task inserted with a later `run_at`), so it wakes then rather than at
//! its next poll.

use std::collections::BTreeSet;
use std::time::Duration;

use tokio::time::Instant;

/// Times kept at most; past it the latest are dropped (the poll still finds those tasks).
const MAX_KEPT: usize = 256;

/// See the module documentation.
#[derive(Debug, Default)]
pub(crate) struct DueTimes(BTreeSet<Instant>);

impl DueTimes {
    /// Keeps the later ones of `due` (delays from now); `true` if one is due now.
    pub(crate) fn add(&mut self, due: &[Duration]) -> bool {
        let now = Instant::now();
        let mut due_now = false;
        for &delay in due {
            if delay.is_zero() {
                due_now = true;
            } else {
                self.0.insert(now + delay);
            }
        }
        while self.0.len() > MAX_KEPT {
            self.0.pop_last();
        }
        due_now
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Resolves at the soonest time kept (at once when none is: guard with `is_empty`).
    pub(crate) async fn first(&self) {
        if let Some(&at) = self.0.first() {
            tokio::time::sleep_until(at).await;
        }
    }

    /// Forgets the times that have passed.
    pub(crate) fn pop_passed(&mut self) {
        let now = Instant::now();
        while self.0.first().is_some_and(|&at| at <= now) {
            self.0.pop_first();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn wakes_at_each_time_in_order() {
        let mut due = DueTimes::default();
        assert!(!due.add(&[Duration::from_secs(5), Duration::from_secs(2)]));
        assert!(due.add(&[Duration::ZERO]), "zero is now");
        let start = Instant::now();
        due.first().await;
        assert_eq!(start.elapsed(), Duration::from_secs(2));
        due.pop_passed();
        due.first().await;
        assert_eq!(start.elapsed(), Duration::from_secs(5));
        due.pop_passed();
        assert!(due.is_empty());
    }

    #[test]
    fn keeps_the_soonest_when_too_many() {
        let mut due = DueTimes::default();
        let delays: Vec<Duration> = (1..=300).map(Duration::from_secs).collect();
        due.add(&delays);
        assert_eq!(due.0.len(), MAX_KEPT);
        let kept_last = *due.0.last().expect("some");
        assert!(kept_last < Instant::now() + Duration::from_secs(257));
    }
}
