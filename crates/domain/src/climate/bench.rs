//! `zora bench`'s limit for `climate.create_single_mission`: the handler's work (a mission
//! and a journal entry per task, its profile checked, the task completed) by hand-written
//! SQL, one transaction per batch, on each backend; the engine's lines are measured
//! against it.

use serde_json::{Value, json};
use sqlx::{PgPool, SqlitePool};
use zora_core::{StoreError, TenantId};
use zora_store_sql::{postgres, sqlite};

use crate::ids::ProfileId;

/// The task type the limit and the engine lines both run.
pub const BENCH_KIND: &str = "climate.create_single_mission";

/// The payload of a bench task: a mission for `profile`.
pub fn payload(profile: ProfileId, title: &str) -> Value {
    json!({"profile_id": profile, "title": title, "category": "energy",
        "estimated_impact_kgco2": 12.5})
}

/// The limit on one store's pool.
#[derive(Debug, Clone)]
pub enum MissionLimit {
    Postgres(PgPool),
    Sqlite(SqlitePool),
}

impl MissionLimit {
    /// One transaction that claims up to `batch` of `tenant`'s due bench tasks (walking
    /// the claim index, as the engine does), writes a mission and a journal entry for each
    /// (its profile checked) and marks it completed. Returns how many it did.
    pub async fn batch(&self, tenant: TenantId, batch: u32) -> Result<u64, StoreError> {
        match self {
            Self::Postgres(pool) => Ok(sqlx::query(PG_LIMIT_BATCH)
                .bind(i64::from(batch))
                .bind(BENCH_KIND)
                .bind(tenant.0)
                .execute(pool)
                .await
                .map_err(postgres::store_error)?
                .rows_affected()),
            Self::Sqlite(pool) => sqlite_batch(pool, tenant, batch)
                .await
                .map_err(sqlite::store_error),
        }
    }

    /// Empties the missions the bench wrote.
    pub async fn clear(&self) -> Result<(), StoreError> {
        match self {
            Self::Postgres(pool) => sqlx::query("TRUNCATE climate_missions CASCADE")
                .execute(pool)
                .await
                .map(drop)
                .map_err(postgres::store_error),
            Self::Sqlite(pool) => sqlx::query("DELETE FROM climate_missions")
                .execute(pool)
                .await
                .map(drop)
                .map_err(sqlite::store_error),
        }
    }
}

/// PostgreSQL's limit: one statement per batch (it locks the batch with `SKIP LOCKED`,
/// writes missions and journal entries, and completes the tasks in data-modifying CTEs).
const PG_LIMIT_BATCH: &str = "\
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

/// SQLite's limit: one `BEGIN IMMEDIATE` transaction per batch that picks the batch into a
/// temporary table, then writes missions, journal entries and completions from it. (The
/// completion names the picked ids with `IN` as well as in the join: without it SQLite,
/// which has no statistics on the temporary table, scans `agent_tasks` for each batch.)
async fn sqlite_batch(pool: &SqlitePool, tenant: TenantId, batch: u32) -> sqlx::Result<u64> {
    use sqlite::{NOW, RANDOM_UUID};
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let steps = [
        "CREATE TEMP TABLE IF NOT EXISTS bench_picked (task_id TEXT PRIMARY KEY, tenant_id TEXT, \
           agent_id TEXT, profile_id TEXT, profile_name TEXT, title TEXT, category TEXT, \
           mission_id TEXT)"
            .to_owned(),
        "DELETE FROM bench_picked".to_owned(),
        format!(
            "INSERT INTO bench_picked SELECT t.id, t.tenant_id, t.agent_id, p.id, p.name, \
               t.payload ->> '$.title', COALESCE(t.payload ->> '$.category', 'general'), {RANDOM_UUID} \
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
             SELECT {RANDOM_UUID}, tenant_id, 'climate_action', 'Created mission: ' || title, \
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
        done = query.execute(&mut *tx).await?.rows_affected();
    }
    tx.commit().await?;
    Ok(done)
}
