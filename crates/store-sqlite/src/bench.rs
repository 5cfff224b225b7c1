//! [`BenchSql`] on SQLite: the create limit is one `BEGIN IMMEDIATE` transaction; the
//! fills use a recursive counter.

use serde_json::Value;
use zora_core::{StoreError, TenantId};
use zora_store_sql::bench::BenchSql;
use zora_store_sql::sqlite::RANDOM_UUID;

use crate::error::store_error;
use crate::store::SqliteStore;
use crate::values::{NOW, now_plus};

/// `i` from 1 to `?N`.
fn counter(param: u8) -> String {
    format!("WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ?{param})")
}

#[zora_store_sql::async_trait]
impl BenchSql for SqliteStore {
    async fn insert_one_task(
        &self,
        tenant: TenantId,
        kind: &str,
        payload: &Value,
    ) -> Result<(), StoreError> {
        let mut tx = self
            .writer()
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(store_error)?;
        let id = zora_core::TaskId::new().to_string();
        sqlx::query(
            "INSERT INTO agent_tasks (id, tenant_id, agent_id, task_type, title, payload) \
             VALUES (?1, ?2, 'ORACLE', ?3, 'Bench task', ?4)",
        )
        .bind(&id)
        .bind(tenant.to_string())
        .bind(kind)
        .bind(payload.to_string())
        .execute(&mut *tx)
        .await
        .map_err(store_error)?;
        sqlx::query(&format!(
            "INSERT INTO journal_entries (id, tenant_id, category, title, details, author) \
             VALUES ({RANDOM_UUID}, ?1, 'agent_action', 'Agent task created: Bench task', \
               json_object('event_type', 'agent_task_created', 'task_id', ?2, \
                 'task_type', ?3, 'agent_id', 'ORACLE'), 'system')"
        ))
        .bind(tenant.to_string())
        .bind(&id)
        .bind(kind)
        .execute(&mut *tx)
        .await
        .map_err(store_error)?;
        tx.commit().await.map_err(store_error)
    }

    async fn fill_pending(
        &self,
        tenant: TenantId,
        kind: &str,
        payload: &Value,
        n: u64,
    ) -> Result<(), StoreError> {
        sqlx::query(&format!(
            "{} INSERT INTO agent_tasks (id, tenant_id, agent_id, task_type, title, payload) \
             SELECT {RANDOM_UUID}, ?1, 'ORACLE', ?4, 'Bench task ' || i, ?2 FROM s",
            counter(3)
        ))
        .bind(tenant.to_string())
        .bind(payload.to_string())
        .bind(i64::try_from(n).unwrap_or(i64::MAX))
        .bind(kind)
        .execute(self.writer())
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
        let finished_rows = format!(
            "{} INSERT INTO agent_tasks (id, tenant_id, agent_id, task_type, title, payload, status, \
               attempts, started_at, completed_at, result, result_summary) \
             SELECT {RANDOM_UUID}, ?1, 'ORACLE', ?3, 'Finished ' || i, '{{}}', 'completed', 1, \
               {NOW}, {NOW}, '{{}}', 'done' FROM s",
            counter(2)
        );
        let later_rows = format!(
            "{} INSERT INTO agent_tasks (id, tenant_id, agent_id, task_type, title, payload, run_at) \
             SELECT {RANDOM_UUID}, ?1, 'ORACLE', ?3, 'Tomorrow ' || i, '{{}}', {tomorrow} FROM s",
            counter(2),
            tomorrow = now_plus("'+1 day'")
        );
        for (sql, n) in [(finished_rows, finished), (later_rows, not_due)] {
            sqlx::query(&sql)
                .bind(tenant.to_string())
                .bind(i64::try_from(n).unwrap_or(i64::MAX))
                .bind(kind)
                .execute(self.writer())
                .await
                .map_err(store_error)?;
        }
        analyze(self).await
    }

    async fn fill_blocked(&self, tenant: TenantId, kind: &str, n: u64) -> Result<(), StoreError> {
        let parent = uuid::Uuid::now_v7().to_string();
        let mut tx = self
            .writer()
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(store_error)?;
        let steps = [
            format!(
                "INSERT INTO agent_tasks (id, tenant_id, agent_id, task_type, title, payload, run_at) \
                 VALUES (?4, ?1, 'ORACLE', ?3, 'Parent', '{{}}', {tomorrow})",
                tomorrow = now_plus("'+1 day'")
            ),
            format!(
                "{} INSERT INTO agent_tasks (id, tenant_id, agent_id, task_type, title, payload, run_at) \
                 SELECT {RANDOM_UUID}, ?1, 'ORACLE', ?3, 'Blocked ' || i, '{{}}', \
                   '9999-12-31T23:59:59.999Z' FROM s WHERE ?4 IS NOT NULL",
                counter(2)
            ),
            "INSERT INTO agent_task_dependencies (task_id, depends_on_task_id) \
             SELECT id, ?4 FROM agent_tasks WHERE tenant_id = ?1 AND task_type = ?3 \
               AND title LIKE 'Blocked %' AND ?2 IS NOT NULL"
                .to_owned(),
        ];
        for sql in &steps {
            sqlx::query(sql)
                .bind(tenant.to_string())
                .bind(i64::try_from(n).unwrap_or(i64::MAX))
                .bind(kind)
                .bind(&parent)
                .execute(&mut *tx)
                .await
                .map_err(store_error)?;
        }
        tx.commit().await.map_err(store_error)?;
        analyze(self).await
    }

    async fn unfinished(&self) -> Result<u64, StoreError> {
        let n: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM agent_tasks WHERE status IN ('pending', 'in_progress')",
        )
        .fetch_one(self.writer())
        .await
        .map_err(store_error)?;
        Ok(u64::try_from(n).unwrap_or_default())
    }

    async fn table_bytes(&self) -> Result<u64, StoreError> {
        let n: i64 = sqlx::query_scalar(
            "SELECT (p.page_count - f.freelist_count) * s.page_size \
             FROM pragma_page_count() p, pragma_freelist_count() f, pragma_page_size() s",
        )
        .fetch_one(self.writer())
        .await
        .map_err(store_error)?;
        Ok(u64::try_from(n).unwrap_or_default())
    }

    async fn vacuum_tasks(&self) -> Result<(), StoreError> {
        Ok(())
    }

    async fn set_fillfactor(&self, _percent: u8) -> Result<(), StoreError> {
        Ok(())
    }

    async fn clear(&self) -> Result<(), StoreError> {
        for table in ["journal_entries", "agent_tasks"] {
            sqlx::query(&format!("DELETE FROM {table}"))
                .execute(self.writer())
                .await
                .map_err(store_error)?;
        }
        Ok(())
    }
}

/// Fresh statistics after a bulk fill (`PRAGMA optimize` would gather them in time).
async fn analyze(store: &SqliteStore) -> Result<(), StoreError> {
    sqlx::query("ANALYZE agent_tasks")
        .execute(store.writer())
        .await
        .map_err(store_error)?;
    Ok(())
}
