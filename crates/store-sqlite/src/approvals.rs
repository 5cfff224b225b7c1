//! Approvals on SQLite: PostgreSQL's `approvals`, statement for statement. ZORA CORE 3.x's
//! `agent_task_policies` lives on PostgreSQL only: no SQLite file has one.

use sqlx::SqliteConnection;
use zora_core::{Decision, StoreError, Task, TaskId, TenantId};

use crate::dependencies;
use crate::error::store_error;
use crate::rows::{self, TASK_COLUMNS};
use crate::values::NOW;

/// Records `decision`; returns the task and, for a rejection, the tasks it finished (it
/// and its dependents).
pub(crate) async fn decide(
    conn: &mut SqliteConnection,
    tenant: TenantId,
    id: TaskId,
    decision: &Decision,
) -> Result<Option<(Task, Vec<TaskId>)>, StoreError> {
    let set = if decision.approve {
        format!(
            "approved_at = {NOW}, approved_by_user_id = (SELECT u.id FROM users u WHERE u.id = ?3)"
        )
    } else {
        format!(
            "status = 'failed', completed_at = {NOW}, rejected_at = {NOW}, \
             rejected_by_user_id = (SELECT u.id FROM users u WHERE u.id = ?3), error_message = ?5"
        )
    };
    let sql = format!(
        "UPDATE agent_tasks SET {set}, decision_reason = ?4, updated_at = {NOW} \
         WHERE tenant_id = ?1 AND id = ?2 AND status = 'pending' AND requires_approval \
           AND approved_at IS NULL AND rejected_at IS NULL \
         RETURNING {TASK_COLUMNS}"
    );
    let query = sqlx::query(&sql)
        .bind(tenant.to_string())
        .bind(id.to_string())
        .bind(decision.by.map(|u| u.to_string()))
        .bind(&decision.reason);
    // Only a rejection writes a message (`?5`).
    let query = if decision.approve {
        query
    } else {
        query.bind(decision.rejected_message())
    };
    let row = query
        .fetch_optional(&mut *conn)
        .await
        .map_err(store_error)?;
    let Some(task) = row.as_ref().map(rows::task).transpose()? else {
        return Ok(None);
    };
    let mut finished = Vec::new();
    if !decision.approve {
        finished.push(task.id);
        let failed = dependencies::fail_dependents_of(conn, &[task.id]).await?;
        finished.extend(failed.iter().map(|d| d.id));
    }
    Ok(Some((task, finished)))
}
