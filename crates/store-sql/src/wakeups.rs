//! [`WakeupHub`]: one per store, fed with "tasks are due in this long" (by PostgreSQL's
//! notifications, or by SQLite's transactions as they commit) and fanned out to every
//! subscribed worker of the process.

use std::time::Duration;

use tokio::sync::broadcast;
use tokio::sync::broadcast::error::{RecvError, TryRecvError};
use zora_core::{Task, TaskState, TaskWakeups};

/// Word a subscriber has not read yet beyond this is dropped (it then wakes at once).
const BACKLOG: usize = 1024;

/// See the module documentation. Clones share the channel.
#[derive(Debug, Clone)]
pub struct WakeupHub {
    sender: broadcast::Sender<Duration>,
}

impl Default for WakeupHub {
    fn default() -> Self {
        Self {
            sender: broadcast::channel(BACKLOG).0,
        }
    }
}

impl WakeupHub {
    /// Tells every subscriber that tasks are due in `due_in` (zero: now).
    pub fn send(&self, due_in: Duration) {
        // No subscriber: nobody is waiting, nothing to do.
        let _ = self.sender.send(due_in);
    }

    pub fn subscribe(&self) -> Box<dyn TaskWakeups> {
        Box::new(Subscription(self.sender.subscribe()))
    }

    /// Whether anyone is subscribed.
    pub fn has_subscribers(&self) -> bool {
        self.sender.receiver_count() > 0
    }

    /// Resolves once the last subscriber has gone.
    pub async fn closed(&self) {
        self.sender.closed().await;
    }
}

/// When `task` is due, if it is pending and held back by nothing but time (not blocked,
/// not awaiting a decision): zero when it is due now.
pub fn due_in(task: &Task) -> Option<Duration> {
    matches!(task.state, TaskState::Available | TaskState::Scheduled).then(|| {
        (task.run_at - chrono::Utc::now())
            .to_std()
            .unwrap_or_default()
    })
}

struct Subscription(broadcast::Receiver<Duration>);

#[async_trait::async_trait]
impl TaskWakeups for Subscription {
    async fn next(&mut self) -> Option<Vec<Duration>> {
        // The only await: `recv` is cancel-safe, so this is too.
        let mut due = vec![match self.0.recv().await {
            Ok(due_in) => due_in,
            Err(RecvError::Lagged(_)) => Duration::ZERO,
            Err(RecvError::Closed) => return None,
        }];
        loop {
            match self.0.try_recv() {
                Ok(due_in) => due.push(due_in),
                Err(TryRecvError::Lagged(_)) => due.push(Duration::ZERO),
                Err(_) => break,
            }
        }
        due.sort_unstable();
        due.dedup();
        Some(due)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn subscribers_get_everything_sent_soonest_first() {
        let hub = WakeupHub::default();
        let mut first = hub.subscribe();
        let mut second = hub.subscribe();
        hub.send(Duration::from_secs(5));
        hub.send(Duration::ZERO);
        hub.send(Duration::from_secs(5));
        let want = vec![Duration::ZERO, Duration::from_secs(5)];
        assert_eq!(first.next().await, Some(want.clone()));
        assert_eq!(second.next().await, Some(want));
    }

    #[tokio::test]
    async fn a_subscriber_that_fell_behind_wakes_now() {
        let hub = WakeupHub::default();
        let mut late = hub.subscribe();
        for _ in 0..BACKLOG + 10 {
            hub.send(Duration::from_secs(60));
        }
        let due = late.next().await.expect("word");
        assert_eq!(due[0], Duration::ZERO, "lagging means: look now");
    }

    #[tokio::test]
    async fn closed_resolves_when_the_last_subscriber_goes() {
        let hub = WakeupHub::default();
        let subscription = hub.subscribe();
        assert!(hub.has_subscribers());
        drop(subscription);
        tokio::time::timeout(Duration::from_secs(1), hub.closed())
            .await
            .expect("closed");
        assert!(!hub.has_subscribers());
    }
}
