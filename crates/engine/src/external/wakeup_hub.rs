//! One subscription to the store's wakeups shared by every long-polling claim of a server:
//! a waiting claim costs no query until the store says tasks became runnable (or one it
//! was told of becomes due). Without a subscription (a pooler in transaction mode), or
//! where the store's word comes only from this process (SQLite: a task another process
//! inserts, such as `zora tasks add`, says nothing here), the hub also ticks once a second
//! for all of them.

use std::sync::{Arc, OnceLock, Weak};
use std::time::Duration;

use tokio::sync::watch;
use zora_core::Store;

use crate::due_times::DueTimes;
use crate::worker::next_wakeup;

/// How often waiting claims look anyway, without a subscription.
const TICK_WITHOUT_WORD: Duration = Duration::from_secs(1);
/// How long the hub waits before subscribing again after the store's word stopped.
const RESUBSCRIBE_AFTER: Duration = Duration::from_secs(1);
/// How often the listener checks that its hub is still there (it ends with it).
const CHECK_HUB_EVERY: Duration = Duration::from_secs(5);

type Word = OnceLock<watch::Sender<u64>>;

/// See the module documentation. Clones share the one subscription.
#[derive(Debug, Clone)]
pub struct WakeupHub {
    store: Arc<dyn Store>,
    word: Arc<Word>,
}

impl WakeupHub {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self {
            store,
            word: Arc::new(OnceLock::new()),
        }
    }

    /// A receiver that changes each time tasks may have become runnable. The first call
    /// starts the hub's listener (on the current runtime); it ends soon after the last
    /// clone of the hub is dropped.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.word
            .get_or_init(|| {
                let (sender, _) = watch::channel(0);
                let hub = Arc::downgrade(&self.word);
                tokio::spawn(listen(self.store.clone(), sender.clone(), hub));
                sender
            })
            .subscribe()
    }
}

/// Passes the store's word on to every receiver while the hub lasts.
async fn listen(store: Arc<dyn Store>, sender: watch::Sender<u64>, hub: Weak<Word>) {
    let wake = |sender: &watch::Sender<u64>| sender.send_modify(|n| *n = n.wrapping_add(1));
    let mut due_at = DueTimes::default();
    let mut check_hub = tokio::time::interval(CHECK_HUB_EVERY);
    // SQLite's word is told in process only: other processes' inserts need the tick.
    let word_is_local = store.backend() == "sqlite";
    loop {
        let mut wakeups = match store.subscribe_wakeups().await {
            Ok(wakeups) => Some(wakeups),
            Err(err) => {
                tracing::debug!(error = %err, "no wakeups from the store: claims waiting tick each second");
                None
            }
        };
        loop {
            tokio::select! {
                _ = check_hub.tick() => if hub.strong_count() == 0 { return },
                word = next_wakeup(&mut wakeups) => match word {
                    Some(due) => if due_at.add(&due) { wake(&sender) },
                    None => break,
                },
                () = due_at.first(), if !due_at.is_empty() => {
                    due_at.pop_passed();
                    wake(&sender);
                }
                () = tokio::time::sleep(TICK_WITHOUT_WORD), if wakeups.is_none() || word_is_local => wake(&sender),
            }
        }
        tokio::time::sleep(RESUBSCRIBE_AFTER).await;
        wake(&sender);
    }
}
