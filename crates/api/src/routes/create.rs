//! `POST /api/agents/tasks`, `POST /api/agents/tasks/run-dry` and
//! `GET /api/agents/tasks/types`: tasks are checked as they will be run, by the handler's
//! own payload parser and against the tenant's rows.

use axum::Json;
use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use serde_json::{Map, Value, json};
use zora_core::NewTask;
use zora_engine::Created;

use crate::auth::{AuthUser, Role};
use crate::body::JsonObject;
use crate::error::{ApiError, FieldError};
use crate::routes::create_body::parse;
use crate::routes::waiting::{SyncRun, execution_of, wait_timeout, wants_wait};
use crate::state::AppState;
use crate::task_object::{object, unlinked};

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

/// A validation error listing `errors`, its message theirs joined.
pub(crate) fn validation(errors: Vec<FieldError>) -> ApiError {
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
    if wait.is_some()
        && (task.requires_approval || state.registry.requires_approval(&task.task_type))
    {
        return Err(ApiError::InvalidState(
            "A task that needs approval cannot be run synchronously: create it, then decide".into(),
        ));
    }
    if wait.is_some() && !task.depends_on.is_empty() {
        return Err(ApiError::InvalidState(
            "A task with depends_on runs once its parents complete: create it without wait".into(),
        ));
    }
    let has_parents = !task.depends_on.is_empty();
    let created = zora_engine::create_task(state.store.as_ref(), &state.registry, task).await?;
    let Some(timeout) = wait else {
        let status = match created {
            Created::New(_) => StatusCode::CREATED,
            Created::Replayed(_) => StatusCode::OK,
        };
        let task = match created {
            Created::New(task) if !has_parents => unlinked(task),
            created => object(state.store.as_ref(), created.into_task()).await?,
        };
        return Ok((status, Json(json!({"data": task}))));
    };
    let task = created.task();
    let run = SyncRun {
        state: &state,
        user: &user,
        task_id: task.id,
        timeout,
        finished: StatusCode::OK,
        execution: execution_of(&state, &task.task_type, task.id),
    };
    match created {
        Created::Replayed(task) if task.status.is_finished() => run.wait().await,
        Created::Replayed(_) => run.run_now().await,
        Created::New(_) => {
            SyncRun {
                finished: StatusCode::CREATED,
                ..run
            }
            .run_now()
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

/// The built-in types, and the external types registered for the tenant with their
/// workers alive. While the database does not answer, the built-in ones alone.
pub async fn types(user: AuthUser, State(state): State<AppState>) -> Json<Value> {
    let store = state.store.as_ref();
    let external = async {
        let types = store.external_types(Some(user.tenant_id)).await?;
        let workers = store
            .live_workers(zora_core::stats::Scope::Tenant(user.tenant_id))
            .await?;
        Ok::<_, zora_core::StoreError>((types, workers))
    };
    let catalog = match external.await {
        Ok((types, workers)) => state.registry.catalog_with(&types, &workers),
        Err(err) => {
            tracing::warn!(error = %err, "external types unread: the catalog shows the built-in types");
            state.registry.catalog()
        }
    };
    Json(json!({"data": catalog}))
}
