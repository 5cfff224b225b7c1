//! Enqueuing due slots: what the leader does each tick, and what any process may do
//! safely at the same time. Each slot's task is inserted in the transaction that moves
//! its schedule on, conditional on the schedule's next slot being the one read, and
//! records the slot under the unique key (schedule, slot): two processes that both think
//! they lead insert it once.

use chrono::{DateTime, Utc};
use zora_core::schedule::{Schedule, ScheduleChange, SlotTaken};
use zora_core::{ScheduleId, Store, StoreError, TaskId};

use super::cron::CronSpec;
use crate::create::{CreateError, created_entry, insert_new};
use crate::registry::Registry;

/// Schedules read per scan; a scan that fills it is followed by another.
const SCAN: u32 = 100;

/// A slot enqueued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enqueued {
    pub schedule_id: ScheduleId,
    pub slot: DateTime<Utc>,
    pub task_id: TaskId,
    /// Whether earlier slots were missed (downtime) and skipped: only the latest runs.
    pub skipped_earlier: bool,
}

/// Enqueues every due slot as of `now`: one task per schedule, for its latest due slot.
/// Slots another process took meanwhile are left to it.
pub async fn enqueue_due(
    store: &dyn Store,
    registry: &Registry,
    now: DateTime<Utc>,
) -> Result<Vec<Enqueued>, StoreError> {
    let mut enqueued = Vec::new();
    loop {
        let due = store.due_schedules_all_tenants(now, SCAN).await?;
        let full = due.len() == SCAN as usize;
        let mut moved = 0;
        for schedule in &due {
            match enqueue_one(store, registry, schedule, now).await? {
                Step::Took(slot) => {
                    moved += 1;
                    enqueued.push(slot);
                }
                Step::Skipped => moved += 1,
                Step::Lost => {}
            }
        }
        // A full scan whose schedules all went to another process is not read again.
        if !full || moved == 0 {
            return Ok(enqueued);
        }
    }
}

enum Step {
    Took(Enqueued),
    /// Moved on without a task (its template no longer makes a valid one).
    Skipped,
    /// Another process took the slot, or the schedule changed meanwhile.
    Lost,
}

async fn enqueue_one(
    store: &dyn Store,
    registry: &Registry,
    schedule: &Schedule,
    now: DateTime<Utc>,
) -> Result<Step, StoreError> {
    let Some(expected) = schedule.next_run_at else {
        return Ok(Step::Lost);
    };
    let spec = match CronSpec::parse(&schedule.cron, &schedule.timezone) {
        Ok(spec) => spec,
        Err(faults) => {
            tracing::warn!(schedule = %schedule.id, ?faults, "a stored schedule does not parse; pausing it");
            pause(store, schedule).await?;
            return Ok(Step::Skipped);
        }
    };
    let Some(slot) = spec.latest_due(expected, now) else {
        return Ok(Step::Lost);
    };
    let Some(next) = spec.next_after(slot) else {
        tracing::warn!(schedule = %schedule.id, "no slot after {slot}; pausing the schedule");
        pause(store, schedule).await?;
        return Ok(Step::Skipped);
    };
    let task = schedule
        .task
        .task_for(schedule.tenant_id, schedule.id, slot);
    let mut tx = store.begin().await?;
    let stored = match insert_new(tx.as_mut(), registry, &task).await {
        Ok(stored) => stored,
        Err(CreateError::Store(err)) => return Err(err),
        Err(refused) => {
            drop(tx);
            tracing::warn!(schedule = %schedule.id, %slot, error = %refused,
                "the schedule's task is refused; skipping the slot");
            let change = ScheduleChange {
                next_run_at: Some(Some(next)),
                ..ScheduleChange::default()
            };
            store
                .update_schedule(schedule.tenant_id, schedule.id, &change)
                .await?;
            return Ok(Step::Skipped);
        }
    };
    let taken = SlotTaken {
        tenant_id: schedule.tenant_id,
        schedule_id: schedule.id,
        expected,
        slot,
        next,
        task_id: stored.id,
    };
    if !tx.take_slot(&taken).await? {
        tx.rollback().await?;
        return Ok(Step::Lost);
    }
    tx.insert_journal_entries(&[created_entry(&stored)]).await?;
    tx.commit().await?;
    let skipped_earlier = slot != expected;
    if skipped_earlier {
        tracing::info!(schedule = %schedule.id, missed_from = %expected, %slot,
            "slots were missed; enqueued the latest only");
    }
    Ok(Step::Took(Enqueued {
        schedule_id: schedule.id,
        slot,
        task_id: stored.id,
        skipped_earlier,
    }))
}

async fn pause(store: &dyn Store, schedule: &Schedule) -> Result<(), StoreError> {
    let change = ScheduleChange {
        enabled: Some(false),
        next_run_at: Some(None),
        ..ScheduleChange::default()
    };
    store
        .update_schedule(schedule.tenant_id, schedule.id, &change)
        .await
        .map(drop)
}
