//! The one way a claimed batch runs, whichever the claim: tasks claimed under leases are
//! made ready (their `prepare` steps side by side, under a heartbeat) and applied in one
//! transaction; a batch claimed by the transaction that applies it ([`LockedBatch`]) is
//! applied in that transaction. Then one fallback policy: when the batch's transaction
//! fails (its commit, a statement outside any task's part, a handler that hangs past its
//! timeout with the transaction in an unknown state), nothing of it was committed and
//! nobody is charged for it; its tasks rerun one at a time, each under a lease and in a
//! transaction of its own, so that each ends with its own outcome, and a task whose own
//! transaction fails too has that failure recorded in a fresh one.

use std::time::Instant;

use zora_core::handler::TaskError;
use zora_core::{ClaimById, ClaimRequest, FailureKind, Store, StoreError, StoreTx, Task, TxLimits};

use crate::apply::{BatchError, apply_held, apply_leased, failure, report};
use crate::heartbeat::beating_while;
use crate::ready::{Ready, task_span};
use crate::registry::Registry;
use crate::report::{TaskOutcome, TaskReport};
use crate::settings::ExecutorSettings;

/// A batch as it was claimed.
pub(crate) enum Claimed {
    /// Claimed under leases (`Store::claim_tasks`, `claim_task`).
    Leased(Vec<Task>),
    /// Claimed by the transaction that will apply it.
    Locked(LockedBatch),
}

/// A batch claimed by the transaction that will apply it (`claim_locked`): the tasks as
/// the table has them, held by `tx`'s row locks until it commits or rolls back.
pub struct LockedBatch {
    tx: Box<dyn StoreTx>,
    tasks: Vec<Task>,
    owner: String,
}

impl std::fmt::Debug for LockedBatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LockedBatch")
            .field("tasks", &self.tasks.len())
            .field("owner", &self.owner)
            .finish_non_exhaustive()
    }
}

impl Claimed {
    fn len(&self) -> usize {
        match self {
            Self::Leased(tasks) => tasks.len(),
            Self::Locked(locked) => locked.tasks.len(),
        }
    }
}

/// Opens a transaction and claims up to a batch in it; `None` (the transaction rolled
/// back) when nothing is runnable.
pub(crate) async fn claim_locked(
    store: &dyn Store,
    request: &ClaimRequest,
    limits: TxLimits,
) -> Result<Option<LockedBatch>, StoreError> {
    let mut tx = store.begin_limited(limits).await?;
    let tasks = tx.claim_locked(request).await?;
    if tasks.is_empty() {
        tx.rollback().await?;
        return Ok(None);
    }
    Ok(Some(LockedBatch {
        tx,
        tasks,
        owner: request.owner.clone(),
    }))
}

/// Runs batches for an executor.
pub(crate) struct Pipeline<'a> {
    pub store: &'a dyn Store,
    pub registry: &'a Registry,
    pub settings: &'a ExecutorSettings,
}

impl Pipeline<'_> {
    /// Runs `claimed` to its end: one report per task, in order (in claim order after a
    /// fallback). Each task's duration is counted from `started`, when the claim reached
    /// the executor.
    #[tracing::instrument(skip_all, fields(tasks = claimed.len()))]
    pub async fn run(&self, claimed: Claimed, started: Instant) -> Vec<TaskReport> {
        let limits = self.settings.tx_limits();
        let (batch, applied, leased) = match claimed {
            Claimed::Leased(tasks) => {
                self.settings.metrics.record_claimed(&tasks);
                let batch = self.prepare(tasks).await;
                let all: Vec<&Ready> = batch.iter().collect();
                let applied = apply_leased(self.store, self.registry, &all, limits).await;
                (batch, applied, true)
            }
            Claimed::Locked(LockedBatch { tx, tasks, owner }) => {
                let mut batch = Vec::with_capacity(tasks.len());
                for task in tasks {
                    batch.push(Ready::locked(task, &owner, self.registry).await);
                }
                let all: Vec<&Ready> = batch.iter().collect();
                let held = batch.iter().map(|r| r.task.id).collect();
                let applied = apply_held(tx, self.registry, &all, &held, limits).await;
                if applied.is_ok() {
                    let tasks = batch.iter().map(|r| &r.task);
                    self.settings.metrics.record_claimed(tasks);
                }
                (batch, applied, false)
            }
        };
        let (batch, reports) = match applied {
            Ok(reports) => (batch, reports),
            Err(error) => self.fall_back(batch, leased, error).await,
        };
        self.account(&batch, &reports, started);
        reports
    }

    /// The fallback: `batch`'s transaction failed with `error`, so each task runs alone
    /// (unless `leased`, its tasks were held by the failed transaction's locks: each is
    /// first claimed under a lease, its attempt charged, so that a task that keeps failing
    /// its batch runs out of attempts).
    async fn fall_back(
        &self,
        batch: Vec<Ready>,
        leased: bool,
        error: BatchError,
    ) -> (Vec<Ready>, Vec<TaskReport>) {
        if batch.len() > 1 || !leased {
            tracing::warn!(
                ?error,
                tasks = batch.len(),
                "batch failed; rerunning its tasks one at a time"
            );
        }
        let batch = if leased {
            batch
        } else {
            let claimed = self.lease_each(batch.into_iter().map(|r| r.task)).await;
            self.settings.metrics.record_claimed(&claimed);
            self.prepare(claimed).await
        };
        let mut reports = Vec::with_capacity(batch.len());
        for ready in &batch {
            let limits = self.settings.tx_limits();
            let report = match apply_leased(self.store, self.registry, &[ready], limits).await {
                Ok(mut one) => one.remove(0),
                Err(error) => self.record_alone(&ready.task, error).await,
            };
            reports.push(report);
        }
        (batch, reports)
    }

    /// Claims each of `tasks` by id under a lease; those that cannot be claimed (another
    /// worker has them, they were cancelled meanwhile) are left as they are.
    async fn lease_each(&self, tasks: impl Iterator<Item = Task>) -> Vec<Task> {
        let mut claimed = Vec::new();
        for task in tasks {
            let lease_duration = self.settings.lease_duration;
            match self
                .store
                .claim_task(
                    task.tenant_id,
                    task.id,
                    &self.settings.owner,
                    lease_duration,
                )
                .await
            {
                Ok(ClaimById::Claimed(task)) => claimed.push(task),
                Ok(_) => {}
                Err(err) => {
                    tracing::warn!(task_id = %task.id, error = %err, "could not claim the task to run it alone");
                }
            }
        }
        claimed
    }

    /// Runs the tasks' `prepare` steps side by side (each waits on the outside world, not
    /// on this process) under a heartbeat that keeps the batch's leases alive.
    async fn prepare(&self, claimed: Vec<Task>) -> Vec<Ready> {
        let leases: Vec<_> = claimed.iter().filter_map(Task::lease).collect();
        let prepare_all = futures_util::future::join_all(
            claimed
                .into_iter()
                .map(|task| Ready::prepare(task, self.registry)),
        );
        beating_while(
            self.store,
            &leases,
            self.settings.lease_duration,
            self.settings.heartbeat_interval(),
            prepare_all,
        )
        .await
    }

    /// Counts each task's outcome and logs it in its span (its duration from `started`).
    fn account(&self, batch: &[Ready], reports: &[TaskReport], started: Instant) {
        let elapsed = started.elapsed();
        for (ready, report) in batch.iter().zip(reports) {
            self.settings.metrics.record_outcome(report, elapsed);
            task_span(&ready.task).in_scope(|| {
                tracing::info!(
                    outcome = report.outcome.as_str(),
                    error = report.error_message.as_deref(),
                    "task ran"
                );
            });
        }
    }

    /// A task whose own transaction failed: its failure is recorded in a fresh one.
    async fn record_alone(&self, task: &Task, error: BatchError) -> TaskReport {
        let error = match error {
            BatchError::TimedOut => {
                TaskError::of_kind(FailureKind::Timeout, "Timed out while applying")
            }
            BatchError::Store(store_error) => {
                tracing::warn!(task_id = %task.id, error = %store_error, "task's transaction failed");
                store_error.into()
            }
        };
        let Some(lease) = task.lease() else {
            return report(task, TaskOutcome::Skipped, None, None);
        };
        let failure = failure(self.registry, task, lease, &error);
        let retrying = failure.retry_in.is_some();
        let written = async {
            let mut tx = self.store.begin().await?;
            let ids = tx.fail_tasks(std::slice::from_ref(&failure)).await?;
            tx.commit().await?;
            Ok::<_, StoreError>(ids)
        }
        .await;
        match written {
            Ok(ids) if ids.contains(&task.id) => {
                let outcome = if retrying {
                    TaskOutcome::Retrying
                } else {
                    TaskOutcome::Failed
                };
                report(task, outcome, None, Some(error.message))
            }
            Ok(_) => report(task, TaskOutcome::Skipped, None, None),
            Err(store_error) => {
                // Not even the failure could be written: the lease will expire and the
                // rescuer takes the task back.
                tracing::error!(task_id = %task.id, error = %store_error, "cannot record the task's failure");
                report(task, TaskOutcome::Skipped, None, Some(error.message))
            }
        }
    }
}
