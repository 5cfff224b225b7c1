//! `POST /api/agents/tasks/{id}/decision`: body `{"decision":
//! "approve" | "reject", "reason"?: text}`, founders only. 200 with the task and
//! `"decision": "approved" | "rejected"`.

use axum::Json;
use axum::extract::{Path, State};
use serde_json::{Value, json};
use zora_core::{Decision, TaskId};
use zora_engine::{DecisionError, decide_task};

use crate::auth::{AuthUser, Role};
use crate::body::JsonObject;
use crate::error::ApiError;
use crate::routes::text_field;
use crate::state::AppState;
use crate::task_object::object;

pub async fn decide(
    user: AuthUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonObject(body): JsonObject,
) -> Result<Json<Value>, ApiError> {
    if user.role != Role::Founder {
        return Err(ApiError::Forbidden(
            "Only founders can approve or reject tasks".into(),
        ));
    }
    let not_found = || super::task_not_found(&id);
    let task_id: TaskId = id.parse().map_err(|_| not_found())?;
    let approve = match body.get("decision").and_then(Value::as_str) {
        Some("approve") => true,
        Some("reject") => false,
        _ => {
            return Err(ApiError::field(
                "decision",
                "decision must be \"approve\" or \"reject\"",
            ));
        }
    };
    let decision = Decision {
        approve,
        by: Some(user.user_id),
        reason: text_field(&body, "reason")?,
    };
    let task = decide_task(state.store.as_ref(), user.tenant_id, task_id, &decision)
        .await
        .map_err(|err| match err {
            DecisionError::NotFound(_) => not_found(),
            DecisionError::InvalidState(message) => ApiError::InvalidState(message),
            DecisionError::Store(err) => err.into(),
        })?;
    let decided = if approve { "approved" } else { "rejected" };
    let task = object(state.store.as_ref(), task).await?;
    Ok(Json(json!({"data": task, "decision": decided})))
}
