//! Task dependencies on PostgreSQL: a new task's parents and edges, releasing the tasks
//! whose last parent completed, failing (transitively) those whose parent failed, and
//! resetting them with a retried parent. See `zora_core::dependency` for the design.
//!
//! Whoever finishes a parent holds its row lock from an earlier statement (the claim's
//! `FOR UPDATE`, `lock_leased_tasks`), and a new child's transaction locks its parents
//! `FOR SHARE`: so a child is either seen by the statements that follow its parent's
//! finish, or sees the parent finished.

use uuid::Uuid;
use zora_core::dependency::{Dependency, DependencyEdge, FailedDependent, ParentRow};
use zora_core::{StoreError, TaskId, TenantId};
use zora_store_sql::mappers;

use crate::error::store_error;
use crate::rows::{TASK_STATE, uuids};
use crate::sql::Db;
use crate::waiters::notify_waiters_of;

/// `run_at` of a blocked task, as a SQL literal.
macro_rules! blocked {
    () => {
        "'9999-12-31T23:59:59.999Z'::timestamptz"
    };
}
pub(crate) use blocked;

/// A parent of `$alias`'s task that is not `completed` exists.
macro_rules! unfinished_parent {
    ($alias:literal) => {
        concat!(
            "EXISTS (SELECT 1 FROM agent_task_dependencies dp JOIN agent_tasks p \
             ON p.id = dp.depends_on_task_id WHERE dp.task_id = ",
            $alias,
            ".id AND p.status <> 'completed')"
        )
    };
}

#[cfg(test)]
#[test]
fn the_literal_is_the_shared_constant() {
    assert!(blocked!().contains(zora_core::dependency::BLOCKED_RUN_AT));
}

/// Locks the tasks of `tenant` among `ids` `FOR SHARE` (no finish of theirs commits until
/// this transaction ends) and returns them.
pub(crate) async fn lock_parents(
    db: &mut impl Db,
    tenant: TenantId,
    ids: &[TaskId],
) -> Result<Vec<ParentRow>, StoreError> {
    let rows = crate::sql::query(
        db.keep(),
        "SELECT p.id, p.status::text AS status FROM agent_tasks p \
         WHERE p.tenant_id = $1 AND p.id = ANY($2) ORDER BY p.id FOR SHARE",
    )
    .bind(tenant.0)
    .bind(uuids(ids))
    .fetch_all(db.conn())
    .await
    .map_err(store_error)?;
    crate::rows::all(&rows, mappers::parent_row)
}

/// Writes the edges of a task just inserted blocked, then releases it if its parents are
/// all completed already.
pub(crate) async fn insert_edges(
    db: &mut impl Db,
    child: TaskId,
    parents: &[Dependency],
) -> Result<(), StoreError> {
    crate::sql::query(
        db.keep(),
        "INSERT INTO agent_task_dependencies (task_id, depends_on_task_id, inputs) \
         SELECT $1, d.id, d.inputs FROM UNNEST($2::uuid[], $3::jsonb[]) AS d(id, inputs)",
    )
    .bind(child.0)
    .bind(parents.iter().map(|d| d.task_id.0).collect::<Vec<_>>())
    .bind(
        parents
            .iter()
            .map(Dependency::inputs_json)
            .collect::<Vec<_>>(),
    )
    .execute(db.conn())
    .await
    .map_err(store_error)?;
    release_ready(db, &[child.0]).await
}

/// Makes each blocked task among `children` whose parents are all completed runnable now,
/// its `inputs` filled from their results (a parent's result without the named field
/// leaves the child's own value).
async fn release_ready(db: &mut impl Db, children: &[Uuid]) -> Result<(), StoreError> {
    let sql = concat!(
        "UPDATE agent_tasks c SET run_at = now(), \
           payload = COALESCE(c.payload, '{}'::jsonb) || COALESCE((SELECT jsonb_object_agg(k.key, p.result -> k.value) \
             FROM agent_task_dependencies d JOIN agent_tasks p ON p.id = d.depends_on_task_id \
             CROSS JOIN LATERAL jsonb_each_text(d.inputs) AS k(key, value) \
             WHERE d.task_id = c.id AND jsonb_typeof(d.inputs) = 'object' AND p.result ? k.value), '{}'::jsonb) \
         WHERE c.id = ANY($1) AND c.status = 'pending' AND c.run_at = ",
        blocked!(),
        " AND NOT ",
        unfinished_parent!("c")
    );
    crate::sql::query(db.keep(), sql)
        .bind(children)
        .execute(db.conn())
        .await
        .map_err(store_error)?;
    Ok(())
}

/// After `parents` completed in this transaction: releases their blocked dependents whose
/// other parents are completed too. The dependents are locked first, in a statement of
/// their own, so that of two transactions completing two parents of one task the second
/// waits for the first and then sees its parent completed.
pub(crate) async fn release_dependents_of(
    db: &mut impl Db,
    parents: &[Uuid],
) -> Result<(), StoreError> {
    let locked: Vec<Uuid> = crate::sql::query_scalar(
        db.keep(),
        concat!(
            "SELECT c.id FROM agent_tasks c WHERE c.id IN \
               (SELECT d.task_id FROM agent_task_dependencies d WHERE d.depends_on_task_id = ANY($1)) \
             AND c.status = 'pending' AND c.run_at = ",
            blocked!(),
            " ORDER BY c.id FOR UPDATE OF c"
        ),
    )
    .bind(parents)
    .fetch_all(db.conn())
    .await
    .map_err(store_error)?;
    if locked.is_empty() {
        return Ok(());
    }
    release_ready(db, &locked).await
}

/// After `parents` failed for good in this transaction: fails every pending task that
/// depends on them, transitively (`Dependency {parent} failed`, naming its own parent),
/// with its journal entry; their waiters are told.
pub(crate) async fn fail_dependents_of(
    db: &mut impl Db,
    parents: &[Uuid],
) -> Result<Vec<FailedDependent>, StoreError> {
    let sql = format!(
        "WITH RECURSIVE doomed(id, parent) AS ( \
           SELECT d.task_id, d.depends_on_task_id FROM agent_task_dependencies d \
             WHERE d.depends_on_task_id = ANY($1) \
           UNION SELECT d.task_id, d.depends_on_task_id FROM agent_task_dependencies d \
             JOIN doomed ON d.depends_on_task_id = doomed.id), \
         named AS (SELECT DISTINCT ON (id) id, parent FROM doomed ORDER BY id, parent), \
         locked AS (SELECT t.id, n.parent FROM agent_tasks t JOIN named n ON n.id = t.id \
           WHERE t.status = 'pending' ORDER BY t.id FOR UPDATE OF t), \
         failed AS (UPDATE agent_tasks t SET status = 'failed', completed_at = now(), \
             error_message = 'Dependency ' || l.parent || ' failed', \
             lease_owner = NULL, lease_expires_at = NULL \
           FROM locked l WHERE t.id = l.id RETURNING t.id, t.tenant_id, t.title, l.parent) \
         SELECT id, tenant_id, title, parent FROM failed WHERE {notify}",
        notify = notify_waiters_of!("SELECT id FROM failed"),
    );
    let rows = crate::sql::query(db.keep(), &sql)
        .bind(parents)
        .fetch_all(db.conn())
        .await
        .map_err(store_error)?;
    let failed = crate::rows::all(&rows, mappers::failed_dependent)?;
    let entries: Vec<_> = failed.iter().map(FailedDependent::journal_entry).collect();
    if !entries.is_empty() {
        crate::journal::insert(db, &entries).await?;
    }
    Ok(failed)
}

/// Finishes tasks cancelled while they ran, found at their worker's lease check (locked by
/// it): failed, their `error_message` the cancellation's, the lease cleared, their waiters
/// told and their dependents failed.
pub(crate) async fn finish_cancelled(db: &mut impl Db, ids: &[Uuid]) -> Result<(), StoreError> {
    let sql = format!(
        "WITH done AS (UPDATE agent_tasks t SET status = 'failed', completed_at = now(), \
           lease_owner = NULL, lease_expires_at = NULL \
         WHERE t.id = ANY($1) AND t.status = 'in_progress' RETURNING t.id) \
         SELECT count(*) FROM done WHERE {notify}",
        notify = notify_waiters_of!("SELECT id FROM done"),
    );
    crate::sql::query(db.keep(), &sql)
        .bind(ids)
        .execute(db.conn())
        .await
        .map_err(store_error)?;
    fail_dependents_of(db, ids).await?;
    Ok(())
}

/// After `parent` was reset for a retry: resets, level by level, every task that failed
/// only because of it (blocked again, attempts back to 0). One that also has another
/// failed parent stays failed and names that one instead, so that its retry resets it.
pub(crate) async fn reset_dependents_of(
    db: &mut impl Db,
    parent: TaskId,
) -> Result<(), StoreError> {
    let failed_only_by = "c.status = 'failed' AND c.cancelled_at IS NULL AND c.rejected_at IS NULL \
        AND c.error_message = 'Dependency ' || d.depends_on_task_id || ' failed'";
    let other_failed = "(SELECT o.depends_on_task_id FROM agent_task_dependencies o \
        JOIN agent_tasks op ON op.id = o.depends_on_task_id \
        WHERE o.task_id = c.id AND op.status = 'failed' ORDER BY op.id LIMIT 1)";
    let rename = format!(
        "UPDATE agent_tasks c SET error_message = 'Dependency ' || {other_failed} || ' failed' \
         FROM agent_task_dependencies d WHERE d.depends_on_task_id = ANY($1) AND d.task_id = c.id \
           AND {failed_only_by} AND {other_failed} IS NOT NULL"
    );
    let reset = format!(
        "UPDATE agent_tasks c SET status = 'pending', error_message = NULL, started_at = NULL, \
           completed_at = NULL, completed_by = NULL, attempts = 0, run_at = {blocked}, \
           lease_owner = NULL, \
           lease_expires_at = NULL \
         FROM agent_task_dependencies d WHERE d.depends_on_task_id = ANY($1) AND d.task_id = c.id \
           AND {failed_only_by} AND {other_failed} IS NULL RETURNING c.id",
        blocked = blocked!()
    );
    let mut level = vec![parent.0];
    while !level.is_empty() {
        crate::sql::query(db.keep(), &rename)
            .bind(&level)
            .execute(db.conn())
            .await
            .map_err(store_error)?;
        level = crate::sql::query_scalar(db.keep(), &reset)
            .bind(&level)
            .fetch_all(db.conn())
            .await
            .map_err(store_error)?;
    }
    Ok(())
}

/// The edges of `tenant`'s tasks `ids`, both ways: their parents (with each one's state)
/// and their dependents.
pub(crate) async fn edges(
    db: &mut impl Db,
    tenant: TenantId,
    ids: &[TaskId],
) -> Result<Vec<DependencyEdge>, StoreError> {
    let sql = format!(
        "SELECT d.task_id, d.depends_on_task_id, d.inputs, {TASK_STATE} AS parent_state \
         FROM agent_task_dependencies d JOIN agent_tasks t ON t.id = d.depends_on_task_id \
         WHERE t.tenant_id = $1 AND (d.task_id = ANY($2) OR d.depends_on_task_id = ANY($2)) \
         ORDER BY d.task_id, d.depends_on_task_id"
    );
    let rows = crate::sql::query(db.keep(), &sql)
        .bind(tenant.0)
        .bind(uuids(ids))
        .fetch_all(db.conn())
        .await
        .map_err(store_error)?;
    crate::rows::all(&rows, mappers::dependency_edge)
}
