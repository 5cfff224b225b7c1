//! The task queue's queries on SQLite: insert, read, list, claim, outcome writes, rescue,
//! stats. Batches go in as one JSON array read with `json_each`: one statement per batch.

use serde_json::{Value, json};
use sqlx::{Row, SqliteConnection, SqlitePool};
use uuid::Uuid;
use zora_core::stats::{MinuteCount, QueueStats, Scope, StatusGroup};
use zora_core::{
    ClaimRequest, ClaimScope, Completion, Failure, Lease, NewTask, Page, Paginated, RescuePolicy,
    StoreError, Task, TaskFilter, TaskId, TaskState, TaskStatus, TenantId, sort_in_claim_order,
};

use crate::dependencies::{self, blocked};
use crate::error::store_error;
use crate::rows::{
    self, CLAIMED_COLUMNS, LOCKED_COLUMNS, STATE_COLUMN, TASK_COLUMNS, TASK_ROW, TASK_STATE,
};
use crate::values::{NOW, now_plus, seconds_modifier, timestamp};

/// A task may be claimed: not blocked by the marker `run_at` (a parent not completed: the
/// claim index leaves such rows out), not cancelled, not rejected, approved if it needs
/// approval, every dependency completed (also for edges written by hand, without the
/// marker). `pending` and `run_at` are checked beside it. The first and third conditions
/// are `idx_agent_tasks_claimable`'s, written as it has them, so that SQLite may use it.
const RUNNABLE: &str = concat!(
    "t.run_at < ",
    blocked!(),
    " AND t.cancelled_at IS NULL AND t.rejected_at IS NULL \
    AND (t.requires_approval = 0 OR t.approved_at IS NOT NULL) \
    AND NOT EXISTS (SELECT 1 FROM agent_task_dependencies d \
        JOIN agent_tasks p ON p.id = d.depends_on_task_id \
        WHERE d.task_id = t.id AND p.status <> 'completed')"
);

use zora_store_sql::QUEUE_ORDER as CLAIM_ORDER;

fn uuid_text(id: TaskId) -> String {
    id.to_string()
}

pub(crate) async fn get<'c>(
    conn: impl sqlx::SqliteExecutor<'c>,
    tenant: TenantId,
    id: TaskId,
) -> Result<Option<Task>, StoreError> {
    let sql =
        format!("SELECT {TASK_COLUMNS} FROM agent_tasks t WHERE t.tenant_id = ?1 AND t.id = ?2");
    let row = sqlx::query(&sql)
        .bind(tenant.to_string())
        .bind(uuid_text(id))
        .fetch_optional(conn)
        .await
        .map_err(store_error)?;
    row.as_ref().map(rows::task).transpose()
}

pub(crate) async fn get_with_links(
    pool: &SqlitePool,
    tenant: TenantId,
    id: TaskId,
) -> Result<Option<(Task, zora_core::dependency::TaskLinks)>, StoreError> {
    // The parent's state is the shared expression over its own, unaliased `agent_tasks`.
    let sql = format!(
        "SELECT {TASK_COLUMNS}, \
           (SELECT json_group_array(json_object('task_id', d.depends_on_task_id, \
               'state', (SELECT {TASK_STATE} FROM agent_tasks WHERE agent_tasks.id = d.depends_on_task_id), \
               'inputs', json(d.inputs))) \
             FROM (SELECT * FROM agent_task_dependencies WHERE task_id = t.id \
               ORDER BY depends_on_task_id) d) AS depends_on, \
           (SELECT json_group_array(task_id) FROM (SELECT task_id FROM agent_task_dependencies \
             WHERE depends_on_task_id = t.id ORDER BY task_id)) AS dependents \
         FROM agent_tasks t WHERE t.tenant_id = ?1 AND t.id = ?2"
    );
    let row = sqlx::query(&sql)
        .bind(tenant.to_string())
        .bind(uuid_text(id))
        .fetch_optional(pool)
        .await
        .map_err(store_error)?;
    row.as_ref()
        .map(|r| zora_store_sql::mappers::task_with_links(r).map_err(store_error))
        .transpose()
}

pub(crate) async fn get_by_idempotency_key(
    pool: &SqlitePool,
    tenant: TenantId,
    key: &str,
) -> Result<Option<Task>, StoreError> {
    let sql = format!(
        "SELECT {TASK_COLUMNS} FROM agent_tasks t WHERE t.tenant_id = ?1 AND t.idempotency_key = ?2"
    );
    let row = sqlx::query(&sql)
        .bind(tenant.to_string())
        .bind(key)
        .fetch_optional(pool)
        .await
        .map_err(store_error)?;
    row.as_ref().map(rows::task).transpose()
}

pub(crate) async fn of_command(
    pool: &SqlitePool,
    tenant: TenantId,
    command: zora_core::CommandId,
) -> Result<Vec<Task>, StoreError> {
    let sql = format!(
        "SELECT {TASK_COLUMNS} FROM agent_tasks t WHERE t.tenant_id = ?1 \
           AND (t.command_id = ?2 OR t.payload ->> '$.source_command_id' = ?2) \
         ORDER BY t.created_at ASC, t.id ASC"
    );
    let found = sqlx::query(&sql)
        .bind(tenant.to_string())
        .bind(command.to_string())
        .fetch_all(pool)
        .await
        .map_err(store_error)?;
    found.iter().map(rows::task).collect()
}

/// The listing's filters. With `states`, `?8` the states as a JSON array, each compared
/// with the same expression the rows' `state` column is; without, no row computes it, and
/// `?8` is still named (as always true) so that both forms bind alike.
fn list_filter(states: bool) -> String {
    let state = if states {
        format!("({TASK_STATE}) IN (SELECT value FROM json_each(?8))")
    } else {
        "?8 IS NOT NULL".to_owned()
    };
    format!(
        "t.tenant_id = ?1 \
         AND (?2 IS NULL OR t.status = ?2) \
         AND (?3 IS NULL OR upper(t.agent_id) = upper(?3)) \
         AND (?4 IS NULL OR t.task_type = ?4) \
         AND (?5 IS NULL OR t.command_id = ?5) \
         AND (?9 IS NULL OR instr(lower(t.title), lower(?9)) > 0) \
         AND {state}"
    )
}

pub(crate) async fn list(
    pool: &SqlitePool,
    tenant: TenantId,
    filter: &TaskFilter,
    page: Page,
) -> Result<Paginated<Task>, StoreError> {
    let status = filter.status.map(TaskStatus::as_str);
    let command = filter.command_id.map(|c| c.to_string());
    let states =
        Value::from(filter.states.iter().map(|s| s.as_str()).collect::<Vec<_>>()).to_string();
    let conditions = list_filter(!filter.states.is_empty());
    // The page first, then its rows' states: SQLite computes a sorted query's columns for
    // every row it sorts, and a state costs a look at the task's parents.
    let sql = format!(
        "SELECT *, {STATE_COLUMN} FROM (SELECT {TASK_ROW} FROM agent_tasks t WHERE {conditions} \
           ORDER BY {order} LIMIT ?6 OFFSET ?7) AS t \
         ORDER BY {order}",
        order = zora_store_sql::list_order(filter.order)
    );
    let items = sqlx::query(&sql)
        .bind(tenant.to_string())
        .bind(status)
        .bind(&filter.agent_id)
        .bind(&filter.task_type)
        .bind(&command)
        .bind(i64::from(page.limit))
        .bind(i64::try_from(page.offset).unwrap_or(i64::MAX))
        .bind(&states)
        .bind(&filter.title_contains)
        .fetch_all(pool)
        .await
        .map_err(store_error)?;
    // The same nine binds; the page's two are unused here.
    let count_sql = format!("SELECT count(*) FROM agent_tasks t WHERE {conditions}");
    let total: i64 = sqlx::query_scalar(&count_sql)
        .bind(tenant.to_string())
        .bind(status)
        .bind(&filter.agent_id)
        .bind(&filter.task_type)
        .bind(&command)
        .bind(i64::from(page.limit))
        .bind(i64::try_from(page.offset).unwrap_or(i64::MAX))
        .bind(&states)
        .bind(&filter.title_contains)
        .fetch_one(pool)
        .await
        .map_err(store_error)?;
    Ok(Paginated {
        items: items.iter().map(rows::task).collect::<Result<_, _>>()?,
        page,
        total: u64::try_from(total).unwrap_or_default(),
    })
}

/// How many of `tenant`'s tasks are in each state.
pub(crate) async fn count_states(
    pool: &SqlitePool,
    tenant: TenantId,
) -> Result<Vec<(TaskState, u64)>, StoreError> {
    let sql = format!(
        "SELECT state, count(*) FROM (SELECT {TASK_STATE} AS state FROM agent_tasks t \
           WHERE t.tenant_id = ?1) GROUP BY state"
    );
    let rows: Vec<(String, i64)> = sqlx::query_as(&sql)
        .bind(tenant.to_string())
        .fetch_all(pool)
        .await
        .map_err(store_error)?;
    zora_store_sql::mappers::state_counts(rows).map_err(store_error)
}

/// The claim statement for one tenant (binds owner, lease modifier, tenant, types as
/// JSON, limit) or across tenants (owner, lease modifier, types, per-tenant cap, limit).
fn claim_sql(all_tenants: bool) -> String {
    format!(
        "UPDATE agent_tasks SET status = 'in_progress', started_at = {NOW}, attempts = attempts + 1, \
           lease_owner = ?1, lease_expires_at = {lease_end}, updated_at = {NOW} \
         WHERE id IN ({chosen}) RETURNING {CLAIMED_COLUMNS}",
        chosen = chosen_sql(all_tenants),
        lease_end = now_plus("?2")
    )
}

/// The claim of [`claim_sql`] for a transaction that holds the rows by holding SQLite's
/// one write lock (`claim_locked`): the same choice, then the rows read, not written. The
/// owner and lease (`?1`, `?2`) are bound but unused, so that both statements bind alike.
fn claim_locked_sql(all_tenants: bool) -> String {
    format!(
        "SELECT {LOCKED_COLUMNS} FROM agent_tasks WHERE id IN ({chosen})",
        chosen = chosen_sql(all_tenants)
    )
}

/// The ids a claim takes, in a statement of their own.
fn chosen_sql(all_tenants: bool) -> String {
    if all_tenants {
        // Fair across tenants: walk the tenants that have pending work (a skip scan of the
        // pending-only index, named: without statistics SQLite would scan every pending
        // row), take up to `limit` (?5) of each one's runnable tasks in claim order (walking
        // `idx_agent_tasks_claimable`, which tests `run_at` on the index entry; once), keep each
        // one's share, then the best `limit` of those. A share is `limit` split evenly
        // among the tenants with runnable work (a due task of a claimed type, not blocked:
        // a tenant whose pending rows are all legacy types or not yet due does not count),
        // but never less than `per_tenant_cap` (?4): one tenant alone fills the batch, many
        // each get the cap.
        format!(
            "WITH RECURSIVE tenants(tenant_id) AS ( \
               SELECT min(tenant_id) FROM agent_tasks INDEXED BY idx_agent_tasks_pending_priority \
                 WHERE status = 'pending' \
               UNION ALL \
               SELECT (SELECT min(x.tenant_id) FROM agent_tasks x \
                   INDEXED BY idx_agent_tasks_pending_priority \
                   WHERE x.status = 'pending' AND x.tenant_id > tenants.tenant_id) \
               FROM tenants WHERE tenants.tenant_id IS NOT NULL), \
             candidates AS MATERIALIZED (SELECT j.id, j.tenant_id, j.priority, j.created_at, \
                 row_number() OVER (PARTITION BY j.tenant_id \
                   ORDER BY j.priority DESC, j.created_at, j.id) AS rank \
               FROM tenants JOIN agent_tasks j ON j.id IN ( \
                 SELECT t.id FROM agent_tasks t INDEXED BY idx_agent_tasks_claimable \
                 WHERE t.tenant_id = tenants.tenant_id AND t.status = 'pending' AND t.run_at <= {NOW} \
                   AND t.task_type IN (SELECT value FROM json_each(?3)) AND {RUNNABLE} \
                 ORDER BY {CLAIM_ORDER} LIMIT ?5) \
               WHERE tenants.tenant_id IS NOT NULL), \
             share(n) AS (SELECT max(?4, (?5 + count(DISTINCT tenant_id) - 1) \
               / max(count(DISTINCT tenant_id), 1)) FROM candidates) \
             SELECT id FROM candidates WHERE rank <= (SELECT n FROM share) \
             ORDER BY priority DESC, created_at, id LIMIT ?5"
        )
    } else {
        format!(
            "SELECT t.id FROM agent_tasks t INDEXED BY idx_agent_tasks_claimable \
             WHERE t.tenant_id = ?3 AND t.status = 'pending' AND t.run_at <= {NOW} \
               AND t.task_type IN (SELECT value FROM json_each(?4)) AND {RUNNABLE} \
             ORDER BY {CLAIM_ORDER} LIMIT ?5"
        )
    }
}

pub(crate) async fn claim(
    writer: &SqlitePool,
    request: &ClaimRequest,
) -> Result<Vec<Task>, StoreError> {
    claim_with(writer, request, claim_sql).await
}

/// Runs the claim statement `sql` builds for `request`.
async fn claim_with<'c>(
    conn: impl sqlx::SqliteExecutor<'c>,
    request: &ClaimRequest,
    sql: fn(bool) -> String,
) -> Result<Vec<Task>, StoreError> {
    if request.limit == 0 || request.task_types.is_empty() {
        return Ok(Vec::new());
    }
    let lease = seconds_modifier(request.lease_duration);
    let types = Value::from(request.task_types.clone()).to_string();
    let limit = i64::from(request.limit);
    let sql = sql(matches!(request.scope, ClaimScope::AllTenants { .. }));
    let query = sqlx::query(&sql).bind(&request.owner).bind(lease);
    let query = match &request.scope {
        ClaimScope::Tenant(tenant) => query.bind(tenant.to_string()).bind(types).bind(limit),
        ClaimScope::AllTenants { per_tenant_cap } => query
            .bind(types)
            .bind(i64::from((*per_tenant_cap).max(1)))
            .bind(limit),
    };
    let rows = query.fetch_all(conn).await.map_err(store_error)?;
    let mut tasks = rows.iter().map(rows::task).collect::<Result<Vec<_>, _>>()?;
    sort_in_claim_order(&mut tasks);
    Ok(tasks)
}

pub(crate) async fn claim_by_id(
    writer: &SqlitePool,
    tenant: TenantId,
    id: TaskId,
    owner: &str,
    lease_duration: std::time::Duration,
) -> Result<Option<Task>, StoreError> {
    let reason = "'lease held by ' || lease_owner || ' expired at ' || lease_expires_at";
    let sql = format!(
        "UPDATE agent_tasks SET status = 'in_progress', started_at = {NOW}, attempts = attempts + 1, \
           lease_owner = ?3, lease_expires_at = {lease_end}, updated_at = {NOW}, \
           errors = CASE WHEN status = 'in_progress' THEN json_insert(errors, '$[#]', json_object( \
             'attempt', attempts, 'at', {NOW}, 'kind', 'lease_expired', 'error', {reason}, \
             'worker', lease_owner)) ELSE errors END \
         WHERE id IN (SELECT t.id FROM agent_tasks t WHERE t.tenant_id = ?1 AND t.id = ?2 \
           AND ((t.status = 'pending' AND {RUNNABLE}) \
             OR (t.status = 'in_progress' AND t.lease_owner IS NOT NULL AND t.lease_expires_at < {NOW}))) \
         RETURNING {CLAIMED_COLUMNS}",
        lease_end = now_plus("?4")
    );
    let row = sqlx::query(&sql)
        .bind(tenant.to_string())
        .bind(id.to_string())
        .bind(owner)
        .bind(seconds_modifier(lease_duration))
        .fetch_optional(writer)
        .await
        .map_err(store_error)?;
    row.as_ref().map(rows::task).transpose()
}

/// Takes back expired leases; the tasks it fails for good fail their dependents in the
/// same transaction. Returns the tasks rescued and the dependents failed. The index is
/// named: statistics gathered while every row was pending say `status` has one value, and
/// SQLite then walks the primary key for the `ORDER BY id`, through the whole table,
/// holding the one writer (5 s a rescue beside a million queued tasks; `zora bench --soak`).
pub(crate) async fn rescue_expired(
    conn: &mut SqliteConnection,
    policy: RescuePolicy,
    limit: u32,
) -> Result<(Vec<Task>, Vec<TaskId>), StoreError> {
    // The attempts lost since the task last started over, in the window
    // `Task::lost_attempts` counts (the last `attempts` records, less the running one),
    // and this one.
    let lost = "(1 + (SELECT count(*) FROM json_each(agent_tasks.errors) e \
        WHERE json_extract(e.value, '$.kind') = 'lease_expired' \
          AND e.key >= json_array_length(agent_tasks.errors) - (agent_tasks.attempts - 1)))";
    let exhausted = format!("(cancelled_at IS NOT NULL OR {lost} >= ?1)");
    let reason = "'lease held by ' || lease_owner || ' expired at ' || lease_expires_at";
    let sql = format!(
        "UPDATE agent_tasks SET \
           status = CASE WHEN {exhausted} THEN 'failed' ELSE 'pending' END, \
           completed_at = CASE WHEN {exhausted} THEN {NOW} END, \
           error_message = CASE WHEN cancelled_at IS NOT NULL THEN error_message WHEN {exhausted} \
             THEN printf('{lost_too_often}', {lost}, {reason}) ELSE error_message END, \
           run_at = CASE WHEN {exhausted} THEN run_at ELSE {NOW} END, \
           errors = json_insert(errors, '$[#]', json_object('attempt', attempts, 'at', {NOW}, \
             'kind', 'lease_expired', 'error', {reason}, 'worker', lease_owner)), \
           lease_owner = NULL, lease_expires_at = NULL, updated_at = {NOW} \
         WHERE id IN (SELECT id FROM agent_tasks INDEXED BY idx_agent_tasks_status \
           WHERE status = 'in_progress' \
           AND lease_owner IS NOT NULL AND lease_expires_at < {NOW} ORDER BY id LIMIT ?2) \
         RETURNING {TASK_COLUMNS}",
        lost_too_often = zora_store_sql::LOST_TOO_OFTEN,
    );
    let rows = sqlx::query(&sql)
        .bind(policy.max_lost_attempts)
        .bind(i64::from(limit))
        .fetch_all(&mut *conn)
        .await
        .map_err(store_error)?;
    let rescued: Vec<Task> = rows.iter().map(rows::task).collect::<Result<_, _>>()?;
    let failed: Vec<TaskId> = rescued
        .iter()
        .filter(|t| t.status == TaskStatus::Failed)
        .map(|t| t.id)
        .collect();
    let dependents = dependencies::fail_dependents_of(conn, &failed).await?;
    Ok((rescued, dependents.into_iter().map(|d| d.id).collect()))
}

pub(crate) async fn stats(pool: &SqlitePool, scope: Scope) -> Result<QueueStats, StoreError> {
    let tenant = scope_filter(scope);
    let hour_ago = now_plus("'-3600 seconds'");
    let groups: Vec<(String, String, i64, i64)> = sqlx::query_as(&format!(
        "SELECT task_type, status, count(*) AS n, \
           count(*) FILTER (WHERE completed_at >= {hour_ago}) AS recent \
         FROM agent_tasks WHERE {tenant} GROUP BY task_type, status"
    ))
    .bind(scope.tenant().map(|t| t.to_string()))
    .fetch_all(pool)
    .await
    .map_err(store_error)?;
    // The oldest due task read from the pending-only index (named: SQLite would read every
    // pending row from the table through `idx_agent_tasks_status`).
    let sql = format!(
        "SELECT \
           (SELECT (julianday('now') - julianday(min(created_at))) * 86400.0 \
             FROM agent_tasks INDEXED BY idx_agent_tasks_claimable \
             WHERE {tenant} AND status = 'pending' AND run_at <= {NOW} AND run_at < {blocked} \
               AND (requires_approval = 0 OR approved_at IS NOT NULL)) AS oldest, \
           (SELECT count(*) FROM agent_tasks INDEXED BY idx_agent_tasks_status \
             WHERE {tenant} AND status = 'in_progress' AND lease_owner IS NULL) AS unleased",
        blocked = blocked!()
    );
    let row = sqlx::query(&sql)
        .bind(scope.tenant().map(|t| t.to_string()))
        .fetch_one(pool)
        .await
        .map_err(store_error)?;
    let oldest: Option<f64> = row.try_get("oldest").map_err(store_error)?;
    let unleased: i64 = row.try_get("unleased").map_err(store_error)?;
    Ok(QueueStats::from_groups(
        scope,
        groups.into_iter().map(StatusGroup::from_row),
        oldest,
        u64::try_from(unleased).unwrap_or_default(),
    ))
}

/// `tenant`'s tasks finished in each minute of the last hour (a minute is its stored
/// timestamp's first 16 characters, `YYYY-MM-DDTHH:MM`).
pub(crate) async fn finished_per_minute(
    pool: &SqlitePool,
    tenant: TenantId,
) -> Result<Vec<MinuteCount>, StoreError> {
    let since = "strftime('%Y-%m-%dT%H:%M', 'now', '-59 minutes')";
    let rows: Vec<(String, i64, i64)> = sqlx::query_as(&format!(
        "SELECT substr(completed_at, 1, 16) AS minute, \
           sum(status = 'completed'), sum(status = 'failed') \
         FROM agent_tasks INDEXED BY idx_agent_tasks_status \
         WHERE tenant_id = ?1 AND status IN ('completed', 'failed') AND completed_at >= {since} \
         GROUP BY 1 ORDER BY 1"
    ))
    .bind(tenant.to_string())
    .fetch_all(pool)
    .await
    .map_err(store_error)?;
    rows.into_iter()
        .map(|(minute, completed, failed)| {
            let start = zora_store_sql::sqlite::parse_timestamp(&format!("{minute}:00.000Z"))
                .map_err(|e| store_error(zora_store_sql::decode_error("completed_at", e)))?;
            Ok(MinuteCount::from_row((start, completed, failed)))
        })
        .collect()
}

/// The condition on `tenant_id` for a scope bound as `?1` (`NULL` for every tenant).
fn scope_filter(scope: Scope) -> &'static str {
    match scope {
        Scope::Tenant(_) => "tenant_id = ?1",
        Scope::AllTenants => "?1 IS NULL",
    }
}

pub(crate) async fn insert(
    conn: &mut SqliteConnection,
    task: &NewTask,
) -> Result<Task, StoreError> {
    let sql = format!(
        "INSERT INTO agent_tasks (id, tenant_id, command_id, agent_id, task_type, priority, title, \
           description, payload, created_by_user_id, run_at, max_attempts, idempotency_key, requires_approval) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, (SELECT u.id FROM users u WHERE u.id = ?10), \
           CASE WHEN ?15 THEN {blocked} ELSE COALESCE(?11, {NOW}) END, ?12, ?13, ?14) \
         RETURNING {TASK_COLUMNS}",
        blocked = blocked!()
    );
    let row = sqlx::query(&sql)
        .bind(task.id.to_string())
        .bind(task.tenant_id.to_string())
        .bind(task.command_id.map(|c| c.to_string()))
        .bind(&task.agent_id)
        .bind(&task.task_type)
        .bind(task.priority)
        .bind(&task.title)
        .bind(&task.description)
        .bind(task.payload.to_string())
        .bind(task.created_by_user_id.map(|u| u.to_string()))
        .bind(task.run_at.map(timestamp))
        .bind(task.max_attempts)
        .bind(&task.idempotency_key)
        .bind(task.requires_approval)
        .bind(!task.depends_on.is_empty())
        .fetch_one(&mut *conn)
        .await
        .map_err(store_error)?;
    let stored = rows::task(&row)?;
    if task.depends_on.is_empty() {
        return Ok(stored);
    }
    dependencies::insert_edges(conn, stored.id, &task.depends_on).await?;
    get(&mut *conn, task.tenant_id, stored.id)
        .await?
        .ok_or_else(|| StoreError::Other("a task just inserted is gone".into()))
}

pub(crate) async fn reset_failed(
    conn: &mut SqliteConnection,
    tenant: TenantId,
    id: TaskId,
) -> Result<Option<Task>, StoreError> {
    let sql = format!(
        "UPDATE agent_tasks SET status = 'pending', error_message = NULL, started_at = NULL, \
           completed_at = NULL, completed_by = NULL, attempts = 0, lease_owner = NULL, lease_expires_at = NULL, \
           cancelled_at = NULL, updated_at = {NOW}, \
           run_at = CASE WHEN EXISTS (SELECT 1 FROM agent_task_dependencies d JOIN agent_tasks p \
             ON p.id = d.depends_on_task_id WHERE d.task_id = agent_tasks.id AND p.status <> 'completed') \
             THEN {blocked} ELSE {NOW} END \
         WHERE tenant_id = ?1 AND id = ?2 AND status = 'failed' RETURNING {TASK_COLUMNS}",
        blocked = blocked!()
    );
    let row = sqlx::query(&sql)
        .bind(tenant.to_string())
        .bind(uuid_text(id))
        .fetch_optional(&mut *conn)
        .await
        .map_err(store_error)?;
    let Some(task) = row.as_ref().map(rows::task).transpose()? else {
        return Ok(None);
    };
    dependencies::reset_dependents_of(conn, task.id).await?;
    Ok(Some(task))
}

/// Cancels a task; returns it and the dependents its cancellation failed.
pub(crate) async fn cancel(
    conn: &mut SqliteConnection,
    tenant: TenantId,
    id: TaskId,
    message: &str,
) -> Result<Option<(Task, Vec<TaskId>)>, StoreError> {
    let sql = format!(
        "UPDATE agent_tasks SET cancelled_at = {NOW}, error_message = ?3, updated_at = {NOW}, \
           status = CASE WHEN status = 'pending' THEN 'failed' ELSE status END, \
           completed_at = CASE WHEN status = 'pending' THEN {NOW} ELSE completed_at END \
         WHERE tenant_id = ?1 AND id = ?2 AND cancelled_at IS NULL \
           AND (status = 'pending' OR (status = 'in_progress' AND lease_owner IS NOT NULL)) \
         RETURNING {TASK_COLUMNS}"
    );
    let row = sqlx::query(&sql)
        .bind(tenant.to_string())
        .bind(uuid_text(id))
        .bind(message)
        .fetch_optional(&mut *conn)
        .await
        .map_err(store_error)?;
    let Some(task) = row.as_ref().map(rows::task).transpose()? else {
        return Ok(None);
    };
    let mut finished = Vec::new();
    if task.status == TaskStatus::Failed {
        finished.push(task.id);
        let failed = dependencies::fail_dependents_of(conn, &[task.id]).await?;
        finished.extend(failed.iter().map(|d| d.id));
    }
    Ok(Some((task, finished)))
}

pub(crate) async fn make_due(
    conn: &mut SqliteConnection,
    tenant: TenantId,
    id: TaskId,
) -> Result<Option<Task>, StoreError> {
    // Only a task due later is written: one already due is left untouched.
    let update = format!(
        "UPDATE agent_tasks SET run_at = {NOW}, updated_at = {NOW} \
         WHERE tenant_id = ?1 AND id = ?2 AND status = 'pending' AND run_at > {NOW} \
           AND run_at < {blocked} RETURNING {TASK_COLUMNS}",
        blocked = blocked!()
    );
    let found = sqlx::query(&update)
        .bind(tenant.to_string())
        .bind(uuid_text(id))
        .fetch_optional(&mut *conn)
        .await
        .map_err(store_error)?;
    if let Some(row) = found {
        return rows::task(&row).map(Some);
    }
    let select = format!(
        "SELECT {TASK_COLUMNS} FROM agent_tasks t WHERE t.tenant_id = ?1 AND t.id = ?2 AND t.status = 'pending'"
    );
    let row = sqlx::query(&select)
        .bind(tenant.to_string())
        .bind(uuid_text(id))
        .fetch_optional(conn)
        .await
        .map_err(store_error)?;
    row.as_ref().map(rows::task).transpose()
}

fn lease_json(lease: &Lease) -> Value {
    json!({
        "id": lease.task_id.to_string(),
        "owner": lease.owner,
        "attempt": lease.attempt,
        "locked": lease.locked,
    })
}

fn task_ids(ids: Vec<String>) -> Result<Vec<TaskId>, StoreError> {
    ids.iter()
        .map(|id| Uuid::parse_str(id).map(TaskId))
        .collect::<Result<_, _>>()
        .map_err(|e| StoreError::Other(format!("a task id is not a uuid: {e}")))
}

/// Lease columns read from one element of the `json_each` batch.
const LEASE_MATCH: &str = "agent_tasks.id = b.value ->> '$.id' AND agent_tasks.status = 'in_progress' \
    AND agent_tasks.lease_owner = b.value ->> '$.owner' AND agent_tasks.attempts = b.value ->> '$.attempt'";

/// The outcome condition: [`LEASE_MATCH`], or for a task this transaction claimed by
/// holding the write lock (`$.locked`), still `pending` at the attempt before its own.
const HOLD_MATCH: &str = "agent_tasks.id = b.value ->> '$.id' AND CASE WHEN b.value ->> '$.locked' \
    THEN agent_tasks.status = 'pending' AND agent_tasks.attempts = (b.value ->> '$.attempt') - 1 \
    ELSE agent_tasks.status = 'in_progress' AND agent_tasks.lease_owner = b.value ->> '$.owner' \
      AND agent_tasks.attempts = b.value ->> '$.attempt' END";

/// For an outcome write: the attempt a locked task makes is charged, and it started now.
fn charge_locked() -> String {
    format!(
        "attempts = attempts + (b.value ->> '$.locked'), \
         started_at = CASE WHEN b.value ->> '$.locked' THEN {NOW} ELSE started_at END"
    )
}

pub(crate) async fn lock_leased(
    conn: &mut SqliteConnection,
    leases: &[Lease],
) -> Result<(Vec<TaskId>, Vec<TaskId>), StoreError> {
    // The transaction already holds SQLite's write lock (BEGIN IMMEDIATE): reading which
    // leases still hold is enough to keep them until commit. Those cancelled meanwhile are
    // finished here; returns the ids held and those finished so.
    let batch = Value::from(leases.iter().map(lease_json).collect::<Vec<_>>()).to_string();
    let rows: Vec<(String, bool)> = sqlx::query_as(&format!(
        "SELECT agent_tasks.id, agent_tasks.cancelled_at IS NOT NULL FROM agent_tasks \
         JOIN json_each(?1) b ON {LEASE_MATCH} ORDER BY agent_tasks.id"
    ))
    .bind(batch)
    .fetch_all(&mut *conn)
    .await
    .map_err(store_error)?;
    let (cancelled, held): (Vec<_>, Vec<_>) = rows.into_iter().partition(|(_, c)| *c);
    let cancelled = task_ids(cancelled.into_iter().map(|(id, _)| id).collect())?;
    let mut finished = Vec::new();
    if !cancelled.is_empty() {
        finished = dependencies::finish_cancelled(conn, &cancelled).await?;
    }
    Ok((
        task_ids(held.into_iter().map(|(id, _)| id).collect())?,
        finished,
    ))
}

/// Writes `set` to every task of `batch` still held as `held` says ([`LEASE_MATCH`] or
/// [`HOLD_MATCH`]; one JSON object per lease, with the fields `set` reads as
/// `b.value ->> '$.field'`) in one statement; returns the ids written.
async fn update_leased<'c>(
    conn: impl sqlx::SqliteExecutor<'c>,
    set: &str,
    held: &str,
    batch: Vec<Value>,
) -> Result<Vec<TaskId>, StoreError> {
    let ids: Vec<String> = sqlx::query_scalar(&format!(
        "UPDATE agent_tasks SET {set}, updated_at = {NOW} \
         FROM json_each(?1) AS b WHERE {held} RETURNING id"
    ))
    .bind(Value::from(batch).to_string())
    .fetch_all(conn)
    .await
    .map_err(store_error)?;
    task_ids(ids)
}

/// Moves the expiry of the leases still held to `lease_duration` from now (a heartbeat).
pub(crate) async fn extend_leases(
    writer: &SqlitePool,
    leases: &[Lease],
    lease_duration: std::time::Duration,
) -> Result<Vec<TaskId>, StoreError> {
    let lease = seconds_modifier(lease_duration);
    let batch = leases
        .iter()
        .map(|l| {
            let mut item = lease_json(l);
            item["lease"] = Value::from(lease.as_str());
            item
        })
        .collect();
    let set = format!("lease_expires_at = {}", now_plus("b.value ->> '$.lease'"));
    let held = format!("{LEASE_MATCH} AND agent_tasks.cancelled_at IS NULL");
    update_leased(writer, &set, &held, batch).await
}

pub(crate) async fn release(
    conn: &mut SqliteConnection,
    leases: &[Lease],
) -> Result<Vec<TaskId>, StoreError> {
    let set = "status = 'pending', attempts = max(attempts - 1, 0), started_at = NULL, \
        lease_owner = NULL, lease_expires_at = NULL";
    update_leased(
        conn,
        set,
        LEASE_MATCH,
        leases.iter().map(lease_json).collect(),
    )
    .await
}

/// Writes the completions; returns the ids written and how many dependents that released.
pub(crate) async fn complete(
    conn: &mut SqliteConnection,
    completions: &[Completion],
) -> Result<(Vec<TaskId>, u64), StoreError> {
    let batch = completions
        .iter()
        .map(|c| {
            let mut item = lease_json(&c.lease);
            item["result"] = c.result.clone();
            item["summary"] = Value::from(c.summary.as_str());
            item
        })
        .collect();
    let set = format!(
        "status = 'completed', result = b.value -> '$.result', \
         result_summary = b.value ->> '$.summary', error_message = NULL, completed_at = {NOW}, \
         completed_by = b.value ->> '$.owner', lease_owner = NULL, lease_expires_at = NULL, {charge}",
        charge = charge_locked()
    );
    let completed = update_leased(&mut *conn, &set, HOLD_MATCH, batch).await?;
    let released = dependencies::release_dependents_of(conn, &completed).await?;
    Ok((completed, released))
}

pub(crate) async fn fail(
    conn: &mut SqliteConnection,
    failures: &[Failure],
) -> Result<FailWrite, StoreError> {
    let batch = failures
        .iter()
        .map(|f| {
            let mut item = lease_json(&f.lease);
            item["kind"] = Value::from(f.kind.as_str());
            item["message"] = Value::from(f.message.as_str());
            item["retry"] = f
                .retry_in
                .map_or(Value::Null, |d| Value::from(seconds_modifier(d)));
            item
        })
        .collect();
    let retry = "b.value ->> '$.retry'";
    let set = format!(
        "status = CASE WHEN {retry} IS NULL THEN 'failed' ELSE 'pending' END, \
         error_message = b.value ->> '$.message', \
         completed_at = CASE WHEN {retry} IS NULL THEN {NOW} END, \
         run_at = CASE WHEN {retry} IS NULL THEN run_at ELSE {retry_at} END, \
         lease_owner = NULL, lease_expires_at = NULL, {charge}, \
         errors = json_insert(errors, '$[#]', json_object( \
           'attempt', attempts + (b.value ->> '$.locked'), 'at', {NOW}, \
           'kind', b.value ->> '$.kind', 'error', b.value ->> '$.message', \
           'worker', b.value ->> '$.owner'))",
        retry_at = now_plus(retry),
        charge = charge_locked()
    );
    let written = update_leased(&mut *conn, &set, HOLD_MATCH, batch).await?;
    let failed: Vec<TaskId> = failures
        .iter()
        .filter(|f| f.retry_in.is_none() && written.contains(&f.lease.task_id))
        .map(|f| f.lease.task_id)
        .collect();
    let dependents = dependencies::fail_dependents_of(conn, &failed).await?;
    Ok(FailWrite {
        written,
        dependents,
    })
}

/// What [`fail`] wrote: the failures recorded, and the dependents failed with them.
pub(crate) struct FailWrite {
    pub(crate) written: Vec<TaskId>,
    pub(crate) dependents: Vec<zora_core::dependency::FailedDependent>,
}

/// The task writes, each noting for the store's hubs what it made runnable or finished.
#[zora_store_sql::async_trait]
impl zora_core::QueueTx for crate::tx::SqliteTx {
    async fn lock_parents(
        &mut self,
        tenant: TenantId,
        ids: &[TaskId],
    ) -> Result<Vec<zora_core::dependency::ParentRow>, StoreError> {
        dependencies::lock_parents(self.write().await?, tenant, ids).await
    }
    async fn insert_task(&mut self, task: &NewTask) -> Result<Task, StoreError> {
        let task = insert(self.write().await?, task).await?;
        self.note_runnable(Some(&task));
        Ok(task)
    }
    async fn reset_failed_task(
        &mut self,
        tenant: TenantId,
        id: TaskId,
    ) -> Result<Option<Task>, StoreError> {
        let task = reset_failed(self.write().await?, tenant, id).await?;
        self.note_runnable(task.as_ref());
        Ok(task)
    }
    async fn make_task_due(
        &mut self,
        tenant: TenantId,
        id: TaskId,
    ) -> Result<Option<Task>, StoreError> {
        let task = make_due(self.write().await?, tenant, id).await?;
        self.note_runnable(task.as_ref());
        Ok(task)
    }
    async fn cancel_task(
        &mut self,
        tenant: TenantId,
        id: TaskId,
        message: &str,
    ) -> Result<Option<Task>, StoreError> {
        let Some((task, finished)) = cancel(self.write().await?, tenant, id, message).await? else {
            return Ok(None);
        };
        self.note_finished(&finished);
        Ok(Some(task))
    }
    async fn decide_task(
        &mut self,
        tenant: TenantId,
        id: TaskId,
        decision: &zora_core::Decision,
    ) -> Result<Option<Task>, StoreError> {
        let decided = crate::approvals::decide(self.write().await?, tenant, id, decision).await?;
        let Some((task, finished)) = decided else {
            return Ok(None);
        };
        self.note_finished(&finished);
        self.note_runnable(Some(&task));
        Ok(Some(task))
    }
    async fn auto_execute_policy(
        &mut self,
        _tenant: TenantId,
        _task_type: &str,
    ) -> Result<Option<bool>, StoreError> {
        Ok(None)
    }
    async fn claim_locked(&mut self, request: &ClaimRequest) -> Result<Vec<Task>, StoreError> {
        claim_with(self.write().await?, request, claim_locked_sql).await
    }
    async fn lock_leased_tasks(&mut self, leases: &[Lease]) -> Result<Vec<TaskId>, StoreError> {
        let (held, finished) = lock_leased(self.read(), leases).await?;
        self.note_finished(&finished);
        Ok(held)
    }
    async fn complete_tasks(
        &mut self,
        completions: &[Completion],
    ) -> Result<Vec<TaskId>, StoreError> {
        let (completed, released) = complete(self.write().await?, completions).await?;
        self.note_finished(&completed);
        if released > 0 {
            self.note_due_in(std::time::Duration::ZERO);
        }
        Ok(completed)
    }
    async fn release_tasks(&mut self, leases: &[Lease]) -> Result<Vec<TaskId>, StoreError> {
        let released = release(self.write().await?, leases).await?;
        if !released.is_empty() {
            self.note_due_in(std::time::Duration::ZERO);
        }
        Ok(released)
    }
    async fn fail_tasks(&mut self, failures: &[Failure]) -> Result<Vec<TaskId>, StoreError> {
        let FailWrite {
            written: failed,
            dependents,
        } = fail(self.write().await?, failures).await?;
        let dependents: Vec<TaskId> = dependents.iter().map(|d| d.id).collect();
        self.note_finished(&dependents);
        for failure in failures
            .iter()
            .filter(|f| failed.contains(&f.lease.task_id))
        {
            match failure.retry_in {
                Some(retry_in) => self.note_due_in(retry_in),
                None => self.note_finished(&[failure.lease.task_id]),
            }
        }
        Ok(failed)
    }
}

impl crate::tx::SqliteTx {
    /// Notes when `task`, if it is runnable, is due.
    fn note_runnable(&mut self, task: Option<&Task>) {
        if let Some(due_in) = task.and_then(zora_store_sql::wakeups::due_in) {
            self.note_due_in(due_in);
        }
    }
}
