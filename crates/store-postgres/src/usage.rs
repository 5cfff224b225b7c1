//! Model usage on PostgreSQL: calls inserted from one JSON array, read back summed per
//! group by `idx_agent_model_usage_tenant_created`.

use serde_json::{Value, json};
use zora_core::usage::{ModelCall, TaskUsage, UsageGrouping, UsageLine, UsageQuery};
use zora_core::{StoreError, TaskId, TenantId};
use zora_store_sql::mappers;

use crate::error::store_error;
use crate::sql::Db;

/// `calls` as the JSON array the insert reads, each with a new id.
pub(crate) fn calls_json(calls: &[ModelCall]) -> Value {
    calls
        .iter()
        .map(|c| {
            json!({
                "id": uuid::Uuid::now_v7(), "tenant_id": c.tenant_id, "task_id": c.task_id,
                "command_id": c.command_id, "task_type": c.task_type, "agent_id": c.agent_id,
                "attempt": c.attempt, "model": c.model, "prompt_tokens": c.prompt_tokens,
                "completion_tokens": c.completion_tokens, "cost_usd": c.cost_usd,
            })
        })
        .collect()
}

pub(crate) async fn insert(db: &mut impl Db, calls: &[ModelCall]) -> Result<(), StoreError> {
    if calls.is_empty() {
        return Ok(());
    }
    crate::sql::query(
        db.keep(),
        "INSERT INTO agent_model_usage (id, tenant_id, task_id, command_id, task_type, agent_id, \
           attempt, model, prompt_tokens, completion_tokens, cost_usd) \
         SELECT id, tenant_id, task_id, command_id, task_type, agent_id, attempt, model, \
           prompt_tokens, completion_tokens, cost_usd \
         FROM jsonb_to_recordset($1) AS c(id uuid, tenant_id uuid, task_id uuid, command_id uuid, \
           task_type text, agent_id text, attempt int4, model text, prompt_tokens int8, \
           completion_tokens int8, cost_usd float8)",
    )
    .bind(calls_json(calls))
    .execute(db.conn())
    .await
    .map_err(store_error)?;
    Ok(())
}

/// The SQL of a group's key.
fn key(group: UsageGrouping) -> &'static str {
    match group {
        UsageGrouping::Day => "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')",
        UsageGrouping::Model => "model",
        UsageGrouping::TaskType => "COALESCE(task_type, '(none)')",
        UsageGrouping::Agent => "COALESCE(agent_id, '(none)')",
    }
}

pub(crate) async fn summed(
    db: &mut impl Db,
    query: &UsageQuery,
) -> Result<Vec<UsageLine>, StoreError> {
    let sql = format!(
        "SELECT {key} AS key, count(*)::int8 AS calls, sum(prompt_tokens)::int8 AS prompt_tokens, \
           sum(completion_tokens)::int8 AS completion_tokens, sum(cost_usd) AS cost_usd \
         FROM agent_model_usage WHERE tenant_id = $1 AND created_at >= $2 AND created_at < $3 \
         GROUP BY 1 ORDER BY 1",
        key = key(query.group_by)
    );
    let rows = crate::sql::query(db.keep(), &sql)
        .bind(query.tenant.0)
        .bind(query.from)
        .bind(query.to)
        .fetch_all(db.conn())
        .await
        .map_err(store_error)?;
    crate::rows::all(&rows, mappers::usage_line)
}

/// The sums per task of `ids` (keyed by the task's id).
pub(crate) async fn per_task(
    db: &mut impl Db,
    tenant: TenantId,
    ids: &[TaskId],
) -> Result<Vec<(TaskId, TaskUsage)>, StoreError> {
    let ids: Vec<uuid::Uuid> = ids.iter().map(|id| id.0).collect();
    let rows = crate::sql::query(
        db.keep(),
        "SELECT task_id::text AS key, count(*)::int8 AS calls, \
           sum(prompt_tokens)::int8 AS prompt_tokens, \
           sum(completion_tokens)::int8 AS completion_tokens, sum(cost_usd) AS cost_usd \
         FROM agent_model_usage WHERE tenant_id = $1 AND task_id = ANY($2) GROUP BY task_id",
    )
    .bind(tenant.0)
    .bind(ids)
    .fetch_all(db.conn())
    .await
    .map_err(store_error)?;
    let lines = crate::rows::all(&rows, mappers::usage_line)?;
    Ok(lines.into_iter().filter_map(UsageLine::of_task).collect())
}

#[zora_store_sql::async_trait]
impl zora_core::UsageStore for crate::PgStore {
    async fn model_usage(&self, query: &UsageQuery) -> Result<Vec<UsageLine>, StoreError> {
        self.in_session(async |db| summed(db, query).await).await
    }
    async fn task_usage(
        &self,
        tenant: TenantId,
        ids: &[TaskId],
    ) -> Result<Vec<(TaskId, TaskUsage)>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        self.in_session(async |db| per_task(db, tenant, ids).await)
            .await
    }
}

#[zora_store_sql::async_trait]
impl zora_core::UsageTx for crate::tx::PgTx {
    async fn insert_model_calls(&mut self, calls: &[ModelCall]) -> Result<(), StoreError> {
        insert(self.write().await?, calls).await
    }
}
