//! Waiting for outcomes: `GET
//! /api/agents/tasks/{id}/wait?timeout=S`, and the synchronous runs of `POST
//! /api/agents/tasks?wait=true` and `POST /api/agents/tasks/{id}/run?wait=true`, which run
//! the task here and now, or wait for the run another worker has under way. Each waits
//! at most its `timeout` (seconds, default 30, at most 120), measured from its start.

use std::collections::HashMap;
use std::time::Duration;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde_json::{Value, json};
use tokio::time::Instant;
use zora_core::{Task, TaskId, TaskStatus};
use zora_engine::{
    Executor, ExecutorSettings, RunTaskError, TaskOutcome, Waited, not_runnable, wait_for_outcome,
};

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::state::AppState;
use crate::task_object::object;

/// The longest any route waits.
pub const MAX_WAIT: Duration = Duration::from_secs(120);

/// A wait's `timeout`: whole seconds, 1 to 120, from the query or a body; 30 when absent.
pub fn wait_timeout(value: Option<Value>) -> Result<Duration, ApiError> {
    let seconds = match value {
        None | Some(Value::Null) => 30,
        Some(value) => value
            .as_u64()
            .or_else(|| value.as_str().and_then(|s| s.trim().parse().ok()))
            .filter(|s| (1..=MAX_WAIT.as_secs()).contains(s))
            .ok_or_else(|| {
                ApiError::field(
                    "timeout",
                    "timeout must be a whole number of seconds, 1 to 120",
                )
            })?,
    };
    Ok(Duration::from_secs(seconds))
}

/// Whether the query asks to wait (`wait=true` or `wait=1`).
pub fn wants_wait(query: &HashMap<String, String>) -> bool {
    query.get("wait").is_some_and(|w| w == "true" || w == "1")
}

/// `GET /api/agents/tasks/{id}/wait`: 200 with the task once it is completed or failed,
/// 202 with it as it stands at the timeout.
pub async fn wait(
    user: AuthUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let timeout = wait_timeout(query.get("timeout").cloned().map(Value::from))?;
    let not_found = || super::task_not_found(&id);
    let task_id: TaskId = id.parse().map_err(|_| not_found())?;
    let waited = wait_for_outcome(state.store.as_ref(), user.tenant_id, task_id, timeout)
        .await?
        .ok_or_else(not_found)?;
    let (code, task) = match waited {
        Waited::Finished(task) => (StatusCode::OK, task),
        Waited::Unfinished(task) => (StatusCode::ACCEPTED, task),
    };
    let task = object(state.store.as_ref(), task).await?;
    Ok((code, Json(json!({"data": task}))))
}

/// The `execution` object of a run's answer, before its outcome is known.
pub fn execution_of(state: &AppState, task_type: &str, task_id: TaskId) -> Value {
    json!({
        "is_v1_supported": state.registry.get(task_type).is_some(),
        "supported_v1_types": state.registry.v1_kinds(),
        "cli_command": format!("zora run-task {task_id}"),
    })
}

/// A synchronous run's answer to make: for whom, which task, how long it may wait, the
/// status of a finished answer (200, or 201 for a task just created), and the
/// `execution` object so far ([`execution_of`]).
pub struct SyncRun<'a> {
    pub state: &'a AppState,
    pub user: &'a AuthUser,
    pub task_id: TaskId,
    pub timeout: Duration,
    pub finished: StatusCode,
    pub execution: Value,
}

impl SyncRun<'_> {
    /// Runs the task now through the executor's claim-and-apply path and answers with its
    /// outcome: `finished` with the task and `execution.status` `completed`/`failed`, or
    /// 202 `running` at the timeout. A task that another worker holds (claimed before this
    /// run could) is waited for instead.
    pub async fn run_now(self) -> Result<(StatusCode, Json<Value>), ApiError> {
        let deadline = Instant::now() + self.timeout;
        let (state, task_id, tenant) = (self.state, self.task_id, self.user.tenant_id);
        let mut settings = ExecutorSettings::new("api");
        settings.metrics = state.metrics.clone();
        let executor = Executor::new(state.store.clone(), state.registry.clone(), settings);
        // Spawned: if the answer stops waiting, the run goes on to its end.
        let mut run = tokio::spawn(async move { executor.run_task(tenant, task_id).await });
        let not_found = || ApiError::NotFound(format!("Task '{task_id}' not found"));
        match tokio::time::timeout_at(deadline, &mut run).await {
            Err(_) => {}
            Ok(Err(join)) => return Err(ApiError::Internal(format!("the run stopped: {join}"))),
            Ok(Ok(Err(RunTaskError::NotFound(_)))) => return Err(not_found()),
            Ok(Ok(Err(RunTaskError::Store(err)))) => return Err(err.into()),
            Ok(Ok(Err(RunTaskError::Refused(message)))) => {
                let now = state.store.get_task(tenant, task_id).await?;
                match now.as_ref() {
                    // Another worker claimed it first: wait for that run.
                    Some(task) if task.status == TaskStatus::InProgress => {}
                    // Or ran it already: it was runnable when this run was asked for (just
                    // created, or pending), so that run is the one asked for.
                    Some(task) if task.status.is_finished() => {
                        return finished(state, self.finished, task.clone(), self.execution).await;
                    }
                    Some(task) => {
                        return Err(ApiError::InvalidState(
                            not_runnable(task).map_or(message, str::to_owned),
                        ));
                    }
                    None => return Err(not_found()),
                }
            }
            Ok(Ok(Ok(report))) => match report.outcome {
                // Its lease was taken over: wait for whoever holds it now.
                TaskOutcome::Skipped => {}
                outcome => {
                    let task = state
                        .store
                        .get_task(tenant, task_id)
                        .await?
                        .ok_or_else(not_found)?;
                    let status = if outcome == TaskOutcome::Completed {
                        "completed"
                    } else {
                        "failed"
                    };
                    let message = report.result_summary.or(report.error_message);
                    return answer(state, self.finished, task, self.execution, status, message)
                        .await;
                }
            },
        }
        SyncRun {
            timeout: deadline.saturating_duration_since(Instant::now()),
            ..self
        }
        .wait()
        .await
    }

    /// Waits for the run under way and answers as a synchronous run does.
    pub async fn wait(self) -> Result<(StatusCode, Json<Value>), ApiError> {
        let task_id = self.task_id;
        let store = self.state.store.as_ref();
        let waited = wait_for_outcome(store, self.user.tenant_id, task_id, self.timeout)
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("Task '{task_id}' not found")))?;
        match waited {
            Waited::Finished(task) => {
                finished(self.state, self.finished, task, self.execution).await
            }
            Waited::Unfinished(task) => {
                answer(
                    self.state,
                    StatusCode::ACCEPTED,
                    task,
                    self.execution,
                    "running",
                    Some(format!(
                        "The task is still running; wait on GET /api/agents/tasks/{task_id}/wait"
                    )),
                )
                .await
            }
        }
    }
}

/// The answer for a finished task: `completed` with its summary, or `failed` with its
/// error.
pub async fn finished(
    state: &AppState,
    code: StatusCode,
    task: Task,
    execution: Value,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let (status, message) = match task.status {
        TaskStatus::Completed => ("completed", task.result_summary.clone()),
        _ => ("failed", task.error_message.clone()),
    };
    answer(state, code, task, execution, status, message).await
}

/// `{"data": task, "execution": ...}` with `execution.status` and `message` set.
pub async fn answer(
    state: &AppState,
    code: StatusCode,
    task: Task,
    mut execution: Value,
    status: &str,
    message: Option<String>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    execution["status"] = json!(status);
    execution["message"] = json!(message);
    let task = object(state.store.as_ref(), task).await?;
    Ok((code, Json(json!({"data": task, "execution": execution}))))
}
