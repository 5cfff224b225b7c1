//! Push delivery: the tasks of a type registered with a push target are claimed by the
//! engine's own processes under a lease and `POST`ed to the target's URL, signed, one
//! request per task; the answer is recorded as an external worker's outcome would be,
//! under that lease. Nothing is held in a database transaction during the call.
//!
//! The request: `{"task": {id, tenant_id, task_type, agent_id, title, payload,
//! created_at}, "attempt": n}`, with `X-Zora-Timestamp` (Unix seconds) and
//! `X-Zora-Signature: sha256=<hex of HMAC-SHA256(secret, "{timestamp}.{body}")>`; a
//! receiver refuses a timestamp more than [`REPLAY_WINDOW`] away from its clock. The
//! answer: 2xx with `{"result": {...}, "summary"?, "journal"?}` completes; another 4xx
//! fails the task for good (the body's `error`, if any); 429, 5xx, a timeout or a refused
//! connection is an attempt that may pass (after `Retry-After`, when given); a redirect is
//! not followed, and fails the task for good.

use std::sync::Arc;
use std::time::{Duration, Instant};

use hmac::{Hmac, Mac};
use serde_json::{Map, Value, json};
use sha2::Sha256;
use zora_core::external::{ExternalType, PushTarget};
use zora_core::journal::JournalCategory;
use zora_core::{ClaimRequest, ClaimScope, Lease, Store, StoreError, Task, TenantId};

use crate::external::outcome::{
    ExternalCompletion, ExternalFailure, LeaseError, WorkerJournalEntry, WorkerUsage, complete,
    fail,
};

/// How far a receiver should accept a request's timestamp from its own clock.
pub const REPLAY_WINDOW: Duration = Duration::from_secs(300);
/// Tasks delivered at once by one process.
const IN_FLIGHT: u32 = 16;
/// How often the push registrations are read again.
const TYPES_EVERY: Duration = Duration::from_secs(5);
/// How often to look for due tasks when there was nothing to deliver.
const IDLE_POLL: Duration = Duration::from_millis(500);
/// A lease's margin over the target's answer bound.
const LEASE_MARGIN: Duration = Duration::from_secs(30);

/// The signature header's value for `body` sent at `timestamp` (Unix seconds).
pub fn signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    // An HMAC takes a key of any length.
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

/// Delivers the push types' tasks, as `owner` (the lease owner it writes), until `stop`.
#[derive(Debug, Clone)]
pub struct Pusher {
    store: Arc<dyn Store>,
    client: reqwest::Client,
    owner: String,
}

/// What one delivery came to.
enum Answer {
    Done(ExternalCompletion),
    Failed(ExternalFailure),
}

impl Pusher {
    pub fn new(store: Arc<dyn Store>, owner: impl Into<String>) -> Self {
        let client = crate::http::http_client_builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_else(|err| panic!("the HTTP client's TLS backend did not start: {err}"));
        Self {
            store,
            client,
            owner: owner.into(),
        }
    }

    /// Claims and delivers until `stop` resolves; the deliveries under way are finished.
    pub async fn run(self, stop: impl std::future::Future<Output = ()>) {
        tokio::pin!(stop);
        let mut types: Vec<ExternalType> = Vec::new();
        let mut read_at: Option<Instant> = None;
        let mut running = tokio::task::JoinSet::new();
        loop {
            if read_at.is_none_or(|at| at.elapsed() >= TYPES_EVERY) {
                match self.store.push_types().await {
                    Ok(read) => types = read,
                    Err(err) => tracing::warn!(error = %err, "push: cannot read the push types"),
                }
                read_at = Some(Instant::now());
            }
            let room = IN_FLIGHT.saturating_sub(u32::try_from(running.len()).unwrap_or(IN_FLIGHT));
            let mut claimed = Vec::new();
            if !types.is_empty() && room > 0 {
                match self.claim(&types, room).await {
                    Ok(tasks) => claimed = tasks,
                    Err(err) => tracing::warn!(error = %err, "push: claim failed"),
                }
            }
            let idle = claimed.is_empty();
            for (task, lease) in claimed {
                let target = target_of(&types, &task);
                let pusher = self.clone();
                running.spawn(async move { pusher.deliver(task, lease, target).await });
            }
            tokio::select! {
                () = &mut stop => break,
                Some(_) = running.join_next(), if !running.is_empty() => {}
                () = tokio::time::sleep(IDLE_POLL), if idle => {}
                () = std::future::ready(()), if !idle => {}
            }
        }
        while running.join_next().await.is_some() {}
    }

    /// Claims up to `room` due tasks of the push types, their lease the longest answer
    /// bound among them plus a margin.
    async fn claim(
        &self,
        types: &[ExternalType],
        room: u32,
    ) -> Result<Vec<(Task, Lease)>, StoreError> {
        let mut names: Vec<String> = types.iter().map(|t| t.task_type.clone()).collect();
        names.sort();
        names.dedup();
        let longest = types
            .iter()
            .filter_map(|t| t.definition.push.as_ref())
            .map(|p| Duration::from_secs(u64::try_from(p.timeout_s).unwrap_or(30)))
            .max()
            .unwrap_or(Duration::from_secs(30));
        let request = ClaimRequest {
            scope: ClaimScope::AllTenants {
                per_tenant_cap: crate::external::claim::DEFAULT_PER_TENANT_CAP,
            },
            task_types: names,
            limit: room,
            owner: self.owner.clone(),
            lease_duration: longest + LEASE_MARGIN,
        };
        Ok(self
            .store
            .claim_tasks(&request)
            .await?
            .into_iter()
            .map(|task| {
                let lease = Lease {
                    task_id: task.id,
                    owner: self.owner.clone(),
                    attempt: task.attempts,
                    locked: false,
                };
                (task, lease)
            })
            .collect())
    }

    /// Delivers one task and records its answer; a task whose tenant has no push target
    /// for its type (another tenant's pull type of the same name) is given back unrun.
    async fn deliver(&self, task: Task, lease: Lease, target: Option<PushTarget>) {
        let tenant = task.tenant_id;
        let Some(target) = target else {
            self.give_back(&lease).await;
            return;
        };
        let answer = self.call(&task, &target).await;
        let recorded = match answer {
            Answer::Done(completion) => {
                match complete(self.store.as_ref(), tenant, &lease, completion).await {
                    // A result the type's schema refuses: the task fails, rather than
                    // being pushed again and again for the same answer.
                    Err(LeaseError::Invalid { field, message }) => {
                        let failure = ExternalFailure {
                            error: format!("the push answer's {field}: {message}"),
                            retryable: false,
                            retry_after: None,
                        };
                        fail(self.store.as_ref(), tenant, &lease, failure)
                            .await
                            .map(|_| ())
                    }
                    other => other.map(|_| ()),
                }
            }
            Answer::Failed(failure) => {
                tracing::info!(task_id = %task.id, error = %failure.error, retryable = failure.retryable, "push: delivery failed");
                fail(self.store.as_ref(), tenant, &lease, failure)
                    .await
                    .map(|_| ())
            }
        };
        if let Err(err) = recorded {
            log_unrecorded(&task, tenant, &err);
        }
    }

    async fn give_back(&self, lease: &Lease) {
        let given = async {
            let mut tx = self.store.begin().await?;
            tx.release_tasks(std::slice::from_ref(lease)).await?;
            tx.commit().await
        };
        if let Err(err) = given.await {
            tracing::warn!(task_id = %lease.task_id, error = %err, "push: cannot give a task back");
        }
    }

    /// The `POST` and what its answer means.
    async fn call(&self, task: &Task, target: &PushTarget) -> Answer {
        let body = json!({
            "task": {"id": task.id, "tenant_id": task.tenant_id, "task_type": task.task_type,
                     "agent_id": task.agent_id, "title": task.title, "payload": task.payload,
                     "created_at": task.created_at},
            "attempt": task.attempts,
        })
        .to_string();
        let timestamp = chrono::Utc::now().timestamp();
        let sent = self
            .client
            .post(&target.url)
            .timeout(Duration::from_secs(
                u64::try_from(target.timeout_s).unwrap_or(30),
            ))
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("X-Zora-Timestamp", timestamp.to_string())
            .header(
                "X-Zora-Signature",
                signature(&target.secret, timestamp, body.as_bytes()),
            )
            .body(body)
            .send()
            .await;
        let response = match sent {
            Ok(response) => response,
            Err(err) => {
                let why = if err.is_timeout() {
                    format!("no answer within {} s", target.timeout_s)
                } else {
                    format!("the push failed: {err}")
                };
                return transient(why, None);
            }
        };
        let status = response.status();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let location = response
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body: Option<Value> = response.json().await.ok();
        if status.is_success() {
            return answered(body);
        }
        if status.is_redirection() {
            return permanent(format!(
                "the push URL answered {status} (to {}): redirects are not followed",
                location.as_deref().unwrap_or("nowhere")
            ));
        }
        let said = body
            .as_ref()
            .and_then(|b| b.get("error"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        let why = said.unwrap_or_else(|| format!("the push URL answered {status}"));
        if status.as_u16() == 429 || status.is_server_error() {
            transient(why, retry_after)
        } else {
            permanent(why)
        }
    }
}

/// The push target of `task`'s type for its tenant: the tenant's own registration, else
/// every tenant's.
fn target_of(types: &[ExternalType], task: &Task) -> Option<PushTarget> {
    let of = |scope: Option<TenantId>| {
        types
            .iter()
            .find(|t| t.task_type == task.task_type && t.tenant_id == scope)
    };
    of(Some(task.tenant_id))
        .or_else(|| of(None))
        .and_then(|t| t.definition.push.clone())
}

fn transient(error: String, retry_after: Option<Duration>) -> Answer {
    Answer::Failed(ExternalFailure {
        error,
        retryable: true,
        retry_after,
    })
}

fn permanent(error: String) -> Answer {
    Answer::Failed(ExternalFailure {
        error,
        retryable: false,
        retry_after: None,
    })
}

/// A 2xx answer: `{"result": {...}, "summary"?, "journal"?: [{category, title, body?,
/// details?}]}`; anything else fails the task for good, saying what was wrong.
fn answered(body: Option<Value>) -> Answer {
    let Some(Value::Object(mut body)) = body else {
        return permanent("the push answer is not a JSON object".into());
    };
    let Some(Value::Object(result)) = body.remove("result") else {
        return permanent("the push answer has no result object".into());
    };
    let summary = body
        .get("summary")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let mut journal = Vec::new();
    for (i, entry) in body
        .get("journal")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let category = entry
            .get("category")
            .and_then(Value::as_str)
            .and_then(|c| c.parse::<JournalCategory>().ok());
        let title = entry.get("title").and_then(Value::as_str);
        let (Some(category), Some(title)) = (category, title) else {
            return permanent(format!(
                "the push answer's journal[{i}] needs a known category and a title"
            ));
        };
        journal.push(WorkerJournalEntry {
            category,
            title: title.to_owned(),
            body: entry.get("body").and_then(Value::as_str).map(str::to_owned),
            details: entry
                .get("details")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_else(Map::new),
        });
    }
    let usage = match body.get("usage").map(WorkerUsage::parse).transpose() {
        Ok(usage) => usage,
        Err((_, message)) => return permanent(format!("the push answer's {message}")),
    };
    Answer::Done(ExternalCompletion {
        result: Value::Object(result),
        summary,
        journal,
        usage,
    })
}

fn log_unrecorded(task: &Task, tenant: TenantId, err: &LeaseError) {
    match err {
        LeaseError::Lost(why) | LeaseError::Cancelled(why) => {
            tracing::info!(task_id = %task.id, %tenant, %why, "push: the answer was not recorded");
        }
        LeaseError::Invalid { field, message } => {
            tracing::warn!(task_id = %task.id, %field, %message, "push: the answer's result does not meet the type's result schema");
        }
        LeaseError::Store(err) => {
            tracing::warn!(task_id = %task.id, error = %err, "push: the answer could not be recorded; the lease will lapse");
        }
    }
}
