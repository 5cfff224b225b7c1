//! [`Scheduler`]: the loop every `zora worker` (and `zora serve` with in-process workers)
//! runs beside its worker. Each tick it takes or keeps the lead (a lease row on the
//! database clock, so it holds behind a transaction-mode pooler), and the leader enqueues
//! the due slots and, when retention is configured, prunes one window of old tasks. A
//! leader that dies stops renewing; another takes over once its lease expires.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use zora_core::retention::Prune;
use zora_core::{Store, TaskId};

use super::clock::Clock;
use super::enqueue::enqueue_due;
use crate::registry::Registry;

/// The leader's role in `agent_task_leaders`.
pub const SCHEDULER_ROLE: &str = "scheduler";

/// How the scheduler runs.
#[derive(Debug, Clone)]
pub struct SchedulerSettings {
    /// This process's name in the lease row (a worker's id).
    pub holder: String,
    /// How often it looks. Defaults to 1s.
    pub tick: Duration,
    /// How long a lead lasts without renewal: how soon another process takes over from
    /// a dead leader. Defaults to 10s.
    pub lease: Duration,
    /// Prune finished tasks as `zora prune` would, one window per `prune_every`.
    /// Defaults to none (ZORA CORE's data is not the engine's to delete unless asked).
    pub retention: Option<Prune>,
    /// Defaults to 5s.
    pub prune_every: Duration,
}

impl SchedulerSettings {
    pub fn new(holder: impl Into<String>) -> Self {
        Self {
            holder: holder.into(),
            tick: Duration::from_secs(1),
            lease: Duration::from_secs(10),
            retention: None,
            prune_every: Duration::from_secs(5),
        }
    }
}

/// What a scheduler did before it stopped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SchedulerReport {
    pub enqueued: usize,
    pub pruned: u64,
}

/// See the module documentation.
#[derive(Debug)]
pub struct Scheduler {
    store: Arc<dyn Store>,
    registry: Arc<Registry>,
    clock: Arc<dyn Clock>,
    settings: SchedulerSettings,
}

impl Scheduler {
    pub fn new(
        store: Arc<dyn Store>,
        registry: Arc<Registry>,
        clock: Arc<dyn Clock>,
        settings: SchedulerSettings,
    ) -> Self {
        Self {
            store,
            registry,
            clock,
            settings,
        }
    }

    /// Runs until `shutdown` resolves, then gives up the lead so that another process
    /// takes over at once.
    pub async fn run(self, shutdown: impl Future<Output = ()>) -> SchedulerReport {
        tokio::pin!(shutdown);
        let mut report = SchedulerReport::default();
        let mut tick = tokio::time::interval(self.settings.tick);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut prune = tokio::time::interval(self.settings.prune_every);
        prune.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut prune_after: Option<TaskId> = None;
        let mut leading = false;
        loop {
            tokio::select! {
                () = &mut shutdown => break,
                _ = tick.tick() => {
                    leading = self.lead(leading).await;
                    if leading {
                        report.enqueued += self.enqueue().await;
                    }
                }
                _ = prune.tick(), if leading && self.settings.retention.is_some() => {
                    report.pruned += self.prune_window(&mut prune_after).await;
                }
            }
        }
        if leading
            && let Err(err) = self
                .store
                .resign(SCHEDULER_ROLE, &self.settings.holder)
                .await
        {
            tracing::warn!(error = %err, "could not give up the scheduler's lead; it expires");
        }
        report
    }

    async fn lead(&self, was_leading: bool) -> bool {
        let settings = &self.settings;
        match self
            .store
            .lead(SCHEDULER_ROLE, &settings.holder, settings.lease)
            .await
        {
            Ok(leads) => {
                if leads != was_leading {
                    tracing::info!(holder = %settings.holder, leads, "scheduler lead changed");
                }
                leads
            }
            Err(err) => {
                tracing::warn!(error = %err, "cannot take the scheduler's lead; trying again");
                false
            }
        }
    }

    async fn enqueue(&self) -> usize {
        let now = match self.clock.now().await {
            Ok(now) => now,
            Err(err) => {
                tracing::warn!(error = %err, "cannot read the clock; enqueuing at the next tick");
                return 0;
            }
        };
        match enqueue_due(self.store.as_ref(), &self.registry, now).await {
            Ok(enqueued) => {
                for slot in &enqueued {
                    tracing::info!(schedule = %slot.schedule_id, slot = %slot.slot,
                        task = %slot.task_id, "enqueued a scheduled task");
                }
                enqueued.len()
            }
            Err(err) => {
                tracing::warn!(error = %err, "enqueuing due schedules failed; trying again");
                0
            }
        }
    }

    /// One window of the configured prune; the walk wraps around at the table's end.
    async fn prune_window(&self, after: &mut Option<TaskId>) -> u64 {
        let Some(prune) = &self.settings.retention else {
            return 0;
        };
        match self
            .store
            .prune_finished_tasks_all_tenants(prune, *after, false)
            .await
        {
            Ok(batch) => {
                *after = batch.next_after;
                if batch.deleted > 0 {
                    tracing::info!(deleted = batch.deleted, "pruned finished tasks");
                }
                batch.deleted
            }
            Err(err) => {
                tracing::warn!(error = %err, "pruning failed; trying again");
                0
            }
        }
    }
}
