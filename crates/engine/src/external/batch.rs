//! Outcomes a worker sends together: its completions recorded in one transaction (one
//! lock statement and one write for all of them, with their journal entries), its
//! heartbeats extended in one statement per lease length. An item whose lease no longer
//! holds is judged alone afterwards, as [`complete`](super::complete) and
//! [`heartbeat`](super::heartbeat) judge it, and answered so; it holds none of the others
//! back. The answers come in the items' order.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

use chrono::{DateTime, Utc};
use zora_core::journal::NewJournalEntry;
use zora_core::usage::ModelCall;
use zora_core::{Completion, Lease, Store, StoreError, Task, TaskId, TaskStatus, TenantId};

use crate::external::outcome::{
    ExternalCompletion, LeaseError, Standing, check_result, expiry, heartbeat, held_task,
    journal_entry, result_schema, standing,
};
use crate::external::schema::Schema;

/// A completion in a batch: the lease it is sent under, with the tenant and type its
/// lease token names.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchCompletion {
    pub tenant: TenantId,
    pub task_type: String,
    pub lease: Lease,
    pub completion: ExternalCompletion,
}

/// A heartbeat in a batch.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchHeartbeat {
    pub tenant: TenantId,
    pub lease: Lease,
    pub lease_for: Duration,
}

/// How a completion of a batch was taken: written now, or found written already by the
/// same lease (a repeat after a lost answer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Taken {
    Now,
    Replay,
}

/// Records `items` (no task twice: the caller refuses that), each only while its lease
/// holds; a result against its type's `result_schema` is refused and its task stays held.
/// A store error fails the whole batch, and nothing of it is written.
pub async fn complete_all(
    store: &dyn Store,
    items: Vec<BatchCompletion>,
) -> Result<Vec<Result<Taken, LeaseError>>, StoreError> {
    let mut answers: Vec<Option<Result<Taken, LeaseError>>> = items.iter().map(|_| None).collect();
    let mut schemas: HashMap<(TenantId, String), Option<Schema>> = HashMap::new();
    let mut entries: Vec<(TaskId, Written)> = Vec::new();
    for (item, answer) in items.iter().zip(answers.iter_mut()) {
        let key = (item.tenant, item.task_type.clone());
        if !schemas.contains_key(&key) {
            let schema = result_schema(store, item.tenant, &item.task_type).await?;
            schemas.insert(key.clone(), schema);
        }
        if let Some(schema) = &schemas[&key]
            && let Err(invalid) = check_result(schema, &item.completion.result)
        {
            *answer = Some(Err(invalid));
            continue;
        }
        if !item.completion.journal.is_empty() || item.completion.usage.is_some() {
            // The entries and the call are the task's agent's: read the task for it.
            match held_task(store, item.tenant, &item.lease).await {
                Ok(task) => entries.push((task.id, written_with(&task, item))),
                Err(LeaseError::Store(err)) => return Err(err),
                Err(lost) => *answer = Some(Err(lost)),
            }
        }
    }

    let open: Vec<&BatchCompletion> = items
        .iter()
        .zip(&answers)
        .filter(|(_, answer)| answer.is_none())
        .map(|(item, _)| item)
        .collect();
    let written = write_held(store, &open, entries).await?;

    let mut judged = Vec::with_capacity(items.len());
    for (item, answer) in items.iter().zip(answers) {
        judged.push(match answer {
            Some(answer) => answer,
            None if written.contains(&item.lease.task_id) => Ok(Taken::Now),
            None => judged_after_the_lock(store, item).await?,
        });
    }
    Ok(judged)
}

/// Locks the tasks `open` names under their leases and completes those still held, with
/// their journal entries, in one transaction; the ids written.
async fn write_held(
    store: &dyn Store,
    open: &[&BatchCompletion],
    mut entries: Vec<(TaskId, Written)>,
) -> Result<HashSet<TaskId>, StoreError> {
    if open.is_empty() {
        return Ok(HashSet::new());
    }
    let leases: Vec<Lease> = open.iter().map(|item| item.lease.clone()).collect();
    let mut tx = store.begin().await?;
    // A task whose cancel was asked for is ended `cancelled` by the lock, and not held.
    let held: HashSet<TaskId> = tx.lock_leased_tasks(&leases).await?.into_iter().collect();
    entries.retain(|(id, _)| held.contains(id));
    let (journal, calls): (Vec<_>, Vec<_>) = entries
        .into_iter()
        .map(|(_, w)| (w.journal, w.calls))
        .unzip();
    let journal: Vec<NewJournalEntry> = journal.into_iter().flatten().collect();
    if !journal.is_empty() {
        tx.insert_journal_entries(&journal).await?;
    }
    let calls: Vec<ModelCall> = calls.into_iter().flatten().collect();
    tx.insert_model_calls(&calls).await?;
    let completions: Vec<Completion> = open
        .iter()
        .filter(|item| held.contains(&item.lease.task_id))
        .map(|item| Completion {
            lease: item.lease.clone(),
            result: item.completion.result.clone(),
            summary: item
                .completion
                .summary
                .clone()
                .unwrap_or_else(|| format!("Completed {}", item.task_type)),
        })
        .collect();
    let written = if completions.is_empty() {
        HashSet::new()
    } else {
        tx.complete_tasks(&completions).await?.into_iter().collect()
    };
    tx.commit().await?;
    Ok(written)
}

/// How a completion the lock did not find held stands: recorded already by its lease (a
/// replay), cancelled while held, or lost, saying why.
async fn judged_after_the_lock(
    store: &dyn Store,
    item: &BatchCompletion,
) -> Result<Result<Taken, LeaseError>, StoreError> {
    let task = match held_task(store, item.tenant, &item.lease).await {
        Ok(task) => task,
        Err(LeaseError::Store(err)) => return Err(err),
        Err(lost) => return Ok(Err(lost)),
    };
    let this_attempt = task.attempts == item.lease.attempt;
    if this_attempt && task.status == TaskStatus::Failed && task.cancelled_at.is_some() {
        return Ok(Err(LeaseError::Cancelled(format!(
            "Task {} was cancelled; nothing more of this attempt is recorded",
            task.id
        ))));
    }
    Ok(
        match standing(&task, &item.lease, |t| t.status == TaskStatus::Completed) {
            Standing::Replay => Ok(Taken::Replay),
            Standing::Lost(why) => Err(LeaseError::Lost(why)),
            // Held again after the lock let it go: only a cancel does that.
            Standing::Held | Standing::CancelAsked => {
                Err(LeaseError::Lost("the task was cancelled".into()))
            }
        },
    )
}

/// What a completion writes beside its task: journal entries as its task's agent, and its
/// model call.
struct Written {
    journal: Vec<NewJournalEntry>,
    calls: Vec<ModelCall>,
}

fn written_with(task: &Task, item: &BatchCompletion) -> Written {
    Written {
        journal: item
            .completion
            .journal
            .iter()
            .cloned()
            .map(|entry| journal_entry(task, entry))
            .collect(),
        calls: item
            .completion
            .usage
            .iter()
            .map(|usage| usage.call(task, &item.lease))
            .collect(),
    }
}

/// Extends every lease of `items` that still holds, one statement per lease length; an
/// item not extended is judged alone, as [`heartbeat`] does. Each answer is the new
/// expiry (on this server's clock).
pub async fn heartbeat_all(
    store: &dyn Store,
    items: &[BatchHeartbeat],
) -> Result<Vec<Result<DateTime<Utc>, LeaseError>>, StoreError> {
    let mut by_length: BTreeMap<Duration, Vec<Lease>> = BTreeMap::new();
    for item in items {
        by_length
            .entry(item.lease_for)
            .or_default()
            .push(item.lease.clone());
    }
    let mut extended = HashSet::new();
    for (lease_for, leases) in &by_length {
        extended.extend(store.extend_leases(leases, *lease_for).await?);
    }
    let mut answers = Vec::with_capacity(items.len());
    for item in items {
        answers.push(if extended.contains(&item.lease.task_id) {
            Ok(expiry(item.lease_for))
        } else {
            match heartbeat(store, item.tenant, &item.lease, item.lease_for).await {
                Err(LeaseError::Store(err)) => return Err(err),
                answer => answer,
            }
        });
    }
    Ok(answers)
}
