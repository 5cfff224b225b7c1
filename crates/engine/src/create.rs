//! Creating a task: the one path `POST /api/agents/tasks`, `zora tasks add` and
//! `zora create-task` share. The task is checked as it will run (its payload by its
//! handler's own parser, the rows it names against the tenant's; a tenant without a row
//! is said to be unknown),
//! a repeated idempotency key with the same task answers with the task it made (a
//! replay, not an error), and the task is written with its `agent_task_created` journal
//! entry in one transaction.

use std::collections::HashMap;

use serde_json::json;
use thiserror::Error;
use zora_core::handler::DynHandler;
use zora_core::handler::TaskError;
use zora_core::journal::{JournalCategory, NewJournalEntry};
use zora_core::{
    JournalEntryId, NewTask, ReadTx, Store, StoreError, StoreTx, Task, TaskId, TaskStatus, TenantId,
};

use crate::approval::needs_decision;
use crate::external::payload_check::PayloadChecks;
use crate::registry::Registry;

/// Why a task (or a command) was not created. Nothing was written.
#[derive(Debug, Error)]
pub enum CreateError {
    /// The tenant has no row in `tenants` (a token or `--tenant-id` naming no tenant).
    #[error("Unknown tenant {0}")]
    UnknownTenant(TenantId),
    /// The payload is invalid or names rows the tenant does not have.
    #[error("{}", .0.with_field())]
    Invalid(TaskError),
    /// A parent in `depends_on` is unknown, another tenant's, or failed for good; the
    /// message names it (`depends_on: Task {id} has failed`).
    #[error("{0}")]
    Dependency(String),
    /// The idempotency key was used for a different task.
    #[error("A different task was already created with idempotency key '{0}'")]
    KeyConflict(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A task created, or found: the one an earlier call with the same idempotency key and
/// the same task made.
#[derive(Debug, Clone, PartialEq)]
pub enum Created {
    New(Task),
    Replayed(Task),
}

impl Created {
    /// The task, as stored.
    pub fn task(&self) -> &Task {
        match self {
            Self::New(task) | Self::Replayed(task) => task,
        }
    }

    /// The task, as stored.
    pub fn into_task(self) -> Task {
        match self {
            Self::New(task) | Self::Replayed(task) => task,
        }
    }
}

/// `err`, or [`CreateError::UnknownTenant`] when the cause is that `tenant` has no row.
/// Asked only once a check refused or a write failed for a missing row, so that a create
/// for a tenant that exists costs no read of `tenants`.
pub(crate) async fn blame_tenant(
    store: &dyn Store,
    tenant: TenantId,
    err: CreateError,
) -> CreateError {
    let suspect = matches!(
        err,
        CreateError::Invalid(_)
            | CreateError::Dependency(_)
            | CreateError::Store(StoreError::MissingReference { .. })
    );
    if suspect && matches!(store.tenant_exists(tenant).await, Ok(false)) {
        CreateError::UnknownTenant(tenant)
    } else {
        err
    }
}

/// Checks a new task of a registered type: its payload parses, and the rows it names exist
/// for its tenant, read in a read-only transaction (one snapshot; on SQLite a reader, so
/// the check never queues behind the workers' writes). A type registered by external
/// workers is checked against its payload schema; other types are not checked (the legacy
/// runtime takes them). A payload at fault is [`CreateError::Invalid`]; a database that
/// fails is [`CreateError::Store`].
pub async fn validate_new_task(
    store: &dyn Store,
    registry: &Registry,
    task: &NewTask,
) -> Result<(), CreateError> {
    let Some(handler) = registry.get(&task.task_type) else {
        return check_external(&mut PayloadChecks::default(), store, registry, task).await;
    };
    let mut tx = store.begin_read().await?;
    check_in(tx.as_mut(), handler.as_ref(), task).await
}

/// Checks a task of an external type against its payload schema (see [`PayloadChecks`]).
async fn check_external(
    checks: &mut PayloadChecks,
    store: &dyn Store,
    registry: &Registry,
    task: &NewTask,
) -> Result<(), CreateError> {
    match checks.fault(store, registry, task).await? {
        Some(fault) => Err(CreateError::Invalid(fault)),
        None => Ok(()),
    }
}

/// Checks `task` against the rows `tx` sees (see [`validate_new_task`]).
///
/// The fields its `depends_on` fills from its parents' results are the parents' to give:
/// a fault in one of them is not the task's, and a payload that does not parse for want
/// of one is checked no further (it is checked when it runs).
async fn check_in(
    tx: &mut dyn ReadTx,
    handler: &dyn DynHandler,
    task: &NewTask,
) -> Result<(), CreateError> {
    let filled = |field: &str| {
        let top = field.split(['.', '[']).next().unwrap_or(field);
        task.depends_on.iter().any(|d| d.inputs.contains_key(top))
    };
    let payload = match handler.parse(&task.payload) {
        Ok(payload) => payload,
        Err(err) if err.field.as_deref().is_some_and(filled) => return Ok(()),
        Err(err) => return Err(CreateError::Invalid(err)),
    };
    if !handler.checks_rows() {
        return Ok(());
    }
    let probe = zora_core::Task::unsaved(task);
    let context = handler.load(tx, &[(&probe, &payload)]).await?;
    match handler.check(task.tenant_id, &payload, &context) {
        Err(err) if err.field.as_deref().is_some_and(filled) => Ok(()),
        checked => checked.map_err(CreateError::Invalid),
    }
}

/// Locks `task`'s parents (see [`zora_core::QueueTx::lock_parents`]) and checks them: each
/// a task of its tenant, none failed for good.
async fn check_parents(tx: &mut dyn StoreTx, task: &NewTask) -> Result<(), CreateError> {
    if task.depends_on.is_empty() {
        return Ok(());
    }
    let ids: Vec<TaskId> = task.depends_on.iter().map(|d| d.task_id).collect();
    let found = tx.lock_parents(task.tenant_id, &ids).await?;
    for id in ids {
        match found.iter().find(|p| p.id == id) {
            None => {
                return Err(CreateError::Dependency(format!(
                    "depends_on: Task {id} not found or does not belong to tenant"
                )));
            }
            Some(parent) if parent.status == TaskStatus::Failed => {
                return Err(CreateError::Dependency(format!(
                    "depends_on: Task {id} has failed"
                )));
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// Checks a new task without writing it (`run-dry`): valid as it will run, and a refusal
/// for a tenant without a row said as such.
pub async fn check_new_task(
    store: &dyn Store,
    registry: &Registry,
    task: &NewTask,
) -> Result<(), CreateError> {
    match validate_new_task(store, registry, task).await {
        Err(err) => Err(blame_tenant(store, task.tenant_id, err).await),
        ok => ok,
    }
}

/// Creates `task` (see the module documentation). A `created_by_user_id` without a row
/// in `users` (a token's user ZORA CORE never stored) is written as NULL, not refused.
pub async fn create_task(
    store: &dyn Store,
    registry: &Registry,
    task: NewTask,
) -> Result<Created, CreateError> {
    let tenant = task.tenant_id;
    match create_checked(store, registry, task).await {
        Err(err) => Err(blame_tenant(store, tenant, err).await),
        ok => ok,
    }
}

async fn create_checked(
    store: &dyn Store,
    registry: &Registry,
    task: NewTask,
) -> Result<Created, CreateError> {
    match insert_checked(store, registry, &task).await {
        Ok(created) => Ok(created),
        // Another call with the same key won the race: answer as for a replay.
        Err(CreateError::Store(StoreError::Conflict { .. })) if task.idempotency_key.is_some() => {
            match same_key(store, &task).await? {
                Some(existing) => Ok(Created::Replayed(existing)),
                None => Err(StoreError::Transient(
                    "the task's idempotency key conflicted, then vanished; retry".into(),
                )
                .into()),
            }
        }
        Err(err) => Err(err),
    }
}

/// The task created earlier with `task`'s idempotency key: `Some` when it is the same
/// task, [`CreateError::KeyConflict`] when the key was used for another.
async fn same_key(store: &dyn Store, task: &NewTask) -> Result<Option<Task>, CreateError> {
    let Some(key) = &task.idempotency_key else {
        return Ok(None);
    };
    let Some(existing) = store
        .get_task_by_idempotency_key(task.tenant_id, key)
        .await?
    else {
        return Ok(None);
    };
    let same = existing.agent_id == task.agent_id
        && existing.task_type == task.task_type
        && existing.title == task.title
        && existing.description == task.description
        && existing.payload == task.payload
        && existing.priority == task.priority
        && existing.max_attempts == task.max_attempts
        // A decision its type or policy asked for is not the caller's to repeat.
        && (existing.requires_approval || !task.requires_approval);
    if same {
        Ok(Some(existing))
    } else {
        Err(CreateError::KeyConflict(key.clone()))
    }
}

/// Answers a replay of the task's idempotency key with the task the key made; else checks
/// the task in the transaction that then inserts it with its journal entry (one round trip
/// per statement: the check's reads, the task, the entry, the commit). The replay is read
/// before the transaction begins, so that no call holds two connections at once.
async fn insert_checked(
    store: &dyn Store,
    registry: &Registry,
    task: &NewTask,
) -> Result<Created, CreateError> {
    if let Some(existing) = same_key(store, task).await? {
        return Ok(Created::Replayed(existing));
    }
    check_external(&mut PayloadChecks::default(), store, registry, task).await?;
    let mut tx = store.begin().await?;
    let stored = insert_new(tx.as_mut(), registry, task).await?;
    tx.insert_journal_entries(&[created_entry(&stored)]).await?;
    tx.commit().await?;
    Ok(Created::New(stored))
}

/// Checks `task` and inserts it through `tx`, its parents locked and checked first.
pub(crate) async fn insert_new(
    tx: &mut dyn StoreTx,
    registry: &Registry,
    task: &NewTask,
) -> Result<Task, CreateError> {
    if let Some(handler) = registry.get(&task.task_type) {
        check_in(tx, handler.as_ref(), task).await?;
    }
    check_parents(tx, task).await?;
    if !task.requires_approval && needs_decision(tx, registry, task).await? {
        let mut task = task.clone();
        task.requires_approval = true;
        return Ok(tx.insert_task(&task).await?);
    }
    Ok(tx.insert_task(task).await?)
}

/// Why a batch was not created, and which of its tasks (its position in the slice given
/// to [`create_batch`]) was at fault. Nothing was written.
#[derive(Debug, Error)]
#[error("task {index}: {error}")]
pub struct BatchError {
    pub index: usize,
    pub error: CreateError,
}

/// How often a batch is tried again after its idempotency keys conflicted with a batch
/// committed meanwhile (the next try replays that batch's tasks).
const BATCH_TRIES: usize = 3;

/// Creates `tasks` in one transaction, all or nothing, in the order given: a task's
/// parents among them come before it (`depends_on` naming their ids). A task whose
/// idempotency key made a task earlier is that task (a replay), and those depending on it
/// depend on it. Each task is checked as [`create_task`] checks one, with its
/// `agent_task_created` entry.
pub async fn create_batch(
    store: &dyn Store,
    registry: &Registry,
    tasks: &[NewTask],
) -> Result<Vec<Created>, BatchError> {
    let mut tries = 0;
    loop {
        tries += 1;
        match insert_batch(store, registry, tasks).await {
            Err(BatchError {
                error: CreateError::Store(StoreError::Conflict { .. }),
                ..
            }) if tries < BATCH_TRIES => continue,
            Err(BatchError { index, error }) => {
                let tenant = tasks[index].tenant_id;
                let error = blame_tenant(store, tenant, error).await;
                return Err(BatchError { index, error });
            }
            ok => return ok,
        }
    }
}

async fn insert_batch(
    store: &dyn Store,
    registry: &Registry,
    tasks: &[NewTask],
) -> Result<Vec<Created>, BatchError> {
    let at = |index| move |error: CreateError| BatchError { index, error };
    let mut replays = Vec::with_capacity(tasks.len());
    let mut checks = PayloadChecks::default();
    for (index, task) in tasks.iter().enumerate() {
        let replay = same_key(store, task).await.map_err(at(index))?;
        if replay.is_none() {
            check_external(&mut checks, store, registry, task)
                .await
                .map_err(at(index))?;
        }
        replays.push(replay);
    }
    let mut tx = store.begin().await.map_err(|e| at(0)(e.into()))?;
    // A replayed task's id stands for the id the batch gave it.
    let mut stands_for: HashMap<TaskId, TaskId> = HashMap::new();
    let mut created = Vec::with_capacity(tasks.len());
    for (index, (task, replay)) in tasks.iter().zip(replays).enumerate() {
        if let Some(existing) = replay {
            stands_for.insert(task.id, existing.id);
            created.push(Created::Replayed(existing));
            continue;
        }
        let mut task = task.clone();
        for parent in &mut task.depends_on {
            if let Some(id) = stands_for.get(&parent.task_id) {
                parent.task_id = *id;
            }
        }
        let stored = insert_new(tx.as_mut(), registry, &task)
            .await
            .map_err(at(index))?;
        created.push(Created::New(stored));
    }
    let entries: Vec<_> = created
        .iter()
        .filter_map(|c| match c {
            Created::New(task) => Some(created_entry(task)),
            Created::Replayed(_) => None,
        })
        .collect();
    let last = tasks.len().saturating_sub(1);
    if !entries.is_empty() {
        tx.insert_journal_entries(&entries)
            .await
            .map_err(|e| at(last)(e.into()))?;
    }
    tx.commit().await.map_err(|e| at(last)(e.into()))?;
    Ok(created)
}

/// The `agent_task_created` journal entry of a new task.
pub(crate) fn created_entry(task: &Task) -> NewJournalEntry {
    NewJournalEntry {
        id: JournalEntryId::new(),
        tenant_id: task.tenant_id,
        category: JournalCategory::AgentAction,
        title: format!("Agent task created: {}", task.title),
        body: task.description.clone(),
        details: json!({"event_type": "agent_task_created", "task_id": task.id,
                        "task_type": task.task_type, "agent_id": task.agent_id}),
        author: Some("system".into()),
    }
}
