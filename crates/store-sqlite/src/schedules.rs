//! Schedule queries on SQLite: as on PostgreSQL, with timestamps as fixed-width text
//! (the conditional move of a schedule compares the text it read).

use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::{SqliteConnection, SqliteExecutor, SqlitePool};
use zora_core::schedule::{NewSchedule, Schedule, ScheduleChange, SlotTaken, TaskTemplate};
use zora_core::{ScheduleId, StoreError, TenantId};
use zora_store_sql::mappers;

use crate::error::store_error;
use crate::rows::all;
use crate::values::{NOW, now_plus, seconds_modifier, timestamp};

const SCHEDULE_COLUMNS: &str = "id, tenant_id, name, cron, timezone, task, enabled, \
    next_run_at, last_run_at, last_task_id, created_by_user_id, created_at, updated_at";

fn template(task: &TaskTemplate) -> Result<String, StoreError> {
    serde_json::to_string(task).map_err(|e| StoreError::InvalidValue {
        detail: e.to_string(),
    })
}

fn one(row: Option<sqlx::sqlite::SqliteRow>) -> Result<Option<Schedule>, StoreError> {
    row.as_ref()
        .map(mappers::schedule)
        .transpose()
        .map_err(store_error)
}

pub(crate) async fn insert(
    writer: impl SqliteExecutor<'_>,
    new: &NewSchedule,
) -> Result<Schedule, StoreError> {
    let sql = format!(
        "INSERT INTO agent_task_schedules (id, tenant_id, name, cron, timezone, task, enabled, \
           next_run_at, created_by_user_id) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) RETURNING {SCHEDULE_COLUMNS}"
    );
    let row = sqlx::query(&sql)
        .bind(new.id.to_string())
        .bind(new.tenant_id.to_string())
        .bind(&new.name)
        .bind(&new.cron)
        .bind(&new.timezone)
        .bind(template(&new.task)?)
        .bind(new.enabled)
        .bind(new.next_run_at.map(timestamp))
        .bind(new.created_by_user_id.map(|u| u.to_string()))
        .fetch_one(writer)
        .await
        .map_err(store_error)?;
    mappers::schedule(&row).map_err(store_error)
}

pub(crate) async fn get(
    reader: &SqlitePool,
    tenant: TenantId,
    id: ScheduleId,
) -> Result<Option<Schedule>, StoreError> {
    let sql = format!(
        "SELECT {SCHEDULE_COLUMNS} FROM agent_task_schedules WHERE tenant_id = ?1 AND id = ?2"
    );
    let row = sqlx::query(&sql)
        .bind(tenant.to_string())
        .bind(id.to_string())
        .fetch_optional(reader)
        .await
        .map_err(store_error)?;
    one(row)
}

pub(crate) async fn list(
    reader: &SqlitePool,
    tenant: TenantId,
) -> Result<Vec<Schedule>, StoreError> {
    let sql = format!(
        "SELECT {SCHEDULE_COLUMNS} FROM agent_task_schedules WHERE tenant_id = ?1 \
         ORDER BY name, id"
    );
    let rows = sqlx::query(&sql)
        .bind(tenant.to_string())
        .fetch_all(reader)
        .await
        .map_err(store_error)?;
    all(&rows, mappers::schedule)
}

pub(crate) async fn update(
    writer: &SqlitePool,
    tenant: TenantId,
    id: ScheduleId,
    change: &ScheduleChange,
) -> Result<Option<Schedule>, StoreError> {
    let sql = format!(
        "UPDATE agent_task_schedules SET name = COALESCE(?3, name), cron = COALESCE(?4, cron), \
           timezone = COALESCE(?5, timezone), task = COALESCE(?6, task), \
           enabled = COALESCE(?7, enabled), \
           next_run_at = CASE WHEN ?8 THEN ?9 ELSE next_run_at END, updated_at = {NOW} \
         WHERE tenant_id = ?1 AND id = ?2 RETURNING {SCHEDULE_COLUMNS}"
    );
    let task = change.task.as_ref().map(template).transpose()?;
    let row = sqlx::query(&sql)
        .bind(tenant.to_string())
        .bind(id.to_string())
        .bind(&change.name)
        .bind(&change.cron)
        .bind(&change.timezone)
        .bind(task)
        .bind(change.enabled)
        .bind(change.next_run_at.is_some())
        .bind(change.next_run_at.flatten().map(timestamp))
        .fetch_optional(writer)
        .await
        .map_err(store_error)?;
    one(row)
}

pub(crate) async fn delete(
    writer: &SqlitePool,
    tenant: TenantId,
    id: ScheduleId,
) -> Result<bool, StoreError> {
    let done = sqlx::query("DELETE FROM agent_task_schedules WHERE tenant_id = ?1 AND id = ?2")
        .bind(tenant.to_string())
        .bind(id.to_string())
        .execute(writer)
        .await
        .map_err(store_error)?;
    Ok(done.rows_affected() == 1)
}

pub(crate) async fn due(
    reader: &SqlitePool,
    now: DateTime<Utc>,
    limit: u32,
) -> Result<Vec<Schedule>, StoreError> {
    let sql = format!(
        "SELECT {SCHEDULE_COLUMNS} FROM agent_task_schedules \
         WHERE enabled = 1 AND next_run_at <= ?1 ORDER BY next_run_at, id LIMIT ?2"
    );
    let rows = sqlx::query(&sql)
        .bind(timestamp(now))
        .bind(i64::from(limit))
        .fetch_all(reader)
        .await
        .map_err(store_error)?;
    all(&rows, mappers::schedule)
}

/// Moves the schedule on, then records the slot (one writer: nothing runs between them);
/// see [`zora_core::ScheduleTx::take_slot`].
pub(crate) async fn take_slot(
    conn: &mut SqliteConnection,
    slot: &SlotTaken,
) -> Result<bool, StoreError> {
    let advanced = sqlx::query(
        "UPDATE agent_task_schedules SET next_run_at = ?4, last_run_at = ?5, last_task_id = ?6 \
         WHERE id = ?1 AND tenant_id = ?2 AND enabled = 1 AND next_run_at = ?3",
    )
    .bind(slot.schedule_id.to_string())
    .bind(slot.tenant_id.to_string())
    .bind(timestamp(slot.expected))
    .bind(timestamp(slot.next))
    .bind(timestamp(slot.slot))
    .bind(slot.task_id.to_string())
    .execute(&mut *conn)
    .await
    .map_err(store_error)?;
    if advanced.rows_affected() != 1 {
        return Ok(false);
    }
    let recorded = sqlx::query(
        "INSERT INTO agent_task_schedule_runs (schedule_id, slot, task_id) VALUES (?1, ?2, ?3) \
         ON CONFLICT (schedule_id, slot) DO NOTHING",
    )
    .bind(slot.schedule_id.to_string())
    .bind(timestamp(slot.slot))
    .bind(slot.task_id.to_string())
    .execute(&mut *conn)
    .await
    .map_err(store_error)?;
    Ok(recorded.rows_affected() == 1)
}

pub(crate) async fn lead(
    writer: &SqlitePool,
    role: &str,
    holder: &str,
    ttl: Duration,
) -> Result<bool, StoreError> {
    let led: Option<String> = sqlx::query_scalar(&format!(
        "INSERT INTO agent_task_leaders (role, holder, expires_at) VALUES (?1, ?2, {expires}) \
         ON CONFLICT (role) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at \
         WHERE agent_task_leaders.holder = excluded.holder OR agent_task_leaders.expires_at <= {NOW} \
         RETURNING holder",
        expires = now_plus("?3")
    ))
    .bind(role)
    .bind(holder)
    .bind(seconds_modifier(ttl))
    .fetch_optional(writer)
    .await
    .map_err(store_error)?;
    Ok(led.is_some())
}

pub(crate) async fn resign(
    writer: &SqlitePool,
    role: &str,
    holder: &str,
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM agent_task_leaders WHERE role = ?1 AND holder = ?2")
        .bind(role)
        .bind(holder)
        .execute(writer)
        .await
        .map_err(store_error)?;
    Ok(())
}

#[zora_store_sql::async_trait]
impl zora_core::ScheduleTx for crate::tx::SqliteTx {
    async fn take_slot(&mut self, slot: &SlotTaken) -> Result<bool, StoreError> {
        self::take_slot(self.write().await?, slot).await
    }
}

/// Reads go to the reader pool, writes to the writer.
#[zora_store_sql::async_trait]
impl zora_core::ScheduleStore for crate::SqliteStore {
    async fn insert_schedule(&self, schedule: &NewSchedule) -> Result<Schedule, StoreError> {
        insert(self.writer(), schedule).await
    }
    async fn get_schedule(
        &self,
        tenant: TenantId,
        id: ScheduleId,
    ) -> Result<Option<Schedule>, StoreError> {
        get(self.reader(), tenant, id).await
    }
    async fn list_schedules(&self, tenant: TenantId) -> Result<Vec<Schedule>, StoreError> {
        list(self.reader(), tenant).await
    }
    async fn update_schedule(
        &self,
        tenant: TenantId,
        id: ScheduleId,
        change: &ScheduleChange,
    ) -> Result<Option<Schedule>, StoreError> {
        update(self.writer(), tenant, id, change).await
    }
    async fn delete_schedule(&self, tenant: TenantId, id: ScheduleId) -> Result<bool, StoreError> {
        delete(self.writer(), tenant, id).await
    }
    async fn due_schedules_all_tenants(
        &self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<Schedule>, StoreError> {
        due(self.reader(), now, limit).await
    }
    async fn lead(&self, role: &str, holder: &str, ttl: Duration) -> Result<bool, StoreError> {
        lead(self.writer(), role, holder, ttl).await
    }
    async fn resign(&self, role: &str, holder: &str) -> Result<(), StoreError> {
        resign(self.writer(), role, holder).await
    }
}
