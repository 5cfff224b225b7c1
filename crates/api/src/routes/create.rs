//! `POST /api/agents/tasks`, `POST /api/agents/tasks/run-dry` and
//! `GET /api/agents/tasks/types`: tasks are checked as they will be run, by the handler's
//! own payload parser and against the tenant's rows.

use axum::Json;
use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use serde_json::{Map, Value, json};
use zora_core::NewTask;
use zora_core::agent::AgentId;
use zora_engine::Created;

use crate::auth::{AuthUser, Role};
use crate::body::JsonObject;
use crate::error::{ApiError, FieldError};
use crate::routes::waiting::{execution_of, run_now, wait_and_answer, wait_timeout, wants_wait};
use crate::state::AppState;

/// The longest `title` and `task_type` the columns hold.
const TITLE_MAX: usize = 500;
const TASK_TYPE_MAX: usize = 100;

fn text(body: &Map<String, Value>, key: &str, errors: &mut Vec<FieldError>) -> Option<String> {
    match body.get(key) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => {
            errors.push(FieldError {
                field: key.into(),
                message: format!("{key} must be a string"),
            });
            None
        }
    }
}

fn push(errors: &mut Vec<FieldError>, field: &str, message: impl Into<String>) {
    errors.push(FieldError {
        field: field.into(),
        message: message.into(),
    });
}

/// Reads a new task from a request body, every field checked; `Err` lists each problem.
fn parse(
    body: &Map<String, Value>,
    user: &AuthUser,
    agents: &[String],
) -> Result<NewTask, Vec<FieldError>> {
    let mut errors = Vec::new();
    let agent = text(body, "agent_id", &mut errors);
    let task_type = text(body, "task_type", &mut errors);
    let title = text(body, "title", &mut errors);
    let description = text(body, "description", &mut errors);
    let missing: Vec<&str> = [
        ("agent_id", &agent),
        ("task_type", &task_type),
        ("title", &title),
    ]
    .into_iter()
    .filter(|(key, value)| {
        value.as_deref().is_none_or(|v| v.trim().is_empty())
            && !errors.iter().any(|e| e.field == *key)
    })
    .map(|(key, _)| key)
    .collect();
    for key in &missing {
        push(
            &mut errors,
            key,
            "agent_id, task_type, and title are required",
        );
    }
    let agent =
        agent
            .filter(|a| !a.trim().is_empty())
            .and_then(|a| match AgentId::parse(&a, agents) {
                Ok(agent) => Some(agent),
                Err(e) => {
                    push(&mut errors, "agent_id", e.message);
                    None
                }
            });
    if task_type
        .as_ref()
        .is_some_and(|t| t.chars().count() > TASK_TYPE_MAX)
    {
        push(
            &mut errors,
            "task_type",
            format!("task_type must be at most {TASK_TYPE_MAX} characters"),
        );
    }
    if title
        .as_ref()
        .is_some_and(|t| t.chars().count() > TITLE_MAX)
    {
        push(
            &mut errors,
            "title",
            format!("title must be at most {TITLE_MAX} characters"),
        );
    }
    let payload = match body.get("payload") {
        None | Some(Value::Null) => json!({}),
        Some(object @ Value::Object(_)) => object.clone(),
        Some(_) => {
            push(&mut errors, "payload", "payload must be a JSON object");
            json!({})
        }
    };
    let priority = match body.get("priority") {
        None | Some(Value::Null) => 0,
        Some(value) => match value.as_i64().and_then(|p| i32::try_from(p).ok()) {
            Some(p) if p >= 0 => p,
            _ => {
                push(
                    &mut errors,
                    "priority",
                    "priority must be a non-negative number",
                );
                0
            }
        },
    };
    let run_at = match body.get("run_at") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => match chrono::DateTime::parse_from_rfc3339(s) {
            Ok(at) => Some(at.with_timezone(&chrono::Utc)),
            Err(_) => {
                push(
                    &mut errors,
                    "run_at",
                    "run_at must be an RFC 3339 time, like 2026-12-01T09:00:00Z",
                );
                None
            }
        },
        Some(_) => {
            push(
                &mut errors,
                "run_at",
                "run_at must be an RFC 3339 time, like 2026-12-01T09:00:00Z",
            );
            None
        }
    };
    let max_attempts = match body.get("max_attempts") {
        None | Some(Value::Null) => None,
        Some(value) => match value.as_i64().and_then(|n| i32::try_from(n).ok()) {
            Some(n) if n >= 1 => Some(n),
            _ => {
                push(
                    &mut errors,
                    "max_attempts",
                    "max_attempts must be a positive integer",
                );
                None
            }
        },
    };
    let requires_approval = match body.get("requires_approval") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            push(
                &mut errors,
                "requires_approval",
                "requires_approval must be true or false",
            );
            false
        }
    };
    let idempotency_key = text(body, "idempotency_key", &mut errors);
    if body.get("depends_on").is_some_and(|v| !v.is_null()) {
        push(
            &mut errors,
            "depends_on",
            "depends_on: task dependencies are not supported by this server yet",
        );
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let (Some(agent), Some(task_type), Some(title)) = (agent, task_type, title) else {
        return Err(vec![FieldError {
            field: "agent_id".into(),
            message: "agent_id, task_type, and title are required".into(),
        }]);
    };
    let mut task = NewTask::new(
        user.tenant_id,
        agent.as_str(),
        task_type.trim(),
        title,
        payload,
    );
    task.description = description;
    task.priority = priority;
    task.run_at = run_at;
    task.max_attempts = max_attempts;
    task.requires_approval = requires_approval;
    task.idempotency_key = idempotency_key;
    task.created_by_user_id = Some(user.user_id);
    Ok(task)
}

/// Parses and checks a new task, its payload included, as it will be run.
async fn checked(
    state: &AppState,
    user: &AuthUser,
    body: &Map<String, Value>,
) -> Result<NewTask, ApiError> {
    let task = parse(body, user, &state.agents).map_err(validation)?;
    zora_engine::check_new_task(state.store.as_ref(), &state.registry, &task).await?;
    Ok(task)
}

fn validation(errors: Vec<FieldError>) -> ApiError {
    let message = errors
        .iter()
        .map(|e| e.message.clone())
        .collect::<Vec<_>>()
        .join("; ");
    ApiError::Validation {
        message,
        fields: errors,
    }
}

/// The key of the `Idempotency-Key` header, moved into the body (they must agree).
fn header_key(headers: &HeaderMap, body: &mut Map<String, Value>) -> Result<(), ApiError> {
    let Some(key) = headers.get("idempotency-key") else {
        return Ok(());
    };
    let key = key
        .to_str()
        .map_err(|_| ApiError::field("Idempotency-Key", "Idempotency-Key must be text"))?;
    match body.get("idempotency_key") {
        Some(Value::String(given)) if given != key => Err(ApiError::field(
            "idempotency_key",
            "idempotency_key and the Idempotency-Key header differ",
        )),
        _ => {
            body.insert("idempotency_key".into(), Value::from(key));
            Ok(())
        }
    }
}

/// `POST /api/agents/tasks`: 201 with the task (200 with the earlier one for a replayed
/// idempotency key). With `?wait=true[&timeout=S]` it is then run at once through the
/// synchronous path: 201 with the finished task and `execution`, or 202 `running` at the
/// timeout (see [`crate::routes::waiting`]).
pub async fn create(
    user: AuthUser,
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    JsonObject(mut body): JsonObject,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    if user.role == Role::Viewer {
        return Err(ApiError::Forbidden("Viewers cannot create tasks".into()));
    }
    let wait = wants_wait(&query)
        .then(|| wait_timeout(query.get("timeout").cloned().map(Value::from)))
        .transpose()?;
    header_key(&headers, &mut body)?;
    let task = parse(&body, &user, &state.agents).map_err(validation)?;
    if wait.is_some() && state.registry.get(&task.task_type).is_none() {
        // It could not be run now: refused before anything is written.
        return Err(ApiError::InvalidState(
            state.registry.unsupported_message(&task.task_type),
        ));
    }
    let created = zora_engine::create_task(state.store.as_ref(), &state.registry, task).await?;
    let Some(timeout) = wait else {
        let status = match created {
            Created::New(_) => StatusCode::CREATED,
            Created::Replayed(_) => StatusCode::OK,
        };
        return Ok((status, Json(json!({"data": created.into_task()}))));
    };
    let task = created.task();
    let execution = execution_of(&state, &task.task_type, task.id);
    match created {
        Created::Replayed(task) if zora_engine::is_finished(&task) => {
            wait_and_answer(&state, &user, task.id, timeout, StatusCode::OK, execution).await
        }
        Created::Replayed(task) => {
            run_now(&state, &user, task.id, timeout, StatusCode::OK, execution).await
        }
        Created::New(task) => {
            run_now(
                &state,
                &user,
                task.id,
                timeout,
                StatusCode::CREATED,
                execution,
            )
            .await
        }
    }
}

pub async fn run_dry(
    user: AuthUser,
    State(state): State<AppState>,
    JsonObject(body): JsonObject,
) -> Result<Json<Value>, ApiError> {
    match checked(&state, &user, &body).await {
        Err(err @ (ApiError::Forbidden(_) | ApiError::Database(_) | ApiError::Unavailable(_))) => {
            Err(err)
        }
        Ok(task) => Ok(Json(json!({
            "valid": true,
            "message": "Task is valid and can be created",
            "preview": {
                "agent_id": task.agent_id, "task_type": task.task_type, "title": task.title,
                "description": task.description, "payload": task.payload, "priority": task.priority,
                "status": "pending",
            },
        }))),
        Err(err) => {
            let fields = match err {
                ApiError::Validation { fields, .. } => fields,
                other => vec![FieldError {
                    field: "body".into(),
                    message: other.to_string(),
                }],
            };
            Ok(Json(json!({
                "valid": false,
                "errors": fields.iter().map(|f| f.message.clone()).collect::<Vec<_>>(),
                "fields": fields,
                "message": "Validation failed",
            })))
        }
    }
}

pub async fn types(_user: AuthUser, State(state): State<AppState>) -> Json<Value> {
    Json(json!({"data": state.registry.catalog()}))
}
