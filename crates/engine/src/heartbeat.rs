//! Lease heartbeats: while a batch's tasks run `prepare` (outside any transaction, maybe
//! for long), their leases are extended at every beat so that a slow step is not taken
//! for a dead worker and rescued from under it.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;
use zora_core::{Lease, Store};

/// A running heartbeat; [`Heartbeat::stop`] ends it after any beat in flight, and
/// dropping it aborts it.
pub(crate) struct Heartbeat {
    stop: Option<oneshot::Sender<()>>,
    beating: Option<JoinHandle<()>>,
}

impl Heartbeat {
    /// Extends `leases` to `lease_duration` from now every `interval`, the first beat one
    /// interval from now.
    pub(crate) fn start(
        store: Arc<dyn Store>,
        leases: Vec<Lease>,
        lease_duration: Duration,
        interval: Duration,
    ) -> Self {
        let (stop, mut stopped) = oneshot::channel();
        let beating = tokio::spawn(async move {
            let mut beats = tokio::time::interval(interval.max(Duration::from_millis(10)));
            beats.set_missed_tick_behavior(MissedTickBehavior::Delay);
            beats.tick().await;
            loop {
                tokio::select! {
                    _ = &mut stopped => break,
                    _ = beats.tick() => {}
                }
                beat(&*store, &leases, lease_duration).await;
            }
        });
        Self {
            stop: Some(stop),
            beating: Some(beating),
        }
    }

    /// Stops beating; returns once a beat in flight has finished.
    pub(crate) async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(beating) = self.beating.take() {
            let _ = beating.await;
        }
    }
}

impl Drop for Heartbeat {
    fn drop(&mut self) {
        if let Some(beating) = &self.beating {
            beating.abort();
        }
    }
}

async fn beat(store: &dyn Store, leases: &[Lease], lease_duration: Duration) {
    match store.extend_leases(leases, lease_duration).await {
        Ok(held) if held.len() < leases.len() => tracing::warn!(
            lost = leases.len() - held.len(),
            "leases were taken over while their tasks prepared; those tasks will not commit"
        ),
        Ok(held) => tracing::debug!(tasks = held.len(), "leases extended"),
        Err(error) => {
            tracing::warn!(%error, "lease heartbeat failed; trying again at the next beat")
        }
    }
}
