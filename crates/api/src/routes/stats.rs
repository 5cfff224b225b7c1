//! The queue's figures for the console and other dashboards: `GET
//! /api/agents/tasks/counts` (tasks per state) and `GET /api/agents/stats` (counts per
//! type and status, the last hour's finishes per minute, workers alive).

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};
use zora_core::TaskState;

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::state::AppState;

/// `GET /api/agents/tasks/counts`: how many of the tenant's tasks are in each state,
/// every state present (0 when none).
pub async fn counts(
    user: AuthUser,
    State(state): State<AppState>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(
        json!({"data": state_counts(state.store.as_ref(), user.tenant_id).await?}),
    ))
}

/// `GET /api/agents/stats`: the queue's health for the console: counts per type and
/// status, the oldest due task's age, the last hour's finishes (in total and per minute),
/// and the workers alive that serve the tenant.
pub async fn stats(user: AuthUser, State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let scope = zora_core::stats::Scope::Tenant(user.tenant_id);
    let queue = state.store.queue_stats(scope).await?;
    let per_minute = state.store.finished_per_minute(user.tenant_id).await?;
    let workers = state.store.live_workers(scope).await?;
    Ok(Json(json!({"data": {
        "queue": queue,
        "finished_per_minute": per_minute,
        "workers_alive": workers.len(),
    }})))
}

/// Every state with its count of `tenant`'s tasks, in the order of `TaskState::ALL`.
pub async fn state_counts(
    store: &dyn zora_core::Store,
    tenant: zora_core::TenantId,
) -> Result<serde_json::Map<String, Value>, ApiError> {
    let found = store.count_states(tenant).await?;
    Ok(TaskState::ALL
        .iter()
        .map(|state| {
            let count = found
                .iter()
                .find(|(s, _)| s == state)
                .map_or(0, |(_, n)| *n);
            (state.as_str().to_owned(), Value::from(count))
        })
        .collect())
}
