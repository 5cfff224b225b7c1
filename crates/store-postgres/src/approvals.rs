//! Approvals on PostgreSQL: a founder's decision on a task that
//! awaits one, and ZORA CORE 3.x's `agent_task_policies`, read where the table exists.

use zora_core::{Decision, StoreError, Task, TaskId, TenantId};

use crate::dependencies;
use crate::error::store_error;
use crate::rows::{self, TASK_COLUMNS};
use crate::sql::Db;
use crate::tx::PgTx;
use crate::waiters::notify_waiters_of;

/// The task awaits a decision: `$1` tenant, `$2` id.
const AWAITING: &str = "t.tenant_id = $1 AND t.id = $2 AND t.status = 'pending' \
    AND t.requires_approval AND t.approved_at IS NULL AND t.rejected_at IS NULL";

/// Who decided, as `users` has them (`$3`; NULL without a row).
const DECIDER: &str = "(SELECT u.id FROM users u WHERE u.id = $3)";

pub(crate) async fn decide(
    db: &mut impl Db,
    tenant: TenantId,
    id: TaskId,
    decision: &Decision,
) -> Result<Option<Task>, StoreError> {
    let sql = if decision.approve {
        // The approved task enters the claim index: wake the workers (the wake-up trigger
        // watches `status` and `run_at` only).
        format!(
            "WITH decided AS (UPDATE agent_tasks t SET approved_at = now(), \
               approved_by_user_id = {DECIDER}, decision_reason = $4 \
             WHERE {AWAITING} RETURNING {TASK_COLUMNS}) \
             SELECT decided.*, pg_notify('zora_agent_tasks', '0') FROM decided"
        )
    } else {
        format!(
            "WITH decided AS (UPDATE agent_tasks t SET status = 'failed', completed_at = now(), \
               rejected_at = now(), rejected_by_user_id = {DECIDER}, decision_reason = $4, \
               error_message = $5 \
             WHERE {AWAITING} RETURNING {TASK_COLUMNS}) \
             SELECT * FROM decided WHERE {notify}",
            notify = notify_waiters_of!("SELECT id FROM decided")
        )
    };
    let query = crate::sql::query(db.keep(), &sql)
        .bind(tenant.0)
        .bind(id.0)
        .bind(decision.by.map(|u| u.0))
        .bind(&decision.reason);
    let query = if decision.approve {
        query
    } else {
        query.bind(decision.rejected_message())
    };
    let row = query.fetch_optional(db.conn()).await.map_err(store_error)?;
    let Some(task) = row.as_ref().map(rows::task).transpose()? else {
        return Ok(None);
    };
    if !decision.approve {
        dependencies::fail_dependents_of(db, &[task.id.0]).await?;
    }
    Ok(Some(task))
}

/// `agent_task_policies.auto_execute` for the tenant's row, else the global one.
pub(crate) async fn auto_execute(
    tx: &mut PgTx,
    tenant: TenantId,
    task_type: &str,
) -> Result<Option<bool>, StoreError> {
    let PgTx {
        tx: db, policies, ..
    } = tx;
    let exists = *policies
        .get_or_try_init(|| async {
            crate::sql::query_scalar::<bool>(
                db.keep(),
                "SELECT to_regclass('agent_task_policies') IS NOT NULL",
            )
            .fetch_one(db.conn())
            .await
            .map_err(store_error)
        })
        .await?;
    if !exists {
        return Ok(None);
    }
    crate::sql::query_scalar(
        db.keep(),
        "SELECT auto_execute FROM agent_task_policies \
         WHERE task_type = $2 AND (tenant_id = $1 OR tenant_id IS NULL) \
         ORDER BY tenant_id NULLS LAST LIMIT 1",
    )
    .bind(tenant.0)
    .bind(task_type)
    .fetch_optional(db.conn())
    .await
    .map_err(store_error)
}
