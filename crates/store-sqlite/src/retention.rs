//! Retention on SQLite: one window of a prune, in one write transaction (the window's
//! rows, those to delete and those kept as parents, the deletion), and the clock.

use chrono::{DateTime, Utc};
use sqlx::{Row, SqlitePool};
use zora_core::retention::{Prune, PruneBatch};
use zora_core::{StoreError, TaskId};

use crate::error::store_error;
use crate::values::{NOW, now_plus};

pub(crate) async fn prune_window(
    writer: &SqlitePool,
    prune: &Prune,
    after: Option<TaskId>,
    dry_run: bool,
) -> Result<PruneBatch, StoreError> {
    let window = i64::from(prune.window.max(1));
    let mut tx = writer
        .begin_with("BEGIN IMMEDIATE")
        .await
        .map_err(store_error)?;
    let seen = sqlx::query(
        "SELECT count(*) AS seen, max(id) AS last FROM \
           (SELECT id FROM agent_tasks WHERE (?1 IS NULL OR id > ?1) ORDER BY id LIMIT ?2)",
    )
    .bind(after.map(|id| id.to_string()))
    .bind(window)
    .fetch_one(&mut *tx)
    .await
    .map_err(store_error)?;
    let count: i64 = seen.try_get("seen").map_err(store_error)?;
    let last: Option<String> = seen.try_get("last").map_err(store_error)?;
    let Some(last) = last else {
        return Ok(PruneBatch::default());
    };
    let statuses = serde_json::to_string(prune.status.statuses()).unwrap_or_default();
    let old = sqlx::query(&format!(
        "SELECT t.id, EXISTS (SELECT 1 FROM agent_task_dependencies d \
             JOIN agent_tasks c ON c.id = d.task_id \
             WHERE d.depends_on_task_id = t.id AND c.status IN ('pending', 'in_progress')) AS held \
         FROM agent_tasks t \
         WHERE (?1 IS NULL OR t.id > ?1) AND t.id <= ?2 \
           AND t.status IN (SELECT value FROM json_each(?3)) AND t.completed_at < {cutoff}",
        cutoff = now_plus("?4")
    ))
    .bind(after.map(|id| id.to_string()))
    .bind(&last)
    .bind(statuses)
    .bind(format!("-{:.3} seconds", prune.older_than.as_secs_f64()))
    .fetch_all(&mut *tx)
    .await
    .map_err(store_error)?;
    let mut doomed = Vec::new();
    let mut kept = 0;
    for row in &old {
        if row.try_get::<bool, _>("held").map_err(store_error)? {
            kept += 1;
        } else {
            doomed.push(row.try_get::<String, _>("id").map_err(store_error)?);
        }
    }
    if !dry_run && !doomed.is_empty() {
        sqlx::query("DELETE FROM agent_tasks WHERE id IN (SELECT value FROM json_each(?1))")
            .bind(serde_json::to_string(&doomed).unwrap_or_default())
            .execute(&mut *tx)
            .await
            .map_err(store_error)?;
    }
    tx.commit().await.map_err(store_error)?;
    let next_after = (count >= window)
        .then(|| uuid::Uuid::parse_str(&last).ok().map(TaskId))
        .flatten();
    Ok(PruneBatch {
        deleted: doomed.len() as u64,
        kept_as_parents: kept,
        next_after,
    })
}

pub(crate) async fn now(reader: &SqlitePool) -> Result<DateTime<Utc>, StoreError> {
    let text: String = sqlx::query_scalar(&format!("SELECT {NOW}"))
        .fetch_one(reader)
        .await
        .map_err(store_error)?;
    zora_store_sql::sqlite::parse_timestamp(&text).map_err(|e| StoreError::Other(e.to_string()))
}
