//! Cancelling a task ( `POST /api/agents/tasks/{id}/cancel`,
//! `zora tasks cancel`): a pending task fails at once, `Cancelled: {reason}`, its
//! dependents with it; a running one is stopped at its worker's next lease check and
//! commits nothing of its attempt. Each cancellation writes its `agent_task_cancelled`
//! journal entry in the transaction that records it.

use serde_json::json;
use thiserror::Error;
use zora_core::journal::{JournalCategory, NewJournalEntry};
use zora_core::{JournalEntryId, Store, StoreError, Task, TaskId, TaskStatus, TenantId, UserId};

/// What a cancellation did.
#[derive(Debug, Clone, PartialEq)]
pub enum Cancelled {
    /// It was pending: failed now, cancelled.
    Now(Task),
    /// It is running: its worker stops it at its next lease check.
    Cancelling(Task),
}

impl Cancelled {
    pub fn task(&self) -> &Task {
        match self {
            Self::Now(task) | Self::Cancelling(task) => task,
        }
    }
}

/// Why a task was not cancelled. Nothing was written.
#[derive(Debug, Error)]
pub enum CancelError {
    #[error("Task {0} not found")]
    NotFound(TaskId),
    /// `Task is already completed` / `Task is already failed`.
    #[error("{0}")]
    InvalidState(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The `error_message` of a task cancelled with `reason`.
pub fn cancelled_message(reason: Option<&str>) -> String {
    match reason.map(str::trim).filter(|r| !r.is_empty()) {
        Some(reason) => format!("Cancelled: {reason}"),
        None => "Cancelled".into(),
    }
}

/// Cancels one of `tenant`'s tasks (see the module documentation). Cancelling a task whose
/// cancellation is under way answers as the first call did, writing nothing more.
pub async fn cancel_task(
    store: &dyn Store,
    tenant: TenantId,
    id: TaskId,
    requested_by: Option<UserId>,
    reason: Option<&str>,
) -> Result<Cancelled, CancelError> {
    let message = cancelled_message(reason);
    let mut tx = store.begin().await?;
    let Some(task) = tx.cancel_task(tenant, id, &message).await? else {
        drop(tx);
        let task = store
            .get_task(tenant, id)
            .await?
            .ok_or(CancelError::NotFound(id))?;
        return match task.status {
            TaskStatus::InProgress if task.cancelled_at.is_some() => {
                Ok(Cancelled::Cancelling(task))
            }
            TaskStatus::InProgress => Err(CancelError::InvalidState(
                "Task is run by ZORA CORE's legacy runtime, which the engine cannot stop".into(),
            )),
            status => Err(CancelError::InvalidState(format!(
                "Task is already {status}"
            ))),
        };
    };
    tx.insert_journal_entries(&[NewJournalEntry {
        id: JournalEntryId::new(),
        tenant_id: tenant,
        category: JournalCategory::AgentAction,
        title: format!("Agent task cancelled: {}", task.title),
        body: Some(message),
        details: json!({"event_type": "agent_task_cancelled", "task_id": task.id,
                        "requested_by_user_id": requested_by,
                        "reason": reason.map(str::trim).filter(|r| !r.is_empty())}),
        author: Some("system".into()),
    }])
    .await?;
    tx.commit().await?;
    Ok(if task.status == TaskStatus::Failed {
        Cancelled::Now(task)
    } else {
        Cancelled::Cancelling(task)
    })
}
