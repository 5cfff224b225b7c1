//! A claimed task made ready to apply ([`Ready`]): its handler found, its payload parsed
//! and its `prepare` step run (outside any transaction, within the handler's timeout), or
//! why it cannot run; and how it is held, by its lease or by the applying transaction's
//! row lock.

use std::sync::Arc;

use serde_json::Value;
use tracing::Instrument;
use zora_core::handler::{DynHandler, Erased, TaskError};
use zora_core::{FailureKind, Lease, Task, TaskStatus};

use crate::registry::Registry;

/// A claimed task ready to apply: its handler, parsed payload and prepared value, or why
/// it cannot run, and how it is held (its lease, or the applying transaction's lock).
pub(crate) struct Ready {
    pub task: Task,
    pub hold: Option<Lease>,
    pub run: Result<Runnable, TaskError>,
}

/// What applying a task needs once it parsed and prepared.
pub(crate) struct Runnable {
    pub handler: Arc<dyn DynHandler>,
    pub payload: Erased,
    pub prepared: Option<Value>,
}

impl Ready {
    /// Finds the handler, parses the payload and runs `prepare` (outside any transaction).
    pub async fn prepare(task: Task, registry: &Registry) -> Self {
        let hold = task.lease();
        let Some(handler) = registry.get(&task.task_type).cloned() else {
            let error = TaskError::permanent(registry.unsupported_message(&task.task_type));
            return Self {
                task,
                hold,
                run: Err(error),
            };
        };
        let run = match handler.parse(&task.payload) {
            Err(error) => Err(error),
            Ok(payload) => {
                let prepare = handler
                    .prepare(&task, &payload)
                    .instrument(task_span(&task));
                match tokio::time::timeout(handler.timeout(), prepare).await {
                    Err(_) => Err(timed_out(&*handler)),
                    Ok(Err(error)) => Err(error),
                    Ok(Ok(prepared)) => Ok(Runnable {
                        handler,
                        payload,
                        prepared,
                    }),
                }
            }
        };
        Self { task, hold, run }
    }

    /// A task `claim_locked` returned to `owner`: held by the transaction's lock, shown to
    /// its handler as a claim is (`in_progress`, the attempt it makes). Its type has no
    /// `prepare` step, so nothing runs outside the transaction.
    pub async fn locked(mut task: Task, owner: &str, registry: &Registry) -> Self {
        let hold = Lease::locked(&task, owner);
        task.status = TaskStatus::InProgress;
        task.state = zora_core::TaskState::Running;
        task.attempts = hold.attempt;
        // This process's clock, for the queue-wait metric only: the row's `started_at`
        // is written by the database with the outcome.
        task.started_at = Some(chrono::Utc::now());
        let mut ready = Self::prepare(task, registry).await;
        ready.hold = Some(hold);
        ready
    }
}

/// The span a task's work runs in: its id, type, tenant and attempt on every log line.
pub(crate) fn task_span(task: &Task) -> tracing::Span {
    tracing::info_span!(
        "task",
        task_id = %task.id,
        task_type = %task.task_type,
        tenant_id = %task.tenant_id,
        attempt = task.attempts
    )
}

fn timed_out(handler: &dyn DynHandler) -> TaskError {
    TaskError::of_kind(
        FailureKind::Timeout,
        format!("Timed out after {:?}", handler.timeout()),
    )
}
