//! Task dependencies on SQLite: PostgreSQL's `dependencies` module, statement for
//! statement where SQLite allows (no data-modifying `WITH`: the journal entries of failed
//! dependents are a statement of their own). The one writer serializes every
//! transaction, so no row needs locking.

use serde_json::{Value, json};
use sqlx::SqliteConnection;
use zora_core::dependency::{Dependency, DependencyEdge, FailedDependent, ParentRow};
use zora_core::{StoreError, TaskId, TenantId};
use zora_store_sql::mappers;

use crate::error::store_error;
use crate::rows::TASK_STATE;
use crate::values::{NOW, id_array};

/// `run_at` of a blocked task, as a SQL literal.
macro_rules! blocked {
    () => {
        "'9999-12-31T23:59:59.999Z'"
    };
}
pub(crate) use blocked;

/// A parent of the row of `agent_tasks` in scope that is not `completed` exists.
const UNFINISHED_PARENT: &str = "EXISTS (SELECT 1 FROM agent_task_dependencies dp \
    JOIN agent_tasks p ON p.id = dp.depends_on_task_id \
    WHERE dp.task_id = agent_tasks.id AND p.status <> 'completed')";

/// The tasks of `tenant` among `ids` (the transaction holds the write lock: none can
/// finish meanwhile).
pub(crate) async fn lock_parents(
    conn: &mut SqliteConnection,
    tenant: TenantId,
    ids: &[TaskId],
) -> Result<Vec<ParentRow>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, status FROM agent_tasks \
         WHERE +tenant_id = ?1 AND id IN (SELECT value FROM json_each(?2)) ORDER BY id",
    )
    .bind(tenant.to_string())
    .bind(id_array(ids))
    .fetch_all(conn)
    .await
    .map_err(store_error)?;
    crate::rows::all(&rows, mappers::parent_row)
}

/// Writes the edges of a task just inserted blocked, then releases it if its parents are
/// all completed already.
pub(crate) async fn insert_edges(
    conn: &mut SqliteConnection,
    child: TaskId,
    parents: &[Dependency],
) -> Result<(), StoreError> {
    let edges: Vec<Value> = parents
        .iter()
        .map(|d| json!({"id": d.task_id.to_string(), "inputs": d.inputs_json()}))
        .collect();
    sqlx::query(
        "INSERT INTO agent_task_dependencies (task_id, depends_on_task_id, inputs) \
         SELECT ?1, value ->> '$.id', \
           CASE WHEN json_type(value, '$.inputs') = 'object' THEN value -> '$.inputs' END \
         FROM json_each(?2)",
    )
    .bind(child.to_string())
    .bind(Value::from(edges).to_string())
    .execute(&mut *conn)
    .await
    .map_err(store_error)?;
    release_ready(conn, JSON_IDS, &id_array(&[child])).await?;
    Ok(())
}

/// The ids of the JSON array bound as `?1`.
const JSON_IDS: &str = "(SELECT value FROM json_each(?1))";

/// Makes each blocked task among `children` (a subquery of ids over `?1`, bound to
/// `bound`) whose parents are all completed runnable now, its `inputs` filled from their results (a parent's result
/// without the named field leaves the child's own value); returns how many.
///
/// The fields are replaced by two merge patches (JSON Merge Patch, RFC 7396): the first
/// removes them, the second writes the parents' values. (A merge patch drops the `null`s
/// inside an object value: a parent's `{"a": null}` arrives as `{}`.)
async fn release_ready(
    conn: &mut SqliteConnection,
    children: &str,
    bound: &str,
) -> Result<u64, StoreError> {
    let inputs = "FROM agent_task_dependencies d JOIN agent_tasks p ON p.id = d.depends_on_task_id, \
        json_each(d.inputs) k WHERE d.task_id = agent_tasks.id \
        AND json_type(p.result, '$.\"' || k.value || '\"') IS NOT NULL";
    let sql = format!(
        "UPDATE agent_tasks SET run_at = {NOW}, updated_at = {NOW}, \
           payload = json_patch(json_patch(COALESCE(payload, '{{}}'), \
               (SELECT json_group_object(k.key, json('null')) {inputs})), \
             (SELECT json_group_object(k.key, p.result -> ('$.\"' || k.value || '\"')) {inputs})) \
         WHERE id IN {children} AND status = 'pending' \
           AND run_at = {blocked} AND NOT {UNFINISHED_PARENT}",
        blocked = blocked!()
    );
    let done = sqlx::query(&sql)
        .bind(bound)
        .execute(conn)
        .await
        .map_err(store_error)?;
    Ok(done.rows_affected())
}

/// After `parents` completed in this transaction: releases their blocked dependents whose
/// other parents are completed too, in one statement (a batch without dependents costs
/// an index probe per task); returns how many.
pub(crate) async fn release_dependents_of(
    conn: &mut SqliteConnection,
    parents: &[TaskId],
) -> Result<u64, StoreError> {
    if parents.is_empty() {
        return Ok(0);
    }
    release_ready(
        conn,
        "(SELECT task_id FROM agent_task_dependencies \
          WHERE depends_on_task_id IN (SELECT value FROM json_each(?1)))",
        &id_array(parents),
    )
    .await
}

/// After `parents` failed for good in this transaction: fails every pending task that
/// depends on them, transitively (`Dependency {parent} failed`, naming its own parent),
/// with its journal entry.
pub(crate) async fn fail_dependents_of(
    conn: &mut SqliteConnection,
    parents: &[TaskId],
) -> Result<Vec<FailedDependent>, StoreError> {
    if parents.is_empty() {
        return Ok(Vec::new());
    }
    // `error_message` is `Dependency {uuid} failed`: the parent is its 12th to 47th character.
    let sql = format!(
        "WITH RECURSIVE doomed(id, parent) AS ( \
           SELECT task_id, depends_on_task_id FROM agent_task_dependencies \
             WHERE depends_on_task_id IN (SELECT value FROM json_each(?1)) \
           UNION SELECT d.task_id, d.depends_on_task_id FROM agent_task_dependencies d \
             JOIN doomed ON d.depends_on_task_id = doomed.id) \
         UPDATE agent_tasks SET status = 'failed', completed_at = {NOW}, updated_at = {NOW}, \
           error_message = 'Dependency ' || \
             (SELECT min(parent) FROM doomed WHERE doomed.id = agent_tasks.id) || ' failed', \
           lease_owner = NULL, lease_expires_at = NULL \
         WHERE status = 'pending' AND id IN (SELECT id FROM doomed) \
         RETURNING id, tenant_id, title, substr(error_message, 12, 36) AS parent"
    );
    let rows = sqlx::query(&sql)
        .bind(id_array(parents))
        .fetch_all(&mut *conn)
        .await
        .map_err(store_error)?;
    let failed = crate::rows::all(&rows, mappers::failed_dependent)?;
    let entries: Vec<_> = failed.iter().map(FailedDependent::journal_entry).collect();
    if !entries.is_empty() {
        crate::journal::insert(conn, &entries).await?;
    }
    Ok(failed)
}

/// Finishes tasks cancelled while they ran, found at their worker's lease check: failed,
/// their `error_message` the cancellation's, the lease cleared, their dependents failed.
/// Returns every task finished so, dependents included.
pub(crate) async fn finish_cancelled(
    conn: &mut SqliteConnection,
    ids: &[TaskId],
) -> Result<Vec<TaskId>, StoreError> {
    sqlx::query(&format!(
        "UPDATE agent_tasks SET status = 'failed', completed_at = {NOW}, updated_at = {NOW}, \
           lease_owner = NULL, lease_expires_at = NULL \
         WHERE id IN (SELECT value FROM json_each(?1)) AND status = 'in_progress'"
    ))
    .bind(id_array(ids))
    .execute(&mut *conn)
    .await
    .map_err(store_error)?;
    let failed = fail_dependents_of(conn, ids).await?;
    Ok(ids
        .iter()
        .copied()
        .chain(failed.iter().map(|d| d.id))
        .collect())
}

/// After `parent` was reset for a retry: resets, level by level, every task that failed
/// only because of it (blocked again, attempts back to 0). One that also has another
/// failed parent stays failed and names that one instead, so that its retry resets it.
pub(crate) async fn reset_dependents_of(
    conn: &mut SqliteConnection,
    parent: TaskId,
) -> Result<(), StoreError> {
    let failed_only_by = "status = 'failed' AND cancelled_at IS NULL AND rejected_at IS NULL \
        AND id IN (SELECT d.task_id FROM agent_task_dependencies d \
          WHERE d.depends_on_task_id IN (SELECT value FROM json_each(?1)) \
            AND agent_tasks.error_message = 'Dependency ' || d.depends_on_task_id || ' failed')";
    let other_failed = "(SELECT o.depends_on_task_id FROM agent_task_dependencies o \
        JOIN agent_tasks op ON op.id = o.depends_on_task_id \
        WHERE o.task_id = agent_tasks.id AND op.status = 'failed' ORDER BY op.id LIMIT 1)";
    let rename = format!(
        "UPDATE agent_tasks SET error_message = 'Dependency ' || {other_failed} || ' failed' \
         WHERE {failed_only_by} AND {other_failed} IS NOT NULL"
    );
    let reset = format!(
        "UPDATE agent_tasks SET status = 'pending', error_message = NULL, started_at = NULL, \
           completed_at = NULL, completed_by = NULL, attempts = 0, run_at = {blocked}, \
           lease_owner = NULL, \
           lease_expires_at = NULL, updated_at = {NOW} \
         WHERE {failed_only_by} AND {other_failed} IS NULL RETURNING id",
        blocked = blocked!()
    );
    let mut level = id_array(&[parent]);
    loop {
        sqlx::query(&rename)
            .bind(&level)
            .execute(&mut *conn)
            .await
            .map_err(store_error)?;
        let reset: Vec<String> = sqlx::query_scalar(&reset)
            .bind(&level)
            .fetch_all(&mut *conn)
            .await
            .map_err(store_error)?;
        if reset.is_empty() {
            return Ok(());
        }
        level = Value::from(reset).to_string();
    }
}

/// The edges of `tenant`'s tasks `ids`, both ways: their parents (with each one's state)
/// and their dependents. ([`TASK_STATE`] reads the parent's unqualified columns: the
/// edges table has none of their names.)
pub(crate) async fn edges<'c>(
    conn: impl sqlx::SqliteExecutor<'c>,
    tenant: TenantId,
    ids: &[TaskId],
) -> Result<Vec<DependencyEdge>, StoreError> {
    let sql = format!(
        "SELECT e.task_id, e.depends_on_task_id, e.inputs, {TASK_STATE} AS parent_state \
         FROM agent_task_dependencies e JOIN agent_tasks ON agent_tasks.id = e.depends_on_task_id \
         WHERE agent_tasks.tenant_id = ?1 \
           AND (e.task_id IN (SELECT value FROM json_each(?2)) \
             OR e.depends_on_task_id IN (SELECT value FROM json_each(?2))) \
         ORDER BY e.task_id, e.depends_on_task_id"
    );
    let rows = sqlx::query(&sql)
        .bind(tenant.to_string())
        .bind(id_array(ids))
        .fetch_all(conn)
        .await
        .map_err(store_error)?;
    crate::rows::all(&rows, mappers::dependency_edge)
}
