//! Approvals: which new tasks need a founder's decision before
//! they may run, and recording that decision with its journal entry.

use serde_json::json;
use thiserror::Error;
use zora_core::journal::{JournalCategory, NewJournalEntry};
use zora_core::{
    Decision, JournalEntryId, NewTask, Store, StoreError, StoreTx, Task, TaskId, TenantId,
};

use crate::registry::Registry;

/// Why a decision was not recorded. Nothing was written.
#[derive(Debug, Error)]
pub enum DecisionError {
    #[error("Task {0} not found")]
    NotFound(TaskId),
    /// `Task does not require approval` / `Task was already approved` / `... rejected`.
    #[error("{0}")]
    InvalidState(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Whether `task` needs a decision: asked for at create, or its type is one of the
/// registry's approval types, or ZORA CORE 3.x's policy for its tenant (else the global
/// one) says `auto_execute = false`.
pub(crate) async fn needs_decision(
    tx: &mut dyn StoreTx,
    registry: &Registry,
    task: &NewTask,
) -> Result<bool, StoreError> {
    if task.requires_approval || registry.requires_approval(&task.task_type) {
        return Ok(true);
    }
    let policy = tx
        .auto_execute_policy(task.tenant_id, &task.task_type)
        .await?;
    Ok(policy == Some(false))
}

/// Records a founder's decision on one of `tenant`'s tasks and its journal entry
/// (`agent_task_approved` / `agent_task_rejected`); returns the task as it is now.
pub async fn decide_task(
    store: &dyn Store,
    tenant: TenantId,
    id: TaskId,
    decision: &Decision,
) -> Result<Task, DecisionError> {
    let mut tx = store.begin().await?;
    let Some(task) = tx.decide_task(tenant, id, decision).await? else {
        drop(tx);
        let task = store
            .get_task(tenant, id)
            .await?
            .ok_or(DecisionError::NotFound(id))?;
        return Err(DecisionError::InvalidState(refusal(&task)));
    };
    let (event, title) = if decision.approve {
        ("agent_task_approved", "Agent task approved")
    } else {
        ("agent_task_rejected", "Agent task rejected")
    };
    tx.insert_journal_entries(&[NewJournalEntry {
        id: JournalEntryId::new(),
        tenant_id: tenant,
        category: JournalCategory::AgentAction,
        title: format!("{title}: {}", task.title),
        body: decision.reason.clone(),
        details: json!({"event_type": event, "task_id": task.id,
                        "decided_by_user_id": decision.by, "reason": decision.reason}),
        author: Some("system".into()),
    }])
    .await?;
    tx.commit().await?;
    Ok(task)
}

/// Why `task` takes no decision.
fn refusal(task: &Task) -> String {
    if !task.requires_approval {
        "Task does not require approval".into()
    } else if task.approved_at.is_some() {
        "Task was already approved".into()
    } else if task.rejected_at.is_some() {
        "Task was already rejected".into()
    } else {
        format!("Task is already {}", task.status)
    }
}
