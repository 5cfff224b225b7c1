//! `GET /api/openapi.json`: the OpenAPI document, built once when the router is.

use axum::Json;
use axum::extract::State;
use serde_json::Value;

use crate::state::AppState;

pub async fn openapi(State(state): State<AppState>) -> Json<Value> {
    Json((*state.openapi).clone())
}
