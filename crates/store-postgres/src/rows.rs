//! Reading rows: the task columns every task query selects, and the helpers that run a
//! read and map its rows with the shared mappers of `zora_store_sql::mappers`.
//!
//! Queries select enums as `::text` and numerics as `::float8`, so that every store
//! returns the same Rust values whatever the column's SQL type.

use sqlx::postgres::PgRow;
use uuid::Uuid;
use zora_core::{StoreError, Task, TenantId};
use zora_store_sql::mappers;

use crate::error::store_error;

/// A task's fine-grained state (ENGINE.md) from its row `t`, as one expression: the
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
        t.cancelled_at, t.requires_approval, t.approved_by_user_id, t.approved_at, \
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

/// Ids as plain UUIDs, the shape `= ANY($n)` binds.
pub(crate) fn uuids<T: Copy + Into<Uuid>>(ids: &[T]) -> Vec<Uuid> {
    ids.iter().map(|id| (*id).into()).collect()
}

/// One task row.
pub(crate) fn task(row: &PgRow) -> Result<Task, StoreError> {
    mappers::task(row).map_err(store_error)
}

/// Maps every row with `map`, turning the first decode failure into a [`StoreError`].
pub(crate) fn all<T>(
    rows: &[PgRow],
    map: fn(&PgRow) -> Result<T, sqlx::Error>,
) -> Result<Vec<T>, StoreError> {
    rows.iter()
        .map(map)
        .collect::<Result<_, _>>()
        .map_err(store_error)
}

/// Runs `sql`, a read of one tenant's rows by id (`$1` the tenant, `$2` the ids), and maps
/// each row with `map`.
pub(crate) async fn tenant_rows_by_ids<I, T>(
    db: &mut impl crate::sql::Db,
    sql: &'static str,
    tenant: TenantId,
    ids: &[I],
    map: fn(&PgRow) -> Result<T, sqlx::Error>,
) -> Result<Vec<T>, StoreError>
where
    I: Copy + Into<Uuid>,
{
    let found = crate::sql::query(db.keep(), sql)
        .bind(tenant.0)
        .bind(uuids(ids))
        .fetch_all(db.conn())
        .await
        .map_err(store_error)?;
    all(&found, map)
}
