//! `POST /api/agents/tasks/{id}/run`: a pending task is queued (made due now), a failed one
//! reset to pending for a retry, each with its journal entry; a completed or running task
//! is refused. With `?wait=true` (or a body `{"mode": "sync"}`) the task is then run at
//! once through the executor's claim-and-apply path, and the answer waits for it up to
//! `timeout` seconds (default 30, at most 120): 200 with the finished task, or 202
//! `running` if it is still running.

use std::collections::HashMap;
use std::time::Duration;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use serde_json::{Value, json};
use zora_core::{TaskId, TaskStatus};
use zora_engine::{
    Executor, ExecutorSettings, RequestedRun, RunRequestError, RunTaskError, TaskOutcome,
    not_runnable, request_run,
};

use crate::auth::AuthUser;
use crate::error::ApiError;
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
    let not_found = || ApiError::NotFound(format!("Task '{id}' not found"));
    let task_id: TaskId = id.parse().map_err(|_| not_found())?;
    if wait.is_some() {
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
    }
    let (updated, requested) = request_run(
        state.store.as_ref(),
        &state.registry,
        user.tenant_id,
        task_id,
        Some(user.user_id),
    )
    .await
    .map_err(|err| match err {
        RunRequestError::NotFound(_) => not_found(),
        RunRequestError::InvalidState(message) => ApiError::InvalidState(message),
        RunRequestError::Store(err) => err.into(),
    })?;
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
    let execution = json!({
        "status": requested.as_str(),
        "is_v1_supported": supported,
        "message": message,
        "supported_v1_types": state.registry.v1_kinds(),
        "cli_command": format!("zora run-task {task_id}"),
    });
    match wait {
        None => Ok((
            StatusCode::OK,
            Json(json!({"data": updated, "execution": execution})),
        )),
        Some(timeout) => run_now(&state, &user, task_id, timeout, execution).await,
    }
}

/// How long to wait for a synchronous run, when one is asked for.
fn sync_options(
    query: &HashMap<String, String>,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<Option<Duration>, ApiError> {
    let mut sync = query.get("wait").is_some_and(|w| w == "true" || w == "1");
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
    let seconds = match timeout {
        None => 30,
        Some(value) => value
            .as_u64()
            .or_else(|| value.as_str().and_then(|s| s.parse().ok()))
            .filter(|s| (1..=120).contains(s))
            .ok_or_else(|| {
                ApiError::field(
                    "timeout",
                    "timeout must be a whole number of seconds, 1 to 120",
                )
            })?,
    };
    Ok(Some(Duration::from_secs(seconds)))
}

/// Runs the task now and waits for it up to `timeout`.
async fn run_now(
    state: &AppState,
    user: &AuthUser,
    task_id: TaskId,
    timeout: Duration,
    mut execution: Value,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let executor = Executor::new(
        state.store.clone(),
        state.registry.clone(),
        ExecutorSettings::new("api"),
    );
    let tenant = user.tenant_id;
    // Spawned: if the answer stops waiting, the run goes on to its end.
    let mut run = tokio::spawn(async move { executor.run_task(tenant, task_id).await });
    let finished = tokio::time::timeout(timeout, &mut run).await;
    let status = match finished {
        Err(_) => {
            execution["status"] = json!("running");
            execution["message"] =
                json!("The task is still running; poll GET /api/agents/tasks/{id}");
            StatusCode::ACCEPTED
        }
        Ok(Err(join)) => return Err(ApiError::Internal(format!("the run stopped: {join}"))),
        Ok(Ok(Err(RunTaskError::NotFound(_)))) => {
            return Err(ApiError::NotFound(format!("Task '{task_id}' not found")));
        }
        Ok(Ok(Err(RunTaskError::Store(err)))) => return Err(err.into()),
        Ok(Ok(Err(RunTaskError::Refused(message)))) => {
            let now = state.store.get_task(tenant, task_id).await?;
            if let Some(reason) = now.as_ref().and_then(not_runnable) {
                return Err(ApiError::InvalidState(reason.into()));
            }
            return Err(ApiError::InvalidState(message));
        }
        Ok(Ok(Ok(report))) => {
            let outcome = match report.outcome {
                TaskOutcome::Completed => "completed",
                TaskOutcome::Skipped => "running",
                TaskOutcome::Failed | TaskOutcome::Retrying => "failed",
            };
            execution["status"] = json!(outcome);
            execution["message"] = json!(report.result_summary.or(report.error_message));
            StatusCode::OK
        }
    };
    let task = state
        .store
        .get_task(tenant, task_id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("Task '{task_id}' not found")))?;
    Ok((status, Json(json!({"data": task, "execution": execution}))))
}
