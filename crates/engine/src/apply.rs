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
use tracing::Instrument;
use zora_core::handler::{DynHandler, Erased, Outcome, TaskError};
use zora_core::journal::NewJournalEntry;
use zora_core::{
    Completion, Failure, FailureKind, Store, StoreError, StoreTx, Task, TaskId, TaskStatus,
    TxLimits,
};

use crate::ready::{Ready, Runnable, task_span};
use crate::registry::Registry;
use crate::report::{TaskOutcome, TaskReport};

/// The tasks of one kind in a batch, with their handler.
type KindGroup<'a> = (Arc<dyn DynHandler>, Vec<(&'a Task, &'a Erased)>);

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

/// Applies `batch`, whose tasks are held by their leases, in a transaction of its own:
/// the tasks whose lease is still theirs are locked and applied, the others skipped.
pub(crate) async fn apply_leased(
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

/// Applies the tasks of `batch` that `tx` holds (`held`: by their leases, locked by
/// [`apply_leased`], or by the row locks of the claim `tx` made) and commits.
pub(crate) async fn apply_held(
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
                    apply_one(
                        tx.as_mut(),
                        &ready.task,
                        runnable,
                        context,
                        limits.idle,
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
/// well before the lease lapses). `Err` means the transaction can no longer be trusted.
async fn apply_one(
    tx: &mut dyn StoreTx,
    task: &Task,
    runnable: &Runnable,
    context: &Erased,
    idle_limit: std::time::Duration,
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
