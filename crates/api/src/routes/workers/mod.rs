//! `/api/workers/...`: the routes of external workers, called with a worker token only
//! (a user's token is refused, and a worker token is refused everywhere else): register a
//! task type, claim its tasks under a lease, and beat, complete or fail each.

pub mod claim;
pub mod outcome;
pub mod outcomes;
pub mod types;

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use zora_core::TenantId;

use crate::error::ApiError;
use crate::worker_token::WorkerAuth;

/// `body` read into `T` (whose fields are all the body may have), the first fault named
/// by its field.
pub(crate) fn read_body<T: DeserializeOwned>(body: Map<String, Value>) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(Value::Object(body)).map_err(|err| {
        let path = err.path().to_string();
        let message = err.into_inner().to_string();
        let field = match message.strip_prefix("missing field `") {
            Some(rest) => rest.trim_end_matches('`').to_owned(),
            None if path == "." => message
                .strip_prefix("unknown field `")
                .and_then(|rest| rest.split('`').next())
                .unwrap_or("body")
                .to_owned(),
            None => path,
        };
        ApiError::field(field.clone(), format!("{field}: {message}"))
    })
}

/// A number of a body in `range`, or a fault naming it.
pub(crate) fn in_range(
    field: &str,
    value: u32,
    range: std::ops::RangeInclusive<u32>,
) -> Result<u32, ApiError> {
    if range.contains(&value) {
        Ok(value)
    } else {
        Err(ApiError::field(
            field,
            format!("{field} must be {} to {}", range.start(), range.end()),
        ))
    }
}

/// Refuses a task type or tenant outside the worker token's.
pub(crate) fn require_scope(
    worker: &WorkerAuth,
    task_type: &str,
    tenant: Option<TenantId>,
) -> Result<(), ApiError> {
    if !worker.may_serve_type(task_type) {
        return Err(ApiError::Forbidden(format!(
            "This worker token may not serve task type {task_type}"
        )));
    }
    if let Some(tenant) = tenant
        && !worker.may_serve_tenant(tenant)
    {
        return Err(ApiError::Forbidden(format!(
            "This worker token does not serve tenant {tenant}"
        )));
    }
    Ok(())
}
