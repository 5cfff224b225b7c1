//! The rescue of expired leases, system-wide: each engine worker runs it on its tick, and
//! `zora serve` runs it alone when it has no worker of its own, so that the tasks external
//! workers stop beating come back even where only the server runs.

use std::future::Future;
use std::time::Duration;

use zora_core::{RescuePolicy, Store};

use crate::metrics::Metrics;

/// Tasks taken back per rescue at most.
const RESCUE_BATCH: u32 = 100;

/// Takes back up to a batch of tasks whose lease expired (see
/// [`Store::rescue_expired_leases_all_tenants`]), counting them; returns how many.
pub async fn rescue_once(store: &dyn Store, policy: RescuePolicy, metrics: &Metrics) -> usize {
    match store
        .rescue_expired_leases_all_tenants(policy, RESCUE_BATCH)
        .await
    {
        Ok(rescued) if !rescued.is_empty() => {
            tracing::info!(count = rescued.len(), "took back tasks whose lease expired");
            metrics.record_rescued(rescued.len());
            rescued.len()
        }
        Ok(_) => 0,
        Err(err) => {
            tracing::warn!(error = %err, "rescue failed");
            0
        }
    }
}

/// Rescues every `interval` until `stop` resolves.
pub async fn run_rescuer(
    store: std::sync::Arc<dyn Store>,
    policy: RescuePolicy,
    interval: Duration,
    metrics: Metrics,
    stop: impl Future<Output = ()>,
) {
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tokio::pin!(stop);
    loop {
        tokio::select! {
            () = &mut stop => return,
            _ = tick.tick() => {
                rescue_once(store.as_ref(), policy, &metrics).await;
            }
        }
    }
}
