//! [`Executor`]: the ways to claim tasks (under leases, for a batch run
//! (`run-pending-tasks`) or one task by id (`run-task`); or, for a worker, inside the
//! transaction that applies them, [`Executor::claim_locked`]), each handing its batch to
//! the one pipeline that runs it (`pipeline`).

use std::sync::Arc;
use std::time::Instant;

use serde::Serialize;
use thiserror::Error;
use zora_core::{
    ClaimById, ClaimRequest, ClaimScope, Store, StoreError, Task, TaskId, TaskStatus, TenantId,
};

use crate::pipeline::{Claimed, LockedBatch, Pipeline, claim_locked};
use crate::registry::Registry;
use crate::report::{TaskOutcome, TaskReport};
use crate::settings::ExecutorSettings;

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
        let started = Instant::now();
        let mut reports = Vec::with_capacity(claimed.len());
        let mut tasks = claimed.into_iter().peekable();
        while tasks.peek().is_some() {
            let size = usize::try_from(self.settings.batch_size.max(1)).unwrap_or(1);
            let batch = Claimed::Leased(tasks.by_ref().take(size).collect());
            reports.extend(self.pipeline().run(batch, started).await);
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
    /// still `pending`, uncharged: each is then claimed under a lease and run alone.
    pub async fn run_locked(&self, locked: LockedBatch) -> Vec<TaskReport> {
        let batch = Claimed::Locked(locked);
        self.pipeline().run(batch, Instant::now()).await
    }

    fn pipeline(&self) -> Pipeline<'_> {
        Pipeline {
            store: &*self.store,
            registry: &self.registry,
            settings: &self.settings,
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
