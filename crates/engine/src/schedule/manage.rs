//! Creating, changing and deleting schedules: the one path `POST/PATCH/DELETE
//! /api/agents/schedules` and `zora schedules` share. The cron and zone are parsed, the
//! template is checked as a create body of its type would be (its payload by the
//! handler's own parser, the rows it names against the tenant's), and the next slot is
//! computed on the engine's clock.

use thiserror::Error;
use zora_core::schedule::{NewSchedule, Schedule, ScheduleChange, TaskTemplate};
use zora_core::{ScheduleId, Store, StoreError, TenantId, UserId};

use super::clock::Clock;
use super::cron::{CronSpec, SpecError};
use crate::create::{CreateError, check_new_task};
use crate::registry::Registry;

/// The longest name the column holds.
const NAME_MAX: usize = 200;

/// Why a schedule was not created or changed. Nothing was written.
#[derive(Debug, Error)]
pub enum ScheduleError {
    /// The name, cron or zone is invalid; each fault names its field.
    #[error("{}", .0.iter().map(|f| f.message.as_str()).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<SpecError>),
    /// The task template would not be created as a task (its payload, its tenant).
    #[error("task: {0}")]
    Template(CreateError),
    #[error("Schedule {0} not found")]
    NotFound(ScheduleId),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A new schedule, as the API or the CLI read it.
#[derive(Debug, Clone, PartialEq)]
pub struct ScheduleDraft {
    pub name: String,
    pub cron: String,
    /// IANA zone; `UTC` when not given.
    pub timezone: String,
    pub task: TaskTemplate,
    pub enabled: bool,
    pub created_by_user_id: Option<UserId>,
}

/// A change to a schedule: the fields given.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SchedulePatch {
    pub name: Option<String>,
    pub cron: Option<String>,
    pub timezone: Option<String>,
    pub task: Option<TaskTemplate>,
    pub enabled: Option<bool>,
}

fn check_name(name: &str) -> Result<(), ScheduleError> {
    let message = if name.trim().is_empty() {
        "name is required"
    } else if name.chars().count() > NAME_MAX {
        "name must be at most 200 characters"
    } else {
        return Ok(());
    };
    Err(ScheduleError::Invalid(vec![SpecError {
        field: "name",
        message: message.into(),
    }]))
}

/// The template checked as the task it makes at a slot.
async fn check_template(
    store: &dyn Store,
    registry: &Registry,
    tenant: TenantId,
    id: ScheduleId,
    template: &TaskTemplate,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), ScheduleError> {
    let task = template.task_for(tenant, id, now);
    check_new_task(store, registry, &task)
        .await
        .map_err(|err| match err {
            CreateError::Store(store) => ScheduleError::Store(store),
            other => ScheduleError::Template(other),
        })
}

/// Creates a schedule of `tenant`: enabled, its first slot the first after now.
pub async fn create_schedule(
    store: &dyn Store,
    registry: &Registry,
    clock: &dyn Clock,
    tenant: TenantId,
    draft: ScheduleDraft,
) -> Result<Schedule, ScheduleError> {
    check_name(&draft.name)?;
    let spec = CronSpec::parse(&draft.cron, &draft.timezone).map_err(ScheduleError::Invalid)?;
    let id = ScheduleId::new();
    let now = clock.now().await?;
    check_template(store, registry, tenant, id, &draft.task, now).await?;
    let schedule = NewSchedule {
        id,
        tenant_id: tenant,
        name: draft.name.trim().to_owned(),
        next_run_at: draft.enabled.then(|| spec.next_after(now)).flatten(),
        cron: draft.cron.trim().to_owned(),
        timezone: draft.timezone,
        task: draft.task,
        enabled: draft.enabled,
        created_by_user_id: draft.created_by_user_id,
    };
    Ok(store.insert_schedule(&schedule).await?)
}

/// Changes a schedule of `tenant`. A new cron or zone moves its next slot to the first
/// after now; a pause clears it; a resume sets it to the first after now (the slots of
/// the pause are not replayed). Anything else leaves it, so that a rename loses no slot.
pub async fn update_schedule(
    store: &dyn Store,
    registry: &Registry,
    clock: &dyn Clock,
    tenant: TenantId,
    id: ScheduleId,
    patch: SchedulePatch,
) -> Result<Schedule, ScheduleError> {
    let current = store
        .get_schedule(tenant, id)
        .await?
        .ok_or(ScheduleError::NotFound(id))?;
    if let Some(name) = &patch.name {
        check_name(name)?;
    }
    let cron = patch
        .cron
        .as_deref()
        .map_or(current.cron.as_str(), str::trim);
    let timezone = patch.timezone.as_deref().unwrap_or(&current.timezone);
    let spec = CronSpec::parse(cron, timezone).map_err(ScheduleError::Invalid)?;
    let now = clock.now().await?;
    if let Some(task) = &patch.task {
        check_template(store, registry, tenant, id, task, now).await?;
    }
    let enabled = patch.enabled.unwrap_or(current.enabled);
    let moved = cron != current.cron || timezone != current.timezone;
    let next_run_at = if !enabled {
        current.enabled.then_some(None)
    } else if moved || !current.enabled {
        Some(spec.next_after(now))
    } else {
        None
    };
    let change = ScheduleChange {
        name: patch.name.map(|n| n.trim().to_owned()),
        cron: patch.cron.map(|c| c.trim().to_owned()),
        timezone: patch.timezone,
        task: patch.task,
        enabled: patch.enabled,
        next_run_at,
    };
    store
        .update_schedule(tenant, id, &change)
        .await?
        .ok_or(ScheduleError::NotFound(id))
}

/// Deletes a schedule of `tenant`; the tasks it made stay.
pub async fn delete_schedule(
    store: &dyn Store,
    tenant: TenantId,
    id: ScheduleId,
) -> Result<(), ScheduleError> {
    if store.delete_schedule(tenant, id).await? {
        Ok(())
    } else {
        Err(ScheduleError::NotFound(id))
    }
}
