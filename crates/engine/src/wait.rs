//! Waiting for a task's outcome (`GET /api/agents/tasks/{id}/wait`, `?wait=true` on a
//! task another worker runs): woken by the store's word that the task finished
//! ([`Store::watch_finish`]: PostgreSQL's `LISTEN`, SQLite's in-process notifier), not by
//! a polling loop. The task is re-read at each word, and every [`RECHECK`] as a safety
//! net for word that cannot come (a finish written by another process on SQLite, by ZORA
//! CORE's legacy runtime, or while the `LISTEN` connection was down); a store that
//! cannot tell at all (PostgreSQL behind a transaction-mode pooler) is read every
//! [`POLL`].

use std::time::Duration;

use tokio::time::Instant;
use zora_core::{Store, StoreError, Task, TaskId, TenantId};

/// How often a waiter told of finishes re-reads its task anyway.
pub const RECHECK: Duration = Duration::from_secs(5);

/// How often a waiter re-reads its task when the store cannot tell it.
pub const POLL: Duration = Duration::from_millis(250);

/// What waiting came to.
#[derive(Debug, Clone, PartialEq)]
pub enum Waited {
    /// `completed` or `failed`.
    Finished(Task),
    /// Still not finished at the timeout, as it stands.
    Unfinished(Task),
}

/// Waits up to `timeout` for one of `tenant`'s tasks to finish; `None` when it has no
/// such task.
pub async fn wait_for_outcome(
    store: &dyn Store,
    tenant: TenantId,
    id: TaskId,
    timeout: Duration,
) -> Result<Option<Waited>, StoreError> {
    let deadline = Instant::now() + timeout;
    // Watch first, then read: a finish between the two is not missed.
    let mut watch = store.watch_finish(id).await?;
    let every = if watch.is_some() { RECHECK } else { POLL };
    loop {
        let Some(task) = store.get_task(tenant, id).await? else {
            return Ok(None);
        };
        if task.status.is_finished() {
            return Ok(Some(Waited::Finished(task)));
        }
        let now = Instant::now();
        if now >= deadline {
            return Ok(Some(Waited::Unfinished(task)));
        }
        let until = deadline.min(now + every);
        match watch.as_mut() {
            Some(watch) => {
                let _ = tokio::time::timeout_at(until, watch.next()).await;
            }
            None => tokio::time::sleep_until(until).await,
        }
    }
}
