//! Reading rows: the task columns every task query selects, and the helpers that run a
//! read and map its rows with the shared mappers of `zora_store_sql::mappers`.
//!
//! Queries select enums as `::text` and numerics as `::float8`, so that every store
//! returns the same Rust values whatever the column's SQL type.

use sqlx::postgres::PgRow;
use zora_core::{StoreError, Task};
use zora_store_sql::mappers;

use crate::error::store_error;

/// A task's fine-grained state from its row `t`, as one expression: the
/// finished states first, then what holds a pending task back, in the order an operator
/// acts on it (a decision, then parents, then time).
macro_rules! task_state {
    () => {
        "CASE WHEN t.status = 'completed' THEN 'completed' \
           WHEN t.status = 'failed' AND t.cancelled_at IS NOT NULL THEN 'cancelled' \
           WHEN t.status = 'failed' AND t.rejected_at IS NOT NULL THEN 'rejected' \
           WHEN t.status = 'failed' THEN 'failed' \
           WHEN t.status = 'in_progress' THEN 'running' \
           WHEN t.requires_approval AND t.approved_at IS NULL THEN 'awaiting_approval' \
           WHEN EXISTS (SELECT 1 FROM agent_task_dependencies d JOIN agent_tasks p \
             ON p.id = d.depends_on_task_id WHERE d.task_id = t.id AND p.status <> 'completed') \
             THEN 'blocked' \
           WHEN t.run_at > now() THEN 'scheduled' \
           ELSE 'available' END"
    };
}

/// [`task_state!`], for a filter.
pub(crate) const TASK_STATE: &str = task_state!();

/// The task's own columns, qualified by the alias `t` every task query gives
/// `agent_tasks`.
macro_rules! task_row {
    () => {
        "t.id, t.tenant_id, t.command_id, t.agent_id, t.task_type, \
        t.status::text AS status, t.priority, t.title, t.description, \
        COALESCE(t.payload, '{}'::jsonb) AS payload, t.result, t.result_summary, t.error_message, \
        t.started_at, t.completed_at, t.created_by_user_id, t.created_at, t.updated_at, t.attempts, \
        t.max_attempts, t.run_at, t.lease_owner, t.lease_expires_at, t.idempotency_key, t.errors, \
        t.completed_by, t.cancelled_at, t.requires_approval, t.approved_by_user_id, t.approved_at, \
        t.rejected_by_user_id, t.rejected_at, t.decision_reason"
    };
}

/// Every task column and its `state`.
pub(crate) const TASK_COLUMNS: &str = concat!(task_row!(), ", ", task_state!(), " AS state");

/// The columns of a task just claimed under a lease: its state is `running` by the claim.
pub(crate) const CLAIMED_COLUMNS: &str = concat!(task_row!(), ", 'running' AS state");

/// The columns of a task just claimed by the applying transaction's lock: runnable, so
/// `available` (as anyone else reads it until the transaction commits).
pub(crate) const LOCKED_COLUMNS: &str = concat!(task_row!(), ", 'available' AS state");

/// One task row.
pub(crate) fn task(row: &PgRow) -> Result<Task, StoreError> {
    mappers::task(row).map_err(store_error)
}

pub(crate) use zora_store_sql::postgres::{all, uuids};
