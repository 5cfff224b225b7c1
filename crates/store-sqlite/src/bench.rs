//! [`BenchSql`] on SQLite: the limit is one `BEGIN IMMEDIATE` transaction per batch that
//! picks the batch into a temporary table, then writes missions, journal entries and
//! completions from it; the fills use a recursive counter. (The completion names the
//! picked ids with `IN` as well as in the join: without it SQLite, which has no statistics
//! on the temporary table, scans `agent_tasks` for each batch.)

use uuid::Uuid;
use zora_core::{StoreError, TenantId};
use zora_store_sql::bench::{BENCH_KIND, BenchSql};

use crate::error::store_error;
use crate::store::SqliteStore;
use crate::values::{NOW, now_plus};

/// A random UUID (version 4) in the stored lower-case text form.
const NEW_UUID: &str = "lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || \
    substr(hex(randomblob(2)), 2) || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) || \
    substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)))";

/// `i` from 1 to `?N`.
fn counter(param: u8) -> String {
    format!("WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ?{param})")
}

#[zora_store_sql::async_trait]
impl BenchSql for SqliteStore {
    async fn insert_one_task(&self, tenant: TenantId, profile: Uuid) -> Result<(), StoreError> {
        let mut tx = self
            .writer()
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(store_error)?;
        let id = zora_core::TaskId::new().to_string();
        sqlx::query(
            "INSERT INTO agent_tasks (id, tenant_id, agent_id, task_type, title, payload) \
             VALUES (?1, ?2, 'ORACLE', ?3, 'Bench mission', \
               json_object('profile_id', ?4, 'title', 'Bench mission', 'category', 'energy'))",
        )
        .bind(&id)
        .bind(tenant.to_string())
        .bind(BENCH_KIND)
        .bind(profile.to_string())
        .execute(&mut *tx)
        .await
        .map_err(store_error)?;
        sqlx::query(&format!(
            "INSERT INTO journal_entries (id, tenant_id, category, title, details, author) \
             VALUES ({NEW_UUID}, ?1, 'agent_action', 'Agent task created: Bench mission', \
               json_object('event_type', 'agent_task_created', 'task_id', ?2, \
                 'task_type', ?3, 'agent_id', 'ORACLE'), 'system')"
        ))
        .bind(tenant.to_string())
        .bind(&id)
        .bind(BENCH_KIND)
        .execute(&mut *tx)
        .await
        .map_err(store_error)?;
        tx.commit().await.map_err(store_error)
    }

    async fn limit_batch(&self, tenant: TenantId, batch: u32) -> Result<u64, StoreError> {
        let mut tx = self
            .writer()
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(store_error)?;
        let steps = [
            "CREATE TEMP TABLE IF NOT EXISTS bench_picked (task_id TEXT PRIMARY KEY, tenant_id TEXT, \
               agent_id TEXT, profile_id TEXT, profile_name TEXT, title TEXT, category TEXT, \
               mission_id TEXT)"
                .to_owned(),
            "DELETE FROM bench_picked".to_owned(),
            format!(
                "INSERT INTO bench_picked SELECT t.id, t.tenant_id, t.agent_id, p.id, p.name, \
                   t.payload ->> '$.title', COALESCE(t.payload ->> '$.category', 'general'), {NEW_UUID} \
                 FROM agent_tasks t INDEXED BY idx_agent_tasks_claimable JOIN climate_profiles p \
                   ON p.id = t.payload ->> '$.profile_id' AND p.tenant_id = t.tenant_id \
                 WHERE t.tenant_id = ?3 AND t.status = 'pending' AND t.task_type = ?2 \
                   AND t.run_at <= {NOW} \
                   AND t.run_at < '9999-12-31T23:59:59.999Z' \
                   AND (t.requires_approval = 0 OR t.approved_at IS NOT NULL) \
                 ORDER BY t.priority DESC, t.created_at, t.id LIMIT ?1"
            ),
            "INSERT INTO climate_missions (id, tenant_id, profile_id, title, category, notes, metadata) \
             SELECT mission_id, tenant_id, profile_id, title, category, '', '{}' FROM bench_picked"
                .to_owned(),
            format!(
                "INSERT INTO journal_entries (id, tenant_id, category, title, body, details, author) \
                 SELECT {NEW_UUID}, tenant_id, 'climate_action', 'Created mission: ' || title, \
                   'New mission for profile ''' || profile_name || '''', \
                   json_object('mission_id', mission_id, 'profile_id', profile_id, 'category', category, \
                     'event_type', 'climate_mission_created', 'task_id', task_id), \
                   agent_id \
                 FROM bench_picked"
            ),
            format!(
                "UPDATE agent_tasks SET status = 'completed', attempts = attempts + 1, \
                   started_at = {NOW}, completed_at = {NOW}, updated_at = {NOW}, \
                   result = json_object('mission_id', b.mission_id, 'profile_id', b.profile_id, \
                     'title', b.title, 'category', b.category), \
                   result_summary = 'Created mission ''' || b.title || ''' for profile ' || b.profile_id \
                 FROM bench_picked b \
                 WHERE agent_tasks.id IN (SELECT task_id FROM bench_picked) AND agent_tasks.id = b.task_id"
            ),
        ];
        let mut done = 0;
        for step in &steps {
            let mut query = sqlx::query(step);
            if step.contains("?1") {
                query = query
                    .bind(i64::from(batch))
                    .bind(BENCH_KIND)
                    .bind(tenant.to_string());
            }
            done = query
                .execute(&mut *tx)
                .await
                .map_err(store_error)?
                .rows_affected();
        }
        tx.commit().await.map_err(store_error)?;
        Ok(done)
    }

    async fn fill_pending_missions(
        &self,
        tenant: TenantId,
        profile: Uuid,
        n: u64,
    ) -> Result<(), StoreError> {
        sqlx::query(&format!(
            "{} INSERT INTO agent_tasks (id, tenant_id, agent_id, task_type, title, payload) \
             SELECT {NEW_UUID}, ?1, 'ORACLE', ?4, 'Bench mission ' || i, \
               json_object('profile_id', ?2, 'title', 'Bench mission ' || i, 'category', 'energy', \
                 'estimated_impact_kgco2', 12.5) \
             FROM s",
            counter(3)
        ))
        .bind(tenant.to_string())
        .bind(profile.to_string())
        .bind(i64::try_from(n).unwrap_or(i64::MAX))
        .bind(BENCH_KIND)
        .execute(self.writer())
        .await
        .map_err(store_error)?;
        analyze(self).await
    }

    async fn fill_ballast(
        &self,
        tenant: TenantId,
        finished: u64,
        not_due: u64,
    ) -> Result<(), StoreError> {
        let finished_rows = format!(
            "{} INSERT INTO agent_tasks (id, tenant_id, agent_id, task_type, title, payload, status, \
               attempts, started_at, completed_at, result, result_summary) \
             SELECT {NEW_UUID}, ?1, 'ORACLE', ?3, 'Finished ' || i, '{{}}', 'completed', 1, \
               {NOW}, {NOW}, '{{}}', 'done' FROM s",
            counter(2)
        );
        let later_rows = format!(
            "{} INSERT INTO agent_tasks (id, tenant_id, agent_id, task_type, title, payload, run_at) \
             SELECT {NEW_UUID}, ?1, 'ORACLE', ?3, 'Tomorrow ' || i, '{{}}', {tomorrow} FROM s",
            counter(2),
            tomorrow = now_plus("'+1 day'")
        );
        for (sql, n) in [(finished_rows, finished), (later_rows, not_due)] {
            sqlx::query(&sql)
                .bind(tenant.to_string())
                .bind(i64::try_from(n).unwrap_or(i64::MAX))
                .bind(BENCH_KIND)
                .execute(self.writer())
                .await
                .map_err(store_error)?;
        }
        analyze(self).await
    }

    async fn fill_blocked(&self, tenant: TenantId, n: u64) -> Result<(), StoreError> {
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
                 SELECT {NEW_UUID}, ?1, 'ORACLE', ?3, 'Blocked ' || i, '{{}}', \
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
                .bind(BENCH_KIND)
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
        for table in ["journal_entries", "climate_missions", "agent_tasks"] {
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
