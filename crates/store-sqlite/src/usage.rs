//! Model usage on SQLite: as on PostgreSQL, calls inserted from one JSON array (`json_each`)
//! and read back summed per group; a day is the first ten characters of the UTC timestamp.

use serde_json::Value;
use sqlx::{SqliteConnection, SqliteExecutor};
use zora_core::usage::{ModelCall, TaskUsage, UsageGrouping, UsageLine, UsageQuery};
use zora_core::{StoreError, TaskId, TenantId};
use zora_store_sql::mappers;

use crate::error::store_error;
use crate::values::{id_array, timestamp};

pub(crate) async fn insert(
    conn: &mut SqliteConnection,
    calls: &[ModelCall],
) -> Result<(), StoreError> {
    if calls.is_empty() {
        return Ok(());
    }
    let batch: Value = calls
        .iter()
        .map(|c| {
            serde_json::json!({
                "id": uuid::Uuid::now_v7().to_string(), "tenant_id": c.tenant_id.to_string(),
                "task_id": c.task_id.map(|id| id.to_string()),
                "command_id": c.command_id.map(|id| id.to_string()),
                "task_type": c.task_type, "agent_id": c.agent_id, "attempt": c.attempt,
                "model": c.model, "prompt_tokens": c.prompt_tokens,
                "completion_tokens": c.completion_tokens, "cost_usd": c.cost_usd,
            })
        })
        .collect();
    sqlx::query(
        "INSERT INTO agent_model_usage (id, tenant_id, task_id, command_id, task_type, agent_id, \
           attempt, model, prompt_tokens, completion_tokens, cost_usd) \
         SELECT value ->> '$.id', value ->> '$.tenant_id', value ->> '$.task_id', \
           value ->> '$.command_id', value ->> '$.task_type', value ->> '$.agent_id', \
           value ->> '$.attempt', value ->> '$.model', value ->> '$.prompt_tokens', \
           value ->> '$.completion_tokens', value ->> '$.cost_usd' \
         FROM json_each(?1) ORDER BY key",
    )
    .bind(batch.to_string())
    .execute(conn)
    .await
    .map_err(store_error)?;
    Ok(())
}

/// The SQL of a group's key.
fn key(group: UsageGrouping) -> &'static str {
    match group {
        UsageGrouping::Day => "substr(created_at, 1, 10)",
        UsageGrouping::Model => "model",
        UsageGrouping::TaskType => "COALESCE(task_type, '(none)')",
        UsageGrouping::Agent => "COALESCE(agent_id, '(none)')",
    }
}

pub(crate) async fn summed(
    reader: impl SqliteExecutor<'_>,
    query: &UsageQuery,
) -> Result<Vec<UsageLine>, StoreError> {
    let sql = format!(
        "SELECT {key} AS key, count(*) AS calls, sum(prompt_tokens) AS prompt_tokens, \
           sum(completion_tokens) AS completion_tokens, sum(cost_usd) AS cost_usd \
         FROM agent_model_usage WHERE tenant_id = ?1 AND created_at >= ?2 AND created_at < ?3 \
         GROUP BY 1 ORDER BY 1",
        key = key(query.group_by)
    );
    let rows = sqlx::query(&sql)
        .bind(query.tenant.to_string())
        .bind(timestamp(query.from))
        .bind(timestamp(query.to))
        .fetch_all(reader)
        .await
        .map_err(store_error)?;
    crate::rows::all(&rows, mappers::usage_line)
}

/// The sums per task of `ids` (keyed by the task's id).
pub(crate) async fn per_task(
    reader: impl SqliteExecutor<'_>,
    tenant: TenantId,
    ids: &[TaskId],
) -> Result<Vec<(TaskId, TaskUsage)>, StoreError> {
    let rows = sqlx::query(
        "SELECT task_id AS key, count(*) AS calls, sum(prompt_tokens) AS prompt_tokens, \
           sum(completion_tokens) AS completion_tokens, sum(cost_usd) AS cost_usd \
         FROM agent_model_usage WHERE tenant_id = ?1 \
           AND task_id IN (SELECT value FROM json_each(?2)) GROUP BY task_id",
    )
    .bind(tenant.to_string())
    .bind(id_array(ids))
    .fetch_all(reader)
    .await
    .map_err(store_error)?;
    let lines = crate::rows::all(&rows, mappers::usage_line)?;
    Ok(lines.into_iter().filter_map(UsageLine::of_task).collect())
}

#[zora_store_sql::async_trait]
impl zora_core::UsageStore for crate::SqliteStore {
    async fn model_usage(&self, query: &UsageQuery) -> Result<Vec<UsageLine>, StoreError> {
        summed(self.reader(), query).await
    }
    async fn task_usage(
        &self,
        tenant: TenantId,
        ids: &[TaskId],
    ) -> Result<Vec<(TaskId, TaskUsage)>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        per_task(self.reader(), tenant, ids).await
    }
}

#[zora_store_sql::async_trait]
impl zora_core::UsageTx for crate::tx::SqliteTx {
    async fn insert_model_calls(&mut self, calls: &[ModelCall]) -> Result<(), StoreError> {
        insert(self.write().await?, calls).await
    }
}
