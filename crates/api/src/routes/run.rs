//! `POST /api/agents/tasks/{id}/run`: a pending task is queued (made due now), a failed one
//! reset to pending for a retry, each with its journal entry; a completed or running task
//! is refused. With `?wait=true` (or a body `{"mode": "sync"}`) the task is then run at
//! once through the executor's claim-and-apply path, and the answer waits for it up to
//! `timeout` seconds (default 30, at most 120): 200 with the finished task, or 202
//! `running` if it is still running. A task another worker runs is waited for.

use std::collections::HashMap;
use std::time::Duration;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use serde_json::Value;
use zora_core::{Task, TaskId, TaskStatus};
use zora_engine::{RequestedRun, RunRequestError, request_run};

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::routes::waiting::{SyncRun, answer, execution_of, finished, wait_timeout, wants_wait};
use crate::state::AppState;

const LEGACY: &str =
    "Task type not supported by v1 executor. Will be processed by legacy Agent Runtime.";

pub async fn run(
    user: AuthUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    user.require_operator("Only founders and brand admins can manually run tasks")?;
    let wait = sync_options(&query, &headers, &body)?;
    let not_found = || super::task_not_found(&id);
    let task_id: TaskId = id.parse().map_err(|_| not_found())?;
    // Whether the task was pending when asked for: if it finishes before this run can
    // claim it, another worker's run is the one asked for.
    let mut was_pending = false;
    if let Some(timeout) = wait {
        // A type the engine does not run cannot be run now: refused before anything is written.
        let task = state
            .store
            .get_task(user.tenant_id, task_id)
            .await?
            .ok_or_else(not_found)?;
        if state.registry.get(&task.task_type).is_none()
            && matches!(task.status, TaskStatus::Pending | TaskStatus::Failed)
        {
            return Err(ApiError::InvalidState(
                state.registry.unsupported_message(&task.task_type),
            ));
        }
        // Another worker runs it: wait for that run, not a refusal.
        if task.status == TaskStatus::InProgress {
            return wait_for_run(&state, &user, &task, timeout).await;
        }
        // What holds it back a run cannot skip: refused before anything is written.
        if let Some(reason) = zora_engine::not_runnable_now(&task)
            && task.status != TaskStatus::Completed
        {
            return Err(ApiError::InvalidState(reason.into()));
        }
        was_pending = task.status == TaskStatus::Pending;
    }
    let requested = request_run(
        state.store.as_ref(),
        &state.registry,
        user.tenant_id,
        task_id,
        Some(user.user_id),
    )
    .await;
    let (updated, requested) = match requested {
        Ok(requested) => requested,
        Err(RunRequestError::NotFound(_)) => return Err(not_found()),
        Err(RunRequestError::Store(err)) => return Err(err.into()),
        Err(RunRequestError::InvalidState(message)) => {
            // Claimed by a worker since it was read: wait for that run.
            if let Some(timeout) = wait {
                match state.store.get_task(user.tenant_id, task_id).await? {
                    Some(task) if task.status == TaskStatus::InProgress => {
                        return wait_for_run(&state, &user, &task, timeout).await;
                    }
                    Some(task) if was_pending && task.status.is_finished() => {
                        let execution = execution_of(&state, &task.task_type, task_id);
                        return finished(&state, StatusCode::OK, task, execution).await;
                    }
                    _ => {}
                }
            }
            return Err(ApiError::InvalidState(message));
        }
    };
    let supported = state.registry.get(&updated.task_type).is_some();
    let message = match requested {
        _ if !supported => LEGACY,
        RequestedRun::Queued => {
            "Task is queued for execution. A worker or `zora run-task` runs it."
        }
        RequestedRun::ResetToPending => {
            "Task reset to pending for retry. A worker or `zora run-task` runs it."
        }
    };
    let execution = execution_of(&state, &updated.task_type, task_id);
    match wait {
        None => {
            let status = requested.as_str();
            answer(
                &state,
                StatusCode::OK,
                updated,
                execution,
                status,
                Some(message.into()),
            )
            .await
        }
        Some(timeout) => {
            sync_run(&state, &user, task_id, timeout, execution)
                .run_now()
                .await
        }
    }
}

/// How long to wait for a synchronous run, when one is asked for.
fn sync_options(
    query: &HashMap<String, String>,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<Option<Duration>, ApiError> {
    let mut sync = wants_wait(query);
    let mut timeout = query.get("timeout").cloned().map(Value::from);
    if !body.iter().all(u8::is_ascii_whitespace) {
        let json_type = headers
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        if !json_type {
            return Err(ApiError::InvalidJson(
                "Content-Type must be application/json".into(),
            ));
        }
        let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(body) else {
            return Err(ApiError::InvalidJson(
                "The body must be a JSON object".into(),
            ));
        };
        match map.get("mode") {
            None | Some(Value::Null) => {}
            Some(Value::String(mode)) if mode == "sync" => sync = true,
            Some(Value::String(mode)) if mode == "async" => {}
            Some(_) => {
                return Err(ApiError::field(
                    "mode",
                    "mode must be \"sync\" or \"async\"",
                ));
            }
        }
        if let Some(value) = map.get("timeout").filter(|v| !v.is_null()) {
            timeout = Some(value.clone());
        }
    }
    if !sync {
        return Ok(None);
    }
    wait_timeout(timeout).map(Some)
}

/// A synchronous run of an existing task: 200 when it finishes.
fn sync_run<'a>(
    state: &'a AppState,
    user: &'a AuthUser,
    task_id: TaskId,
    timeout: Duration,
    execution: Value,
) -> SyncRun<'a> {
    SyncRun {
        state,
        user,
        task_id,
        timeout,
        finished: StatusCode::OK,
        execution,
    }
}

/// Waits for the run another worker has of `task`, and answers as a synchronous run.
async fn wait_for_run(
    state: &AppState,
    user: &AuthUser,
    task: &Task,
    timeout: Duration,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let execution = execution_of(state, &task.task_type, task.id);
    sync_run(state, user, task.id, timeout, execution)
        .wait()
        .await
}
