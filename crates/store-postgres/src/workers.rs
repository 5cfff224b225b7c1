//! The workers' registry: register (pruning long-dead rows), beat, stop (system-wide, by
//! worker id), and the live workers serving a tenant.

use std::time::Duration;

use zora_core::stats::Scope;
use zora_core::worker::WORKER_ROW_RETENTION;
use zora_core::{StoreError, WorkerInfo, WorkerRegistration};
use zora_store_sql::mappers;

use crate::error::store_error;
use crate::rows::all;
use crate::sql::Db;
use crate::tasks::millis;

const WORKER_COLUMNS: &str =
    "id, kind, host, pid, tenant_id, task_types, concurrency, started_at, heartbeat_at";

pub(crate) async fn register(
    db: &mut impl Db,
    worker: &WorkerRegistration,
) -> Result<(), StoreError> {
    crate::sql::query(
        db.keep(),
        "WITH pruned AS (DELETE FROM agent_task_workers \
           WHERE COALESCE(stopped_at, expires_at) < now() - $8 * interval '1 millisecond') \
         INSERT INTO agent_task_workers (id, kind, host, pid, tenant_id, task_types, concurrency, expires_at) \
         VALUES ($1, $9, $2, $3, $4, $5, $6, now() + $7 * interval '1 millisecond') \
         ON CONFLICT (id) DO UPDATE SET kind = EXCLUDED.kind, host = EXCLUDED.host, pid = EXCLUDED.pid, \
           tenant_id = EXCLUDED.tenant_id, task_types = EXCLUDED.task_types, \
           concurrency = EXCLUDED.concurrency, heartbeat_at = now(), \
           expires_at = EXCLUDED.expires_at, stopped_at = NULL",
    )
    .bind(&worker.id)
    .bind(&worker.host)
    .bind(worker.pid)
    .bind(worker.tenant.map(|t| t.0))
    .bind(&worker.task_types)
    .bind(worker.concurrency)
    .bind(millis(worker.ttl))
    .bind(millis(WORKER_ROW_RETENTION))
    .bind(worker.kind.as_str())
    .execute(db.conn())
    .await
    .map_err(store_error)?;
    Ok(())
}

pub(crate) async fn beat(db: &mut impl Db, id: &str, ttl: Duration) -> Result<bool, StoreError> {
    let done = crate::sql::query(
        db.keep(),
        "UPDATE agent_task_workers SET heartbeat_at = now(), \
           expires_at = now() + $2 * interval '1 millisecond' \
         WHERE id = $1 AND stopped_at IS NULL",
    )
    .bind(id)
    .bind(millis(ttl))
    .execute(db.conn())
    .await
    .map_err(store_error)?;
    Ok(done.rows_affected() > 0)
}

pub(crate) async fn stop(db: &mut impl Db, id: &str) -> Result<(), StoreError> {
    crate::sql::query(
        db.keep(),
        "UPDATE agent_task_workers SET stopped_at = now() WHERE id = $1 AND stopped_at IS NULL",
    )
    .bind(id)
    .execute(db.conn())
    .await
    .map_err(store_error)?;
    Ok(())
}

pub(crate) async fn lost(db: &mut impl Db, within: Duration) -> Result<u64, StoreError> {
    let n: i64 = crate::sql::query_scalar(
        db.keep(),
        "SELECT count(*) FROM agent_task_workers WHERE stopped_at IS NULL AND kind = 'engine' \
           AND expires_at < now() AND expires_at > now() - $1 * interval '1 millisecond'",
    )
    .bind(crate::tasks::millis(within))
    .fetch_one(db.conn())
    .await
    .map_err(store_error)?;
    Ok(u64::try_from(n).unwrap_or_default())
}

pub(crate) async fn live(db: &mut impl Db, scope: Scope) -> Result<Vec<WorkerInfo>, StoreError> {
    let rows = crate::sql::query(
        db.keep(),
        &format!(
            "SELECT {WORKER_COLUMNS}, (SELECT count(*)::int FROM agent_tasks t \
           WHERE t.status = 'in_progress' AND t.lease_owner = w.id) AS tasks_in_hand \
         FROM agent_task_workers w \
         WHERE stopped_at IS NULL AND expires_at > now() \
           AND ($1::uuid IS NULL OR tenant_id IS NULL OR tenant_id = $1) \
         ORDER BY started_at, id"
        ),
    )
    .bind(scope.tenant().map(|t| t.0))
    .fetch_all(db.conn())
    .await
    .map_err(store_error)?;
    all(&rows, mappers::worker)
}
