//! Notifications on PostgreSQL: one `LISTEN` connection per store while anyone in the
//! process subscribes, on two channels. `zora_agent_tasks` (migration 0006's triggers;
//! payload: in how many milliseconds the tasks are due) is fanned out to the workers
//! through a [`WakeupHub`]; `zora_agent_tasks_finished` (the outcome statements of
//! `tasks.rs`, for tasks someone waits on; payload: the task's id) to the waiters through
//! a [`FinishHub`].

use std::sync::Arc;
use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::PgListener;
use tokio::sync::Mutex;
use zora_core::{StoreError, TaskId};
use zora_store_sql::{FinishHub, WakeupHub};

use crate::error::store_error;

/// The channel migration 0006's triggers notify.
pub const CHANNEL: &str = "zora_agent_tasks";

/// The channel a waited task's finish is told on (see [`crate::waiters`]).
pub const FINISHED_CHANNEL: &str = "zora_agent_tasks_finished";

/// How often the listener checks whether anyone still subscribes.
const IDLE_CHECK: Duration = Duration::from_secs(1);

/// The hubs of the running listener.
#[derive(Debug, Clone, Default)]
pub(crate) struct Hubs {
    pub(crate) wakeups: WakeupHub,
    pub(crate) finishes: FinishHub,
}

impl Hubs {
    fn in_use(&self) -> bool {
        self.wakeups.has_subscribers() || self.finishes.has_subscribers()
    }
}

/// The running listener's hubs, if one runs.
#[derive(Debug, Clone, Default)]
pub(crate) struct Listening(Arc<Mutex<Option<Hubs>>>);

impl Listening {
    /// Subscribes with `subscribe` to the running listener's hubs, or to a new
    /// listener's: under the lock, so the listener cannot stop between the two.
    pub(crate) async fn subscribe<T>(
        &self,
        pool: &PgPool,
        subscribe: impl FnOnce(&Hubs) -> T,
    ) -> Result<T, StoreError> {
        let mut running = self.0.lock().await;
        if let Some(hubs) = running.as_ref() {
            return Ok(subscribe(hubs));
        }
        let mut listener = PgListener::connect_with(pool).await.map_err(store_error)?;
        listener
            .listen_all([CHANNEL, FINISHED_CHANNEL])
            .await
            .map_err(store_error)?;
        let hubs = Hubs::default();
        let subscription = subscribe(&hubs);
        tokio::spawn(forward(listener, hubs.clone(), self.clone()));
        *running = Some(hubs);
        Ok(subscription)
    }

    /// Forgets the listener if nobody subscribes any more; `true` when it did.
    async fn stop_if_unused(&self) -> bool {
        let mut running = self.0.lock().await;
        if running.as_ref().is_some_and(Hubs::in_use) {
            return false;
        }
        *running = None;
        true
    }
}

/// Forwards notifications to the hubs until nobody subscribes.
async fn forward(mut listener: PgListener, hubs: Hubs, listening: Listening) {
    let mut idle_check = tokio::time::interval(IDLE_CHECK);
    loop {
        tokio::select! {
            _ = idle_check.tick() => if listening.stop_if_unused().await {
                break;
            },
            received = listener.try_recv() => match received {
                Ok(Some(notification)) if notification.channel() == FINISHED_CHANNEL => {
                    if let Ok(id) = notification.payload().parse::<TaskId>() {
                        hubs.finishes.send(id);
                    }
                }
                Ok(Some(notification)) => hubs.wakeups.send(due_in(notification.payload())),
                Ok(None) => {
                    // The connection dropped (it is made again at the next call): what was
                    // sent meanwhile is lost, so look now. Waiters re-read on their own
                    // schedule.
                    tracing::warn!("the LISTEN connection was lost; reconnecting");
                    hubs.wakeups.send(Duration::ZERO);
                }
                // The store was closed (its pool with it): nothing to listen for any more.
                Err(sqlx::Error::PoolClosed) => break,
                Err(err) => {
                    tracing::warn!(error = %err, "LISTEN failed; retrying in 1s (polling meanwhile)");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            },
        }
    }
    tracing::debug!("nobody subscribes any more; the LISTEN connection is closed");
}

/// The payload is in how many milliseconds the tasks are due; anything else means now.
fn due_in(payload: &str) -> Duration {
    payload
        .parse::<u64>()
        .map(Duration::from_millis)
        .unwrap_or_default()
}
