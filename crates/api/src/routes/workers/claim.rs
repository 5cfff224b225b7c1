//! `POST /api/workers/claim`: up to `max` due tasks of the worker's types, each with its
//! lease token; with none due, the call waits up to `wait_s` for the store's word.

use std::collections::BTreeMap;
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use serde_json::{Value, json};
use zora_core::{Task, TenantId};
use zora_engine::external::{ClaimedTask, ExternalClaim, MAX_CLAIM, MAX_LEASE, MAX_WAIT};

use crate::body::JsonObject;
use crate::error::ApiError;
use crate::lease_token::LeaseToken;
use crate::routes::workers::{in_range, read_body, require_scope};
use crate::state::AppState;
use crate::task_object::objects_as;
use crate::worker_token::{WorkerAuth, check_type_name};

/// The shortest lease a claim may ask for, in seconds.
pub const MIN_LEASE_S: u32 = 5;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ClaimBody {
    worker: String,
    types: Vec<String>,
    #[serde(default)]
    max: Option<u32>,
    #[serde(default)]
    wait_s: Option<u32>,
    #[serde(default)]
    lease_s: Option<u32>,
}

fn secs(d: Duration) -> u32 {
    u32::try_from(d.as_secs()).unwrap_or(u32::MAX)
}

pub async fn claim(
    worker: WorkerAuth,
    State(state): State<AppState>,
    JsonObject(body): JsonObject,
) -> Result<Json<Value>, ApiError> {
    let body: ClaimBody = read_body(body)?;
    let name = body.worker.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::field(
            "worker",
            "worker must be 1 to 100 characters",
        ));
    }
    if body.types.is_empty() {
        return Err(ApiError::field(
            "types",
            "types must name at least one task type",
        ));
    }
    let registered = state.store.external_types(worker.tenant_id).await?;
    let mut lease_default = 0;
    for kind in &body.types {
        check_type_name(kind).map_err(|why| ApiError::field("types", why))?;
        require_scope(&worker, kind, None)?;
        let Some(found) = registered.iter().find(|t| t.task_type == *kind) else {
            return Err(ApiError::field(
                "types",
                format!(
                    "types: Task type {kind} is not registered (PUT /api/workers/types/{kind})"
                ),
            ));
        };
        if found.definition.push.is_some() {
            return Err(ApiError::field(
                "types",
                format!("types: Task type {kind} is delivered by push to its URL, not claimed"),
            ));
        }
        lease_default = lease_default.max(found.definition.timeout_s);
    }
    let max = in_range("max", body.max.unwrap_or(1), 1..=MAX_CLAIM)?;
    let wait = in_range("wait_s", body.wait_s.unwrap_or(0), 0..=secs(MAX_WAIT))?;
    let lease = match body.lease_s {
        Some(lease) => in_range("lease_s", lease, MIN_LEASE_S..=secs(MAX_LEASE))?,
        None => u32::try_from(lease_default)
            .unwrap_or(MIN_LEASE_S)
            .clamp(MIN_LEASE_S, secs(MAX_LEASE)),
    };
    let request = ExternalClaim {
        worker: name.to_owned(),
        tenant: worker.tenant_id,
        types: body.types,
        max,
        wait: Duration::from_secs(u64::from(wait)),
        lease: Duration::from_secs(u64::from(lease)),
    };
    let mut shutdown = state.shutdown.clone();
    let claimed = state.external.claim(&request, &mut shutdown).await?;
    state
        .metrics
        .record_claimed(claimed.iter().map(|claim| &claim.task));
    let lease_for = request.lease;
    Ok(Json(
        json!({"data": answers(&state, claimed, lease_for).await?}),
    ))
}

/// Each claimed task as `{task, lease: {token, expires_at}, attempt, inputs_applied}`,
/// in the claim's order; the tasks' links read once per tenant.
async fn answers(
    state: &AppState,
    claimed: Vec<ClaimedTask>,
    lease_for: Duration,
) -> Result<Vec<Value>, ApiError> {
    let mut by_tenant: BTreeMap<TenantId, Vec<Task>> = BTreeMap::new();
    for claim in &claimed {
        by_tenant
            .entry(claim.task.tenant_id)
            .or_default()
            .push(claim.task.clone());
    }
    let mut objects = BTreeMap::new();
    for (_, tasks) in by_tenant {
        for object in objects_as(state.store.as_ref(), tasks, |t| t).await? {
            objects.insert(object.task.id, object);
        }
    }
    let mut answers = Vec::with_capacity(claimed.len());
    for claim in claimed {
        let token = state.auth.sign_lease(&LeaseToken {
            tenant: claim.task.tenant_id,
            task_type: claim.task.task_type.clone(),
            lease: claim.lease.clone(),
            lease_for,
            claimed_at: claim.task.started_at,
        })?;
        let Some(object) = objects.remove(&claim.task.id) else {
            continue;
        };
        let inputs_applied = object.links.depends_on.iter().any(|parent| {
            parent
                .inputs
                .as_ref()
                .and_then(Value::as_object)
                .is_some_and(|inputs| !inputs.is_empty())
        });
        answers.push(json!({
            "task": object,
            "lease": {"token": token, "expires_at": claim.expires_at},
            "attempt": claim.lease.attempt,
            "inputs_applied": inputs_applied,
        }));
    }
    Ok(answers)
}
