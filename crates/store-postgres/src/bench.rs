//! [`BenchSql`] on PostgreSQL: the limit is one statement per batch (it locks the batch
//! with `SKIP LOCKED`, writes missions and journal entries, and completes the tasks in
//! data-modifying CTEs); the fills use `generate_series`.

use uuid::Uuid;
use zora_core::{StoreError, TenantId};
use zora_store_sql::bench::{BENCH_KIND, BenchSql};

use crate::error::store_error;
use crate::store::PgStore;

const LIMIT_BATCH: &str = "\
WITH picked AS (
  SELECT t.id, t.tenant_id, t.agent_id, t.payload FROM agent_tasks t
  WHERE t.tenant_id = $3 AND t.status = 'pending' AND t.task_type = $2 AND t.run_at <= now()
    AND t.run_at < '9999-12-31T23:59:59.999Z'::timestamptz
    AND (NOT t.requires_approval OR t.approved_at IS NOT NULL)
  ORDER BY t.priority DESC, t.created_at, t.id LIMIT $1 FOR UPDATE SKIP LOCKED),
made AS (
  SELECT p.id AS task_id, p.tenant_id, p.agent_id, pr.id AS profile_id, pr.name AS profile_name,
    p.payload ->> 'title' AS title, COALESCE(p.payload ->> 'category', 'general') AS category,
    gen_random_uuid() AS mission_id
  FROM picked p JOIN climate_profiles pr
    ON pr.id = (p.payload ->> 'profile_id')::uuid AND pr.tenant_id = p.tenant_id),
missions AS (
  INSERT INTO climate_missions (id, tenant_id, profile_id, title, category, notes, metadata)
  SELECT mission_id, tenant_id, profile_id, title, category, '', '{}' FROM made),
journal AS (
  INSERT INTO journal_entries (id, tenant_id, category, title, body, details, author)
  SELECT gen_random_uuid(), tenant_id, 'climate_action', 'Created mission: ' || title,
    'New mission for profile ''' || profile_name || '''',
    jsonb_build_object('mission_id', mission_id, 'profile_id', profile_id, 'category', category,
      'event_type', 'climate_mission_created', 'task_id', task_id),
    agent_id
  FROM made)
UPDATE agent_tasks t SET status = 'completed', attempts = t.attempts + 1, started_at = now(),
  completed_at = now(),
  result = jsonb_build_object('mission_id', m.mission_id, 'profile_id', m.profile_id,
    'title', m.title, 'category', m.category),
  result_summary = 'Created mission ''' || m.title || ''' for profile ' || m.profile_id
FROM made m WHERE t.id = m.task_id";

/// One task and its journal entry, as a create writes them, in one statement.
const INSERT_ONE: &str = "\
WITH task AS (
  INSERT INTO agent_tasks (id, tenant_id, agent_id, task_type, title, payload)
  VALUES (gen_random_uuid(), $1, 'ORACLE', $2, 'Bench mission',
    jsonb_build_object('profile_id', $3::uuid, 'title', 'Bench mission', 'category', 'energy'))
  RETURNING id, tenant_id, task_type, agent_id, title)
INSERT INTO journal_entries (id, tenant_id, category, title, details, author)
SELECT gen_random_uuid(), tenant_id, 'agent_action', 'Agent task created: ' || title,
  jsonb_build_object('event_type', 'agent_task_created', 'task_id', id, 'task_type', task_type,
    'agent_id', agent_id),
  'system'
FROM task";

#[zora_store_sql::async_trait]
impl BenchSql for PgStore {
    async fn limit_batch(&self, tenant: TenantId, batch: u32) -> Result<u64, StoreError> {
        let done = sqlx::query(LIMIT_BATCH)
            .bind(i64::from(batch))
            .bind(BENCH_KIND)
            .bind(tenant.0)
            .execute(self.pool())
            .await
            .map_err(store_error)?;
        Ok(done.rows_affected())
    }

    async fn insert_one_task(&self, tenant: TenantId, profile: Uuid) -> Result<(), StoreError> {
        sqlx::query(INSERT_ONE)
            .bind(tenant.0)
            .bind(BENCH_KIND)
            .bind(profile)
            .execute(self.pool())
            .await
            .map_err(store_error)?;
        Ok(())
    }

    async fn fill_pending_missions(
        &self,
        tenant: TenantId,
        profile: Uuid,
        n: u64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO agent_tasks (id, tenant_id, agent_id, task_type, title, payload) \
             SELECT gen_random_uuid(), $1, 'ORACLE', $4, 'Bench mission ' || i, \
               jsonb_build_object('profile_id', $2::uuid, 'title', 'Bench mission ' || i, \
                 'category', 'energy', 'estimated_impact_kgco2', 12.5) \
             FROM generate_series(1, $3) AS i",
        )
        .bind(tenant.0)
        .bind(profile)
        .bind(i64::try_from(n).unwrap_or(i64::MAX))
        .bind(BENCH_KIND)
        .execute(self.pool())
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
                .bind(BENCH_KIND)
                .execute(self.pool())
                .await
                .map_err(store_error)?;
        }
        analyze(self).await
    }

    async fn fill_blocked(&self, tenant: TenantId, n: u64) -> Result<(), StoreError> {
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
        .bind(BENCH_KIND)
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
        sqlx::query("TRUNCATE agent_tasks, climate_missions, journal_entries CASCADE")
            .execute(self.pool())
            .await
            .map_err(store_error)?;
        Ok(())
    }
}

/// Fresh statistics after a bulk fill, as autovacuum would soon have them: the engine
/// and the limit are planned on the same footing.
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
