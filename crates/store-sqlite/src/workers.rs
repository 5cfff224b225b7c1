//! The workers' registry: register (pruning long-dead rows), beat, stop (system-wide, by
//! worker id), and the live workers serving a tenant.

use std::time::Duration;

use sqlx::SqlitePool;
use zora_core::stats::Scope;
use zora_core::worker::WORKER_ROW_RETENTION;
use zora_core::{StoreError, WorkerInfo, WorkerRegistration};
use zora_store_sql::mappers;

use crate::error::store_error;
use crate::rows::all;
use crate::values::{NOW, now_plus, seconds_modifier};

const WORKER_COLUMNS: &str =
    "id, kind, host, pid, tenant_id, task_types, concurrency, started_at, heartbeat_at";

pub(crate) async fn register(
    writer: &SqlitePool,
    worker: &WorkerRegistration,
) -> Result<(), StoreError> {
    let retention = format!("-{:.3} seconds", WORKER_ROW_RETENTION.as_secs_f64());
    let mut tx = writer.begin().await.map_err(store_error)?;
    sqlx::query(&format!(
        "DELETE FROM agent_task_workers WHERE COALESCE(stopped_at, expires_at) < {}",
        now_plus("?1")
    ))
    .bind(retention)
    .execute(&mut *tx)
    .await
    .map_err(store_error)?;
    sqlx::query(&format!(
        "INSERT INTO agent_task_workers (id, kind, host, pid, tenant_id, task_types, concurrency, expires_at) \
         VALUES (?1, ?8, ?2, ?3, ?4, ?5, ?6, {expires}) \
         ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, host = excluded.host, pid = excluded.pid, \
           tenant_id = excluded.tenant_id, task_types = excluded.task_types, \
           concurrency = excluded.concurrency, heartbeat_at = {NOW}, \
           expires_at = excluded.expires_at, stopped_at = NULL",
        expires = now_plus("?7")
    ))
    .bind(&worker.id)
    .bind(&worker.host)
    .bind(worker.pid)
    .bind(worker.tenant.map(|t| t.to_string()))
    .bind(serde_json::Value::from(worker.task_types.clone()).to_string())
    .bind(worker.concurrency)
    .bind(seconds_modifier(worker.ttl))
    .bind(worker.kind.as_str())
    .execute(&mut *tx)
    .await
    .map_err(store_error)?;
    tx.commit().await.map_err(store_error)
}

pub(crate) async fn beat(writer: &SqlitePool, id: &str, ttl: Duration) -> Result<bool, StoreError> {
    let done = sqlx::query(&format!(
        "UPDATE agent_task_workers SET heartbeat_at = {NOW}, expires_at = {} \
         WHERE id = ?1 AND stopped_at IS NULL",
        now_plus("?2")
    ))
    .bind(id)
    .bind(seconds_modifier(ttl))
    .execute(writer)
    .await
    .map_err(store_error)?;
    Ok(done.rows_affected() > 0)
}

pub(crate) async fn stop(writer: &SqlitePool, id: &str) -> Result<(), StoreError> {
    sqlx::query(&format!(
        "UPDATE agent_task_workers SET stopped_at = {NOW} WHERE id = ?1 AND stopped_at IS NULL"
    ))
    .bind(id)
    .execute(writer)
    .await
    .map_err(store_error)?;
    Ok(())
}

pub(crate) async fn lost(readers: &SqlitePool, within: Duration) -> Result<u64, StoreError> {
    let n: i64 = sqlx::query_scalar(&format!(
        "SELECT count(*) FROM agent_task_workers WHERE stopped_at IS NULL AND kind = 'engine' \
           AND expires_at < {NOW} AND expires_at > {since}",
        since = crate::values::now_plus("?1")
    ))
    .bind(format!("-{:.3} seconds", within.as_secs_f64()))
    .fetch_one(readers)
    .await
    .map_err(store_error)?;
    Ok(u64::try_from(n).unwrap_or_default())
}

pub(crate) async fn live(
    readers: &SqlitePool,
    scope: Scope,
) -> Result<Vec<WorkerInfo>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {WORKER_COLUMNS}, (SELECT count(*) FROM agent_tasks t \
           WHERE t.status = 'in_progress' AND t.lease_owner = w.id) AS tasks_in_hand \
         FROM agent_task_workers w \
         WHERE stopped_at IS NULL AND expires_at > {NOW} \
           AND (?1 IS NULL OR tenant_id IS NULL OR tenant_id = ?1) \
         ORDER BY started_at, id"
    ))
    .bind(scope.tenant().map(|t| t.to_string()))
    .fetch_all(readers)
    .await
    .map_err(store_error)?;
    all(&rows, mappers::worker)
}
