//! [`BenchSql`] on PostgreSQL: the create limit is one statement (the task and its journal
//! entry in a data-modifying CTE); the fills use `generate_series`.

use serde_json::Value;
use zora_core::{StoreError, TenantId};
use zora_store_sql::bench::BenchSql;

use crate::error::store_error;
use crate::store::PgStore;

/// One task and its journal entry, as a create writes them, in one statement.
const INSERT_ONE: &str = "\
WITH task AS (
  INSERT INTO agent_tasks (id, tenant_id, agent_id, task_type, title, payload)
  VALUES (gen_random_uuid(), $1, 'ORACLE', $2, 'Bench task', $3)
  RETURNING id, tenant_id, task_type, agent_id, title)
INSERT INTO journal_entries (id, tenant_id, category, title, details, author)
SELECT gen_random_uuid(), tenant_id, 'agent_action', 'Agent task created: ' || title,
  jsonb_build_object('event_type', 'agent_task_created', 'task_id', id, 'task_type', task_type,
    'agent_id', agent_id),
  'system'
FROM task";

#[zora_store_sql::async_trait]
impl BenchSql for PgStore {
    async fn insert_one_task(
        &self,
        tenant: TenantId,
        kind: &str,
        payload: &Value,
    ) -> Result<(), StoreError> {
        sqlx::query(INSERT_ONE)
            .bind(tenant.0)
            .bind(kind)
            .bind(payload)
            .execute(self.pool())
            .await
            .map_err(store_error)?;
        Ok(())
    }

    async fn fill_pending(
        &self,
        tenant: TenantId,
        kind: &str,
        payload: &Value,
        n: u64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO agent_tasks (id, tenant_id, agent_id, task_type, title, payload) \
             SELECT gen_random_uuid(), $1, 'ORACLE', $4, 'Bench task ' || i, $2 \
             FROM generate_series(1, $3) AS i",
        )
        .bind(tenant.0)
        .bind(payload)
        .bind(i64::try_from(n).unwrap_or(i64::MAX))
        .bind(kind)
        .execute(self.pool())
        .await
        .map_err(store_error)?;
        analyze(self).await
    }

    async fn fill_ballast(
        &self,
        tenant: TenantId,
        kind: &str,
        finished: u64,
        not_due: u64,
    ) -> Result<(), StoreError> {
        let finished_rows = "INSERT INTO agent_tasks (id, tenant_id, agent_id, task_type, title, \
               payload, status, attempts, started_at, completed_at, result, result_summary) \
             SELECT gen_random_uuid(), $1, 'ORACLE', $3, 'Finished ' || i, '{}', 'completed', 1, \
               now(), now(), '{}', 'done' \
             FROM generate_series(1, $2) AS i";
        let later_rows = "INSERT INTO agent_tasks (id, tenant_id, agent_id, task_type, title, \
               payload, run_at) \
             SELECT gen_random_uuid(), $1, 'ORACLE', $3, 'Tomorrow ' || i, '{}', \
               now() + interval '1 day' \
             FROM generate_series(1, $2) AS i";
        for (sql, n) in [(finished_rows, finished), (later_rows, not_due)] {
            sqlx::query(sql)
                .bind(tenant.0)
                .bind(i64::try_from(n).unwrap_or(i64::MAX))
                .bind(kind)
                .execute(self.pool())
                .await
                .map_err(store_error)?;
        }
        analyze(self).await
    }

    async fn fill_blocked(&self, tenant: TenantId, kind: &str, n: u64) -> Result<(), StoreError> {
        sqlx::query(
            "WITH parent AS (INSERT INTO agent_tasks (id, tenant_id, agent_id, task_type, title, \
                 payload, run_at) \
               VALUES (gen_random_uuid(), $1, 'ORACLE', $3, 'Parent', '{}', now() + interval '1 day') \
               RETURNING id), \
             children AS (INSERT INTO agent_tasks (id, tenant_id, agent_id, task_type, title, \
                 payload, run_at) \
               SELECT gen_random_uuid(), $1, 'ORACLE', $3, 'Blocked ' || i, '{}', \
                 '9999-12-31T23:59:59.999Z'::timestamptz \
               FROM generate_series(1, $2) AS i RETURNING id) \
             INSERT INTO agent_task_dependencies (task_id, depends_on_task_id) \
             SELECT c.id, p.id FROM children c, parent p",
        )
        .bind(tenant.0)
        .bind(i64::try_from(n).unwrap_or(i64::MAX))
        .bind(kind)
        .execute(self.pool())
        .await
        .map_err(store_error)?;
        analyze(self).await
    }

    async fn unfinished(&self) -> Result<u64, StoreError> {
        let n: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM agent_tasks WHERE status IN ('pending', 'in_progress')",
        )
        .fetch_one(self.pool())
        .await
        .map_err(store_error)?;
        Ok(u64::try_from(n).unwrap_or_default())
    }

    async fn table_bytes(&self) -> Result<u64, StoreError> {
        let n: i64 = sqlx::query_scalar("SELECT pg_total_relation_size('agent_tasks')")
            .fetch_one(self.pool())
            .await
            .map_err(store_error)?;
        Ok(u64::try_from(n).unwrap_or_default())
    }

    async fn vacuum_tasks(&self) -> Result<(), StoreError> {
        sqlx::raw_sql("VACUUM agent_tasks")
            .execute(self.pool())
            .await
            .map_err(store_error)?;
        Ok(())
    }

    async fn set_fillfactor(&self, percent: u8) -> Result<(), StoreError> {
        sqlx::raw_sql(&format!(
            "ALTER TABLE agent_tasks SET (fillfactor = {})",
            percent.clamp(10, 100)
        ))
        .execute(self.pool())
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn clear(&self) -> Result<(), StoreError> {
        sqlx::query("TRUNCATE agent_tasks, journal_entries CASCADE")
            .execute(self.pool())
            .await
            .map_err(store_error)?;
        Ok(())
    }
}

/// After a fill: `VACUUM (ANALYZE)` the filled tables, so that the timed claims read a
/// fresh plan and do not race the autovacuum a large insert sets off (a fill of 100,000
/// rows otherwise starts one during the next line, on a machine of two cores).
async fn analyze(store: &PgStore) -> Result<(), StoreError> {
    sqlx::raw_sql("VACUUM (ANALYZE) agent_tasks, agent_task_dependencies")
        .execute(store.pool())
        .await
        .map_err(store_error)?;
    Ok(())
}
