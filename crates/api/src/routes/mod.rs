//! One module per resource.

pub mod batch;
pub mod cancel;
pub mod commands;
pub mod create;
pub(crate) mod create_body;
pub mod decision;
mod depends_on;
pub mod document;
pub mod events;
pub mod health;
pub mod metrics;
pub mod run;
pub mod schedules;
pub mod session;
pub mod stats;
pub mod tasks;
pub mod usage;
pub mod waiting;
pub mod workers;

use serde_json::{Map, Value};

use crate::error::ApiError;

/// The 404 of a task route whose `{id}` names no task of the tenant (a malformed id
/// names none either).
pub(crate) fn task_not_found(id: &str) -> ApiError {
    ApiError::NotFound(format!("Task '{id}' not found"))
}

/// An optional text field of a body: absent or null is `None`, anything but a string is
/// refused naming it.
pub(crate) fn text_field(body: &Map<String, Value>, key: &str) -> Result<Option<String>, ApiError> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.clone())),
        Some(_) => Err(ApiError::field(key, format!("{key} must be a string"))),
    }
}
