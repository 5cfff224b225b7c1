//! `POST /api/agents/tasks/{id}/cancel`: body
//! `{"reason"?: text}`, founders and brand admins only. A pending task answers 200
//! `cancelled`; a running one 202 `cancelling` (stopped at its worker's next lease check).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde_json::{Value, json};
use zora_core::TaskId;
use zora_engine::{CancelError, Cancelled, cancel_task};

use crate::auth::AuthUser;
use crate::body::OptionalJsonObject;
use crate::error::ApiError;
use crate::routes::text_field;
use crate::state::AppState;
use crate::task_object::object;

pub async fn cancel(
    user: AuthUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    OptionalJsonObject(body): OptionalJsonObject,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    user.require_operator("Only founders and brand admins can cancel tasks")?;
    let not_found = || super::task_not_found(&id);
    let task_id: TaskId = id.parse().map_err(|_| not_found())?;
    let reason = text_field(&body, "reason")?;
    let cancelled = cancel_task(
        state.store.as_ref(),
        user.tenant_id,
        task_id,
        Some(user.user_id),
        reason.as_deref(),
    )
    .await
    .map_err(|err| match err {
        CancelError::NotFound(_) => not_found(),
        CancelError::InvalidState(message) => ApiError::InvalidState(message),
        CancelError::Store(err) => err.into(),
    })?;
    let (code, status, message) = match &cancelled {
        Cancelled::Now(task) => (StatusCode::OK, "cancelled", task.error_message.clone()),
        Cancelled::Cancelling(_) => (
            StatusCode::ACCEPTED,
            "cancelling",
            Some(format!(
                "The task is running: its worker stops it at its next lease check; \
                 wait on GET /api/agents/tasks/{task_id}/wait"
            )),
        ),
    };
    let task = match cancelled {
        Cancelled::Now(task) | Cancelled::Cancelling(task) => task,
    };
    let task = object(state.store.as_ref(), task).await?;
    Ok((
        code,
        Json(json!({"data": task, "execution": {"status": status, "message": message}})),
    ))
}
