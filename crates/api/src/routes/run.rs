//! `POST /api/agents/tasks/{id}/run`: a pending task is queued (made due now), a failed one
//! reset to pending for a retry, each with its journal entry; a completed or running task
//! is refused. Synchronous execution (`?wait=true`) arrives with the next API issue.

use axum::Json;
use axum::extract::{Path, State};
use serde_json::{Value, json};
use zora_core::journal::{JournalCategory, NewJournalEntry};
use zora_core::{JournalEntryId, Task, TaskId, TaskStatus};

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::state::AppState;

const LEGACY: &str =
    "Task type not supported by v1 executor. Will be processed by legacy Agent Runtime.";

pub async fn run(
    user: AuthUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    user.require_operator("Only founders and brand admins can manually run tasks")?;
    let not_found = || ApiError::NotFound(format!("Task '{id}' not found"));
    let task_id: TaskId = id.parse().map_err(|_| not_found())?;
    let task = state
        .store
        .get_task(user.tenant_id, task_id)
        .await?
        .ok_or_else(not_found)?;
    refuse_running_or_done(&task)?;

    let supported = state.registry.get(&task.task_type).is_some();
    let mut tx = state.store.begin().await?;
    let (updated, execution, event, message) = match task.status {
        TaskStatus::Failed => (
            tx.reset_failed_task(user.tenant_id, task_id).await?,
            "reset_to_pending",
            "agent_task_retry_requested",
            "Task reset to pending for retry. A worker or `zora run-task` runs it.",
        ),
        _ => (
            tx.make_task_due(user.tenant_id, task_id).await?,
            "queued",
            "agent_task_run_requested",
            "Task is queued for execution. A worker or `zora run-task` runs it.",
        ),
    };
    // The task changed between the read and the write (claimed, finished): answer for
    // its state now.
    let Some(updated) = updated else {
        drop(tx);
        let now = state
            .store
            .get_task(user.tenant_id, task_id)
            .await?
            .ok_or_else(not_found)?;
        refuse_running_or_done(&now)?;
        return Err(ApiError::InvalidState(format!("Task is {}", now.status)));
    };
    let mut details = json!({
        "event_type": event,
        "task_id": task_id,
        "is_v1_supported": supported,
        "requested_by_user_id": user.user_id,
    });
    if task.status == TaskStatus::Failed {
        details["previous_status"] = json!("failed");
    }
    tx.insert_journal_entries(&[NewJournalEntry {
        id: JournalEntryId::new(),
        tenant_id: user.tenant_id,
        category: JournalCategory::AgentAction,
        title: format!("Run requested for task: {}", updated.title),
        body: None,
        details,
        author: Some("system".into()),
    }])
    .await?;
    tx.commit().await?;
    Ok(Json(json!({
        "data": updated,
        "execution": {
            "status": execution,
            "is_v1_supported": supported,
            "message": if supported { message } else { LEGACY },
            "supported_v1_types": state.registry.v1_kinds(),
            "cli_command": format!("zora run-task {task_id}"),
        },
    })))
}

fn refuse_running_or_done(task: &Task) -> Result<(), ApiError> {
    match task.status {
        TaskStatus::Completed => Err(ApiError::InvalidState("Task is already completed".into())),
        TaskStatus::InProgress => Err(ApiError::InvalidState("Task is already in progress".into())),
        TaskStatus::Pending | TaskStatus::Failed => Ok(()),
    }
}
