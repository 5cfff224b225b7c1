//! Waiting on a task's outcome: a row in `agent_task_waiters` (migration 0008) while a
//! [`PgFinishWatch`] lives, so that the outcome statements of `tasks.rs` notify
//! [`FINISHED_CHANNEL`](crate::wakeups::FINISHED_CHANNEL) when that task finishes, and the
//! store's listener wakes the watch.

use sqlx::PgPool;
use uuid::Uuid;
use zora_core::{FinishWatch, StoreError, TaskId};
use zora_store_sql::HubWatch;

use crate::error::store_error;

/// A condition that is always true and, evaluated once, notifies the finished channel of
/// each waited task among the ids `$ids` (an SQL query of ids). Outcome statements put
/// it in their `WHERE`: with nobody waiting it scans an empty table.
macro_rules! notify_waiters_of {
    ($ids:literal) => {
        concat!(
            "(SELECT count(pg_notify('zora_agent_tasks_finished', w.task_id::text)) \
             FROM agent_task_waiters w WHERE w.task_id IN (",
            $ids,
            ")) >= 0"
        )
    };
}
pub(crate) use notify_waiters_of;

/// A watch of one task: its hub subscription and its waiter row, deleted when dropped.
#[derive(Debug)]
pub(crate) struct PgFinishWatch {
    watch: HubWatch,
    row: Uuid,
    pool: PgPool,
}

impl PgFinishWatch {
    /// Adds the waiter row of `task` (the hub subscription is made first, by the caller),
    /// pruning rows older than an hour (left by a process that died while waiting).
    pub(crate) async fn register(
        pool: &PgPool,
        task: TaskId,
        watch: HubWatch,
    ) -> Result<Self, StoreError> {
        let row = Uuid::now_v7();
        // Never behind a pooler (no `LISTEN` there): the statements may stay prepared.
        crate::sql::query(
            true,
            "WITH pruned AS (DELETE FROM agent_task_waiters WHERE since < now() - interval '1 hour') \
             INSERT INTO agent_task_waiters (id, task_id) VALUES ($1, $2)",
        )
        .bind(row)
        .bind(task.0)
        .execute(pool)
        .await
        .map_err(store_error)?;
        Ok(Self {
            watch,
            row,
            pool: pool.clone(),
        })
    }
}

#[zora_store_sql::async_trait]
impl FinishWatch for PgFinishWatch {
    async fn next(&mut self) {
        self.watch.next().await;
    }
}

impl Drop for PgFinishWatch {
    fn drop(&mut self) {
        let (pool, row) = (self.pool.clone(), self.row);
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                let deleted =
                    crate::sql::query(true, "DELETE FROM agent_task_waiters WHERE id = $1")
                        .bind(row)
                        .execute(&pool)
                        .await;
                if let Err(err) = deleted {
                    tracing::debug!(error = %err, "a waiter row stays until it is pruned");
                }
            });
        }
    }
}
