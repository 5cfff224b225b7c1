//! Asking for a task to run (`POST /api/agents/tasks/{id}/run`, `zora tasks retry`,
//! `zora tasks run`): a pending task is queued (made due now if due later), a failed one
//! reset to pending for a retry, each with its journal entry, in one transaction; a
//! completed or running task is refused, untouched.

use serde_json::json;
use thiserror::Error;
use zora_core::dependency::TaskLinks;
use zora_core::journal::{JournalCategory, NewJournalEntry};
use zora_core::{
    JournalEntryId, Store, StoreError, Task, TaskId, TaskState, TaskStatus, TenantId, UserId,
};

use crate::registry::Registry;

/// What a run request did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestedRun {
    /// A pending task, now due.
    Queued,
    /// A failed task, back to pending.
    ResetToPending,
}

impl RequestedRun {
    /// `queued` or `reset_to_pending`, as the API answers it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::ResetToPending => "reset_to_pending",
        }
    }
}

/// Why a run was not requested.
#[derive(Debug, Error)]
pub enum RunRequestError {
    #[error("Task {0} not found")]
    NotFound(TaskId),
    /// `Task is already completed` / `Task is already in progress`.
    #[error("{0}")]
    InvalidState(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why a run cannot be requested for `task` now: it finished, or it is running.
pub fn not_runnable(task: &Task) -> Option<&'static str> {
    match task.status {
        TaskStatus::Completed => Some("Task is already completed"),
        TaskStatus::InProgress => Some("Task is already in progress"),
        TaskStatus::Pending | TaskStatus::Failed => None,
    }
}

/// Why `task` cannot run synchronously now (`?wait=true`), beyond [`not_runnable`]: what
/// holds it back, which a run cannot skip.
pub fn not_runnable_now(task: &Task) -> Option<&'static str> {
    match task.state {
        TaskState::Blocked => Some("Task is waiting for its dependencies"),
        TaskState::AwaitingApproval => Some("Task is awaiting approval"),
        TaskState::Cancelled => Some("Task is cancelled"),
        TaskState::Rejected => Some("Task was rejected"),
        _ => not_runnable(task),
    }
}

fn refuse_running_or_done(task: &Task) -> Result<(), RunRequestError> {
    match not_runnable(task) {
        Some(reason) => Err(RunRequestError::InvalidState(reason.into())),
        None => Ok(()),
    }
}

/// A failed task whose parent failed for good is not retried alone: it would only wait
/// for that parent forever. Its parent's retry resets it.
async fn refuse_failed_parent(store: &dyn Store, task: &Task) -> Result<(), RunRequestError> {
    let edges = store.dependency_edges(task.tenant_id, &[task.id]).await?;
    let failed = TaskLinks::of(task.id, &edges)
        .depends_on
        .into_iter()
        .find(|p| {
            matches!(
                p.state,
                TaskState::Failed | TaskState::Cancelled | TaskState::Rejected
            )
        });
    match failed {
        Some(parent) => Err(RunRequestError::InvalidState(format!(
            "Task {} it depends on is {}; retry that task, which resets this one",
            parent.task_id, parent.state
        ))),
        None => Ok(()),
    }
}

/// Queues or resets one of `tenant`'s tasks, writing its journal entry; returns the task
/// as it is now and what was done.
pub async fn request_run(
    store: &dyn Store,
    registry: &Registry,
    tenant: TenantId,
    id: TaskId,
    requested_by: Option<UserId>,
) -> Result<(Task, RequestedRun), RunRequestError> {
    let task = store
        .get_task(tenant, id)
        .await?
        .ok_or(RunRequestError::NotFound(id))?;
    refuse_running_or_done(&task)?;
    if task.state == TaskState::Rejected {
        return Err(RunRequestError::InvalidState(
            "Task was rejected: a rejected task is not retried (create it anew)".into(),
        ));
    }
    if task.status == TaskStatus::Failed {
        refuse_failed_parent(store, &task).await?;
    }
    let supported = registry.get(&task.task_type).is_some();
    let mut tx = store.begin().await?;
    let (updated, requested, event) = match task.status {
        TaskStatus::Failed => (
            tx.reset_failed_task(tenant, id).await?,
            RequestedRun::ResetToPending,
            "agent_task_retry_requested",
        ),
        _ => (
            tx.make_task_due(tenant, id).await?,
            RequestedRun::Queued,
            "agent_task_run_requested",
        ),
    };
    // The task changed between the read and the write (claimed, finished).
    let Some(updated) = updated else {
        drop(tx);
        let now = store
            .get_task(tenant, id)
            .await?
            .ok_or(RunRequestError::NotFound(id))?;
        refuse_running_or_done(&now)?;
        return Err(RunRequestError::InvalidState(format!(
            "Task is {}",
            now.status
        )));
    };
    let mut details = json!({
        "event_type": event,
        "task_id": id,
        "is_v1_supported": supported,
        "requested_by_user_id": requested_by,
    });
    if requested == RequestedRun::ResetToPending {
        details["previous_status"] = json!("failed");
    }
    tx.insert_journal_entries(&[NewJournalEntry {
        id: JournalEntryId::new(),
        tenant_id: tenant,
        category: JournalCategory::AgentAction,
        title: format!("Run requested for task: {}", updated.title),
        body: None,
        details,
        author: Some("system".into()),
    }])
    .await?;
    tx.commit().await?;
    Ok((updated, requested))
}
