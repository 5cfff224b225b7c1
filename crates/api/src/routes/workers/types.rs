//! `PUT /api/workers/types/{task_type}` registers an external type for the worker's
//! tenant (or every tenant, for a worker of every tenant); `DELETE` unregisters it (a
//! worker, or a founder for the tenant's own registration).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};
use zora_core::agent::AgentId;
use zora_core::external::{ExternalTypeDefinition, NewExternalType, PushTarget};
use zora_core::stats::Scope;
use zora_engine::external::{register_type, type_object};

use crate::auth::Role;
use crate::body::JsonObject;
use crate::error::ApiError;
use crate::extract::WorkerOrUser;
use crate::routes::workers::{read_body, require_scope};
use crate::state::AppState;
use crate::worker_token::{WorkerAuth, check_type_name};

/// A type's lease when its registration does not say, in seconds.
pub const DEFAULT_TIMEOUT_S: i32 = 300;
/// How long a push waits for its answer when the registration does not say, in seconds.
pub const DEFAULT_PUSH_TIMEOUT_S: i32 = 30;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RegisterBody {
    agent_id: String,
    #[serde(default)]
    description: String,
    payload_schema: Value,
    #[serde(default)]
    result_schema: Option<Value>,
    #[serde(default)]
    timeout_s: Option<i32>,
    #[serde(default)]
    max_attempts: Option<i32>,
    #[serde(default)]
    push: Option<PushBody>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PushBody {
    url: String,
    #[serde(default)]
    timeout_s: Option<i32>,
    secret: String,
}

fn checked_name(task_type: &str) -> Result<(), ApiError> {
    check_type_name(task_type).map_err(|why| ApiError::field("task_type", why))
}

pub async fn register(
    worker: WorkerAuth,
    State(state): State<AppState>,
    Path(task_type): Path<String>,
    JsonObject(body): JsonObject,
) -> Result<Json<Value>, ApiError> {
    checked_name(&task_type)?;
    require_scope(&worker, &task_type, None)?;
    let body: RegisterBody = read_body(body)?;
    let agent = AgentId::parse(&body.agent_id, &state.agents)
        .map_err(|err| ApiError::field("agent_id", err.message))?;
    if body.payload_schema.is_null() {
        return Err(ApiError::field(
            "payload_schema",
            "payload_schema is required: a JSON Schema",
        ));
    }
    let new = NewExternalType {
        tenant_id: worker.tenant_id,
        task_type,
        definition: ExternalTypeDefinition {
            agent_id: agent.as_str().to_owned(),
            description: body.description,
            payload_schema: body.payload_schema,
            result_schema: body.result_schema.filter(|s| !s.is_null()),
            timeout_s: body.timeout_s.unwrap_or(DEFAULT_TIMEOUT_S),
            max_attempts: body.max_attempts,
            push: body.push.map(|push| PushTarget {
                url: push.url,
                timeout_s: push.timeout_s.unwrap_or(DEFAULT_PUSH_TIMEOUT_S),
                secret: push.secret,
            }),
        },
        registered_by: Some(worker.token_id),
    };
    let stored = register_type(state.store.as_ref(), &state.registry, &new).await?;
    let scope = worker.tenant_id.map_or(Scope::AllTenants, Scope::Tenant);
    let workers = state.store.live_workers(scope).await?;
    Ok(Json(json!({"data": type_object(&stored, &workers)})))
}

pub async fn unregister(
    caller: WorkerOrUser,
    State(state): State<AppState>,
    Path(task_type): Path<String>,
) -> Result<StatusCode, ApiError> {
    checked_name(&task_type)?;
    let scope = match &caller {
        WorkerOrUser::Worker(worker) => {
            require_scope(worker, &task_type, None)?;
            worker.tenant_id
        }
        WorkerOrUser::User(user) if user.role == Role::Founder => Some(user.tenant_id),
        WorkerOrUser::User(_) => {
            return Err(ApiError::Forbidden(
                "Only founders and workers can unregister task types".into(),
            ));
        }
    };
    if state
        .store
        .unregister_external_type(scope, &task_type)
        .await?
    {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound(format!(
            "Task type {task_type} is not registered here"
        )))
    }
}
