//! `GET /health` (the process answers) and `GET /ready` (the database answers and its
//! schema is current). Both public.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::state::AppState;

pub async fn health() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

pub async fn ready(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    match state.store.schema_state().await {
        Ok(schema) if schema.is_current() => (
            StatusCode::OK,
            Json(json!({"status": "ready", "database": state.store.backend()})),
        ),
        Ok(schema) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(
                json!({"status": "not_ready", "database": state.store.backend(),
                        "reason": format!("pending migrations: {}", schema.pending.join(", "))}),
            ),
        ),
        Err(err) => {
            tracing::warn!(error = %err, "readiness check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(
                    json!({"status": "not_ready", "database": state.store.backend(),
                            "reason": "the database does not answer"}),
                ),
            )
        }
    }
}
