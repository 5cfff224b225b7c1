//! Periodic schedules: cron in a zone, the engine's
//! clock, the create/change/delete path, enqueuing due slots exactly once, and the
//! leader's loop (which also runs retention).

mod clock;
mod cron;
mod enqueue;
mod manage;
mod scheduler;

pub use clock::{Clock, DatabaseClock, ManualClock};
pub use cron::{CronSpec, SpecError};
pub use enqueue::{Enqueued, enqueue_due};
pub use manage::{
    ScheduleDraft, ScheduleError, SchedulePatch, create_schedule, delete_schedule, update_schedule,
};
pub use scheduler::{SCHEDULER_ROLE, Scheduler, SchedulerReport, SchedulerSettings};
