//! `POST /api/workers/tasks/{id}/heartbeat|complete|fail`: what a worker sends under the
//! lease token its claim gave it. A lease that no longer holds is 409 `LEASE_LOST`; a
//! task cancelled while held is 409 `CANCELLED` (and ended so); a repeat after a lost
//! answer is answered as the first was.

use std::time::Duration;

use axum::Json;
use axum::extract::{Path, State};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use zora_core::journal::JournalCategory;
use zora_core::{TaskId, TaskStatus};
use zora_engine::TaskOutcome;
use zora_engine::external::{
    ExternalCompletion, ExternalFailure, LeaseError, MAX_LEASE, Recorded, WorkerJournalEntry,
    WorkerUsage, complete, fail, heartbeat,
};

use crate::body::JsonObject;
use crate::error::ApiError;
use crate::lease_token::LeaseToken;
use crate::routes::task_not_found;
use crate::routes::workers::claim::MIN_LEASE_S;
use crate::routes::workers::{in_range, read_body, require_scope};
use crate::state::AppState;
use crate::task_object::object;
use crate::worker_token::WorkerAuth;

/// The journal entries one completion may write.
const MAX_JOURNAL: usize = 20;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct HeartbeatBody {
    pub(super) lease: String,
    #[serde(default)]
    lease_s: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct JournalBody {
    category: String,
    title: String,
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    details: Option<Map<String, Value>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CompleteBody {
    pub(super) lease: String,
    result: Map<String, Value>,
    #[serde(default)]
    summary: Option<String>,
    #[serde(default)]
    journal: Option<Vec<JournalBody>>,
    /// The model call it made: recorded with it (`WorkerUsage::parse`).
    #[serde(default)]
    usage: Option<Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FailBody {
    pub(super) lease: String,
    error: String,
    #[serde(default)]
    retryable: Option<bool>,
    #[serde(default)]
    retry_after_s: Option<u32>,
}

/// The lease `token` names for task `id`, within the worker's scope.
pub(super) fn opened(
    state: &AppState,
    worker: &WorkerAuth,
    id: &str,
    token: &str,
) -> Result<LeaseToken, ApiError> {
    let task: TaskId = id.parse().map_err(|_| task_not_found(id))?;
    let lease = state.auth.open_lease(task, token)?;
    require_scope(worker, &lease.task_type, Some(lease.tenant))?;
    Ok(lease)
}

/// How long a heartbeat extends `lease` by: `lease_s` when given, else the length claimed.
pub(super) fn beat_length(body: &HeartbeatBody, lease: &LeaseToken) -> Result<Duration, ApiError> {
    Ok(match body.lease_s {
        Some(secs) => Duration::from_secs(u64::from(in_range(
            "lease_s",
            secs,
            MIN_LEASE_S..=u32::try_from(MAX_LEASE.as_secs()).unwrap_or(u32::MAX),
        )?)),
        None => lease.lease_for,
    })
}

/// A completion's body as the engine takes it: its journal entries checked (at most
/// [`MAX_JOURNAL`], known categories, titles not blank).
pub(super) fn completion_of(body: CompleteBody) -> Result<ExternalCompletion, ApiError> {
    let journal = body.journal.unwrap_or_default();
    if journal.len() > MAX_JOURNAL {
        return Err(ApiError::field(
            "journal",
            format!("journal holds at most {MAX_JOURNAL} entries"),
        ));
    }
    let journal = journal
        .into_iter()
        .enumerate()
        .map(|(i, entry)| {
            let category: JournalCategory = entry.category.parse().map_err(|_| {
                ApiError::field(
                    format!("journal[{i}].category"),
                    format!(
                        "journal[{i}].category: unknown category {:?}",
                        entry.category
                    ),
                )
            })?;
            if entry.title.trim().is_empty() {
                return Err(ApiError::field(
                    format!("journal[{i}].title"),
                    format!("journal[{i}].title must not be blank"),
                ));
            }
            Ok(WorkerJournalEntry {
                category,
                title: entry.title,
                body: entry.body,
                details: entry.details.unwrap_or_default(),
            })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    let usage = body
        .usage
        .filter(|usage| !usage.is_null())
        .map(|usage| WorkerUsage::parse(&usage))
        .transpose()
        .map_err(|(field, message)| ApiError::field(field, message))?;
    Ok(ExternalCompletion {
        result: Value::Object(body.result),
        summary: body.summary.filter(|s| !s.trim().is_empty()),
        journal,
        usage,
    })
}

/// A failure's body as the engine takes it (`retryable` unless told otherwise).
pub(super) fn failure_of(body: FailBody) -> Result<ExternalFailure, ApiError> {
    if body.error.trim().is_empty() {
        return Err(ApiError::field("error", "error must not be blank"));
    }
    Ok(ExternalFailure {
        error: body.error,
        retryable: body.retryable.unwrap_or(true),
        retry_after: body
            .retry_after_s
            .map(|s| Duration::from_secs(u64::from(s))),
    })
}

/// Counts an outcome in the metrics as the engine's own are counted: a lease found lost
/// as lost, an outcome written now by what it left (`status`), a replay not again.
pub(super) fn count(
    state: &AppState,
    lease: &LeaseToken,
    written: Result<Option<TaskStatus>, &LeaseError>,
) {
    let outcome = match written {
        Err(LeaseError::Lost(_)) => TaskOutcome::Skipped,
        Ok(Some(TaskStatus::Completed)) => TaskOutcome::Completed,
        Ok(Some(TaskStatus::Pending)) => TaskOutcome::Retrying,
        Ok(Some(_)) => TaskOutcome::Failed,
        Ok(None) | Err(_) => return,
    };
    let ran_for = lease
        .claimed_at
        .and_then(|claimed| (chrono::Utc::now() - claimed).to_std().ok());
    state
        .metrics
        .record_finish(&lease.task_type, outcome, ran_for);
}

/// Counts a model call recorded with a completion.
pub(super) fn count_model_call(state: &AppState, usage: &WorkerUsage) {
    state.metrics.record_model_call(
        &usage.model,
        usage.prompt_tokens,
        usage.completion_tokens,
        usage.cost(),
    );
}

/// The task as recorded, counted in the metrics.
async fn answer(
    state: &AppState,
    lease: &LeaseToken,
    recorded: Result<Recorded, LeaseError>,
) -> Result<Json<Value>, ApiError> {
    let written = match &recorded {
        Ok(recorded) => Ok((!recorded.replay).then_some(recorded.task.status)),
        Err(err) => Err(err),
    };
    count(state, lease, written);
    Ok(Json(
        json!({"data": object(state.store.as_ref(), recorded?.task).await?}),
    ))
}

pub async fn beat(
    worker: WorkerAuth,
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonObject(body): JsonObject,
) -> Result<Json<Value>, ApiError> {
    let body: HeartbeatBody = read_body(body)?;
    let lease = opened(&state, &worker, &id, &body.lease)?;
    let lease_for = beat_length(&body, &lease)?;
    let expires_at = heartbeat(state.store.as_ref(), lease.tenant, &lease.lease, lease_for).await?;
    state
        .external
        .beat(&lease.lease.owner, lease.tenant, lease_for)
        .await;
    Ok(Json(json!({"data": {"expires_at": expires_at}})))
}

pub async fn complete_task(
    worker: WorkerAuth,
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonObject(body): JsonObject,
) -> Result<Json<Value>, ApiError> {
    let body: CompleteBody = read_body(body)?;
    let lease = opened(&state, &worker, &id, &body.lease)?;
    let completion = completion_of(body)?;
    let usage = completion.usage.clone();
    let recorded = complete(state.store.as_ref(), lease.tenant, &lease.lease, completion).await;
    if let (Ok(recorded), Some(usage)) = (&recorded, &usage)
        && !recorded.replay
    {
        count_model_call(&state, usage);
    }
    answer(&state, &lease, recorded).await
}

pub async fn fail_task(
    worker: WorkerAuth,
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonObject(body): JsonObject,
) -> Result<Json<Value>, ApiError> {
    let body: FailBody = read_body(body)?;
    let lease = opened(&state, &worker, &id, &body.lease)?;
    let failure = failure_of(body)?;
    let recorded = fail(state.store.as_ref(), lease.tenant, &lease.lease, failure).await;
    answer(&state, &lease, recorded).await
}
