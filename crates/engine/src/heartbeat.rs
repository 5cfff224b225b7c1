//! Lease heartbeats: while a batch's tasks run `prepare` (outside any transaction, maybe
//! for long), their leases are extended at every beat so that a slow step is not taken
//! for a dead worker and rescued from under it.

use std::future::Future;
use std::time::Duration;

use tokio::time::MissedTickBehavior;
use zora_core::{Lease, Store};

/// Runs `work` to its end, extending `leases` to `lease_duration` from now every
/// `interval` meanwhile (the first beat one interval in).
pub(crate) async fn beating_while<F: Future>(
    store: &dyn Store,
    leases: &[Lease],
    lease_duration: Duration,
    interval: Duration,
    work: F,
) -> F::Output {
    let mut beats = tokio::time::interval(interval.max(Duration::from_millis(10)));
    beats.set_missed_tick_behavior(MissedTickBehavior::Delay);
    beats.tick().await;
    let mut work = std::pin::pin!(work);
    loop {
        tokio::select! {
            output = &mut work => return output,
            _ = beats.tick() => beat(store, leases, lease_duration).await,
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
