//! [`Executor`]: claims tasks under leases and applies them (see `apply`), for a batch run
//! (`run-pending-tasks`) or one task by id (`run-task`); or, for a worker, claims a batch
//! inside the transaction that applies it ([`Executor::run_locked`]).

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;
use thiserror::Error;
use zora_core::{
    ClaimById, ClaimRequest, ClaimScope, Store, StoreError, Task, TaskId, TaskStatus, TenantId,
    TxLimits,
};

use crate::apply::{
    BatchError, LockedBatch, Ready, apply_batch, apply_locked, claim_locked, failure, report,
    task_span,
};
use crate::heartbeat::beating_while;
use crate::metrics::Metrics;
use crate::registry::Registry;
use crate::report::{TaskOutcome, TaskReport};

/// How the executor claims and applies.
#[derive(Debug, Clone)]
pub struct ExecutorSettings {
    /// The lease owner written on claimed tasks: who holds them.
    pub owner: String,
    /// How long a claim lasts before the rescuer may take the task back. Defaults to 60s.
    pub lease_duration: Duration,
    /// How often the leases of tasks in `prepare` are extended; `None` for a third of
    /// `lease_duration`.
    pub heartbeat_interval: Option<Duration>,
    /// Tasks applied in one transaction. Defaults to 100. A batch of several takes no
    /// savepoint per task (see `TxControl::begin_task`), so PostgreSQL's 64 cached
    /// subtransactions do not bound it.
    pub batch_size: u32,
    /// Where claims and outcomes are counted. Defaults to a handle of its own; give the
    /// one the process renders at `/metrics`.
    pub metrics: Metrics,
}

impl ExecutorSettings {
    /// Settings with a fresh owner token naming `role` and this process.
    pub fn new(role: &str) -> Self {
        let token = TaskId::new().to_string();
        Self {
            owner: format!(
                "{role}:{}:{}",
                std::process::id(),
                &token[token.len() - 8..]
            ),
            lease_duration: Duration::from_secs(60),
            heartbeat_interval: None,
            batch_size: 100,
            metrics: Metrics::default(),
        }
    }

    /// The limits on each apply transaction, well under the lease so that its row locks
    /// are gone before the lease lapses: a statement at most a third of the lease, idle
    /// at most half of it (with floors of 1s and 2s for test-sized leases).
    pub fn tx_limits(&self) -> TxLimits {
        TxLimits {
            statement: (self.lease_duration / 3).max(Duration::from_secs(1)),
            idle: (self.lease_duration / 2).max(Duration::from_secs(2)),
        }
    }

    /// The heartbeat interval in force: the one set, else a third of the lease.
    pub fn heartbeat_interval(&self) -> Duration {
        self.heartbeat_interval.unwrap_or(self.lease_duration / 3)
    }
}

/// The summary of a batch run, in the shape `run-pending-tasks --json` prints.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RunSummary {
    pub fetched: usize,
    pub executed: usize,
    pub completed: usize,
    /// Failed for good.
    pub failed: usize,
    /// Failed this attempt, back to `pending` for a later one.
    pub retried: usize,
    pub skipped: usize,
    pub tasks: Vec<TaskReport>,
}

impl RunSummary {
    fn add(&mut self, report: TaskReport) {
        self.fetched += 1;
        match report.outcome {
            TaskOutcome::Completed => self.completed += 1,
            TaskOutcome::Failed => self.failed += 1,
            TaskOutcome::Retrying => self.retried += 1,
            TaskOutcome::Skipped => self.skipped += 1,
        }
        if report.outcome != TaskOutcome::Skipped {
            self.executed += 1;
        }
        self.tasks.push(report);
    }
}

/// Why `run-task` did not run a task.
#[derive(Debug, Error)]
pub enum RunTaskError {
    /// No task of that id for this tenant.
    #[error("Task {0} not found")]
    NotFound(String),
    /// The task exists but cannot run now; the message says why.
    #[error("{0}")]
    Refused(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Claims and applies tasks.
#[derive(Debug, Clone)]
pub struct Executor {
    store: Arc<dyn Store>,
    registry: Arc<Registry>,
    settings: ExecutorSettings,
}

impl Executor {
    pub fn new(store: Arc<dyn Store>, registry: Arc<Registry>, settings: ExecutorSettings) -> Self {
        Self {
            store,
            registry,
            settings,
        }
    }

    /// How it runs.
    pub fn settings(&self) -> &ExecutorSettings {
        &self.settings
    }

    /// The registry this executor runs.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Claims up to `limit` of `tenant`'s runnable tasks of the registered types (only
    /// `only_types` among them, when given) and runs them, batch by batch; `on_task` is
    /// called as each task ends.
    #[tracing::instrument(skip(self, on_task), fields(owner = %self.settings.owner))]
    pub async fn run_pending(
        &self,
        tenant: TenantId,
        limit: u32,
        only_types: Option<&[String]>,
        on_task: &(dyn Fn(&TaskReport) + Sync),
    ) -> Result<RunSummary, StoreError> {
        let types: Vec<String> = self
            .registry
            .kinds()
            .into_iter()
            .filter(|kind| only_types.is_none_or(|only| only.contains(kind)))
            .collect();
        let mut summary = RunSummary::default();
        let mut remaining = limit;
        while remaining > 0 {
            let claimed = self
                .store
                .claim_tasks(&ClaimRequest {
                    scope: ClaimScope::Tenant(tenant),
                    task_types: types.clone(),
                    limit: remaining.min(self.settings.batch_size),
                    owner: self.settings.owner.clone(),
                    lease_duration: self.settings.lease_duration,
                })
                .await?;
            if claimed.is_empty() {
                break;
            }
            remaining = remaining.saturating_sub(u32::try_from(claimed.len()).unwrap_or(u32::MAX));
            for report in self.execute(claimed).await {
                on_task(&report);
                summary.add(report);
            }
        }
        Ok(summary)
    }

    /// Runs one task now: claims it by id (a pending task, due or not, or one whose lease
    /// expired) and applies it. Refuses finished tasks and tasks held under a live lease.
    #[tracing::instrument(skip(self), fields(owner = %self.settings.owner))]
    pub async fn run_task(&self, tenant: TenantId, id: TaskId) -> Result<TaskReport, RunTaskError> {
        let claimed = self
            .store
            .claim_task(
                tenant,
                id,
                &self.settings.owner,
                self.settings.lease_duration,
            )
            .await?;
        let task = match claimed {
            ClaimById::Claimed(task) => task,
            ClaimById::NotFound => return Err(RunTaskError::NotFound(id.to_string())),
            ClaimById::Refused(task) => return Err(RunTaskError::Refused(refusal(&task))),
        };
        let mut reports = self.execute(vec![task]).await;
        Ok(reports.remove(0))
    }

    /// Claims the given tasks by id (those that can run now; the others are left as they
    /// are) and runs them together, in batches.
    pub async fn run_tasks(
        &self,
        tenant: TenantId,
        ids: &[TaskId],
        on_task: &(dyn Fn(&TaskReport) + Sync),
    ) -> Result<RunSummary, StoreError> {
        let mut claimed = Vec::with_capacity(ids.len());
        for id in ids {
            if let ClaimById::Claimed(task) = self
                .store
                .claim_task(
                    tenant,
                    *id,
                    &self.settings.owner,
                    self.settings.lease_duration,
                )
                .await?
            {
                claimed.push(task);
            }
        }
        let mut summary = RunSummary::default();
        for report in self.execute(claimed).await {
            on_task(&report);
            summary.add(report);
        }
        Ok(summary)
    }

    /// Applies claimed tasks, in batches of `batch_size`; one report per task, in order.
    pub async fn execute(&self, claimed: Vec<Task>) -> Vec<TaskReport> {
        self.settings.metrics.record_claimed(&claimed);
        let started = Instant::now();
        let mut reports = Vec::with_capacity(claimed.len());
        let mut tasks = claimed.into_iter().peekable();
        while tasks.peek().is_some() {
            let size = usize::try_from(self.settings.batch_size.max(1)).unwrap_or(1);
            let claimed: Vec<Task> = tasks.by_ref().take(size).collect();
            let batch = self.prepare(claimed).await;
            reports.extend(self.execute_batch(&batch, started).await);
        }
        reports
    }

    /// Claims up to a batch of `request`'s types (none with a `prepare` step) in a
    /// transaction of its own that [`Executor::run_locked`] then applies, so that each
    /// task's outcome is its one row version; `None` when nothing is runnable.
    pub async fn claim_locked(
        &self,
        request: &ClaimRequest,
    ) -> Result<Option<LockedBatch>, StoreError> {
        claim_locked(&*self.store, request, self.settings.tx_limits()).await
    }

    /// Applies a batch [`Executor::claim_locked`] claimed and commits it; one report per
    /// task. When its transaction fails, nothing of it was committed and its tasks are
    /// still `pending`, uncharged: each is then claimed under a lease (its attempt
    /// charged, so that a task that keeps failing its batch runs out of attempts) and run
    /// alone.
    pub async fn run_locked(&self, locked: LockedBatch) -> Vec<TaskReport> {
        let started = Instant::now();
        match apply_locked(locked, &self.registry, self.settings.tx_limits()).await {
            Ok((batch, reports)) => {
                self.settings
                    .metrics
                    .record_claimed(batch.iter().map(|r| &r.task));
                self.account(&batch, &reports, started);
                reports
            }
            Err((tasks, error)) => {
                tracing::warn!(
                    ?error,
                    tasks = tasks.len(),
                    "one-transaction batch failed; claiming its tasks to run one at a time"
                );
                let mut claimed = Vec::with_capacity(tasks.len());
                for (tenant, id) in tasks {
                    match self
                        .store
                        .claim_task(
                            tenant,
                            id,
                            &self.settings.owner,
                            self.settings.lease_duration,
                        )
                        .await
                    {
                        Ok(ClaimById::Claimed(task)) => claimed.push(task),
                        Ok(_) => {}
                        Err(err) => {
                            tracing::warn!(task_id = %id, error = %err, "could not claim the task to run it alone");
                        }
                    }
                }
                self.settings.metrics.record_claimed(&claimed);
                let batch = self.prepare(claimed).await;
                let reports = self.execute_each(&batch).await;
                self.account(&batch, &reports, started);
                reports
            }
        }
    }

    /// Runs the tasks' `prepare` steps side by side (each waits on the outside world, not
    /// on this process) under a heartbeat that keeps the batch's leases alive.
    async fn prepare(&self, claimed: Vec<Task>) -> Vec<Ready> {
        let leases: Vec<_> = claimed.iter().filter_map(Task::lease).collect();
        let prepare_all = futures_util::future::join_all(
            claimed
                .into_iter()
                .map(|task| Ready::prepare(task, &self.registry)),
        );
        beating_while(
            &*self.store,
            &leases,
            self.settings.lease_duration,
            self.settings.heartbeat_interval(),
            prepare_all,
        )
        .await
    }

    /// Applies one batch and accounts for each task: a log line in its span, its metrics
    /// (its duration counted from `started`, when the claimed tasks reached `execute`).
    #[tracing::instrument(skip_all, fields(tasks = batch.len()))]
    async fn execute_batch(&self, batch: &[Ready], started: Instant) -> Vec<TaskReport> {
        let reports = self.execute_batch_or_each(batch).await;
        self.account(batch, &reports, started);
        reports
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

    async fn execute_batch_or_each(&self, batch: &[Ready]) -> Vec<TaskReport> {
        let all: Vec<&Ready> = batch.iter().collect();
        match apply_batch(
            &*self.store,
            &self.registry,
            &all,
            self.settings.tx_limits(),
        )
        .await
        {
            Ok(reports) => return reports,
            Err(error) if batch.len() > 1 => {
                tracing::warn!(
                    ?error,
                    tasks = batch.len(),
                    "batch failed; rerunning its tasks one at a time"
                );
            }
            Err(_) => {}
        }
        self.execute_each(batch).await
    }

    /// Applies each task alone, in a transaction of its own.
    async fn execute_each(&self, batch: &[Ready]) -> Vec<TaskReport> {
        let mut reports = Vec::with_capacity(batch.len());
        for ready in batch {
            let report = match apply_batch(
                &*self.store,
                &self.registry,
                &[ready],
                self.settings.tx_limits(),
            )
            .await
            {
                Ok(mut one) => one.remove(0),
                Err(error) => self.record_alone(&ready.task, error).await,
            };
            reports.push(report);
        }
        reports
    }

    /// A task whose own transaction failed: its failure is recorded in a fresh one.
    async fn record_alone(&self, task: &Task, error: BatchError) -> TaskReport {
        let error = match error {
            BatchError::TimedOut => zora_core::handler::TaskError::of_kind(
                zora_core::FailureKind::Timeout,
                "Timed out while applying",
            ),
            BatchError::Store(store_error) => {
                tracing::warn!(task_id = %task.id, error = %store_error, "task's transaction failed");
                store_error.into()
            }
        };
        let Some(lease) = task.lease() else {
            return report(task, TaskOutcome::Skipped, None, None);
        };
        let failure = failure(&self.registry, task, lease, &error);
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

/// Why a task found by id cannot run now.
fn refusal(task: &Task) -> String {
    let id = task.id;
    match task.status {
        TaskStatus::Completed | TaskStatus::Failed => {
            format!("Task {id} is already {}", task.status)
        }
        TaskStatus::InProgress => format!("Task {id} is in progress"),
        TaskStatus::Pending if task.cancelled_at.is_some() => format!("Task {id} is cancelled"),
        TaskStatus::Pending if task.rejected_at.is_some() => format!("Task {id} was rejected"),
        TaskStatus::Pending if task.requires_approval && task.approved_at.is_none() => {
            format!("Task {id} is awaiting approval")
        }
        TaskStatus::Pending => format!("Task {id} is waiting for its dependencies"),
    }
}
