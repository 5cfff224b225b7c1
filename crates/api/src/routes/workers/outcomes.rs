//! `POST /api/workers/outcomes`: a worker's heartbeats, completions and failures in one
//! request, each item as its own route takes it plus its `task_id`. The completions are
//! recorded in one transaction; each item is answered on its own, in the order sent (an
//! item whose lease no longer holds says so and holds none of the others back). A body
//! out of shape is refused whole, naming the item's field.

use std::collections::HashSet;

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};
use zora_core::TaskStatus;
use zora_engine::external::{
    BatchCompletion, BatchHeartbeat, MAX_CLAIM, Taken, complete_all, fail, heartbeat_all,
};

use crate::body::JsonObject;
use crate::error::ApiError;
use crate::lease_token::LeaseToken;
use crate::routes::workers::outcome::{
    CompleteBody, FailBody, HeartbeatBody, beat_length, completion_of, count, count_model_call,
    failure_of, opened,
};
use crate::routes::workers::read_body;
use crate::state::AppState;
use crate::worker_token::WorkerAuth;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OutcomesBody {
    #[serde(default)]
    heartbeats: Vec<Map<String, Value>>,
    #[serde(default)]
    completions: Vec<Map<String, Value>>,
    #[serde(default)]
    failures: Vec<Map<String, Value>>,
}

/// An item of one of the lists: where it is (`completions[3]`), its task, and its lease
/// with its body read as its own route reads it, or the refusal of its lease token.
struct Item<B> {
    at: String,
    task_id: String,
    opened: Result<(LeaseToken, B), ApiError>,
}

/// The answer of the item at `at` when it is refused: `{task_id, error, message,
/// status, fields?}`, its fields named from the request's top. A server error fails the
/// request instead.
fn refused(at: &str, task_id: &str, err: ApiError) -> Result<Value, ApiError> {
    if err.status().is_server_error() {
        return Err(err);
    }
    let mut answer = err.within(at).body();
    answer["task_id"] = Value::from(task_id);
    Ok(answer)
}

pub async fn record(
    worker: WorkerAuth,
    State(state): State<AppState>,
    JsonObject(body): JsonObject,
) -> Result<Json<Value>, ApiError> {
    let body: OutcomesBody = read_body(body)?;
    let total = body.heartbeats.len() + body.completions.len() + body.failures.len();
    if total == 0 {
        return Err(ApiError::field(
            "body",
            "give at least one of heartbeats, completions, failures",
        ));
    }
    let mut seen = HashSet::new();
    let heartbeats: Vec<Item<HeartbeatBody>> = items(
        &state,
        &worker,
        "heartbeats",
        body.heartbeats,
        &mut HashSet::new(),
        |b: &HeartbeatBody| &b.lease,
    )?;
    let completions: Vec<Item<CompleteBody>> = items(
        &state,
        &worker,
        "completions",
        body.completions,
        &mut seen,
        |b: &CompleteBody| &b.lease,
    )?;
    let failures: Vec<Item<FailBody>> = items(
        &state,
        &worker,
        "failures",
        body.failures,
        &mut seen,
        |b: &FailBody| &b.lease,
    )?;

    let heartbeats = beat_all(&state, heartbeats).await?;
    let completions = complete_each(&state, completions).await?;
    let failures = fail_each(&state, failures).await?;
    Ok(Json(json!({"data": {
        "heartbeats": heartbeats,
        "completions": completions,
        "failures": failures,
    }})))
}

/// The items of list `name`, each opened: its `task_id` taken out, the rest read as its
/// route's body `B` (a fault refuses the request, naming `name[i].field`), its lease token
/// opened within the worker's scope (a refusal is the item's answer). A task named twice
/// among the outcomes (`seen`) is refused: it can have one.
fn items<B: DeserializeOwned>(
    state: &AppState,
    worker: &WorkerAuth,
    name: &str,
    list: Vec<Map<String, Value>>,
    seen: &mut HashSet<String>,
    lease_of: impl Fn(&B) -> &String,
) -> Result<Vec<Item<B>>, ApiError> {
    if list.len() > usize::try_from(MAX_CLAIM).unwrap_or(usize::MAX) {
        return Err(ApiError::field(
            name,
            format!("{name} holds at most {MAX_CLAIM} items"),
        ));
    }
    list.into_iter()
        .enumerate()
        .map(|(i, mut fields)| {
            let at = format!("{name}[{i}]");
            let task_id = match fields.remove("task_id") {
                Some(Value::String(id)) => id,
                _ => {
                    return Err(ApiError::field(
                        format!("{at}.task_id"),
                        format!("{at}.task_id: a task id is required"),
                    ));
                }
            };
            if !seen.insert(task_id.clone()) {
                return Err(ApiError::field(
                    format!("{at}.task_id"),
                    format!("{at}.task_id: task {task_id} has another outcome in this request"),
                ));
            }
            let body: B = read_body(fields).map_err(|err| err.within(&at))?;
            let opened =
                opened(state, worker, &task_id, lease_of(&body)).map(|lease| (lease, body));
            Ok(Item {
                at,
                task_id,
                opened,
            })
        })
        .collect()
}

async fn beat_all(
    state: &AppState,
    items: Vec<Item<HeartbeatBody>>,
) -> Result<Vec<Value>, ApiError> {
    let mut answers: Vec<Option<Value>> = vec![None; items.len()];
    let mut open = Vec::new();
    for (i, item) in items.into_iter().enumerate() {
        let opened = item
            .opened
            .and_then(|(lease, body)| Ok((beat_length(&body, &lease)?, lease)));
        match opened {
            Ok((length, lease)) => open.push((i, item.at, lease, length)),
            Err(err) => answers[i] = Some(refused(&item.at, &item.task_id, err)?),
        }
    }
    let beats: Vec<BatchHeartbeat> = open
        .iter()
        .map(|(_, _, lease, length)| BatchHeartbeat {
            tenant: lease.tenant,
            lease: lease.lease.clone(),
            lease_for: *length,
        })
        .collect();
    let beaten = heartbeat_all(state.store.as_ref(), &beats).await?;
    let mut owners = HashSet::new();
    for ((i, at, lease, length), beat) in open.iter().zip(beaten) {
        if owners.insert((lease.lease.owner.clone(), lease.tenant)) {
            state
                .external
                .beat(&lease.lease.owner, lease.tenant, *length)
                .await;
        }
        let task_id = lease.lease.task_id.to_string();
        answers[*i] = Some(match beat {
            Ok(expires_at) => json!({"task_id": task_id, "expires_at": expires_at}),
            Err(err) => refused(at, &task_id, err.into())?,
        });
    }
    Ok(answers.into_iter().flatten().collect())
}

async fn complete_each(
    state: &AppState,
    items: Vec<Item<CompleteBody>>,
) -> Result<Vec<Value>, ApiError> {
    let mut answers: Vec<Option<Value>> = vec![None; items.len()];
    let mut open = Vec::new();
    let mut batch = Vec::new();
    for (i, item) in items.into_iter().enumerate() {
        let opened = item
            .opened
            .and_then(|(lease, body)| Ok((completion_of(body)?, lease)));
        match opened {
            Ok((completion, lease)) => {
                batch.push(BatchCompletion {
                    tenant: lease.tenant,
                    task_type: lease.task_type.clone(),
                    lease: lease.lease.clone(),
                    completion,
                });
                open.push((i, item.at, lease));
            }
            Err(err) => answers[i] = Some(refused(&item.at, &item.task_id, err)?),
        }
    }
    let usages: Vec<_> = batch
        .iter()
        .map(|item| item.completion.usage.clone())
        .collect();
    let taken = complete_all(state.store.as_ref(), batch).await?;
    for (((i, at, lease), taken), usage) in open.iter().zip(taken).zip(usages) {
        if let (Ok(Taken::Now), Some(usage)) = (&taken, &usage) {
            count_model_call(state, usage);
        }
        let written = match &taken {
            Ok(Taken::Now) => Ok(Some(TaskStatus::Completed)),
            Ok(Taken::Replay) => Ok(None),
            Err(err) => Err(err),
        };
        count(state, lease, written);
        let task_id = lease.lease.task_id.to_string();
        answers[*i] = Some(match taken {
            Ok(how) => json!({"task_id": task_id, "status": "completed",
                              "replay": how == Taken::Replay}),
            Err(err) => refused(at, &task_id, err.into())?,
        });
    }
    Ok(answers.into_iter().flatten().collect())
}

/// Failures are rare: each is recorded as its own route records it.
async fn fail_each(state: &AppState, items: Vec<Item<FailBody>>) -> Result<Vec<Value>, ApiError> {
    let mut answers = Vec::with_capacity(items.len());
    for item in items {
        let opened = item
            .opened
            .and_then(|(lease, body)| Ok((failure_of(body)?, lease)));
        let (failure, lease) = match opened {
            Ok(opened) => opened,
            Err(err) => {
                answers.push(refused(&item.at, &item.task_id, err)?);
                continue;
            }
        };
        let recorded = fail(state.store.as_ref(), lease.tenant, &lease.lease, failure).await;
        let written = match &recorded {
            Ok(recorded) => Ok((!recorded.replay).then_some(recorded.task.status)),
            Err(err) => Err(err),
        };
        count(state, &lease, written);
        answers.push(match recorded {
            Ok(recorded) => json!({"task_id": item.task_id, "status": recorded.task.status,
                                   "state": recorded.task.state, "replay": recorded.replay}),
            Err(err) => refused(&item.at, &item.task_id, err.into())?,
        });
    }
    Ok(answers)
}
