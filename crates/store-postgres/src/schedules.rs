//! Schedule queries: the API's reads and writes, the leader's scan of due schedules, the
//! slot a leader takes (conditional on the schedule's next slot, unique per slot), and
//! the leader's lease row.

use std::time::Duration;

use chrono::{DateTime, Utc};
use zora_core::schedule::{NewSchedule, Schedule, ScheduleChange, SlotTaken};
use zora_core::{ScheduleId, StoreError, TenantId};
use zora_store_sql::mappers;

use crate::error::store_error;
use crate::rows::all;
use crate::sql::Db;
use crate::tasks::millis;

const SCHEDULE_COLUMNS: &str = "id, tenant_id, name, cron, timezone, task, enabled, \
    next_run_at, last_run_at, last_task_id, created_by_user_id, created_at, updated_at";

fn template(task: &zora_core::schedule::TaskTemplate) -> Result<serde_json::Value, StoreError> {
    serde_json::to_value(task).map_err(|e| StoreError::InvalidValue {
        detail: e.to_string(),
    })
}

pub(crate) async fn insert(db: &mut impl Db, new: &NewSchedule) -> Result<Schedule, StoreError> {
    let sql = format!(
        "INSERT INTO agent_task_schedules (id, tenant_id, name, cron, timezone, task, enabled, \
           next_run_at, created_by_user_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING {SCHEDULE_COLUMNS}"
    );
    let row = crate::sql::query(db.keep(), &sql)
        .bind(new.id.0)
        .bind(new.tenant_id.0)
        .bind(&new.name)
        .bind(&new.cron)
        .bind(&new.timezone)
        .bind(template(&new.task)?)
        .bind(new.enabled)
        .bind(new.next_run_at)
        .bind(new.created_by_user_id.map(|u| u.0))
        .fetch_one(db.conn())
        .await
        .map_err(store_error)?;
    mappers::schedule(&row).map_err(store_error)
}

pub(crate) async fn get(
    db: &mut impl Db,
    tenant: TenantId,
    id: ScheduleId,
) -> Result<Option<Schedule>, StoreError> {
    let sql = format!(
        "SELECT {SCHEDULE_COLUMNS} FROM agent_task_schedules WHERE tenant_id = $1 AND id = $2"
    );
    let row = crate::sql::query(db.keep(), &sql)
        .bind(tenant.0)
        .bind(id.0)
        .fetch_optional(db.conn())
        .await
        .map_err(store_error)?;
    row.as_ref()
        .map(mappers::schedule)
        .transpose()
        .map_err(store_error)
}

pub(crate) async fn list(db: &mut impl Db, tenant: TenantId) -> Result<Vec<Schedule>, StoreError> {
    let sql = format!(
        "SELECT {SCHEDULE_COLUMNS} FROM agent_task_schedules WHERE tenant_id = $1 \
         ORDER BY name, id"
    );
    let rows = crate::sql::query(db.keep(), &sql)
        .bind(tenant.0)
        .fetch_all(db.conn())
        .await
        .map_err(store_error)?;
    all(&rows, mappers::schedule)
}

pub(crate) async fn update(
    db: &mut impl Db,
    tenant: TenantId,
    id: ScheduleId,
    change: &ScheduleChange,
) -> Result<Option<Schedule>, StoreError> {
    let sql = format!(
        "UPDATE agent_task_schedules SET name = COALESCE($3, name), cron = COALESCE($4, cron), \
           timezone = COALESCE($5, timezone), task = COALESCE($6, task), \
           enabled = COALESCE($7, enabled), \
           next_run_at = CASE WHEN $8 THEN $9 ELSE next_run_at END, updated_at = now() \
         WHERE tenant_id = $1 AND id = $2 RETURNING {SCHEDULE_COLUMNS}"
    );
    let task = change.task.as_ref().map(template).transpose()?;
    let row = crate::sql::query(db.keep(), &sql)
        .bind(tenant.0)
        .bind(id.0)
        .bind(&change.name)
        .bind(&change.cron)
        .bind(&change.timezone)
        .bind(task)
        .bind(change.enabled)
        .bind(change.next_run_at.is_some())
        .bind(change.next_run_at.flatten())
        .fetch_optional(db.conn())
        .await
        .map_err(store_error)?;
    row.as_ref()
        .map(mappers::schedule)
        .transpose()
        .map_err(store_error)
}

pub(crate) async fn delete(
    db: &mut impl Db,
    tenant: TenantId,
    id: ScheduleId,
) -> Result<bool, StoreError> {
    let done = crate::sql::query(
        db.keep(),
        "DELETE FROM agent_task_schedules WHERE tenant_id = $1 AND id = $2",
    )
    .bind(tenant.0)
    .bind(id.0)
    .execute(db.conn())
    .await
    .map_err(store_error)?;
    Ok(done.rows_affected() == 1)
}

pub(crate) async fn due(
    db: &mut impl Db,
    now: DateTime<Utc>,
    limit: u32,
) -> Result<Vec<Schedule>, StoreError> {
    let sql = format!(
        "SELECT {SCHEDULE_COLUMNS} FROM agent_task_schedules \
         WHERE enabled AND next_run_at <= $1 ORDER BY next_run_at, id LIMIT $2"
    );
    let rows = crate::sql::query(db.keep(), &sql)
        .bind(now)
        .bind(i64::from(limit))
        .fetch_all(db.conn())
        .await
        .map_err(store_error)?;
    all(&rows, mappers::schedule)
}

/// Moves the schedule on and records the slot, in one statement; see
/// [`zora_core::ScheduleTx::take_slot`].
pub(crate) async fn take_slot(db: &mut impl Db, slot: &SlotTaken) -> Result<bool, StoreError> {
    let done = crate::sql::query(
        db.keep(),
        "WITH advanced AS (UPDATE agent_task_schedules \
             SET next_run_at = $4, last_run_at = $5, last_task_id = $6 \
             WHERE id = $1 AND tenant_id = $2 AND enabled AND next_run_at = $3 RETURNING id) \
         INSERT INTO agent_task_schedule_runs (schedule_id, slot, task_id) \
         SELECT id, $5, $6 FROM advanced ON CONFLICT (schedule_id, slot) DO NOTHING",
    )
    .bind(slot.schedule_id.0)
    .bind(slot.tenant_id.0)
    .bind(slot.expected)
    .bind(slot.next)
    .bind(slot.slot)
    .bind(slot.task_id.0)
    .execute(db.conn())
    .await
    .map_err(store_error)?;
    Ok(done.rows_affected() == 1)
}

pub(crate) async fn lead(
    db: &mut impl Db,
    role: &str,
    holder: &str,
    ttl: Duration,
) -> Result<bool, StoreError> {
    let led = crate::sql::query(
        db.keep(),
        "INSERT INTO agent_task_leaders (role, holder, expires_at) \
         VALUES ($1, $2, clock_timestamp() + $3 * interval '1 millisecond') \
         ON CONFLICT (role) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at \
         WHERE agent_task_leaders.holder = EXCLUDED.holder \
            OR agent_task_leaders.expires_at <= clock_timestamp() \
         RETURNING holder",
    )
    .bind(role)
    .bind(holder)
    .bind(millis(ttl))
    .fetch_optional(db.conn())
    .await
    .map_err(store_error)?;
    Ok(led.is_some())
}

pub(crate) async fn resign(db: &mut impl Db, role: &str, holder: &str) -> Result<(), StoreError> {
    crate::sql::query(
        db.keep(),
        "DELETE FROM agent_task_leaders WHERE role = $1 AND holder = $2",
    )
    .bind(role)
    .bind(holder)
    .execute(db.conn())
    .await
    .map_err(store_error)?;
    Ok(())
}

#[zora_store_sql::async_trait]
impl zora_core::ScheduleTx for crate::tx::PgTx {
    async fn take_slot(&mut self, slot: &SlotTaken) -> Result<bool, StoreError> {
        self::take_slot(self.write().await?, slot).await
    }
}

#[zora_store_sql::async_trait]
impl zora_core::ScheduleStore for crate::PgStore {
    async fn insert_schedule(&self, schedule: &NewSchedule) -> Result<Schedule, StoreError> {
        self.in_session(async |db| insert(db, schedule).await).await
    }
    async fn get_schedule(
        &self,
        tenant: TenantId,
        id: ScheduleId,
    ) -> Result<Option<Schedule>, StoreError> {
        self.in_session(async |db| get(db, tenant, id).await).await
    }
    async fn list_schedules(&self, tenant: TenantId) -> Result<Vec<Schedule>, StoreError> {
        self.in_session(async |db| list(db, tenant).await).await
    }
    async fn update_schedule(
        &self,
        tenant: TenantId,
        id: ScheduleId,
        change: &ScheduleChange,
    ) -> Result<Option<Schedule>, StoreError> {
        self.in_session(async |db| update(db, tenant, id, change).await)
            .await
    }
    async fn delete_schedule(&self, tenant: TenantId, id: ScheduleId) -> Result<bool, StoreError> {
        self.in_session(async |db| delete(db, tenant, id).await)
            .await
    }
    async fn due_schedules_all_tenants(
        &self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<Schedule>, StoreError> {
        self.in_session(async |db| due(db, now, limit).await).await
    }
    async fn lead(&self, role: &str, holder: &str, ttl: Duration) -> Result<bool, StoreError> {
        self.in_session(async |db| lead(db, role, holder, ttl).await)
            .await
    }
    async fn resign(&self, role: &str, holder: &str) -> Result<(), StoreError> {
        self.in_session(async |db| resign(db, role, holder).await)
            .await
    }
}
