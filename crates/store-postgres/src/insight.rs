//! The queue's reports (`InsightTx`): a tenant's tasks and journal over a window and its
//! queue's health, each a few grouped counts.

use chrono::{DateTime, Utc};
use sqlx::Row;
use zora_core::insight::{HealthCounts, TaskActivity, count};
use zora_core::{StoreError, TenantId};

use crate::dependencies::blocked;
use crate::error::store_error;
use crate::sql::Db;

pub(crate) async fn task_activity(
    db: &mut impl Db,
    tenant: TenantId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<TaskActivity, StoreError> {
    let tasks: Vec<(String, String, i64)> = crate::sql::query_as(
        db.keep(),
        "SELECT status::text, task_type, count(*) FROM agent_tasks \
         WHERE tenant_id = $1 AND created_at >= $2 AND created_at <= $3 GROUP BY 1, 2",
    )
    .bind(tenant.0)
    .bind(from)
    .bind(to)
    .fetch_all(db.conn())
    .await
    .map_err(store_error)?;
    let journal: Vec<(String, i64)> = crate::sql::query_as(
        db.keep(),
        "SELECT category::text, count(*) FROM journal_entries \
         WHERE tenant_id = $1 AND created_at >= $2 AND created_at <= $3 GROUP BY 1",
    )
    .bind(tenant.0)
    .bind(from)
    .bind(to)
    .fetch_all(db.conn())
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
    db: &mut impl Db,
    tenant: TenantId,
    since: DateTime<Utc>,
) -> Result<HealthCounts, StoreError> {
    let open: Vec<(String, String, i64)> = crate::sql::query_as(
        db.keep(),
        "SELECT task_type, status::text, count(*) FROM agent_tasks \
         WHERE tenant_id = $1 AND status IN ('pending', 'in_progress') GROUP BY 1, 2",
    )
    .bind(tenant.0)
    .fetch_all(db.conn())
    .await
    .map_err(store_error)?;
    let errors: Vec<(String, i64)> = crate::sql::query_as(
        db.keep(),
        "SELECT COALESCE(error_message, '(no message)'), count(*) FROM agent_tasks \
         WHERE tenant_id = $1 AND status = 'failed' AND completed_at >= $2 \
         GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 5",
    )
    .bind(tenant.0)
    .bind(since)
    .fetch_all(db.conn())
    .await
    .map_err(store_error)?;
    let row = crate::sql::query(
        db.keep(),
        concat!(
            "SELECT \
               (SELECT extract(epoch FROM now() - min(created_at + interval '0 s'))::float8 \
                 FROM agent_tasks WHERE tenant_id = $1 AND status = 'pending' AND run_at <= now() \
                   AND (NOT requires_approval OR approved_at IS NOT NULL)) AS oldest, \
               (SELECT count(*) FROM agent_tasks WHERE tenant_id = $1 AND status = 'completed' \
                 AND completed_at >= $2) AS completed, \
               (SELECT count(*) FROM agent_tasks WHERE tenant_id = $1 AND status = 'failed' \
                 AND completed_at >= $2) AS failed, \
               (SELECT count(*) FROM agent_tasks WHERE tenant_id = $1 AND status = 'in_progress' \
                 AND lease_owner IS NOT NULL AND lease_expires_at < now()) AS expired, \
               (SELECT count(*) FROM agent_tasks WHERE tenant_id = $1 AND status = 'pending' \
                 AND requires_approval AND approved_at IS NULL) AS awaiting, \
               (SELECT count(*) FROM agent_tasks WHERE tenant_id = $1 AND status = 'pending' \
                 AND run_at = ",
            blocked!(),
            " AND NOT (requires_approval AND approved_at IS NULL)) AS blocked, \
               (SELECT count(*) FROM agent_task_workers \
                 WHERE stopped_at IS NULL AND expires_at > now()) AS workers"
        ),
    )
    .bind(tenant.0)
    .bind(since)
    .fetch_one(db.conn())
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
impl zora_core::InsightTx for crate::tx::PgTx {
    async fn task_activity(
        &mut self,
        tenant: TenantId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<TaskActivity, StoreError> {
        task_activity(&mut self.tx, tenant, from, to).await
    }
    async fn health_counts(
        &mut self,
        tenant: TenantId,
        since: DateTime<Utc>,
    ) -> Result<HealthCounts, StoreError> {
        health(&mut self.tx, tenant, since).await
    }
}
