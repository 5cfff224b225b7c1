//! Reading rows: the task columns every task query selects, and the helpers that run a
//! read and map its rows with the shared mappers of `zora_store_sql::mappers`.

use sqlx::sqlite::SqliteRow;
use zora_core::{StoreError, Task};
use zora_store_sql::mappers;

use crate::error::store_error;

/// A task's fine-grained state from its row's unqualified columns, as one
/// expression (the PostgreSQL store's, in the same order). The dependencies' subquery
/// names the row's `id` where only `agent_task_dependencies` (which has none) is in
/// scope, so it means the task's whatever the outer query calls the table.
macro_rules! task_state {
    () => {
        "CASE WHEN status = 'completed' THEN 'completed' \
           WHEN status = 'failed' AND cancelled_at IS NOT NULL THEN 'cancelled' \
           WHEN status = 'failed' AND rejected_at IS NOT NULL THEN 'rejected' \
           WHEN status = 'failed' THEN 'failed' \
           WHEN status = 'in_progress' THEN 'running' \
           WHEN requires_approval AND approved_at IS NULL THEN 'awaiting_approval' \
           WHEN EXISTS (SELECT 1 FROM agent_task_dependencies d WHERE d.task_id = id \
             AND EXISTS (SELECT 1 FROM agent_tasks p \
               WHERE p.id = d.depends_on_task_id AND p.status <> 'completed')) THEN 'blocked' \
           WHEN run_at > strftime('%Y-%m-%dT%H:%M:%fZ', 'now') THEN 'scheduled' \
           ELSE 'available' END"
    };
}

/// [`task_state!`], for a filter.
pub(crate) const TASK_STATE: &str = task_state!();

/// The task's own columns, unqualified (SQLite's `RETURNING` names the modified table's
/// own).
macro_rules! task_row {
    () => {
        "id, tenant_id, command_id, agent_id, task_type, status, \
        priority, title, description, COALESCE(payload, '{}') AS payload, result, result_summary, \
        error_message, started_at, completed_at, created_by_user_id, created_at, updated_at, attempts, \
        max_attempts, run_at, lease_owner, lease_expires_at, idempotency_key, errors, completed_by, cancelled_at, \
        requires_approval, approved_by_user_id, approved_at, rejected_by_user_id, rejected_at, \
        decision_reason"
    };
}

/// The task's own columns, without its `state`.
pub(crate) const TASK_ROW: &str = task_row!();

/// [`task_state!`] named as the column, for a query that selects [`TASK_ROW`] first.
pub(crate) const STATE_COLUMN: &str = concat!(task_state!(), " AS state");

/// Every task column and its `state`.
pub(crate) const TASK_COLUMNS: &str = concat!(task_row!(), ", ", task_state!(), " AS state");

/// The columns of a task just claimed under a lease: its state is `running` by the claim.
pub(crate) const CLAIMED_COLUMNS: &str = concat!(task_row!(), ", 'running' AS state");

/// The columns of a task just claimed by the applying transaction (which holds the write
/// lock): runnable, so `available`, as anyone else reads it until the transaction commits.
pub(crate) const LOCKED_COLUMNS: &str = concat!(task_row!(), ", 'available' AS state");

/// One task row.
pub(crate) fn task(row: &SqliteRow) -> Result<Task, StoreError> {
    mappers::task(row).map_err(store_error)
}

pub(crate) use zora_store_sql::sqlite::all;
