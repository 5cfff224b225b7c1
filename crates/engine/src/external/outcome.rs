//! What an external worker sends back under its lease: a heartbeat, a completion or a
//! failure. Each is recorded only while the lease holds, in one transaction with what it
//! carries (journal entries, released dependents); sent again after a lost answer, it is
//! answered with the task as the first one left it, and nothing is written twice. A lease
//! that no longer holds is [`LeaseError::Lost`], saying why; a task cancelled while held is
//! ended `cancelled` and said so ([`LeaseError::Cancelled`]).

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use thiserror::Error;
use zora_core::handler::RetryPolicy;
use zora_core::journal::{JournalCategory, NewJournalEntry};
use zora_core::usage::ModelCall;
use zora_core::{
    Completion, Failure, FailureKind, JournalEntryId, Lease, Store, StoreError, StoreTx, Task,
    TaskStatus, TenantId,
};

use crate::external::registration::external_type;
use crate::external::schema::Schema;

/// Why an outcome was not recorded. Nothing was written, but for a cancelled task, which
/// was ended.
#[derive(Debug, Error)]
pub enum LeaseError {
    /// The lease no longer holds: the message says why.
    #[error("{0}")]
    Lost(String),
    /// A cancel was asked for the task while it was held: it is now ended `cancelled`.
    #[error("{0}")]
    Cancelled(String),
    /// What was sent is at fault (a result against the type's `result_schema`); the task
    /// is still held.
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A journal entry an external worker writes with its completion.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkerJournalEntry {
    pub category: JournalCategory,
    pub title: String,
    pub body: Option<String>,
    /// An object; `task_id` and `event_type` (`external_task_completed`) are added unless
    /// given.
    pub details: Map<String, Value>,
}

/// A model call a worker reports with its completion.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkerUsage {
    pub model: String,
    pub prompt_tokens: i64,
    pub completion_tokens: i64,
    /// `None`: from the engine's prices ([`crate::prices`]), when it knows the model's.
    pub cost_usd: Option<f64>,
}

impl WorkerUsage {
    /// `usage` as a worker (or a push target's answer) sends it: `{model, prompt_tokens,
    /// completion_tokens, cost_usd?}`; a fault is `(field, message)`, the field named
    /// `usage.<name>`.
    pub fn parse(usage: &Value) -> Result<Self, (String, String)> {
        let fault = |name: &str, what: &str| {
            let field = format!("usage.{name}");
            Err((field.clone(), format!("{field} {what}")))
        };
        let Some(fields) = usage.as_object() else {
            return Err(("usage".into(), "usage must be an object".into()));
        };
        if let Some(name) = fields.keys().find(|name| {
            !["model", "prompt_tokens", "completion_tokens", "cost_usd"].contains(&name.as_str())
        }) {
            return fault(name, "is not a field of usage");
        }
        let model = match fields.get("model").and_then(Value::as_str).map(str::trim) {
            Some(model) if (1..=200).contains(&model.chars().count()) => model.to_owned(),
            _ => return fault("model", "must be a model's name of 1 to 200 characters"),
        };
        let tokens = |name: &str| fields.get(name).and_then(Value::as_i64).filter(|n| *n >= 0);
        let Some(prompt_tokens) = tokens("prompt_tokens") else {
            return fault("prompt_tokens", "must be a whole number of at least 0");
        };
        let Some(completion_tokens) = tokens("completion_tokens") else {
            return fault("completion_tokens", "must be a whole number of at least 0");
        };
        let cost_usd = match fields.get("cost_usd") {
            None | Some(Value::Null) => None,
            Some(cost) => match cost.as_f64().filter(|c| c.is_finite() && *c >= 0.0) {
                Some(cost) => Some(cost),
                None => return fault("cost_usd", "must be a number of at least 0"),
            },
        };
        Ok(Self {
            model,
            prompt_tokens,
            completion_tokens,
            cost_usd,
        })
    }

    /// The call as recorded for `task`'s attempt under `lease`.
    pub(super) fn call(&self, task: &Task, lease: &Lease) -> ModelCall {
        ModelCall {
            tenant_id: task.tenant_id,
            task_id: Some(task.id),
            command_id: task.command_id,
            task_type: Some(task.task_type.clone()),
            agent_id: Some(task.agent_id.clone()),
            attempt: Some(lease.attempt),
            model: self.model.clone(),
            prompt_tokens: self.prompt_tokens,
            completion_tokens: self.completion_tokens,
            cost_usd: self.cost(),
        }
    }

    /// Its cost: the worker's, else the engine's price for the model, when it knows one.
    pub fn cost(&self) -> Option<f64> {
        self.cost_usd.or_else(|| {
            crate::prices::cost_usd(&self.model, self.prompt_tokens, self.completion_tokens)
        })
    }
}

/// A completion as a worker sends it.
#[derive(Debug, Clone, PartialEq)]
pub struct ExternalCompletion {
    pub result: Value,
    /// `None`: `Completed {task_type}`.
    pub summary: Option<String>,
    pub journal: Vec<WorkerJournalEntry>,
    /// The model call it made, recorded with it.
    pub usage: Option<WorkerUsage>,
}

/// A failure as a worker sends it.
#[derive(Debug, Clone, PartialEq)]
pub struct ExternalFailure {
    pub error: String,
    /// Whether another attempt may pass (when attempts are left).
    pub retryable: bool,
    /// When to try again, instead of the engine's backoff.
    pub retry_after: Option<Duration>,
}

/// An outcome recorded now, or found recorded already by the same lease (a repeat after
/// a lost answer: nothing was written).
#[derive(Debug, Clone, PartialEq)]
pub struct Recorded {
    /// The task as it is now.
    pub task: Task,
    pub replay: bool,
}

impl Recorded {
    fn now(task: Task) -> Self {
        Self {
            task,
            replay: false,
        }
    }

    fn replay(task: Task) -> Self {
        Self { task, replay: true }
    }
}

/// How a task stands against a lease that claimed it.
pub(super) enum Standing {
    /// Still held by the lease.
    Held,
    /// Held, but a cancel was asked for.
    CancelAsked,
    /// Already finished as this outcome: a replay.
    Replay,
    /// The lease is gone; why.
    Lost(String),
}

/// Moves the lease's expiry to `lease_for` from now and returns it (on this server's
/// clock).
pub async fn heartbeat(
    store: &dyn Store,
    tenant: TenantId,
    lease: &Lease,
    lease_for: Duration,
) -> Result<DateTime<Utc>, LeaseError> {
    let extended = store
        .extend_leases(std::slice::from_ref(lease), lease_for)
        .await?;
    if extended.contains(&lease.task_id) {
        return Ok(expiry(lease_for));
    }
    let task = held_task(store, tenant, lease).await?;
    match standing(&task, lease, |_| false) {
        Standing::CancelAsked => Err(end_cancelled(store, lease).await),
        Standing::Held => Err(LeaseError::Lost(
            "the lease could not be extended; claim the task again".into(),
        )),
        Standing::Replay => unreachable!("a heartbeat is never a replay"),
        Standing::Lost(why) => Err(LeaseError::Lost(why)),
    }
}

/// `lease_for` from now, as a heartbeat answers it (on this server's clock).
pub(super) fn expiry(lease_for: Duration) -> DateTime<Utc> {
    use chrono::SubsecRound;
    (Utc::now() + chrono::Duration::from_std(lease_for).unwrap_or_default()).trunc_subsecs(3)
}

/// Completes the task under `lease` (see the module documentation) and returns it.
pub async fn complete(
    store: &dyn Store,
    tenant: TenantId,
    lease: &Lease,
    completion: ExternalCompletion,
) -> Result<Recorded, LeaseError> {
    let replay = |t: &Task| t.status == TaskStatus::Completed;
    let task = match still_held(store, tenant, lease, replay).await? {
        Held::Yes(task) => task,
        Held::Recorded(recorded) => return Ok(recorded),
    };
    if let Some(schema) = result_schema(store, tenant, &task.task_type).await? {
        check_result(&schema, &completion.result)?;
    }
    let calls: Vec<ModelCall> = completion
        .usage
        .iter()
        .map(|u| u.call(&task, lease))
        .collect();
    let entries: Vec<NewJournalEntry> = completion
        .journal
        .into_iter()
        .map(|entry| journal_entry(&task, entry))
        .collect();
    let summary = completion
        .summary
        .unwrap_or_else(|| format!("Completed {}", task.task_type));
    let completion = Completion {
        lease: lease.clone(),
        result: completion.result,
        summary,
    };
    let mut tx = lock_lease(store, tenant, lease, replay).await?;
    if !entries.is_empty() {
        tx.insert_journal_entries(&entries).await?;
    }
    tx.insert_model_calls(&calls).await?;
    tx.complete_tasks(std::slice::from_ref(&completion)).await?;
    committed(tx, store, tenant, lease).await
}

/// Records a failed attempt under `lease`: back to `pending` when retryable and attempts
/// are left (after `retry_after`, else the type's backoff), else `failed` with its
/// dependents. Returns the task.
pub async fn fail(
    store: &dyn Store,
    tenant: TenantId,
    lease: &Lease,
    failure: ExternalFailure,
) -> Result<Recorded, LeaseError> {
    let replay = |t: &Task| {
        t.errors.last().is_some_and(|e| {
            e.attempt == lease.attempt
                && e.kind != FailureKind::LeaseExpired
                && e.error == failure.error
        })
    };
    let task = match still_held(store, tenant, lease, replay).await? {
        Held::Yes(task) => task,
        Held::Recorded(recorded) => return Ok(recorded),
    };
    let retry_in = if failure.retryable {
        let policy = retry_policy(store, tenant, &task).await?;
        policy
            .next_delay(task.charged_attempts(), task.max_attempts)
            .map(|backoff| failure.retry_after.unwrap_or(backoff))
    } else {
        None
    };
    let failed = Failure {
        lease: lease.clone(),
        kind: if failure.retryable {
            FailureKind::Transient
        } else {
            FailureKind::Permanent
        },
        message: failure.error.clone(),
        retry_in,
    };
    let mut tx = lock_lease(store, tenant, lease, replay).await?;
    tx.fail_tasks(std::slice::from_ref(&failed)).await?;
    committed(tx, store, tenant, lease).await
}

/// Whether the lease still holds its task, read before anything is written.
enum Held {
    Yes(Task),
    /// This outcome was recorded already: the repeat's answer.
    Recorded(Recorded),
}

/// Reads the task and judges it against `lease` ([`standing`]): still held, this outcome
/// already recorded, or refused (lost; cancelled, which ends it).
async fn still_held(
    store: &dyn Store,
    tenant: TenantId,
    lease: &Lease,
    is_replay: impl Fn(&Task) -> bool,
) -> Result<Held, LeaseError> {
    let task = held_task(store, tenant, lease).await?;
    match standing(&task, lease, is_replay) {
        Standing::Held => Ok(Held::Yes(task)),
        Standing::CancelAsked => Err(end_cancelled(store, lease).await),
        Standing::Replay => Ok(Held::Recorded(Recorded::replay(task))),
        Standing::Lost(why) => Err(LeaseError::Lost(why)),
    }
}

/// A transaction holding the task's row under `lease`; when the lease went meanwhile,
/// that transaction is committed (a cancel the lock finished is kept) and why is said.
async fn lock_lease(
    store: &dyn Store,
    tenant: TenantId,
    lease: &Lease,
    is_replay: impl Fn(&Task) -> bool,
) -> Result<Box<dyn StoreTx>, LeaseError> {
    let mut tx = store.begin().await?;
    if tx
        .lock_leased_tasks(std::slice::from_ref(lease))
        .await?
        .is_empty()
    {
        tx.commit().await?;
        return Err(settled_elsewhere(store, tenant, lease, is_replay).await);
    }
    Ok(tx)
}

/// Commits the outcome written through `tx` and reads the task as it is now.
async fn committed(
    tx: Box<dyn StoreTx>,
    store: &dyn Store,
    tenant: TenantId,
    lease: &Lease,
) -> Result<Recorded, LeaseError> {
    tx.commit().await?;
    held_task(store, tenant, lease).await.map(Recorded::now)
}

/// The `result_schema` `task_type` is registered with for `tenant`, compiled; `None` for
/// a type without one (or not registered).
pub(super) async fn result_schema(
    store: &dyn Store,
    tenant: TenantId,
    task_type: &str,
) -> Result<Option<Schema>, StoreError> {
    let Some(kind) = external_type(store, tenant, task_type).await? else {
        return Ok(None);
    };
    let Some(schema) = &kind.definition.result_schema else {
        return Ok(None);
    };
    Schema::compile(schema)
        .map(Some)
        .map_err(|why| StoreError::Other(format!("the stored result_schema of {task_type} {why}")))
}

/// Refuses a `result` against `schema`, naming its field (`result.<path>`).
pub(super) fn check_result(schema: &Schema, result: &Value) -> Result<(), LeaseError> {
    schema
        .check("result", result)
        .map_err(|fault| LeaseError::Invalid {
            field: fault.field,
            message: fault.message,
        })
}

/// The retries of `task`'s type: the engine's backoff, with the registration's attempts.
async fn retry_policy(
    store: &dyn Store,
    tenant: TenantId,
    task: &Task,
) -> Result<RetryPolicy, StoreError> {
    let mut policy = RetryPolicy::default();
    if let Some(max) = external_type(store, tenant, &task.task_type)
        .await?
        .and_then(|kind| kind.definition.max_attempts)
    {
        policy.max_attempts = max;
    }
    Ok(policy)
}

/// The task the lease names, as it is now.
pub(super) async fn held_task(
    store: &dyn Store,
    tenant: TenantId,
    lease: &Lease,
) -> Result<Task, LeaseError> {
    store
        .get_task(tenant, lease.task_id)
        .await?
        .ok_or_else(|| LeaseError::Lost(format!("Task {} no longer exists", lease.task_id)))
}

/// How `task` stands against `lease`; `is_replay` says whether a finished task is this
/// outcome already recorded.
pub(super) fn standing(task: &Task, lease: &Lease, is_replay: impl Fn(&Task) -> bool) -> Standing {
    let this_attempt = task.attempts == lease.attempt;
    match task.status {
        TaskStatus::InProgress
            if this_attempt && task.lease_owner.as_deref() == Some(lease.owner.as_str()) =>
        {
            if task.cancelled_at.is_some() {
                Standing::CancelAsked
            } else {
                Standing::Held
            }
        }
        _ if this_attempt && task.status != TaskStatus::InProgress && is_replay(task) => {
            Standing::Replay
        }
        TaskStatus::InProgress => {
            Standing::Lost("the lease expired and the task was claimed again".into())
        }
        TaskStatus::Pending => {
            Standing::Lost("the lease expired and the task was taken back".into())
        }
        TaskStatus::Completed => {
            Standing::Lost("the task was completed under another lease".into())
        }
        TaskStatus::Failed if task.cancelled_at.is_some() && this_attempt => {
            Standing::Lost("the task was cancelled".into())
        }
        TaskStatus::Failed => Standing::Lost("the task has failed".into()),
    }
}

/// After the lock found the lease gone between the read and the transaction: why, or a
/// replay that raced its first send (said as lost: the caller reads the task again).
async fn settled_elsewhere(
    store: &dyn Store,
    tenant: TenantId,
    lease: &Lease,
    is_replay: impl Fn(&Task) -> bool,
) -> LeaseError {
    match held_task(store, tenant, lease).await {
        Ok(task) => match standing(&task, lease, is_replay) {
            Standing::Lost(why) => LeaseError::Lost(why),
            Standing::Replay => LeaseError::Lost("the outcome was recorded already".into()),
            Standing::Held | Standing::CancelAsked => {
                LeaseError::Lost("the task was cancelled".into())
            }
        },
        Err(err) => err,
    }
}

/// Ends a held task whose cancel was asked for (the lock finishes it `cancelled`, with its
/// dependents) and says so.
async fn end_cancelled(store: &dyn Store, lease: &Lease) -> LeaseError {
    let ended = async {
        let mut tx = store.begin().await?;
        tx.lock_leased_tasks(std::slice::from_ref(lease)).await?;
        tx.commit().await
    };
    match ended.await {
        Ok(()) => LeaseError::Cancelled(format!(
            "Task {} was cancelled; nothing more of this attempt is recorded",
            lease.task_id
        )),
        Err(err) => LeaseError::Store(err),
    }
}

/// A worker's journal entry as written: by the task's agent, about the task.
pub(super) fn journal_entry(task: &Task, entry: WorkerJournalEntry) -> NewJournalEntry {
    let mut details = entry.details;
    details
        .entry("task_id")
        .or_insert_with(|| Value::from(task.id.to_string()));
    details
        .entry("event_type")
        .or_insert_with(|| Value::from("external_task_completed"));
    NewJournalEntry {
        id: JournalEntryId::new(),
        tenant_id: task.tenant_id,
        category: entry.category,
        title: entry.title,
        body: entry.body,
        details: Value::Object(details),
        author: Some(task.agent_id.clone()),
    }
}
