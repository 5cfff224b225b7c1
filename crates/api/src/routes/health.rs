//! `GET /health` (the process answers) and `GET /ready` (the database answers and its
//! schema is current). Both public.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};
use zora_core::StoreError;

use crate::state::AppState;

pub async fn health() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

pub async fn ready(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let schema = match state.database.is_up() {
        true => tokio::time::timeout(crate::gate::PROBE_TIMEOUT, state.store.schema_state())
            .await
            .unwrap_or_else(|_| Err(StoreError::Unavailable("no answer in time".into()))),
        false => Err(StoreError::Unavailable("the gate is closed".into())),
    };
    match schema {
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
