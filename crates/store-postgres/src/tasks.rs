//! The task queue's queries: insert, read, list, claim, outcome writes, rescue, stats.

use serde_json::Value;
use sqlx::Row;
use uuid::Uuid;
use zora_core::stats::{MinuteCount, QueueStats, Scope, StatusGroup};
use zora_core::{
    ClaimRequest, ClaimScope, Completion, Failure, Lease, NewTask, Page, Paginated, RescuePolicy,
    StoreError, Task, TaskFilter, TaskId, TaskState, TaskStatus, TenantId, sort_in_claim_order,
};

use crate::dependencies::{self, blocked};
use crate::error::store_error;
use crate::rows::{self, CLAIMED_COLUMNS, LOCKED_COLUMNS, TASK_COLUMNS, TASK_STATE};
use crate::sql::Db;
use crate::waiters::notify_waiters_of;

/// A task may be claimed: not blocked by the marker `run_at` (a parent not completed: the
/// claim index leaves such rows out), not cancelled, not rejected, approved if it needs
/// approval, every dependency completed (also for edges written by hand, without the
/// marker). `pending` and `run_at <= now()` are checked beside it. The first and third
/// conditions are `idx_agent_tasks_claimable`'s predicate, written as it is, so that the
/// planner can prove a claim may walk that index.
const RUNNABLE: &str = concat!(
    "t.run_at < ",
    blocked!(),
    " AND t.cancelled_at IS NULL AND t.rejected_at IS NULL \
    AND (NOT t.requires_approval OR t.approved_at IS NOT NULL) \
    AND NOT EXISTS (SELECT 1 FROM agent_task_dependencies d \
        JOIN agent_tasks p ON p.id = d.depends_on_task_id \
        WHERE d.task_id = t.id AND p.status <> 'completed')"
);

use zora_store_sql::QUEUE_ORDER as CLAIM_ORDER;

/// The order of `idx_agent_tasks_pending_priority` (pending rows only). The tenants' skip
/// scan orders by it so that no other index can serve it: by `tenant_id` alone the planner
/// may walk `idx_agent_tasks_tenant`, through every finished row of the tenant.
const PENDING_INDEX_ORDER: &str = "t.tenant_id, t.status, t.priority DESC, t.created_at";

pub(crate) fn millis(duration: std::time::Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

pub(crate) async fn get(
    db: &mut impl Db,
    tenant: TenantId,
    id: TaskId,
) -> Result<Option<Task>, StoreError> {
    let sql =
        format!("SELECT {TASK_COLUMNS} FROM agent_tasks t WHERE t.tenant_id = $1 AND t.id = $2");
    let row = crate::sql::query(db.keep(), &sql)
        .bind(tenant.0)
        .bind(id.0)
        .fetch_optional(db.conn())
        .await
        .map_err(store_error)?;
    row.as_ref().map(rows::task).transpose()
}

pub(crate) async fn get_with_links(
    db: &mut impl Db,
    tenant: TenantId,
    id: TaskId,
) -> Result<Option<(Task, zora_core::dependency::TaskLinks)>, StoreError> {
    // The parent's state is the shared expression over an alias `t` of its own.
    let sql = format!(
        "SELECT {TASK_COLUMNS}, \
           (SELECT COALESCE(json_agg(json_build_object('task_id', d.depends_on_task_id, \
               'state', (SELECT {TASK_STATE} FROM agent_tasks t WHERE t.id = d.depends_on_task_id), \
               'inputs', d.inputs) ORDER BY d.depends_on_task_id), '[]'::json) \
             FROM agent_task_dependencies d WHERE d.task_id = t.id) AS depends_on, \
           (SELECT COALESCE(json_agg(d.task_id ORDER BY d.task_id), '[]'::json) \
             FROM agent_task_dependencies d WHERE d.depends_on_task_id = t.id) AS dependents \
         FROM agent_tasks t WHERE t.tenant_id = $1 AND t.id = $2"
    );
    let row = crate::sql::query(db.keep(), &sql)
        .bind(tenant.0)
        .bind(id.0)
        .fetch_optional(db.conn())
        .await
        .map_err(store_error)?;
    row.as_ref()
        .map(|r| zora_store_sql::mappers::task_with_links(r).map_err(store_error))
        .transpose()
}

pub(crate) async fn get_by_idempotency_key(
    db: &mut impl Db,
    tenant: TenantId,
    key: &str,
) -> Result<Option<Task>, StoreError> {
    let sql = format!(
        "SELECT {TASK_COLUMNS} FROM agent_tasks t WHERE t.tenant_id = $1 AND t.idempotency_key = $2"
    );
    let row = crate::sql::query(db.keep(), &sql)
        .bind(tenant.0)
        .bind(key)
        .fetch_optional(db.conn())
        .await
        .map_err(store_error)?;
    row.as_ref().map(rows::task).transpose()
}

pub(crate) async fn of_command(
    db: &mut impl Db,
    tenant: TenantId,
    command: zora_core::CommandId,
) -> Result<Vec<Task>, StoreError> {
    let sql = format!(
        "SELECT {TASK_COLUMNS} FROM agent_tasks t WHERE t.tenant_id = $1 \
           AND (t.command_id = $2 OR t.payload->>'source_command_id' = $2::text) \
         ORDER BY t.created_at ASC, t.id ASC"
    );
    let found = crate::sql::query(db.keep(), &sql)
        .bind(tenant.0)
        .bind(command.0)
        .fetch_all(db.conn())
        .await
        .map_err(store_error)?;
    found.iter().map(rows::task).collect()
}

/// The listing's filters; with `states`, `$8` the states, each compared with the same
/// expression the rows' `state` column is (without, no row computes it to be compared).
fn list_filter(states: bool) -> String {
    let state = if states {
        format!(" AND ({TASK_STATE}) = ANY($8::text[])")
    } else {
        String::new()
    };
    format!(
        "t.tenant_id = $1 \
         AND ($2::text IS NULL OR t.status = $2::agent_task_status) \
         AND ($3::text IS NULL OR upper(t.agent_id) = upper($3)) \
         AND ($4::text IS NULL OR t.task_type = $4) \
         AND ($5::uuid IS NULL OR t.command_id = $5) \
         AND ($9::text IS NULL OR strpos(lower(t.title), lower($9)) > 0){state}"
    )
}

pub(crate) async fn list(
    db: &mut impl Db,
    tenant: TenantId,
    filter: &TaskFilter,
    page: Page,
) -> Result<Paginated<Task>, StoreError> {
    let status = filter.status.map(TaskStatus::as_str);
    let command = filter.command_id.map(|c| c.0);
    let states: Vec<&str> = filter.states.iter().map(|s| s.as_str()).collect();
    let conditions = list_filter(!states.is_empty());
    // Both statements bind the same nine (the count leaves the page's two unused; their
    // types are declared, as `claim_locked_sql`'s owner and lease are).
    let sql = format!(
        "SELECT {TASK_COLUMNS} FROM agent_tasks t WHERE {conditions} \
         ORDER BY {order} LIMIT $6 OFFSET $7",
        order = zora_store_sql::list_order(filter.order)
    );
    let items = crate::sql::query(db.keep(), &sql)
        .bind(tenant.0)
        .bind(status)
        .bind(&filter.agent_id)
        .bind(&filter.task_type)
        .bind(command)
        .bind(i64::from(page.limit))
        .bind(i64::try_from(page.offset).unwrap_or(i64::MAX))
        .bind(&states)
        .bind(&filter.title_contains)
        .fetch_all(db.conn())
        .await
        .map_err(store_error)?;
    let count_sql = format!("SELECT count(*) FROM agent_tasks t WHERE {conditions}");
    let total: i64 = crate::sql::query_scalar(db.keep(), &count_sql)
        .bind(tenant.0)
        .bind(status)
        .bind(&filter.agent_id)
        .bind(&filter.task_type)
        .bind(command)
        .bind(i64::from(page.limit))
        .bind(i64::try_from(page.offset).unwrap_or(i64::MAX))
        .bind(&states)
        .bind(&filter.title_contains)
        .fetch_one(db.conn())
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
    db: &mut impl Db,
    tenant: TenantId,
) -> Result<Vec<(TaskState, u64)>, StoreError> {
    let sql = format!(
        "SELECT state, count(*) FROM (SELECT {TASK_STATE} AS state FROM agent_tasks t \
           WHERE t.tenant_id = $1) AS s GROUP BY state"
    );
    let rows: Vec<(String, i64)> = crate::sql::query_as(db.keep(), &sql)
        .bind(tenant.0)
        .fetch_all(db.conn())
        .await
        .map_err(store_error)?;
    zora_store_sql::mappers::state_counts(rows).map_err(store_error)
}

/// Marks the chosen rows claimed. `$1` owner, `$2` lease in milliseconds.
const CLAIM_UPDATE: &str = "UPDATE agent_tasks t SET status = 'in_progress', started_at = now(), \
    attempts = t.attempts + 1, lease_owner = $1, \
    lease_expires_at = now() + $2 * interval '1 millisecond' \
    FROM chosen WHERE t.id = chosen.id";

/// The claim statement for one tenant (`per_tenant_cap: None`: binds owner, lease ms,
/// tenant, types) or across tenants (binds owner, lease ms, types). Public so that tests
/// and operators can `EXPLAIN` exactly what runs.
///
/// The limits are written into the statement, not bound: a prepared statement's generic
/// plan does not know a bound limit and then sorts every pending row (and joins the
/// update by a scan of the whole table), where a written one keeps it on the indexes. A
/// worker uses a handful of distinct limits, so the statement cache holds them all.
pub fn claim_sql(per_tenant_cap: Option<u32>, limit: u32) -> String {
    choose_then(
        per_tenant_cap,
        limit,
        &format!("{CLAIM_UPDATE} RETURNING {CLAIMED_COLUMNS}"),
    )
}

/// The claim of [`claim_sql`] for a transaction that holds the chosen rows by their lock
/// alone (`claim_locked`): the same choice, then the rows read, not written. The owner
/// and lease (`$1`, `$2`) are bound but unused (their types are declared), so that both
/// statements bind alike.
pub fn claim_locked_sql(per_tenant_cap: Option<u32>, limit: u32) -> String {
    choose_then(
        per_tenant_cap,
        limit,
        &format!("SELECT {LOCKED_COLUMNS} FROM agent_tasks t JOIN chosen ON t.id = chosen.id"),
    )
}

/// The claim's choice of rows (`chosen`, locked `FOR UPDATE SKIP LOCKED`), then `finish`.
fn choose_then(per_tenant_cap: Option<u32>, limit: u32, finish: &str) -> String {
    if let Some(cap) = per_tenant_cap {
        // Fair across tenants: walk the tenants that have pending work (a skip scan of the
        // pending-only index), take up to `limit` of each in claim order (locked, skipping
        // locked rows), keep each one's share, then the best `limit` of those. A share is
        // `limit` split evenly among the tenants with runnable work (a candidate: due, of
        // a claimed type, not blocked; a tenant whose pending rows are all legacy types or
        // not yet due does not count), but never less than the cap: one tenant alone
        // fills the batch, many each get the cap. (The rows locked beyond a share
        // are let go when the statement commits.)
        format!(
            "WITH RECURSIVE tenants AS ( \
               (SELECT t.tenant_id FROM agent_tasks t WHERE t.status = 'pending' \
                 ORDER BY {PENDING_INDEX_ORDER} LIMIT 1) \
               UNION ALL \
               SELECT (SELECT t.tenant_id FROM agent_tasks t WHERE t.status = 'pending' \
                   AND t.tenant_id > tenants.tenant_id ORDER BY {PENDING_INDEX_ORDER} LIMIT 1) \
               FROM tenants WHERE tenants.tenant_id IS NOT NULL), \
             candidates AS (SELECT c.*, tenants.tenant_id AS tenant, \
                 row_number() OVER (PARTITION BY tenants.tenant_id \
                 ORDER BY c.priority DESC, c.created_at, c.id) AS rank \
               FROM tenants, LATERAL ( \
               SELECT t.id, t.priority, t.created_at FROM agent_tasks t \
               WHERE t.tenant_id = tenants.tenant_id AND t.status = 'pending' AND t.run_at <= now() \
                 AND t.task_type = ANY($3) AND {RUNNABLE} \
               ORDER BY {CLAIM_ORDER} LIMIT {limit} FOR UPDATE OF t SKIP LOCKED) c \
               WHERE tenants.tenant_id IS NOT NULL), \
             share AS (SELECT GREATEST({cap}, \
               ceil({limit}::numeric / GREATEST(count(DISTINCT c.tenant), 1))::int8) AS n \
               FROM candidates c), \
             chosen AS (SELECT c.id FROM candidates c WHERE c.rank <= (SELECT n FROM share) \
               ORDER BY c.priority DESC, c.created_at, c.id LIMIT {limit}) \
             {finish}"
        )
    } else {
        format!(
            "WITH chosen AS (SELECT t.id FROM agent_tasks t \
               WHERE t.tenant_id = $3 AND t.status = 'pending' AND t.run_at <= now() \
                 AND t.task_type = ANY($4) AND {RUNNABLE} \
               ORDER BY {CLAIM_ORDER} LIMIT {limit} FOR UPDATE OF t SKIP LOCKED) \
             {finish}"
        )
    }
}

pub(crate) async fn claim(
    db: &mut impl Db,
    request: &ClaimRequest,
) -> Result<Vec<Task>, StoreError> {
    claim_with(db, request, claim_sql).await
}

/// Runs the claim statement `sql` builds for `request`.
async fn claim_with(
    db: &mut impl Db,
    request: &ClaimRequest,
    sql: fn(Option<u32>, u32) -> String,
) -> Result<Vec<Task>, StoreError> {
    if request.limit == 0 || request.task_types.is_empty() {
        return Ok(Vec::new());
    }
    let lease_ms = millis(request.lease_duration);
    let rows = match &request.scope {
        ClaimScope::Tenant(tenant) => {
            crate::sql::query(db.keep(), &sql(None, request.limit))
                .bind(&request.owner)
                .bind(lease_ms)
                .bind(tenant.0)
                .bind(&request.task_types)
                .fetch_all(db.conn())
                .await
        }
        ClaimScope::AllTenants { per_tenant_cap } => {
            let cap = (*per_tenant_cap).max(1);
            crate::sql::query(db.keep(), &sql(Some(cap), request.limit))
                .bind(&request.owner)
                .bind(lease_ms)
                .bind(&request.task_types)
                .fetch_all(db.conn())
                .await
        }
    }
    .map_err(store_error)?;
    let mut tasks = rows.iter().map(rows::task).collect::<Result<Vec<_>, _>>()?;
    sort_in_claim_order(&mut tasks);
    Ok(tasks)
}

pub(crate) async fn claim_by_id(
    db: &mut impl Db,
    tenant: TenantId,
    id: TaskId,
    owner: &str,
    lease_duration: std::time::Duration,
) -> Result<Option<Task>, StoreError> {
    let sql = format!(
        "UPDATE agent_tasks t SET status = 'in_progress', started_at = now(), attempts = t.attempts + 1, \
           lease_owner = $3, lease_expires_at = now() + $4 * interval '1 millisecond', \
           errors = CASE WHEN t.status = 'in_progress' THEN t.errors || jsonb_build_array(jsonb_build_object( \
             'attempt', t.attempts, 'at', now(), 'kind', 'lease_expired', 'worker', t.lease_owner, \
             'error', format('lease held by %s expired at %s', t.lease_owner, t.lease_expires_at))) \
             ELSE t.errors END \
         WHERE t.tenant_id = $1 AND t.id = $2 \
           AND ((t.status = 'pending' AND {RUNNABLE}) \
             OR (t.status = 'in_progress' AND t.lease_owner IS NOT NULL AND t.lease_expires_at < now())) \
         RETURNING {CLAIMED_COLUMNS}"
    );
    let row = crate::sql::query(db.keep(), &sql)
        .bind(tenant.0)
        .bind(id.0)
        .bind(owner)
        .bind(millis(lease_duration))
        .fetch_optional(db.conn())
        .await
        .map_err(store_error)?;
    row.as_ref().map(rows::task).transpose()
}

pub(crate) async fn rescue_expired(
    db: &mut impl Db,
    policy: RescuePolicy,
    limit: u32,
) -> Result<Vec<Task>, StoreError> {
    // `lost`: the attempts lost since the task last started over, in the window
    // `Task::lost_attempts` counts (the last `attempts` records, less the running one),
    // and this one.
    let sql = format!(
        "WITH expired AS (SELECT t.id FROM agent_tasks t \
           WHERE t.status = 'in_progress' AND t.lease_owner IS NOT NULL AND t.lease_expires_at < now() \
           ORDER BY t.id LIMIT $2 FOR UPDATE OF t SKIP LOCKED), \
         counted AS (SELECT t.id, 1 + (SELECT count(*) \
             FROM jsonb_array_elements(t.errors) WITH ORDINALITY e(record, i) \
             WHERE e.record->>'kind' = 'lease_expired' \
               AND e.i > jsonb_array_length(t.errors) - (t.attempts - 1)) AS lost, \
           t.cancelled_at IS NOT NULL AS cancelled, \
           format('lease held by %s expired at %s', t.lease_owner, t.lease_expires_at) AS reason \
           FROM agent_tasks t JOIN expired e ON e.id = t.id), \
         judged AS (SELECT c.*, c.cancelled OR c.lost >= $1 AS exhausted FROM counted c), \
         rescued AS (UPDATE agent_tasks t SET \
           status = CASE WHEN j.exhausted THEN 'failed' ELSE 'pending' END::agent_task_status, \
           completed_at = CASE WHEN j.exhausted THEN now() END, \
           error_message = CASE WHEN t.cancelled_at IS NOT NULL THEN t.error_message \
             WHEN j.exhausted THEN format('{lost_too_often}', j.lost, j.reason) \
             ELSE t.error_message END, \
           run_at = CASE WHEN j.exhausted THEN t.run_at ELSE now() END, \
           lease_owner = NULL, lease_expires_at = NULL, \
           errors = t.errors || jsonb_build_array(jsonb_build_object('attempt', t.attempts, \
             'at', now(), 'kind', 'lease_expired', 'error', j.reason, 'worker', t.lease_owner)) \
         FROM judged j WHERE t.id = j.id AND t.status = 'in_progress' AND t.lease_expires_at < now() \
         RETURNING {TASK_COLUMNS}) \
         SELECT * FROM rescued WHERE {notify}",
        notify = notify_waiters_of!("SELECT id FROM rescued WHERE status = 'failed'"),
        lost_too_often = zora_store_sql::LOST_TOO_OFTEN,
    );
    let rows = crate::sql::query(db.keep(), &sql)
        .bind(policy.max_lost_attempts)
        .bind(i64::from(limit))
        .fetch_all(db.conn())
        .await
        .map_err(store_error)?;
    let rescued: Vec<Task> = rows.iter().map(rows::task).collect::<Result<_, _>>()?;
    let failed: Vec<Uuid> = rescued
        .iter()
        .filter(|t| t.status == TaskStatus::Failed)
        .map(|t| t.id.0)
        .collect();
    if !failed.is_empty() {
        dependencies::fail_dependents_of(db, &failed).await?;
    }
    Ok(rescued)
}

pub(crate) async fn stats(db: &mut impl Db, scope: Scope) -> Result<QueueStats, StoreError> {
    let tenant = scope_filter(scope);
    let groups: Vec<(String, String, i64, i64)> = crate::sql::query_as(
        db.keep(),
        &format!(
            "SELECT task_type, status::text AS status, count(*) AS n, \
           count(*) FILTER (WHERE completed_at >= now() - interval '1 hour') AS recent \
         FROM agent_tasks WHERE {tenant} GROUP BY task_type, status"
        ),
    )
    .bind(scope.tenant().map(|t| t.0))
    .fetch_all(db.conn())
    .await
    .map_err(store_error)?;
    // The oldest due task: `min` over an expression, so that the planner reads the pending
    // rows from `idx_agent_tasks_claimable` (O(claimable)) rather than walking
    // `idx_agent_tasks_created_at` from the oldest row past every finished one (217 ms
    // instead of 3 ms beside a million finished rows).
    let row = crate::sql::query(db.keep(), &format!(
        "SELECT \
           (SELECT extract(epoch FROM now() - min(created_at + interval '0 s'))::float8 \
             FROM agent_tasks WHERE {tenant} AND status = 'pending' AND run_at <= now() \
               AND run_at < {blocked} AND (NOT requires_approval OR approved_at IS NOT NULL)) AS oldest, \
           (SELECT count(*) FROM agent_tasks \
             WHERE {tenant} AND status = 'in_progress' AND lease_owner IS NULL) AS unleased",
        blocked = blocked!()
    ))
    .bind(scope.tenant().map(|t| t.0))
    .fetch_one(db.conn())
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

/// `tenant`'s tasks finished in each minute of the last hour.
pub(crate) async fn finished_per_minute(
    db: &mut impl Db,
    tenant: TenantId,
) -> Result<Vec<MinuteCount>, StoreError> {
    let rows: Vec<(chrono::DateTime<chrono::Utc>, i64, i64)> = crate::sql::query_as(
        db.keep(),
        "SELECT date_trunc('minute', completed_at) AS minute, \
           count(*) FILTER (WHERE status = 'completed'), count(*) FILTER (WHERE status = 'failed') \
         FROM agent_tasks WHERE tenant_id = $1 AND status IN ('completed', 'failed') \
           AND completed_at >= date_trunc('minute', now()) - interval '59 minutes' \
         GROUP BY 1 ORDER BY 1",
    )
    .bind(tenant.0)
    .fetch_all(db.conn())
    .await
    .map_err(store_error)?;
    Ok(rows.into_iter().map(MinuteCount::from_row).collect())
}

/// The condition on `tenant_id` for a scope bound as `$1` (`NULL` for every tenant).
fn scope_filter(scope: Scope) -> &'static str {
    match scope {
        Scope::Tenant(_) => "tenant_id = $1",
        Scope::AllTenants => "$1::uuid IS NULL",
    }
}

pub(crate) async fn insert(db: &mut impl Db, task: &NewTask) -> Result<Task, StoreError> {
    let sql = format!(
        "INSERT INTO agent_tasks AS t (id, tenant_id, command_id, agent_id, task_type, priority, title, \
           description, payload, created_by_user_id, run_at, max_attempts, idempotency_key, requires_approval) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, (SELECT u.id FROM users u WHERE u.id = $10), \
           CASE WHEN $15 THEN {blocked} ELSE COALESCE($11, now()) END, $12, $13, $14) \
         RETURNING {TASK_COLUMNS}",
        blocked = blocked!()
    );
    let row = crate::sql::query(db.keep(), &sql)
        .bind(task.id.0)
        .bind(task.tenant_id.0)
        .bind(task.command_id.map(|c| c.0))
        .bind(&task.agent_id)
        .bind(&task.task_type)
        .bind(task.priority)
        .bind(&task.title)
        .bind(&task.description)
        .bind(&task.payload)
        .bind(task.created_by_user_id.map(|u| u.0))
        .bind(task.run_at)
        .bind(task.max_attempts)
        .bind(&task.idempotency_key)
        .bind(task.requires_approval)
        .bind(!task.depends_on.is_empty())
        .fetch_one(db.conn())
        .await
        .map_err(store_error)?;
    let stored = rows::task(&row)?;
    if task.depends_on.is_empty() {
        return Ok(stored);
    }
    dependencies::insert_edges(db, stored.id, &task.depends_on).await?;
    get(db, task.tenant_id, stored.id)
        .await?
        .ok_or_else(|| StoreError::Other("a task just inserted is gone".into()))
}

pub(crate) async fn reset_failed(
    db: &mut impl Db,
    tenant: TenantId,
    id: TaskId,
) -> Result<Option<Task>, StoreError> {
    let sql = format!(
        "UPDATE agent_tasks t SET status = 'pending', error_message = NULL, started_at = NULL, \
           completed_at = NULL, completed_by = NULL, attempts = 0, lease_owner = NULL, lease_expires_at = NULL, \
           cancelled_at = NULL, \
           run_at = CASE WHEN EXISTS (SELECT 1 FROM agent_task_dependencies d JOIN agent_tasks p \
             ON p.id = d.depends_on_task_id WHERE d.task_id = t.id AND p.status <> 'completed') \
             THEN {blocked} ELSE now() END \
         WHERE t.tenant_id = $1 AND t.id = $2 AND t.status = 'failed' RETURNING {TASK_COLUMNS}",
        blocked = blocked!()
    );
    let row = crate::sql::query(db.keep(), &sql)
        .bind(tenant.0)
        .bind(id.0)
        .fetch_optional(db.conn())
        .await
        .map_err(store_error)?;
    let Some(task) = row.as_ref().map(rows::task).transpose()? else {
        return Ok(None);
    };
    dependencies::reset_dependents_of(db, task.id).await?;
    Ok(Some(task))
}

pub(crate) async fn cancel(
    db: &mut impl Db,
    tenant: TenantId,
    id: TaskId,
    message: &str,
) -> Result<Option<Task>, StoreError> {
    let sql = format!(
        "UPDATE agent_tasks t SET cancelled_at = now(), error_message = $3, \
           status = CASE WHEN t.status = 'pending' THEN 'failed' ELSE t.status END, \
           completed_at = CASE WHEN t.status = 'pending' THEN now() ELSE t.completed_at END \
         WHERE t.tenant_id = $1 AND t.id = $2 AND t.cancelled_at IS NULL \
           AND (t.status = 'pending' OR (t.status = 'in_progress' AND t.lease_owner IS NOT NULL)) \
         RETURNING {TASK_COLUMNS}"
    );
    let row = crate::sql::query(db.keep(), &sql)
        .bind(tenant.0)
        .bind(id.0)
        .bind(message)
        .fetch_optional(db.conn())
        .await
        .map_err(store_error)?;
    let Some(task) = row.as_ref().map(rows::task).transpose()? else {
        return Ok(None);
    };
    if task.status == TaskStatus::Failed {
        crate::sql::query(
            db.keep(),
            concat!("SELECT ", notify_waiters_of!("SELECT $1::uuid")),
        )
        .bind(task.id.0)
        .execute(db.conn())
        .await
        .map_err(store_error)?;
        dependencies::fail_dependents_of(db, &[task.id.0]).await?;
    }
    Ok(Some(task))
}

pub(crate) async fn make_due(
    db: &mut impl Db,
    tenant: TenantId,
    id: TaskId,
) -> Result<Option<Task>, StoreError> {
    // Only a task due later is written: one already due is left untouched.
    let update = format!(
        "UPDATE agent_tasks t SET run_at = now() \
         WHERE t.tenant_id = $1 AND t.id = $2 AND t.status = 'pending' AND t.run_at > now() \
           AND t.run_at < {blocked} \
         RETURNING {TASK_COLUMNS}",
        blocked = blocked!()
    );
    if let Some(row) = crate::sql::query(db.keep(), &update)
        .bind(tenant.0)
        .bind(id.0)
        .fetch_optional(db.conn())
        .await
        .map_err(store_error)?
    {
        return rows::task(&row).map(Some);
    }
    let select = format!(
        "SELECT {TASK_COLUMNS} FROM agent_tasks t WHERE t.tenant_id = $1 AND t.id = $2 AND t.status = 'pending'"
    );
    let row = crate::sql::query(db.keep(), &select)
        .bind(tenant.0)
        .bind(id.0)
        .fetch_optional(db.conn())
        .await
        .map_err(store_error)?;
    row.as_ref().map(rows::task).transpose()
}

/// The condition that a task is still held under the lease in the `UNNEST` row `$alias`
/// (`id`, `owner`, `attempt`): a string literal, so the statements stay `&'static str`.
macro_rules! held_under {
    ($alias:literal) => {
        concat!(
            "t.id = ",
            $alias,
            ".id AND t.status = 'in_progress' AND t.lease_owner = ",
            $alias,
            ".owner AND t.attempts = ",
            $alias,
            ".attempt"
        )
    };
}

/// The three columns of a lease, as arrays for `UNNEST`.
/// The outcome condition: `held_under!`, or for a task locked by this transaction
/// (`$alias.locked`), still `pending` at the attempt before the one it is making.
macro_rules! held_or_locked {
    ($alias:literal) => {
        concat!(
            "t.id = ",
            $alias,
            ".id AND CASE WHEN ",
            $alias,
            ".locked THEN t.status = 'pending' AND t.attempts = ",
            $alias,
            ".attempt - 1 ELSE t.status = 'in_progress' AND t.lease_owner = ",
            $alias,
            ".owner AND t.attempts = ",
            $alias,
            ".attempt END"
        )
    };
}

/// For an outcome write: the attempt a locked task makes is charged, and it started when
/// this statement did (after its claim), as on SQLite. Not `now()`: the transaction's
/// start may predate the commit of the parent whose completion made the task runnable,
/// and a dependent would then seem to start before its parent completed.
const CHARGE_LOCKED: &str = "attempts = t.attempts + c.locked::int4, \
    started_at = CASE WHEN c.locked THEN statement_timestamp() ELSE t.started_at END";

fn lease_arrays<'a>(leases: impl Iterator<Item = &'a Lease>) -> (Vec<Uuid>, Vec<String>, Vec<i32>) {
    let mut ids = Vec::new();
    let mut owners = Vec::new();
    let mut attempts = Vec::new();
    for lease in leases {
        ids.push(lease.task_id.0);
        owners.push(lease.owner.clone());
        attempts.push(lease.attempt);
    }
    (ids, owners, attempts)
}

fn task_ids(ids: Vec<Uuid>) -> Vec<TaskId> {
    ids.into_iter().map(TaskId).collect()
}

pub(crate) async fn lock_leased(
    db: &mut impl Db,
    leases: &[Lease],
) -> Result<Vec<TaskId>, StoreError> {
    let (ids, owners, attempts) = lease_arrays(leases.iter());
    let locked: Vec<(Uuid, bool)> = crate::sql::query_as(
        db.keep(),
        concat!(
            "SELECT t.id, t.cancelled_at IS NOT NULL FROM agent_tasks t \
         JOIN UNNEST($1::uuid[], $2::text[], $3::int4[]) AS l(id, owner, attempt) ON ",
            held_under!("l"),
            " ORDER BY t.id FOR UPDATE OF t"
        ),
    )
    .bind(ids)
    .bind(owners)
    .bind(attempts)
    .fetch_all(db.conn())
    .await
    .map_err(store_error)?;
    let cancelled: Vec<Uuid> = locked
        .iter()
        .filter(|(_, c)| *c)
        .map(|(id, _)| *id)
        .collect();
    if !cancelled.is_empty() {
        dependencies::finish_cancelled(db, &cancelled).await?;
    }
    Ok(locked
        .into_iter()
        .filter(|(_, cancelled)| !cancelled)
        .map(|(id, _)| TaskId(id))
        .collect())
}

/// Moves the expiry of the leases still held to `lease_duration` from now (a heartbeat).
pub(crate) async fn extend_leases(
    db: &mut impl Db,
    leases: &[Lease],
    lease_duration: std::time::Duration,
) -> Result<Vec<TaskId>, StoreError> {
    let (ids, owners, attempts) = lease_arrays(leases.iter());
    let extended: Vec<Uuid> = crate::sql::query_scalar(
        db.keep(),
        concat!(
            "UPDATE agent_tasks t SET lease_expires_at = now() + $4 * interval '1 millisecond' \
         FROM UNNEST($1::uuid[], $2::text[], $3::int4[]) AS l(id, owner, attempt) \
         WHERE ",
            held_under!("l"),
            " AND t.cancelled_at IS NULL RETURNING t.id"
        ),
    )
    .bind(ids)
    .bind(owners)
    .bind(attempts)
    .bind(millis(lease_duration))
    .fetch_all(db.conn())
    .await
    .map_err(store_error)?;
    Ok(task_ids(extended))
}

pub(crate) async fn release(db: &mut impl Db, leases: &[Lease]) -> Result<Vec<TaskId>, StoreError> {
    let (ids, owners, attempts) = lease_arrays(leases.iter());
    let released: Vec<Uuid> = crate::sql::query_scalar(
        db.keep(),
        concat!(
            "UPDATE agent_tasks t SET status = 'pending', attempts = GREATEST(t.attempts - 1, 0), \
           started_at = NULL, lease_owner = NULL, lease_expires_at = NULL \
         FROM UNNEST($1::uuid[], $2::text[], $3::int4[]) AS l(id, owner, attempt) \
         WHERE ",
            held_under!("l"),
            " RETURNING t.id"
        ),
    )
    .bind(ids)
    .bind(owners)
    .bind(attempts)
    .fetch_all(db.conn())
    .await
    .map_err(store_error)?;
    Ok(task_ids(released))
}

pub(crate) async fn complete(
    db: &mut impl Db,
    completions: &[Completion],
) -> Result<Vec<TaskId>, StoreError> {
    let (ids, owners, attempts) = lease_arrays(completions.iter().map(|c| &c.lease));
    let locked: Vec<bool> = completions.iter().map(|c| c.lease.locked).collect();
    let results: Vec<Value> = completions.iter().map(|c| c.result.clone()).collect();
    let summaries: Vec<&str> = completions.iter().map(|c| c.summary.as_str()).collect();
    let sql = format!(
        "WITH done AS (UPDATE agent_tasks t SET status = 'completed', result = c.result, \
           result_summary = c.summary, error_message = NULL, \
           completed_at = CASE WHEN c.locked THEN clock_timestamp() ELSE now() END, \
           completed_by = c.owner, lease_owner = NULL, lease_expires_at = NULL, {CHARGE_LOCKED} \
         FROM UNNEST($1::uuid[], $2::text[], $3::int4[], $6::bool[], $4::jsonb[], $5::text[]) \
           AS c(id, owner, attempt, locked, result, summary) \
         WHERE {held} RETURNING t.id, {has_dependents}) \
         SELECT id, has_dependents, true FROM done WHERE {notify}",
        held = held_or_locked!("c"),
        has_dependents = HAS_DEPENDENTS,
        notify = notify_waiters_of!("SELECT id FROM done"),
    );
    let written: Vec<(Uuid, bool, bool)> = crate::sql::query_as(db.keep(), &sql)
        .bind(ids)
        .bind(owners)
        .bind(attempts)
        .bind(results)
        .bind(summaries)
        .bind(locked)
        .fetch_all(db.conn())
        .await
        .map_err(store_error)?;
    let parents = parents_among(&written);
    if !parents.is_empty() {
        dependencies::release_dependents_of(db, &parents).await?;
    }
    Ok(written_ids(written))
}

/// Whether a task just written has dependents (an index probe), so that a batch without
/// any costs no statement more.
const HAS_DEPENDENTS: &str = "EXISTS (SELECT 1 FROM agent_task_dependencies d \
    WHERE d.depends_on_task_id = t.id) AS has_dependents";

/// The ids among `written` (id, has dependents, finished for good) whose dependents the
/// write concerns: those finished for good that have dependents.
fn parents_among(written: &[(Uuid, bool, bool)]) -> Vec<Uuid> {
    written
        .iter()
        .filter(|(_, has_dependents, finished)| *has_dependents && *finished)
        .map(|(id, _, _)| *id)
        .collect()
}

fn written_ids(written: Vec<(Uuid, bool, bool)>) -> Vec<TaskId> {
    written.into_iter().map(|(id, _, _)| TaskId(id)).collect()
}

pub(crate) async fn fail(
    db: &mut impl Db,
    failures: &[Failure],
) -> Result<Vec<TaskId>, StoreError> {
    let (ids, owners, attempts) = lease_arrays(failures.iter().map(|f| &f.lease));
    let kinds: Vec<&str> = failures.iter().map(|f| f.kind.as_str()).collect();
    let messages: Vec<&str> = failures.iter().map(|f| f.message.as_str()).collect();
    let retry_ms: Vec<Option<i64>> = failures.iter().map(|f| f.retry_in.map(millis)).collect();
    let locked: Vec<bool> = failures.iter().map(|f| f.lease.locked).collect();
    let sql = format!(
        "WITH done AS (UPDATE agent_tasks t SET \
           status = CASE WHEN c.retry_ms IS NULL THEN 'failed' ELSE 'pending' END::agent_task_status, \
           error_message = c.message, \
           completed_at = CASE WHEN c.retry_ms IS NULL THEN now() END, \
           run_at = CASE WHEN c.retry_ms IS NULL THEN t.run_at \
             ELSE now() + c.retry_ms * interval '1 millisecond' END, \
           lease_owner = NULL, lease_expires_at = NULL, {CHARGE_LOCKED}, \
           errors = t.errors || jsonb_build_array(jsonb_build_object( \
             'attempt', t.attempts + c.locked::int4, \
             'at', now(), 'kind', c.kind, 'error', c.message, 'worker', c.owner)) \
         FROM UNNEST($1::uuid[], $2::text[], $3::int4[], $7::bool[], $4::text[], $5::text[], $6::int8[]) \
           AS c(id, owner, attempt, locked, kind, message, retry_ms) \
         WHERE {held} RETURNING t.id, t.status, {has_dependents}) \
         SELECT id, has_dependents, status = 'failed' FROM done WHERE {notify}",
        held = held_or_locked!("c"),
        has_dependents = HAS_DEPENDENTS,
        notify = notify_waiters_of!("SELECT id FROM done WHERE status = 'failed'"),
    );
    let written: Vec<(Uuid, bool, bool)> = crate::sql::query_as(db.keep(), &sql)
        .bind(ids)
        .bind(owners)
        .bind(attempts)
        .bind(kinds)
        .bind(messages)
        .bind(retry_ms)
        .bind(locked)
        .fetch_all(db.conn())
        .await
        .map_err(store_error)?;
    let parents = parents_among(&written);
    if !parents.is_empty() {
        dependencies::fail_dependents_of(db, &parents).await?;
    }
    Ok(written_ids(written))
}

#[zora_store_sql::async_trait]
impl zora_core::QueueTx for crate::tx::PgTx {
    async fn lock_parents(
        &mut self,
        tenant: TenantId,
        ids: &[TaskId],
    ) -> Result<Vec<zora_core::dependency::ParentRow>, StoreError> {
        dependencies::lock_parents(self.write().await?, tenant, ids).await
    }
    async fn insert_task(&mut self, task: &NewTask) -> Result<Task, StoreError> {
        insert(self.write().await?, task).await
    }
    async fn reset_failed_task(
        &mut self,
        tenant: TenantId,
        id: TaskId,
    ) -> Result<Option<Task>, StoreError> {
        reset_failed(self.write().await?, tenant, id).await
    }
    async fn make_task_due(
        &mut self,
        tenant: TenantId,
        id: TaskId,
    ) -> Result<Option<Task>, StoreError> {
        make_due(self.write().await?, tenant, id).await
    }
    async fn cancel_task(
        &mut self,
        tenant: TenantId,
        id: TaskId,
        message: &str,
    ) -> Result<Option<Task>, StoreError> {
        cancel(self.write().await?, tenant, id, message).await
    }
    async fn decide_task(
        &mut self,
        tenant: TenantId,
        id: TaskId,
        decision: &zora_core::Decision,
    ) -> Result<Option<Task>, StoreError> {
        crate::approvals::decide(self.write().await?, tenant, id, decision).await
    }
    async fn auto_execute_policy(
        &mut self,
        tenant: TenantId,
        task_type: &str,
    ) -> Result<Option<bool>, StoreError> {
        crate::approvals::auto_execute(self, tenant, task_type).await
    }
    async fn claim_locked(&mut self, request: &ClaimRequest) -> Result<Vec<Task>, StoreError> {
        claim_with(self.write().await?, request, claim_locked_sql).await
    }
    async fn lock_leased_tasks(&mut self, leases: &[Lease]) -> Result<Vec<TaskId>, StoreError> {
        lock_leased(&mut self.tx, leases).await
    }
    async fn complete_tasks(
        &mut self,
        completions: &[Completion],
    ) -> Result<Vec<TaskId>, StoreError> {
        complete(self.write().await?, completions).await
    }
    async fn release_tasks(&mut self, leases: &[Lease]) -> Result<Vec<TaskId>, StoreError> {
        release(self.write().await?, leases).await
    }
    async fn fail_tasks(&mut self, failures: &[Failure]) -> Result<Vec<TaskId>, StoreError> {
        fail(self.write().await?, failures).await
    }
}
