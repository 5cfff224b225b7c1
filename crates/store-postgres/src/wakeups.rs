//! Wake-ups on PostgreSQL: one `LISTEN` connection per store while any worker of the
//! process subscribes, its notifications (sent by migration 0006's triggers, payload: in
//! how many milliseconds the tasks are due) fanned out through a [`WakeupHub`].

use std::sync::Arc;
use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::PgListener;
use tokio::sync::Mutex;
use zora_core::{StoreError, TaskWakeups};
use zora_store_sql::WakeupHub;

use crate::error::store_error;

/// The channel migration 0006's triggers notify.
pub const CHANNEL: &str = "zora_agent_tasks";

/// The hub of the running listener, if one runs.
#[derive(Debug, Clone, Default)]
pub(crate) struct Listening(Arc<Mutex<Option<WakeupHub>>>);

impl Listening {
    /// A subscription to the running listener, or to a new one.
    pub(crate) async fn subscribe(
        &self,
        pool: &PgPool,
    ) -> Result<Box<dyn TaskWakeups>, StoreError> {
        let mut running = self.0.lock().await;
        if let Some(hub) = running.as_ref().filter(|hub| hub.has_subscribers()) {
            return Ok(hub.subscribe());
        }
        let mut listener = PgListener::connect_with(pool).await.map_err(store_error)?;
        listener.listen(CHANNEL).await.map_err(store_error)?;
        let hub = WakeupHub::default();
        let subscription = hub.subscribe();
        tokio::spawn(forward(listener, hub.clone()));
        *running = Some(hub);
        Ok(subscription)
    }
}

/// Forwards notifications to the hub until its last subscriber has gone.
async fn forward(mut listener: PgListener, hub: WakeupHub) {
    loop {
        tokio::select! {
            () = hub.closed() => break,
            received = listener.try_recv() => match received {
                Ok(Some(notification)) => hub.send(due_in(notification.payload())),
                Ok(None) => {
                    // The connection dropped (it is made again at the next call): what was
                    // sent meanwhile is lost, so look now.
                    tracing::warn!("the LISTEN connection was lost; reconnecting");
                    hub.send(Duration::ZERO);
                }
                Err(err) => {
                    tracing::warn!(error = %err, "LISTEN failed; retrying in 1s (polling meanwhile)");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            },
        }
    }
    tracing::debug!("no worker subscribed any more; the LISTEN connection is closed");
}

/// The payload is in how many milliseconds the tasks are due; anything else means now.
fn due_in(payload: &str) -> Duration {
    payload
        .parse::<u64>()
        .map(Duration::from_millis)
        .unwrap_or_default()
}
