//! Applying claimed tasks: one transaction per batch, every outcome written only under the
//! lease the task was claimed with. The rows each task returns (its handler's
//! [`zora_core::handler::BatchRows`], its journal entries) are written for the whole batch
//! in one statement per table; a task takes a savepoint only when it writes itself, so one
//! that fails undoes its own part alone.
//!
//! When the batch transaction itself fails (its commit, a statement outside any task's
//! savepoint, a handler that hangs past its timeout with the transaction in an unknown
//! state), nobody is charged for it: the batch is rolled back and its tasks rerun one at
//! a time, each in a transaction of its own, so each ends with its own outcome.

use std::any::TypeId;
use std::collections::{BTreeMap, HashSet};
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use futures_util::FutureExt;
use serde_json::Value;
use tracing::Instrument;
use zora_core::handler::{DynHandler, Erased, Outcome, TaskError};
use zora_core::journal::NewJournalEntry;
use zora_core::{
    ClaimRequest, Completion, Failure, FailureKind, Lease, Store, StoreError, StoreTx, Task,
    TaskId, TaskStatus, TenantId, TxLimits,
};

use crate::registry::Registry;
use crate::report::{TaskOutcome, TaskReport};

/// A claimed task ready to apply: its handler, parsed payload and prepared value, or why
/// it cannot run, and how it is held (its lease, or the applying transaction's lock).
pub(crate) struct Ready {
    pub task: Task,
    pub hold: Option<Lease>,
    pub run: Result<Runnable, TaskError>,
}

/// What applying a task needs once it parsed and prepared.
pub(crate) struct Runnable {
    handler: Arc<dyn DynHandler>,
    payload: Erased,
    prepared: Option<Value>,
}

/// The tasks of one kind in a batch, with their handler.
type KindGroup<'a> = (Arc<dyn DynHandler>, Vec<(&'a Task, &'a Erased)>);

impl Ready {
    /// Finds the handler, parses the payload and runs `prepare` (outside any transaction).
    pub async fn prepare(task: Task, registry: &Registry) -> Self {
        let hold = task.lease();
        let Some(handler) = registry.get(&task.task_type).cloned() else {
            let error = TaskError::permanent(registry.unsupported_message(&task.task_type));
            return Self {
                task,
                hold,
                run: Err(error),
            };
        };
        let run = match handler.parse(&task.payload) {
            Err(error) => Err(error),
            Ok(payload) => {
                let prepare = handler
                    .prepare(&task, &payload)
                    .instrument(task_span(&task));
                match tokio::time::timeout(handler.timeout(), prepare).await {
                    Err(_) => Err(timed_out(&*handler)),
                    Ok(Err(error)) => Err(error),
                    Ok(Ok(prepared)) => Ok(Runnable {
                        handler,
                        payload,
                        prepared,
                    }),
                }
            }
        };
        Self { task, hold, run }
    }

    /// A task `claim_locked` returned to `owner`: held by the transaction's lock, shown to
    /// its handler as a claim is (`in_progress`, the attempt it makes). Its type has no
    /// `prepare` step, so nothing runs outside the transaction.
    async fn locked(mut task: Task, owner: &str, registry: &Registry) -> Self {
        let hold = Lease::locked(&task, owner);
        task.status = TaskStatus::InProgress;
        task.state = zora_core::TaskState::Running;
        task.attempts = hold.attempt;
        // This process's clock, for the queue-wait metric only: the row's `started_at`
        // is written by the database with the outcome.
        task.started_at = Some(chrono::Utc::now());
        let mut ready = Self::prepare(task, registry).await;
        ready.hold = Some(hold);
        ready
    }
}

/// The span a task's work runs in: its id, type, tenant and attempt on every log line.
pub(crate) fn task_span(task: &Task) -> tracing::Span {
    tracing::info_span!(
        "task",
        task_id = %task.id,
        task_type = %task.task_type,
        tenant_id = %task.tenant_id,
        attempt = task.attempts
    )
}

fn timed_out(handler: &dyn DynHandler) -> TaskError {
    TaskError::of_kind(
        FailureKind::Timeout,
        format!("Timed out after {:?}", handler.timeout()),
    )
}

/// Why a batch transaction could not be used to the end.
#[derive(Debug)]
pub(crate) enum BatchError {
    Store(StoreError),
    /// A handler ran past its timeout inside the transaction.
    TimedOut,
}

impl From<StoreError> for BatchError {
    fn from(err: StoreError) -> Self {
        Self::Store(err)
    }
}

/// What one task's apply came to inside the batch.
enum Applied {
    Done(Outcome<Option<Erased>>),
    Failed(TaskError),
}

/// Applies `batch` in one transaction. `Err` means nothing of it was committed.
pub(crate) async fn apply_batch(
    store: &dyn Store,
    registry: &Registry,
    batch: &[&Ready],
    limits: TxLimits,
) -> Result<Vec<TaskReport>, BatchError> {
    let mut tx = store.begin_limited(limits).await?;
    let leases: Vec<_> = batch.iter().filter_map(|r| r.hold.clone()).collect();
    let held: HashSet<TaskId> = tx.lock_leased_tasks(&leases).await?.into_iter().collect();
    apply_held(tx, registry, batch, &held, limits).await
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

/// Applies a locked batch in its own transaction: each task's one row version is its
/// outcome. `Err` means nothing was committed: the tasks it names (tenant and id) are
/// left `pending` with their attempt uncharged.
pub(crate) async fn apply_locked(
    locked: LockedBatch,
    registry: &Registry,
    limits: TxLimits,
) -> Result<(Vec<Ready>, Vec<TaskReport>), (Vec<(TenantId, TaskId)>, BatchError)> {
    let LockedBatch { tx, tasks, owner } = locked;
    let mut batch = Vec::with_capacity(tasks.len());
    for task in tasks {
        batch.push(Ready::locked(task, &owner, registry).await);
    }
    let held: HashSet<TaskId> = batch.iter().map(|r| r.task.id).collect();
    let refs: Vec<&Ready> = batch.iter().collect();
    match apply_held(tx, registry, &refs, &held, limits).await {
        Ok(reports) => Ok((batch, reports)),
        Err(error) => Err((
            batch
                .iter()
                .map(|r| (r.task.tenant_id, r.task.id))
                .collect(),
            error,
        )),
    }
}

/// Applies the tasks of `batch` that `tx` holds (`held`) and commits.
async fn apply_held(
    mut tx: Box<dyn StoreTx>,
    registry: &Registry,
    batch: &[&Ready],
    held: &HashSet<TaskId>,
    limits: TxLimits,
) -> Result<Vec<TaskReport>, BatchError> {
    let contexts = load_contexts(tx.as_mut(), batch, held).await?;

    let mut applied: Vec<(&Ready, Option<Applied>)> = Vec::with_capacity(batch.len());
    for ready in batch {
        if !held.contains(&ready.task.id) {
            applied.push((ready, None));
            continue;
        }
        let result = match &ready.run {
            Err(error) => Applied::Failed(error.clone()),
            Ok(runnable) => match contexts.get(runnable.handler.kind()) {
                Some(context) => {
                    let fault = registry.faults().and_then(|f| f.error_for(&ready.task));
                    apply_one(
                        tx.as_mut(),
                        &ready.task,
                        runnable,
                        context,
                        limits.idle,
                        fault,
                        batch.len() == 1,
                    )
                    .await?
                }
                None => Applied::Failed(TaskError::permanent(
                    "no batch context was loaded for this task",
                )),
            },
        };
        applied.push((ready, Some(result)));
    }

    let mut writes = BatchWrites::default();
    let mut completions = Vec::new();
    let mut failures = Vec::new();
    for (ready, result) in &mut applied {
        let Some(lease) = ready.hold.clone() else {
            continue;
        };
        match result {
            Some(Applied::Done(outcome)) => {
                if let Ok(runnable) = &ready.run {
                    writes.add(&runnable.handler, outcome);
                }
                completions.push(Completion {
                    lease,
                    result: outcome.result.clone(),
                    summary: outcome.summary.clone(),
                });
            }
            Some(Applied::Failed(error)) => {
                failures.push(failure(registry, &ready.task, lease, error))
            }
            None => {}
        }
    }
    writes.write(tx.as_mut()).await?;
    // An empty write is not sent: a round trip saved per batch without failures.
    let mut completed: HashSet<TaskId> = HashSet::new();
    if !completions.is_empty() {
        completed.extend(tx.complete_tasks(&completions).await?);
    }
    let mut failed: HashSet<TaskId> = HashSet::new();
    if !failures.is_empty() {
        failed.extend(tx.fail_tasks(&failures).await?);
    }
    tx.commit().await?;

    Ok(applied
        .into_iter()
        .map(|(ready, result)| {
            let id = ready.task.id;
            match result {
                Some(Applied::Done(outcome)) if completed.contains(&id) => report(
                    &ready.task,
                    TaskOutcome::Completed,
                    Some(outcome.summary),
                    None,
                ),
                Some(Applied::Failed(error)) if failed.contains(&id) => {
                    let retrying = failures
                        .iter()
                        .any(|f| f.lease.task_id == id && f.retry_in.is_some());
                    let outcome = if retrying {
                        TaskOutcome::Retrying
                    } else {
                        TaskOutcome::Failed
                    };
                    report(&ready.task, outcome, None, Some(error.message))
                }
                _ => report(&ready.task, TaskOutcome::Skipped, None, None),
            }
        })
        .collect())
}

/// What a batch's completed tasks write besides their completion: their rows, by the
/// type that writes them (with a handler that writes that type), and their journal.
#[derive(Default)]
struct BatchWrites {
    rows: BTreeMap<TypeId, (Arc<dyn DynHandler>, Vec<Erased>)>,
    journal: Vec<NewJournalEntry>,
}

impl BatchWrites {
    fn add(&mut self, handler: &Arc<dyn DynHandler>, outcome: &mut Outcome<Option<Erased>>) {
        if let (Some(rows), Some(rows_type)) = (outcome.rows.take(), handler.rows_type()) {
            self.rows
                .entry(rows_type)
                .or_insert_with(|| (handler.clone(), Vec::new()))
                .1
                .push(rows);
        }
        self.journal.append(&mut outcome.journal);
    }

    /// Each rows type's write, then the journal.
    async fn write(self, tx: &mut dyn StoreTx) -> Result<(), StoreError> {
        for (_, (writer, rows)) in self.rows {
            writer.write_rows(tx, rows).await?;
        }
        if !self.journal.is_empty() {
            tx.insert_journal_entries(&self.journal).await?;
        }
        Ok(())
    }
}

/// Runs the batch hook of each handler once, over the batch's tasks of its kind.
async fn load_contexts(
    tx: &mut dyn StoreTx,
    batch: &[&Ready],
    held: &HashSet<TaskId>,
) -> Result<BTreeMap<&'static str, Erased>, StoreError> {
    let mut by_kind: BTreeMap<&'static str, KindGroup<'_>> = BTreeMap::new();
    for ready in batch {
        if let Ok(runnable) = &ready.run
            && held.contains(&ready.task.id)
        {
            by_kind
                .entry(runnable.handler.kind())
                .or_insert_with(|| (runnable.handler.clone(), Vec::new()))
                .1
                .push((&ready.task, &runnable.payload));
        }
    }
    let mut contexts = BTreeMap::new();
    for (kind, (handler, items)) in by_kind {
        contexts.insert(kind, handler.load(tx, &items).await?);
    }
    Ok(contexts)
}

/// Applies one task as its own part of the batch transaction (`TxControl::begin_task`): its
/// rows come back in its outcome for the batch's set-based writes, and its failure (or
/// panic) undoes only its own writes. It runs for at most its handler's timeout and at most
/// `idle_limit`: past that the server ends the transaction anyway (its locks must be gone
/// well before the lease lapses). An injected `fault` (`zora chaos`) fails it once its
/// handler has written, so its writes are undone. `Err` means the transaction can no
/// longer be trusted.
async fn apply_one(
    tx: &mut dyn StoreTx,
    task: &Task,
    runnable: &Runnable,
    context: &Erased,
    idle_limit: std::time::Duration,
    fault: Option<TaskError>,
    undoable: bool,
) -> Result<Applied, BatchError> {
    let handler = &*runnable.handler;
    // Alone in its transaction, a task's part is undoable (a savepoint before its first
    // write); in a batch it is not, and a part that wrote then failed rolls the batch back
    // to be rerun task by task (see `TxControl::begin_task`): rare, since `check` runs
    // before any write.
    tx.begin_task(undoable);
    let run = AssertUnwindSafe(handler.apply(
        tx,
        task,
        &runnable.payload,
        runnable.prepared.clone(),
        context,
    ))
    .catch_unwind()
    .instrument(task_span(task));
    match tokio::time::timeout(handler.timeout().min(idle_limit), run).await {
        Err(_) => Err(BatchError::TimedOut),
        Ok(Ok(Ok(_))) if let Some(error) = fault => {
            tx.end_task(false).await?;
            Ok(Applied::Failed(error))
        }
        Ok(Ok(Ok(outcome))) => {
            tx.end_task(true).await?;
            Ok(Applied::Done(outcome))
        }
        Ok(Ok(Err(error))) => {
            tx.end_task(false).await?;
            Ok(Applied::Failed(error))
        }
        Ok(Err(panic)) => {
            tx.end_task(false).await?;
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            tracing::error!(task_id = %task.id, task_type = %task.task_type, %message, "handler panicked");
            Ok(Applied::Failed(TaskError::of_kind(
                FailureKind::Panic,
                format!("Handler panicked: {message}"),
            )))
        }
    }
}

/// The failure to record: retried later when the error may pass and attempts remain
/// (those lost to expired leases not counted: [`zora_core::RescuePolicy`]).
pub(crate) fn failure(
    registry: &Registry,
    task: &Task,
    lease: zora_core::Lease,
    error: &TaskError,
) -> Failure {
    let retry_in = match error.kind {
        FailureKind::Transient | FailureKind::Timeout => registry
            .get(&task.task_type)
            .map(|h| h.retry_policy())
            .unwrap_or_default()
            .next_delay(task.charged_attempts(), task.max_attempts)
            .map(|delay| error.retry_after.map_or(delay, |asked| delay.max(asked))),
        _ => None,
    };
    Failure {
        lease,
        kind: error.kind,
        message: error.message.clone(),
        retry_in,
    }
}

pub(crate) fn report(
    task: &Task,
    outcome: TaskOutcome,
    summary: Option<String>,
    error: Option<String>,
) -> TaskReport {
    let status = match outcome {
        TaskOutcome::Completed => TaskStatus::Completed,
        TaskOutcome::Failed => TaskStatus::Failed,
        TaskOutcome::Retrying => TaskStatus::Pending,
        TaskOutcome::Skipped => TaskStatus::InProgress,
    };
    TaskReport {
        id: task.id,
        task_type: task.task_type.clone(),
        title: task.title.clone(),
        outcome,
        status,
        result_summary: summary,
        error_message: error,
    }
}
