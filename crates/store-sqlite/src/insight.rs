//! The queue's reports on SQLite (`InsightTx`): a tenant's tasks and journal over a window
//! and its queue's health, each a few grouped counts (the PostgreSQL store's, statement by
//! statement).

use chrono::{DateTime, Utc};
use sqlx::{Row, SqliteConnection};
use zora_core::insight::{HealthCounts, TaskActivity, count};
use zora_core::{StoreError, TenantId};

use crate::dependencies::blocked;
use crate::error::store_error;
use crate::values::{NOW, timestamp};

pub(crate) async fn task_activity(
    conn: &mut SqliteConnection,
    tenant: TenantId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<TaskActivity, StoreError> {
    let (tenant, from, to) = (tenant.to_string(), timestamp(from), timestamp(to));
    let tasks: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT status, task_type, count(*) FROM agent_tasks \
         WHERE tenant_id = ?1 AND created_at >= ?2 AND created_at <= ?3 GROUP BY 1, 2",
    )
    .bind(&tenant)
    .bind(&from)
    .bind(&to)
    .fetch_all(&mut *conn)
    .await
    .map_err(store_error)?;
    let journal: Vec<(String, i64)> = sqlx::query_as(
        "SELECT category, count(*) FROM journal_entries \
         WHERE tenant_id = ?1 AND created_at >= ?2 AND created_at <= ?3 GROUP BY 1",
    )
    .bind(&tenant)
    .bind(&from)
    .bind(&to)
    .fetch_all(&mut *conn)
    .await
    .map_err(store_error)?;
    let mut activity = TaskActivity {
        journal_by_category: journal.into_iter().map(|(c, n)| (c, count(n))).collect(),
        ..TaskActivity::default()
    };
    activity.add_task_groups(tasks);
    Ok(activity)
}

pub(crate) async fn health(
    conn: &mut SqliteConnection,
    tenant: TenantId,
    since: DateTime<Utc>,
) -> Result<HealthCounts, StoreError> {
    let (tenant, since) = (tenant.to_string(), timestamp(since));
    let open: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT task_type, status, count(*) FROM agent_tasks INDEXED BY idx_agent_tasks_status \
         WHERE tenant_id = ?1 AND status IN ('pending', 'in_progress') GROUP BY 1, 2",
    )
    .bind(&tenant)
    .fetch_all(&mut *conn)
    .await
    .map_err(store_error)?;
    let errors: Vec<(String, i64)> = sqlx::query_as(
        "SELECT COALESCE(error_message, '(no message)'), count(*) FROM agent_tasks \
         WHERE tenant_id = ?1 AND status = 'failed' AND completed_at >= ?2 \
         GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 5",
    )
    .bind(&tenant)
    .bind(&since)
    .fetch_all(&mut *conn)
    .await
    .map_err(store_error)?;
    let sql = format!(
        "SELECT \
           (SELECT (julianday('now') - julianday(min(created_at))) * 86400.0 \
             FROM agent_tasks INDEXED BY idx_agent_tasks_claimable \
             WHERE tenant_id = ?1 AND status = 'pending' AND run_at <= {NOW} AND run_at < {blocked} \
               AND (requires_approval = 0 OR approved_at IS NOT NULL)) AS oldest, \
           (SELECT count(*) FROM agent_tasks WHERE tenant_id = ?1 AND status = 'completed' \
             AND completed_at >= ?2) AS completed, \
           (SELECT count(*) FROM agent_tasks WHERE tenant_id = ?1 AND status = 'failed' \
             AND completed_at >= ?2) AS failed, \
           (SELECT count(*) FROM agent_tasks INDEXED BY idx_agent_tasks_status \
             WHERE tenant_id = ?1 AND status = 'in_progress' \
             AND lease_owner IS NOT NULL AND lease_expires_at < {NOW}) AS expired, \
           (SELECT count(*) FROM agent_tasks INDEXED BY idx_agent_tasks_status \
             WHERE tenant_id = ?1 AND status = 'pending' \
             AND requires_approval AND approved_at IS NULL) AS awaiting, \
           (SELECT count(*) FROM agent_tasks INDEXED BY idx_agent_tasks_status \
             WHERE tenant_id = ?1 AND status = 'pending' AND run_at = {blocked} \
             AND NOT (requires_approval AND approved_at IS NULL)) AS blocked, \
           (SELECT count(*) FROM agent_task_workers \
             WHERE stopped_at IS NULL AND expires_at > {NOW}) AS workers",
        blocked = blocked!()
    );
    let row = sqlx::query(&sql)
        .bind(&tenant)
        .bind(&since)
        .fetch_one(&mut *conn)
        .await
        .map_err(store_error)?;
    let get = |column: &str| {
        row.try_get::<i64, _>(column)
            .map(count)
            .map_err(store_error)
    };
    Ok(HealthCounts {
        oldest_pending_age_seconds: row.try_get("oldest").map_err(store_error)?,
        completed: get("completed")?,
        failed: get("failed")?,
        expired_leases: get("expired")?,
        blocked: get("blocked")?,
        awaiting_approval: get("awaiting")?,
        workers_alive: get("workers")?,
        ..HealthCounts::default()
    }
    .with_groups(open, errors))
}

#[zora_store_sql::async_trait]
impl zora_core::InsightTx for crate::tx::SqliteTx {
    async fn task_activity(
        &mut self,
        tenant: TenantId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<TaskActivity, StoreError> {
        task_activity(self.read(), tenant, from, to).await
    }
    async fn health_counts(
        &mut self,
        tenant: TenantId,
        since: DateTime<Utc>,
    ) -> Result<HealthCounts, StoreError> {
        health(self.read(), tenant, since).await
    }
}
