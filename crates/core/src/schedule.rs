//! Periodic schedules: a stored cron expression and a task template, enqueued once per
//! slot by whichever process leads. The rows and the
//! store traits live here; cron arithmetic and the leader's loop are the engine's.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::StoreError;
use crate::ids::{ScheduleId, TaskId, TenantId, UserId};
use crate::task::NewTask;

/// The task a schedule makes at each slot: a create body without the fields a slot
/// decides (`run_at`) or that cannot repeat (`idempotency_key`, `depends_on`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TaskTemplate {
    pub agent_id: String,
    pub task_type: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default = "empty_object")]
    pub payload: Value,
    #[serde(default)]
    pub priority: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_attempts: Option<i32>,
    #[serde(default)]
    pub requires_approval: bool,
}

fn empty_object() -> Value {
    Value::Object(Map::new())
}

impl TaskTemplate {
    /// The template read from a new task's fields (its payload as given).
    pub fn of(task: &NewTask) -> Self {
        Self {
            agent_id: task.agent_id.clone(),
            task_type: task.task_type.clone(),
            title: task.title.clone(),
            description: task.description.clone(),
            payload: task.payload.clone(),
            priority: task.priority,
            max_attempts: task.max_attempts,
            requires_approval: task.requires_approval,
        }
    }

    /// The task of `schedule`'s slot `slot`: the template, its payload plus `schedule_id`
    /// and `scheduled_for` (RFC 3339), due at the slot.
    pub fn task_for(&self, tenant: TenantId, schedule: ScheduleId, slot: DateTime<Utc>) -> NewTask {
        let mut payload = match &self.payload {
            Value::Object(fields) => fields.clone(),
            _ => Map::new(),
        };
        payload.insert("schedule_id".into(), Value::from(schedule.to_string()));
        payload.insert(
            "scheduled_for".into(),
            Value::from(slot.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        );
        let mut task = NewTask::new(
            tenant,
            &self.agent_id,
            &self.task_type,
            &self.title,
            Value::Object(payload),
        );
        task.description = self.description.clone();
        task.priority = self.priority;
        task.max_attempts = self.max_attempts;
        task.requires_approval = self.requires_approval;
        task.run_at = Some(slot);
        task
    }
}

/// A row of `agent_task_schedules`, as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Schedule {
    pub id: ScheduleId,
    pub tenant_id: TenantId,
    pub name: String,
    /// Five fields, standard syntax.
    pub cron: String,
    /// An IANA zone name; the cron's fields are wall-clock times there.
    pub timezone: String,
    pub task: TaskTemplate,
    pub enabled: bool,
    /// The next slot to enqueue; `None` while paused.
    pub next_run_at: Option<DateTime<Utc>>,
    /// The slot last enqueued (after downtime, the most recent missed one).
    pub last_run_at: Option<DateTime<Utc>>,
    pub last_task_id: Option<TaskId>,
    pub created_by_user_id: Option<UserId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A schedule to insert; `next_run_at` is computed by the caller (the engine's clock).
#[derive(Debug, Clone, PartialEq)]
pub struct NewSchedule {
    pub id: ScheduleId,
    pub tenant_id: TenantId,
    pub name: String,
    pub cron: String,
    pub timezone: String,
    pub task: TaskTemplate,
    pub enabled: bool,
    pub next_run_at: Option<DateTime<Utc>>,
    pub created_by_user_id: Option<UserId>,
}

/// A change to a schedule: the fields named, and its next slot when the change moves
/// it (a new cron or timezone, a pause or a resume); `last_run_at` is never the caller's.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScheduleChange {
    pub name: Option<String>,
    pub cron: Option<String>,
    pub timezone: Option<String>,
    pub task: Option<TaskTemplate>,
    pub enabled: Option<bool>,
    /// `Some(next)`: the next slot becomes `next` (`None` while paused).
    pub next_run_at: Option<Option<DateTime<Utc>>>,
}

/// A slot taken by the leader: the schedule's next slot moves from `expected` to `next`
/// and the slot is recorded with the task made for it, unless another process took it.
#[derive(Debug, Clone, PartialEq)]
pub struct SlotTaken {
    pub tenant_id: TenantId,
    pub schedule_id: ScheduleId,
    /// The schedule's `next_run_at` as the leader read it.
    pub expected: DateTime<Utc>,
    /// The slot enqueued (the latest due; earlier missed ones are skipped).
    pub slot: DateTime<Utc>,
    pub next: DateTime<Utc>,
    pub task_id: TaskId,
}

/// Schedules outside a transaction: the API's and the CLI's reads and writes, the
/// leader's scan, and leadership itself.
#[async_trait]
pub trait ScheduleStore: Send + Sync {
    async fn insert_schedule(&self, schedule: &NewSchedule) -> Result<Schedule, StoreError>;

    /// One schedule of `tenant` (`None` for another tenant's).
    async fn get_schedule(
        &self,
        tenant: TenantId,
        id: ScheduleId,
    ) -> Result<Option<Schedule>, StoreError>;

    /// `tenant`'s schedules by name.
    async fn list_schedules(&self, tenant: TenantId) -> Result<Vec<Schedule>, StoreError>;

    /// Applies `change`; `None` when the schedule is not `tenant`'s.
    async fn update_schedule(
        &self,
        tenant: TenantId,
        id: ScheduleId,
        change: &ScheduleChange,
    ) -> Result<Option<Schedule>, StoreError>;

    /// Deletes a schedule (the tasks it made stay); `false` when it is not `tenant`'s.
    async fn delete_schedule(&self, tenant: TenantId, id: ScheduleId) -> Result<bool, StoreError>;

    /// System-wide: up to `limit` enabled schedules whose next slot is at or before
    /// `now`, soonest first.
    async fn due_schedules_all_tenants(
        &self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<Schedule>, StoreError>;

    /// Takes or keeps the lead of `role` for `holder` for `ttl` on the database clock:
    /// `true` when `holder` leads (it led and renewed, or the last lead expired). A row,
    /// not a session lock, so that it holds behind a transaction-mode pooler.
    async fn lead(&self, role: &str, holder: &str, ttl: Duration) -> Result<bool, StoreError>;

    /// Gives up the lead of `role` if `holder` has it, so that another takes over at once.
    async fn resign(&self, role: &str, holder: &str) -> Result<(), StoreError>;
}

/// Schedules inside the transaction that inserts a slot's task.
#[async_trait]
pub trait ScheduleTx: Send {
    /// Takes the slot (see [`SlotTaken`]): `false`, writing nothing, when the schedule's
    /// next slot is no longer `expected` (another leader took it, or it was changed,
    /// paused or deleted) or the slot is recorded already (the unique key on
    /// `(schedule_id, slot)`). Call it after inserting the task; roll back on `false`.
    async fn take_slot(&mut self, slot: &SlotTaken) -> Result<bool, StoreError>;
}
